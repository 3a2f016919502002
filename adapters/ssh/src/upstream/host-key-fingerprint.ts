import { createHash } from 'node:crypto';

/** OpenSSH's fingerprint of a key blob: `SHA256:` and the unpadded base64 of its SHA-256. */
export function hostKeyFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** `SHA256:abc=` and `abc` name the same key as `SHA256:abc`. */
export function normalizeFingerprint(text: string): string {
  const body = text.startsWith('SHA256:') ? text.slice('SHA256:'.length) : text;
  return `SHA256:${body.replace(/=+$/, '')}`;
}
