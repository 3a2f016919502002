import { decodeContentCoding } from './content-coding.js';
import type { ResolvedHttpFactsOptions } from './http-options.js';

export type HttpBody =
  | string
  | Uint8Array
  | ArrayBuffer
  | Readonly<Record<string, unknown>>
  | readonly unknown[]
  | null;

export interface BodyFacts {
  body: unknown;
  body_size: number;
  body_parse_error?: string;
  body_too_large?: boolean;
}

/** application/json, application/problem+json, application/vnd.api+json … with any parameters. */
export function isJsonContentType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const essence = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    essence === 'application/json' || /^application\/[^/]+\+json$/.test(essence) || essence === 'text/json'
  );
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * The body facts. `contentEncoding` (the request's Content-Encoding) applies to bytes: they are
 * decoded first, and `body_size` is then the decoded size (parsed bodies and strings come from
 * a framework that decoded them already).
 */
export function extractBody(
  input: HttpBody | undefined,
  contentType: string | null,
  options: ResolvedHttpFactsOptions,
  contentEncoding: string | null = null,
): BodyFacts {
  if (input === undefined || input === null) return { body: null, body_size: 0 };
  let text: string;
  let size: number;
  if (typeof input === 'string') {
    text = input;
    size = Buffer.byteLength(input, 'utf8');
  } else if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
    let bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
    if (bytes.byteLength > options.maxBodyBytes)
      return { body: null, body_size: bytes.byteLength, body_too_large: true };
    if (contentEncoding !== null) {
      const decoded = decodeContentCoding(bytes, contentEncoding, options.maxBodyBytes);
      if (decoded.kind === 'too-large')
        return { body: null, body_size: bytes.byteLength, body_too_large: true };
      if (decoded.kind === 'unsupported') {
        const error = `content-encoding ${decoded.coding} is not decoded`;
        return { body: null, body_size: bytes.byteLength, body_parse_error: error };
      }
      bytes = decoded.bytes;
    }
    size = bytes.byteLength;
    text = decoder.decode(bytes);
  } else {
    // Already parsed by a framework (express.json, fastify): round-trip so the policy sees
    // plain JSON and the size limit means the same as for raw bodies.
    try {
      text = JSON.stringify(input);
    } catch (err) {
      return { body: null, body_size: 0, body_parse_error: (err as Error).message };
    }
    size = Buffer.byteLength(text, 'utf8');
    if (size > options.maxBodyBytes) return { body: null, body_size: size, body_too_large: true };
    return { body: JSON.parse(text) as unknown, body_size: size };
  }
  if (size > options.maxBodyBytes) return { body: null, body_size: size, body_too_large: true };
  const claimed = isJsonContentType(contentType);
  const sniffed = !claimed && contentType === null && options.sniffJson && /^\s*[[{]/.test(text);
  if (!claimed && !sniffed) return { body: null, body_size: size };
  try {
    return { body: JSON.parse(text) as unknown, body_size: size };
  } catch (err) {
    // Only a body that claimed to be JSON is reported as broken; a sniff that misses is just not JSON.
    return claimed
      ? { body: null, body_size: size, body_parse_error: (err as Error).message }
      : { body: null, body_size: size };
  }
}
