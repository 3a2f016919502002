import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.js';
import type { Action } from '../contract.js';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/**
 * The key an approval is filed under and found again by, so a re-run of the same action can
 * pass. SQL: the statements' fingerprints (constants removed) joined by `+`, so re-running a
 * held statement with other literals is covered but a different statement is not; text that
 * did not parse is keyed by its exact text. Shell: the line as written. HTTP: method, URL
 * and body. File: operation, path and target. Absent for `connect`.
 */
export function actionFingerprint(action: Action): string | undefined {
  if (action.sql !== undefined) {
    if (!action.sql.parsed || action.sql.statements.length === 0) return `raw:${sha256(action.sql.raw)}`;
    return action.sql.statements.map((s) => s.fingerprint).join('+');
  }
  if (action.shell !== undefined) return `sh:${sha256(action.shell.raw)}`;
  if (action.http !== undefined) {
    const h = action.http;
    return `http:${sha256(`${h.method} ${h.url}\n${canonicalJson(h.body ?? null)}`)}`;
  }
  if (action.file !== undefined) {
    const f = action.file;
    return `file:${sha256(canonicalJson([f.operation, f.path, f.target ?? null]))}`;
  }
  return undefined;
}
