/**
 * Undoing a request body's content codings (RFC 9110 §8.4), so that a policy judges the body
 * the server will read: gzip-encoding a JSON body otherwise hid it from every rule on `body`.
 */

import { kMaxLength } from 'node:buffer';
import { brotliDecompressSync, constants, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

export type DecodedBody =
  | { kind: 'decoded'; bytes: Uint8Array }
  /** The decoded body would be larger than the limit (a small body can inflate a thousandfold). */
  | { kind: 'too-large' }
  /** A coding this does not undo (`zstd`, `compress`): the policy is told, the body is not read. */
  | { kind: 'unsupported'; coding: string };

/**
 * `bytes` with the codings of `contentEncoding` undone, last applied first, never producing
 * more than `limit` bytes. Decoding is lenient as servers are (a truncated stream gives what it
 * holds). Bytes that do not decode are taken as they are: a body parser mounted before the
 * adapter may have decoded them already, leaving the header.
 */
export function decodeContentCoding(bytes: Uint8Array, contentEncoding: string, limit: number): DecodedBody {
  const codings = contentEncoding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  let out = bytes;
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = codings[i] as string;
    const decode = DECODERS.get(coding);
    if (decode === undefined) return { kind: 'unsupported', coding };
    try {
      out = decode(out, Math.min(limit + 1, kMaxLength));
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return { kind: 'too-large' };
      return { kind: 'decoded', bytes: out };
    }
    if (out.byteLength > limit) return { kind: 'too-large' };
  }
  return { kind: 'decoded', bytes: out };
}

type Decoder = (bytes: Uint8Array, maxOutputLength: number) => Uint8Array;

const gzip: Decoder = (bytes, maxOutputLength) =>
  gunzipSync(bytes, { maxOutputLength, finishFlush: constants.Z_SYNC_FLUSH });

// `deflate` is the zlib format, but some clients send raw deflate under that name.
const deflate: Decoder = (bytes, maxOutputLength) => {
  const options = { maxOutputLength, finishFlush: constants.Z_SYNC_FLUSH };
  try {
    return inflateSync(bytes, options);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw err;
    return inflateRawSync(bytes, options);
  }
};

const brotli: Decoder = (bytes, maxOutputLength) =>
  brotliDecompressSync(bytes, { maxOutputLength, finishFlush: constants.BROTLI_OPERATION_FLUSH });

const DECODERS: ReadonlyMap<string, Decoder> = new Map([
  ['gzip', gzip],
  ['x-gzip', gzip],
  ['deflate', deflate],
  ['br', brotli],
]);
