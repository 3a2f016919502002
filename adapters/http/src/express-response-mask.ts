import type { Masker, UnmaskedTypes } from '@portcullis/core';
import {
  BodyMasker,
  planResponseBody,
  UNMASKED_BODY_REQUEST_HEADERS,
  UNMASKED_BODY_RESPONSE_HEADERS,
} from '@portcullis/core';
import type { Response } from 'express';
import { httpBodyErrors } from './body-errors.js';
import { maskResponseHeaders } from './mask-headers.js';
import { serializeAnswer } from './problem-document.js';
import { unmaskableAnswer } from './response-failure.js';

type Callback = (err?: Error | null) => void;
type WriteHead = Response['writeHead'];

/**
 * Mask what an express handler sends, by wrapping res.json (the text it serialises is masked
 * before res.send sees it), res.jsonp (the value, before serialisation), res.write and
 * res.end. Nothing reaches the socket until there is masked output, so headers can still be
 * fixed: the length, ETag and digests of the unmasked body are dropped, and Content-Length is
 * set to the masked length when the whole body is known. The request's Range, If-Range and
 * If-None-Match are removed first (core's unmasked-body-headers). A body that cannot be
 * masked is replaced by a 500 problem document, or, if output has already started, the
 * connection is cut. Header values are masked as they go out (mask-headers.ts), whether or
 * not the body needs masking.
 */
export function maskExpressResponse(
  res: Response,
  masker: Masker,
  maxBodyBytes: number,
  unmasked?: UnmaskedTypes,
): void {
  maskResponseHeaders(res, masker);
  const write = res.write;
  const end = res.end;
  const json = res.json;
  const jsonp = res.jsonp;
  const writeHead = res.writeHead;
  let state: 'undecided' | 'masking' | 'done' = 'undecided';
  let body: BodyMasker | undefined;
  let started = false;
  let received = 0;

  const restore = () => {
    res.write = write;
    res.end = end;
    res.json = json;
    res.jsonp = jsonp;
    res.writeHead = writeHead;
  };

  // Range, If-Range and If-None-Match act on the unmasked body (core's unmasked-body-headers):
  // the handler, express.static and res.send's freshness check never see them.
  const req = res.req;
  for (const name of UNMASKED_BODY_REQUEST_HEADERS) delete req.headers[name];

  res.json = function maskedJson(this: Response, value: unknown) {
    restore();
    // express serialises the value with its settings and hands the text to res.send: it is
    // masked there, as the text that goes out (a class instance's fields, member names), and
    // res.send then sets the length and ETag of the masked text.
    const send = this.send;
    this.send = function maskedSend(this: Response, text: unknown) {
      this.send = send;
      if (typeof text !== 'string') return send.call(this, text);
      const masked = masker.maskJsonText(text);
      // res.send sets the masked text's length and ETag, but keeps an ETag already set.
      dropBodyHeaders(this);
      return send.call(this, masked);
    } as Response['send'];
    return json.call(this, value);
  };

  // JSONP wraps the serialised value in a script, where JSONPath masks could not find it: the
  // value is masked before it is serialised.
  res.jsonp = function maskedJsonp(this: Response, value: unknown) {
    restore();
    dropBodyHeaders(this);
    return jsonp.call(this, masker.maskJson(value));
  };

  // Until output starts, an explicit writeHead only records status and headers, so they can
  // still be changed; Node's implicit writeHead on the first write comes back here once started.
  res.writeHead = function deferredWriteHead(this: Response, status: number, ...rest: unknown[]) {
    if (started) return (writeHead as (...a: unknown[]) => Response).call(this, status, ...rest);
    this.statusCode = status;
    const headers = rest.find((r) => typeof r === 'object' && r !== null);
    if (typeof rest[0] === 'string') this.statusMessage = rest[0];
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2)
        this.setHeader(String(headers[i]), headers[i + 1] as string);
    } else if (headers !== undefined) {
      for (const [k, v] of Object.entries(headers as Record<string, string>)) this.setHeader(k, v);
    }
    return this;
  } as WriteHead;

  const isDone = () => state === 'done';
  const decide = (): boolean => {
    if (state !== 'undecided') return state === 'masking';
    let plan: ReturnType<typeof planResponseBody>;
    try {
      plan = planResponseBody(
        masker,
        {
          contentType: headerValue(res.getHeader('content-type')),
          contentEncoding: headerValue(res.getHeader('content-encoding')),
        },
        httpBodyErrors,
        unmasked,
      );
    } catch (err) {
      fail(err);
      return false;
    }
    if (plan === 'pass') {
      restore();
      return false;
    }
    body = new BodyMasker(masker, plan, maxBodyBytes, httpBodyErrors);
    state = 'masking';
    return true;
  };

  const emit = (out: Uint8Array, last: boolean, cb?: Callback) => {
    if (!started) {
      started = true;
      dropBodyHeaders(res);
      if (last) res.setHeader('content-length', out.byteLength);
    }
    const chunk = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    const args: unknown[] = cb ? [chunk, cb] : [chunk];
    if (last) {
      (end as (...a: unknown[]) => Response).apply(res, args);
      return true;
    }
    return (write as (...a: unknown[]) => boolean).apply(res, args);
  };

  const fail = (err: unknown) => {
    state = 'done';
    restore();
    if (started || res.headersSent) {
      res.destroy(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const answer = unmaskableAnswer(err);
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    res.statusCode = answer.status;
    const text = serializeAnswer(answer);
    for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
    res.setHeader('content-length', Buffer.byteLength(text));
    started = true;
    (end as (...a: unknown[]) => Response).call(res, text);
  };

  res.write = function maskedWrite(this: Response, chunk: unknown, ...args: unknown[]): boolean {
    if (state === 'done') return false;
    const cb = args.find((a) => typeof a === 'function') as Callback | undefined;
    if (!decide()) {
      if (isDone()) return false;
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...args);
    }
    const bytes = toBytes(chunk, args[0]);
    received += bytes.byteLength;
    let out: Uint8Array;
    try {
      out = body!.push(bytes);
    } catch (err) {
      fail(err);
      return false;
    }
    if (out.byteLength > 0) return emit(out, false, cb);
    if (cb) process.nextTick(cb);
    return true;
  } as Response['write'];

  res.end = function maskedEnd(this: Response, ...args: unknown[]): Response {
    if (state === 'done') return this;
    const chunk = typeof args[0] === 'function' ? undefined : args[0];
    const cb = args.find((a) => typeof a === 'function') as Callback | undefined;
    const bytes = chunk === undefined || chunk === null ? undefined : toBytes(chunk, args[1]);
    // A HEAD answer, a 204 or a 304 carries no body: nothing to mask. res.send answers HEAD
    // with the length and ETag of the body it was given, unmasked: they go.
    if (received === 0 && (bytes === undefined || bytes.byteLength === 0) && state === 'undecided') {
      restore();
      if ((req.method === 'HEAD' || this.statusCode === 304) && !this.headersSent) dropBodyHeaders(this);
      return (end as (...a: unknown[]) => Response).call(this, ...args);
    }
    if (!decide()) {
      if (isDone()) return this;
      return (end as (...a: unknown[]) => Response).call(this, ...args);
    }
    let out: Uint8Array;
    try {
      const pushed = bytes === undefined ? new Uint8Array(0) : body!.push(bytes);
      const rest = body!.end();
      out = Buffer.concat([pushed, rest]);
    } catch (err) {
      fail(err);
      return this;
    }
    state = 'done';
    restore();
    emit(out, true, cb);
    return this;
  } as Response['end'];
}

function dropBodyHeaders(res: Response): void {
  for (const name of UNMASKED_BODY_RESPONSE_HEADERS) res.removeHeader(name);
}

function headerValue(value: number | string | string[] | undefined): string | null {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value[0] ?? null;
  return String(value);
}

function toBytes(chunk: unknown, encoding: unknown): Uint8Array {
  if (typeof chunk === 'string')
    return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk;
  return Buffer.from(String(chunk));
}
