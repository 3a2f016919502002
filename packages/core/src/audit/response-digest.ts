import { createHash } from 'node:crypto';

/** The `response_digest` of an audit record: `sha256:<hex>` of the response as delivered. */
export function digestResponse(data: string | Uint8Array | readonly (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  if (typeof data === 'string' || data instanceof Uint8Array) hash.update(data);
  else for (const chunk of data) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}
