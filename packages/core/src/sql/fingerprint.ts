/**
 * Statement fingerprints: a stable hex digest of a statement with its constants removed, so an
 * approval granted for `DELETE FROM t WHERE id = 1` can be matched by shape. 128 bits of
 * SHA-256, because an approval keyed on a fingerprint must not be reachable by a crafted
 * collision (64 bits, as in pg_query's fingerprint, is within reach of a brute-force search).
 */

import { createHash } from 'node:crypto';
import { type LexOptions, lexSql } from './sql-lexer.js';

const FINGERPRINT_HEX_LENGTH = 32;

/** Digest of parts already normalised by the caller (the PostgreSQL tree walk emits them). */
export function fingerprintParts(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u001f')).digest('hex').slice(0, FINGERPRINT_HEX_LENGTH);
}

/**
 * Fingerprint of statement text for dialects without a tree-level fingerprint: comments and
 * whitespace dropped, keywords and unquoted names lower-cased, every literal and parameter `?`.
 */
export function fingerprintText(text: string, options: LexOptions): string {
  const tokens = lexSql(text, options);
  const parts: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'string' || token.kind === 'number' || token.kind === 'param') parts.push('?');
    else if (token.kind === 'qident') parts.push(`"${token.value}"`);
    else if (token.kind !== 'semicolon') parts.push(token.value);
  }
  return fingerprintParts(parts);
}
