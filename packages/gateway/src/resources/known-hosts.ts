import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A known_hosts lookup as OpenSSH does it for one host: plain (`host`, `[host]:port`,
 * comma-separated) and hashed (`|1|salt|hmac`) names; `@revoked` lines reject the key and
 * `@cert-authority` lines are not trusted (host certificates are not supported).
 */
export function knownHostsVerifier(text: string, host: string, port: number): (key: Buffer) => boolean {
  const name = port === 22 ? host : `[${host}]:${port}`;
  const trusted: Buffer[] = [];
  const revoked: Buffer[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]?.startsWith('@')) marker = fields.shift();
    const [names, , blob] = fields;
    if (!names || !blob) continue;
    if (marker === '@cert-authority') continue;
    if (!names.split(',').some((pattern) => nameMatches(pattern, name))) continue;
    const key = Buffer.from(blob, 'base64');
    (marker === '@revoked' ? revoked : trusted).push(key);
  }
  return (key) => !revoked.some((k) => k.equals(key)) && trusted.some((k) => k.equals(key));
}

function nameMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    const want = Buffer.from(hash, 'base64');
    const got = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    return want.length === got.length && timingSafeEqual(want, got);
  }
  // Negated and wildcard patterns would need OpenSSH's full matcher; an exact name is the
  // common case, and anything else simply does not match (so the key is not trusted).
  return pattern === name;
}
