import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

// scrypt at N=2^14, r=8, p=1 (about 30 ms): static keys are checked once per connection,
// and the result is cached in memory by the verifier.
const SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const KEY_LEN = 32;

const SCRYPT_RE = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{43})$/;
const SHA_RE = /^sha256\$([A-Za-z0-9_-]{16,})\$([0-9a-f]{64})$/;

export function isApiKeyHash(text: string): boolean {
  return SCRYPT_RE.test(text) || SHA_RE.test(text);
}

/** A fresh API key: 32 random bytes, base64url, prefixed so it is recognisable in a leak scan. */
export function generateApiKey(): string {
  return `pck_${randomBytes(32).toString('base64url')}`;
}

/** `scrypt$N$r$p$salt$hash` (default) or `sha256$salt$hex`, for the `hash` field of an api_keys entry. */
export function hashApiKey(key: string, algorithm: 'scrypt' | 'sha256' = 'scrypt'): string {
  const salt = randomBytes(16).toString('base64url');
  if (algorithm === 'sha256')
    return `sha256$${salt}$${createHash('sha256').update(`${salt}$${key}`).digest('hex')}`;
  const hash = scryptSync(key, salt, KEY_LEN, SCRYPT).toString('base64url');
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt}$${hash}`;
}

export function verifyApiKeyHash(key: string, stored: string): boolean {
  const s = SCRYPT_RE.exec(stored);
  if (s) {
    const [, n, r, p, salt, hash] = s;
    const want = Buffer.from(hash!, 'base64url');
    const N = Number(n);
    // Refuse parameters that would make one check cost seconds or gigabytes.
    if (N > 1 << 20 || Number(r) > 32 || Number(p) > 16) return false;
    const got = scryptSync(key, salt!, want.length, {
      N,
      r: Number(r),
      p: Number(p),
      maxmem: 256 * 1024 * 1024,
    });
    return timingSafeEqual(got, want);
  }
  const h = SHA_RE.exec(stored);
  if (h) {
    const got = createHash('sha256').update(`${h[1]}$${key}`).digest();
    return timingSafeEqual(got, Buffer.from(h[2]!, 'hex'));
  }
  return false;
}
