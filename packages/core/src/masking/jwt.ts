/**
 * JSON Web Token shape (RFC 7519, compact JWS serialisation): three base64url segments joined
 * by dots, the first two JSON objects. Only the header is decoded to confirm the shape; the
 * signature is never checked (masking must not depend on having the key).
 */

/** True when a base64url segment decodes to a JSON object. */
export function jwtHeaderValid(segment: string): boolean {
  if (segment.length > 8192) return false;
  try {
    const decoded = Buffer.from(segment, 'base64url').toString('utf8');
    const header: unknown = JSON.parse(decoded);
    return typeof header === 'object' && header !== null && !Array.isArray(header);
  } catch {
    return false;
  }
}
