import { Transform } from 'node:stream';
import type { BodyMasker } from '@portcullis/core';

/** A Node Transform around a BodyMasker, for response bodies that are streams. */
export function maskTransform(body: BodyMasker): Transform {
  const out = (bytes: Uint8Array) =>
    bytes.byteLength > 0 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : undefined;
  return new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      try {
        callback(null, out(body.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)));
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback) {
      try {
        callback(null, out(body.end()));
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}
