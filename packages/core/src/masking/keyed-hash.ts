/**
 * Keyed hashing for the `hash` strategy and for the deterministic characters of
 * format-preserving replacement. HMAC-SHA256 under an operator key means equal values mask
 * equally (joins and counts still work) while nobody without the key can test a guess.
 * Without an operator key a random key is drawn once per process: equal values then mask
 * equally only within that process.
 */

import { createHmac, randomBytes } from 'node:crypto';

/** Hex characters of the HMAC kept in a hash token: 64 bits, enough to avoid collisions in practice. */
export const HASH_HEX_LENGTH = 16;
export const HASH_PREFIX = 'hash:';

let processKey: Uint8Array | undefined;

/** The random key used when the operator gives none; the same for every masker in this process. */
export function processHashKey(): Uint8Array {
  processKey ??= new Uint8Array(randomBytes(32));
  return processKey;
}

/** `hash:<16 hex>` for a value under `key`. */
export function hashToken(key: Uint8Array, value: string | Uint8Array): string {
  const hex = createHmac('sha256', key).update(value).digest('hex');
  return HASH_PREFIX + hex.slice(0, HASH_HEX_LENGTH);
}

/**
 * A deterministic stream of pseudo-random bytes for `value` under `key`: HMAC blocks over a
 * domain label, a counter and the value, so different uses of one key never share output.
 */
export class KeyedBytes {
  private block: Buffer = Buffer.alloc(0);
  private offset = 0;
  private counter = 0;

  constructor(
    private readonly key: Uint8Array,
    private readonly label: string,
    private readonly value: string,
  ) {}

  /** A uniform-enough integer in [0, n) (n ≤ 256; the modulo bias is irrelevant for masking). */
  next(n: number): number {
    if (this.offset >= this.block.length) {
      this.block = createHmac('sha256', this.key)
        .update(`${this.label}\u0000${this.counter++}\u0000`)
        .update(this.value)
        .digest();
      this.offset = 0;
    }
    return (this.block[this.offset++] as number) % n;
  }
}
