import { decodeContentCoding, isJsonContentType } from '@portcullis/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { decideInbound, type InboundOutcome, refuseTooLarge } from './decide-inbound.js';
import { maskExpressResponse } from './express-response-mask.js';
import { HoldSignal } from './hold-signal.js';
import { type PortcullisHttpOptions, resolveHttpGuard } from './options.js';
import { type HttpAnswer, serializeAnswer } from './problem-document.js';
import { declaredTooLarge, hasBody, readRequestBody } from './read-request-body.js';

export type PortcullisExpressOptions = PortcullisHttpOptions<Request>;

/**
 * express middleware: decides each request before the routes after it run, answers refusals
 * with RFC 9457 problem documents, and masks what the application sends back. Mount it
 * before the routes it guards. If no body parser ran before it, it reads the body itself (at
 * most maxBodyBytes) and sets `req.body`: parsed JSON for JSON content types, a string for
 * text, a Buffer otherwise; body parsers mounted later then see the request as read.
 */
export function portcullisExpress(options: PortcullisExpressOptions): RequestHandler {
  const guard = resolveHttpGuard(options);
  // Not an async function: a cached allow is decided synchronously and goes on to the next
  // handler without a promise or a microtask turn.
  return function portcullis(req: Request, res: Response, next: NextFunction): void {
    let outcome: InboundOutcome | Promise<InboundOutcome>;
    try {
      outcome = handle(req, res);
    } catch (err) {
      next(err);
      return;
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (o) => proceed(res, next, o),
        (err: unknown) => next(err),
      );
      return;
    }
    proceed(res, next, outcome);
  };

  function proceed(res: Response, next: NextFunction, outcome: InboundOutcome): void {
    if (outcome.kind === 'answer') {
      send(res, outcome.answer);
      return;
    }
    if (outcome.masker !== undefined)
      maskExpressResponse(res, outcome.masker, guard.maxBodyBytes, guard.unmasked);
    next();
  }

  function handle(req: Request, res: Response): InboundOutcome | Promise<InboundOutcome> {
    const source = req.socket.remoteAddress ?? '';
    const url = req.originalUrl;
    if (declaredTooLarge(req.headers, guard.maxBodyBytes)) {
      req.on('error', () => undefined).resume();
      return tooLarge(req.method, url, source);
    }
    const body = req.body as unknown;
    if (body === undefined && hasBody(req.headers)) return readThenDecide(req, res, url, source);
    return decide(req, res, url, source, body);
  }

  async function readThenDecide(
    req: Request,
    res: Response,
    url: string,
    source: string,
  ): Promise<InboundOutcome> {
    let raw: Buffer;
    try {
      raw = await readRequestBody(req, guard.maxBodyBytes);
    } catch {
      return tooLarge(req.method, url, source);
    }
    req.body = parsedForApp(raw, req.headers, guard.maxBodyBytes);
    return decide(req, res, url, source, raw);
  }

  function decide(
    req: Request,
    res: Response,
    url: string,
    source: string,
    body: unknown,
  ): InboundOutcome | Promise<InboundOutcome> {
    const hold = new HoldSignal(res, res);
    const outcome = decideInbound(guard, req, {
      method: req.method,
      url,
      headers: req.headers,
      source,
      body: body as PortcullisHttpBody,
      hold,
    });
    if (!(outcome instanceof Promise)) return outcome;
    return outcome.finally(() => hold.release());
  }

  async function tooLarge(method: string, url: string, source: string): Promise<InboundOutcome> {
    return { kind: 'answer', answer: await refuseTooLarge(guard, { method, url, source }) };
  }
}

type PortcullisHttpBody = Parameters<typeof decideInbound>[2]['body'];

/**
 * The body as express's parsers would hand it to the application: decoded from its
 * Content-Encoding (as body-parser inflates), then JSON or text by content type. The policy
 * judged the same decoded bytes (core's facts decode them the same way).
 */
function parsedForApp(raw: Buffer, headers: Request['headers'], maxBodyBytes: number): unknown {
  const contentType = headers['content-type'];
  const coding = headers['content-encoding'];
  let bytes: Uint8Array = raw;
  if (coding !== undefined) {
    const decoded = decodeContentCoding(raw, coding, maxBodyBytes);
    if (decoded.kind === 'decoded') bytes = decoded.bytes;
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isJsonContentType(contentType ?? null)) {
    try {
      return JSON.parse(buffer.toString('utf8'));
    } catch {
      return buffer;
    }
  }
  if (contentType?.startsWith('text/')) return buffer.toString('utf8');
  return buffer;
}

function send(res: Response, answer: HttpAnswer): void {
  const text = serializeAnswer(answer);
  res.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
