import { createHash } from 'node:crypto';

/**
 * What a statement-scoped HTTP approval covers: the method, the URL and the exact body bytes.
 * A re-run of the same request finds the grant; any change to it needs a new approval.
 */
export function httpFingerprint(method: string, url: string, body: Uint8Array | undefined): string {
  const hash = createHash('sha256').update(`${method.toUpperCase()} ${url}\n`);
  if (body !== undefined) hash.update(body);
  return `http:${hash.digest('hex').slice(0, 32)}`;
}
