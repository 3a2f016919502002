/**
 * HTTP headers that stand for a body as the server wrote it. Once the body is masked they
 * describe bytes the client must not see, and each turns into a way to learn them:
 *
 * - a response's length, entity tag and digests (RFC 9530 Content-Digest and Repr-Digest,
 *   RFC 3230 Digest, Content-MD5): a client that holds one can test guesses of what was
 *   masked offline (express's ETag is the SHA-1 of the body);
 * - a request's If-None-Match and If-Range, which make the server compare that entity tag
 *   with one the client supplies (a 304 or a 206 says whether the guess was right);
 * - a request's Range: each part is masked on its own, so a secret cut in two by the
 *   boundary between parts matches no detector in either and passes whole, in two pieces.
 *
 * So where a response is masked, these request headers are not passed on (the response comes
 * whole and unconditional), and these response headers are removed; a HEAD or 304 answer,
 * whose body is not there to mask, loses them too.
 */

/** Request headers not passed on when the response will be masked. */
export const UNMASKED_BODY_REQUEST_HEADERS: readonly string[] = ['range', 'if-range', 'if-none-match'];

/** Response headers (and trailers) removed from a masked response. */
export const UNMASKED_BODY_RESPONSE_HEADERS: readonly string[] = [
  'content-length',
  'etag',
  'content-md5',
  'digest',
  'content-digest',
  'repr-digest',
];
