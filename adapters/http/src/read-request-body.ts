import type { Readable } from 'node:stream';
import { HttpBodyTooLargeError } from './errors.js';

/** Whether a request has a body to read, by its framing headers (RFC 9112 §6.3). */
export function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

/** The declared length is over the limit: refuse before reading a byte. */
export function declaredTooLarge(
  headers: Record<string, string | string[] | undefined>,
  limit: number,
): boolean {
  const length = Number(headers['content-length']);
  return Number.isFinite(length) && length > limit;
}

/**
 * Read a request body into memory, failing with HttpBodyTooLargeError past `limit` bytes.
 * Past the limit the rest is read and dropped rather than the socket destroyed, so the
 * client, still sending, can read the 413 that answers it.
 */
export function readRequestBody(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.byteLength;
      if (size > limit) {
        cleanup();
        stream.on('error', () => undefined);
        stream.resume();
        reject(new HttpBodyTooLargeError(limit));
        return;
      }
      chunks.push(buf);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
