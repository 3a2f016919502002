/**
 * The mask strategies applied to one value. Choices the contract leaves open:
 *
 * - `redact` gives the fixed string `[REDACTED]`, whatever the value's type.
 * - `partial` keeps the last `keep` characters (default 4) and stars the rest, but only when
 *   the value is longer than twice `keep`; a shorter value is starred entirely, so partial
 *   never reveals most, let alone all, of a short secret. Length is kept (in code points).
 * - `hash` gives `hash:<16 hex>` (HMAC-SHA256 under the masker's key).
 * - `null` gives `null` for a value, and removes the secret from text.
 * - `format` gives a fake of the same shape (see format-preserving.ts).
 *
 * Values that are not strings are masked through their canonical text (numbers as written,
 * dates in ISO 8601, bytes as hex, objects as JSON), so the result is a string, except for
 * `null`, which stays `null`. `null` and `undefined` inputs are returned unchanged.
 */

import type { DetectorName, MaskStrategy } from '../contract.js';
import { formatPreserve } from './format-preserving.js';
import { hashToken } from './keyed-hash.js';

export const MASK_STRATEGIES: readonly MaskStrategy[] = ['redact', 'partial', 'hash', 'null', 'format'];
export const REDACTED = '[REDACTED]';
export const DEFAULT_KEEP = 4;
/** Largest `keep` a rule may ask for; beyond it partial would reveal whole documents. */
export const MAX_KEEP = 64;

export interface StrategyOptions {
  strategy: MaskStrategy;
  keep: number;
  /** The detector that found the value, when one did (picks the format-preserving shape). */
  kind?: DetectorName | undefined;
  key: Uint8Array;
}

export function partialMask(value: string, keep: number): string {
  const chars = Array.from(value);
  if (keep <= 0 || chars.length <= keep * 2) return '*'.repeat(chars.length);
  return '*'.repeat(chars.length - keep) + chars.slice(-keep).join('');
}

/** Replacement for a secret found inside text. */
export function maskTextSpan(text: string, options: StrategyOptions): string {
  switch (options.strategy) {
    case 'redact':
      return REDACTED;
    case 'partial':
      return partialMask(text, options.keep);
    case 'hash':
      return hashToken(options.key, text);
    case 'null':
      return '';
    case 'format':
      return formatPreserve(text, options.kind, options.key);
  }
}

/** Replacement for a whole value (a column, a JSON node). */
export function maskWholeValue(value: unknown, options: StrategyOptions): unknown {
  if (value === null || value === undefined) return value;
  switch (options.strategy) {
    case 'null':
      return null;
    case 'redact':
      return REDACTED;
    case 'hash':
      return hashToken(options.key, value instanceof Uint8Array ? value : canonicalText(value));
    default:
      return maskTextSpan(canonicalText(value), options);
  }
}

/** The text a non-string value is masked through. */
export function canonicalText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (typeof value === 'object' && value !== null) {
    try {
      return (
        JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ??
        String(value)
      );
    } catch {
      return String(value);
    }
  }
  return String(value);
}
