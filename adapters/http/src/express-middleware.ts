import { isJsonContentType } from '@portcullis/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { auditedRefusal, decideInbound, type InboundOutcome, refusalRecord } from './decide-inbound.js';
import { maskExpressResponse } from './express-response-mask.js';
import { type PortcullisHttpOptions, resolveHttpGuard } from './options.js';
import { type HttpAnswer, PROBLEM_TYPES, problem, serializeAnswer } from './problem-document.js';
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
  return function portcullis(req: Request, res: Response, next: NextFunction): void {
    handle(req, res).then(
      (outcome) => {
        if (outcome.kind === 'answer') return send(res, outcome.answer);
        if (outcome.masker !== undefined && req.method !== 'HEAD')
          maskExpressResponse(res, outcome.masker, guard.maxBodyBytes);
        next();
      },
      (err: unknown) => next(err),
    );
  };

  async function handle(req: Request, res: Response): Promise<InboundOutcome> {
    const source = req.socket.remoteAddress ?? '';
    const url = req.originalUrl;
    const tooLarge = async (): Promise<InboundOutcome> => {
      const answer = problem(
        {
          type: PROBLEM_TYPES.bodyTooLarge,
          title: 'Request body too large',
          status: 413,
          detail: `the request body exceeds ${guard.maxBodyBytes} bytes`,
          code: 'PC_HTTP_BODY_TOO_LARGE',
        },
        { connection: 'close' },
      );
      const record = refusalRecord(
        guard,
        { method: req.method, url, source },
        [
          {
            rule: 'portcullis.body_too_large',
            message: `the request body exceeds ${guard.maxBodyBytes} bytes`,
          },
        ],
        'PC_HTTP_BODY_TOO_LARGE',
      );
      return { kind: 'answer', answer: await auditedRefusal(guard, record, answer) };
    };
    if (declaredTooLarge(req.headers, guard.maxBodyBytes)) {
      req.on('error', () => undefined).resume();
      return tooLarge();
    }
    let body = req.body as unknown;
    if (body === undefined && hasBody(req.headers)) {
      let raw: Buffer;
      try {
        raw = await readRequestBody(req, guard.maxBodyBytes);
      } catch {
        return tooLarge();
      }
      body = raw;
      req.body = parsedForApp(raw, req.headers['content-type']);
    }
    let abort: AbortController | undefined;
    const onClose = () => {
      if (!res.writableEnded) abort?.abort();
    };
    try {
      return await decideInbound(guard, req, {
        method: req.method,
        url,
        headers: req.headers,
        source,
        body: body as PortcullisHttpBody,
        signal: () => {
          if (abort === undefined) {
            abort = new AbortController();
            res.once('close', onClose);
          }
          return abort.signal;
        },
      });
    } finally {
      if (abort !== undefined) res.off('close', onClose);
    }
  }
}

type PortcullisHttpBody = Parameters<typeof decideInbound>[2]['body'];

function parsedForApp(raw: Buffer, contentType: string | undefined): unknown {
  if (isJsonContentType(contentType ?? null)) {
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch {
      return raw;
    }
  }
  if (contentType?.startsWith('text/')) return raw.toString('utf8');
  return raw;
}

function send(res: Response, answer: HttpAnswer): void {
  const text = serializeAnswer(answer);
  res.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
