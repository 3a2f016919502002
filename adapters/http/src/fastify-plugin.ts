import { pipeline, Readable } from 'node:stream';
import type { Masker } from '@portcullis/core';
import {
  BodyMasker,
  planResponseBody,
  UNMASKED_BODY_REQUEST_HEADERS,
  UNMASKED_BODY_RESPONSE_HEADERS,
} from '@portcullis/core';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { httpBodyErrors } from './body-errors.js';
import { decideInbound, type InboundOutcome, type InboundRequest, refuseTooLarge } from './decide-inbound.js';
import { discardBody } from './discard-body.js';
import { HoldSignal } from './hold-signal.js';
import { maskResponseHeaders } from './mask-headers.js';
import { maskTransform } from './mask-transform.js';
import { type PortcullisHttpOptions, resolveHttpGuard } from './options.js';
import { type HttpAnswer, serializeAnswer } from './problem-document.js';
import { declaredTooLarge, hasBody, readRequestBody } from './read-request-body.js';
import { unmaskableAnswer } from './response-failure.js';

export type PortcullisFastifyOptions = PortcullisHttpOptions<FastifyRequest>;

interface RequestState {
  raw?: Buffer;
  masker?: Masker;
  /**
   * The reply was an object fastify serialised: onSend masks the text it made whole, whatever
   * its size (the object was in memory already), as the text that goes out.
   */
  serialized?: boolean;
}

/**
 * fastify plugin: decides each routed request in preValidation (after the body is read in
 * preParsing, at most maxBodyBytes), answers refusals with RFC 9457 problem documents, and
 * masks replies — objects in preSerialization (before serialisation, so JSONPath masks see
 * the value), strings, buffers and streams in onSend (streams as streams). It is not
 * encapsulated (the `skip-override` symbol, as fastify-plugin sets it), so it guards the
 * routes of the instance it is registered on.
 */
export const portcullisFastify: FastifyPluginAsync<PortcullisFastifyOptions> = async (fastify, options) => {
  const guard = resolveHttpGuard(options);
  // Per-request state on the request itself, under a symbol of this registration (two
  // registrations never share it): declared up front, so requests keep fastify's shape, and a
  // property read is cheaper than a WeakMap lookup in the three hooks every request passes.
  const kState = Symbol('portcullis request state');
  fastify.decorateRequest(kState, null);
  const stateOf = (request: FastifyRequest): RequestState | null =>
    (request as unknown as Record<symbol, RequestState | null>)[kState] ?? null;
  const setState = (request: FastifyRequest, state: RequestState): void => {
    (request as unknown as Record<symbol, RequestState | null>)[kState] = state;
  };

  const reply413 = async (request: FastifyRequest, reply: FastifyReply) =>
    send(
      reply,
      await refuseTooLarge(guard, { method: request.method, url: request.url, source: request.ip }),
    );

  // Callback-style hooks where the common case has nothing to wait for: an async hook costs
  // every request a promise and a microtask turn even when it returns at once.
  // The declared length is checked here rather than in onRequest: nothing has been read yet
  // either way, and one hook fewer is cheaper for every request.
  fastify.addHook('preParsing', (request, reply, payload, done) => {
    if (declaredTooLarge(request.headers, guard.maxBodyBytes)) {
      request.raw.on('error', () => undefined).resume();
      reply413(request, reply).then(() => done(null, payload), done);
      return;
    }
    if (!hasBody(request.headers)) return done(null, payload);
    readBody(request, reply, payload).then((stream) => done(null, stream), done);
  });

  const readBody = async (request: FastifyRequest, reply: FastifyReply, payload: Readable) => {
    let raw: Buffer;
    try {
      raw = await readRequestBody(payload, guard.maxBodyBytes);
    } catch {
      await reply413(request, reply);
      return payload;
    }
    setState(request, { raw });
    // fastify's parser reads the same bytes the policy saw.
    return Readable.from([raw]);
  };

  // Callback-style too: a cached allow is decided synchronously, and then the request goes on
  // without a promise or a microtask turn.
  fastify.addHook('preValidation', (request, reply, done) => {
    const state = stateOf(request);
    const hold = new HoldSignal(request.raw.socket ?? undefined);
    let outcome: ReturnType<typeof decideInbound>;
    try {
      outcome = decideInbound(guard, request, {
        method: request.method,
        url: request.url,
        headers: request.headers,
        source: request.ip,
        body: state?.raw ?? (request.body as InboundRequest['body']),
        hold,
      });
    } catch (err) {
      return done(err as Error);
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (o) => {
          hold.release();
          enforce(request, reply, state, o, done);
        },
        (err: unknown) => {
          hold.release();
          done(err as Error);
        },
      );
      return;
    }
    enforce(request, reply, state, outcome, done);
  });

  const enforce = (
    request: FastifyRequest,
    reply: FastifyReply,
    state: RequestState | null,
    outcome: InboundOutcome,
    done: (err?: Error) => void,
  ): void => {
    // An answer is sent from the hook: fastify then skips the handler, and done is not called.
    if (outcome.kind === 'answer') {
      send(reply, outcome.answer);
      return;
    }
    if (outcome.masker !== undefined) {
      if (state === null) setState(request, { masker: outcome.masker });
      else state.masker = outcome.masker;
      // Range, If-Range and If-None-Match act on the unmasked body (core's
      // unmasked-body-headers): the handler and other plugins never see them.
      for (const name of UNMASKED_BODY_REQUEST_HEADERS) delete request.headers[name];
      // On the raw response, where every header fastify sends passes (writeHead, or setHeader
      // before a stream), trailers and early hints included.
      maskResponseHeaders(reply.raw, outcome.masker);
    }
    done();
  };

  // An object reply is not masked as an object but as the text fastify makes of it (onSend):
  // a class instance's fields, member names, and a response schema that would not accept a
  // masked value in place of a number.
  fastify.addHook('preSerialization', (request, _reply, payload: unknown, done) => {
    const state = stateOf(request);
    if (state?.masker !== undefined) state.serialized = true;
    done(null, payload);
  });

  fastify.addHook('onSend', (request, reply, payload: unknown, done) => {
    const state = stateOf(request);
    if (state?.masker === undefined || payload === null || payload === undefined) return done(null, payload);
    // A HEAD answer's body is masked too, though fastify does not send it: its Content-Length
    // is then the masked body's, not the length of what was masked.
    if (reply.statusCode === 204 || reply.statusCode === 304) {
      dropBodyHeaders(reply);
      return done(null, payload);
    }
    const limit = state.serialized === true ? Number.POSITIVE_INFINITY : guard.maxBodyBytes;
    maskPayload(reply, state.masker, payload, limit).then((masked) => done(null, masked), done);
  });

  const maskPayload = async (
    reply: FastifyReply,
    masker: Masker,
    payload: unknown,
    maxBodyBytes: number,
  ): Promise<unknown> => {
    try {
      const plan = planResponseBody(
        masker,
        {
          contentType: headerValue(reply.getHeader('content-type')),
          contentEncoding: headerValue(reply.getHeader('content-encoding')),
        },
        httpBodyErrors,
        guard.unmasked,
      );
      if (plan === 'pass') return payload;
      const body = new BodyMasker(masker, plan, maxBodyBytes, httpBodyErrors);
      dropBodyHeaders(reply);
      if (typeof payload === 'string' || payload instanceof Uint8Array) {
        const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
        return Buffer.concat([body.push(bytes), body.end()]);
      }
      if (isStream(payload)) {
        const needsWhole = body.buffering && masker.rules.some((r) => 'path' in r);
        if (needsWhole) {
          // Read it here, so a document that cannot be masked is answered with a problem
          // document instead of a stream cut off half-way.
          const parts: Uint8Array[] = [];
          for await (const chunk of payload)
            parts.push(body.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
          parts.push(body.end());
          return Buffer.concat(parts);
        }
        return pipeline(payload, maskTransform(body), () => undefined);
      }
      return payload;
    } catch (err) {
      if (isStream(payload)) discardBody(payload);
      const answer = unmaskableAnswer(err);
      reply.code(answer.status);
      for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
      return serializeAnswer(answer);
    }
  };
};

/** The length, ETag and digests of the unmasked body (fastify sets the masked length). */
function dropBodyHeaders(reply: FastifyReply): void {
  for (const name of UNMASKED_BODY_RESPONSE_HEADERS) reply.removeHeader(name);
}

Object.defineProperty(portcullisFastify, Symbol.for('skip-override'), { value: true });
Object.defineProperty(portcullisFastify, Symbol.for('fastify.display-name'), { value: 'portcullis' });

function send(reply: FastifyReply, answer: HttpAnswer): FastifyReply {
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
  // Serialised here, so preSerialization (and its masking) never touches our own answers.
  reply.send(serializeAnswer(answer));
  return reply;
}

function isStream(value: unknown): value is Readable {
  return typeof (value as Readable)?.pipe === 'function' && typeof (value as Readable)?.on === 'function';
}

function headerValue(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value[0] === undefined ? null : String(value[0]);
  return String(value);
}
