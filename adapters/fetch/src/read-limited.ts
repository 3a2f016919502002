import { FetchBodyTooLargeError, FetchUnsupportedBodyError } from './errors.js';

/**
 * Read a request body into memory, at most `limit` bytes, so the policy sees it and the same
 * bytes are sent. Accepts what fetch and undici accept as a body: strings, byte arrays, web
 * streams, Node streams and async iterables. Form data and blobs are serialised by their
 * owners first (see guardFetch); anything else is refused rather than sent undecided.
 */
export async function readLimited(body: unknown, limit: number): Promise<Uint8Array | undefined> {
  if (body === null || body === undefined) return undefined;
  if (typeof body === 'string') return checked(new TextEncoder().encode(body), limit);
  if (body instanceof Uint8Array) return checked(body, limit);
  if (body instanceof ArrayBuffer) return checked(new Uint8Array(body), limit);
  if (ArrayBuffer.isView(body))
    return checked(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), limit);
  if (body instanceof ReadableStream) return collect(iterateWeb(body), limit, () => body.cancel());
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const source = body as AsyncIterable<unknown> & { destroy?: () => void };
    return collect(source, limit, () => source.destroy?.());
  }
  throw new FetchUnsupportedBodyError(
    `cannot read a request body of type ${Object.prototype.toString.call(body)} for the decision`,
  );
}

function checked(bytes: Uint8Array, limit: number): Uint8Array {
  if (bytes.byteLength > limit) throw new FetchBodyTooLargeError(limit);
  return bytes;
}

async function* iterateWeb(stream: ReadableStream<unknown>): AsyncGenerator<unknown> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

async function collect(
  source: AsyncIterable<unknown>,
  limit: number,
  stop: () => unknown,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of source) {
    const bytes =
      typeof chunk === 'string'
        ? new TextEncoder().encode(chunk)
        : chunk instanceof Uint8Array
          ? chunk
          : ArrayBuffer.isView(chunk)
            ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
            : undefined;
    if (bytes === undefined) throw new FetchUnsupportedBodyError('a request body chunk is not bytes or text');
    size += bytes.byteLength;
    if (size > limit) break;
    chunks.push(bytes);
  }
  if (size > limit) {
    // After the loop, so the reader's lock is released and the source can be cancelled.
    await Promise.resolve()
      .then(stop)
      .catch(() => undefined);
    throw new FetchBodyTooLargeError(limit);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
