import type { Engine, Masker, UnmaskedTypes } from '@portcullis/core';
import {
  BodyMasker,
  type BodyPlan,
  maskHeaderRecord,
  maskStatusText,
  masksHeaders,
  planResponseBody,
  UNMASKED_BODY_REQUEST_HEADERS,
  UNMASKED_BODY_RESPONSE_HEADERS,
} from '@portcullis/core';
import type { Dispatcher } from 'undici';
import { fetchBodyErrors } from './body-errors.js';
import { decideOutbound } from './decide-outbound.js';
import { type GuardOptions, resolveGuard } from './guard-options.js';
import { readLimited } from './read-limited.js';

type Dispatch = Dispatcher.Dispatch;
type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;
type IncomingHeaders = Parameters<NonNullable<Handler['onResponseStart']>>[2];

/**
 * An undici interceptor (`agent.compose(createGuardInterceptor(engine, options))`) that
 * decides each request before it is dispatched and masks the response body before the
 * handler sees it. It covers whatever dispatches through the composed dispatcher: undici's
 * `request`, `stream`, `fetch` given it as `dispatcher`, and — once installed with
 * `setGlobalDispatcher` — undici's and Node 20's global `fetch`. A refused request fails
 * with the same typed errors as `guardFetch`, delivered through the handler.
 */
export function createGuardInterceptor(
  engine: Engine,
  options: GuardOptions,
): Dispatcher.DispatcherComposeInterceptor {
  const guard = resolveGuard(engine, options);
  return (dispatch: Dispatch): Dispatch =>
    (opts, handler) => {
      guarded(dispatch, opts, handler).catch((err: unknown) => fail(handler, err));
      // The request is queued behind the decision; undici treats `true` as "not busy".
      return true;
    };

  async function guarded(
    dispatch: Dispatch,
    opts: Dispatcher.DispatchOptions,
    handler: Handler,
  ): Promise<void> {
    const url = new URL(opts.path, opts.origin).href;
    const headers = headerPairs(opts.headers);
    const body = await readLimited(opts.body, guard.maxBodyBytes);
    const decision = await decideOutbound(guard, {
      method: opts.method,
      url,
      headers: Object.fromEntries(headers.map(([k, v]) => [k.toLowerCase(), v])),
      body,
    });
    const masker = guard.maskers.get(decision.masks);
    // An upgraded connection (WebSocket, CONNECT) hands the caller the socket itself: no byte
    // of it would pass through a masker, so one the response would need masked is refused.
    if (masker !== undefined && masksBodies(masker) && (opts.upgrade || opts.method === 'CONNECT'))
      throw fetchBodyErrors.unenforceable('cannot mask an upgraded connection');
    let sendHeaders = headers;
    if (masker !== undefined) {
      // Ask for the identity coding so the bytes below can be masked; an encoded answer is
      // refused. Range, If-Range and If-None-Match act on the unmasked body (core's
      // unmasked-body-headers).
      sendHeaders = headers.filter(([k]) => {
        const name = k.toLowerCase();
        return name !== 'accept-encoding' && !UNMASKED_BODY_REQUEST_HEADERS.includes(name);
      });
      sendHeaders.push(['accept-encoding', 'identity']);
    }
    const next: Dispatcher.DispatchOptions = { ...opts, headers: sendHeaders.flat(), body: body ?? null };
    dispatch(
      next,
      masker === undefined
        ? handler
        : new MaskingHandler(handler, masker, guard.maxBodyBytes, opts.method, guard.unmasked),
    );
  }
}

/** Report a refusal to a handler that never saw the request start. */
function fail(handler: Handler, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  const controller: Controller = {
    aborted: true,
    paused: false,
    reason: error,
    abort() {},
    pause() {},
    resume() {},
  };
  handler.onResponseError?.(controller, error);
}

/** Dispatch headers in any of undici's accepted shapes, as name/value pairs. */
function headerPairs(headers: Dispatcher.DispatchOptions['headers']): [string, string][] {
  const out: [string, string][] = [];
  const add = (name: unknown, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) for (const v of value) out.push([String(name), String(v)]);
    else out.push([String(name), String(value)]);
  };
  if (headers === null || headers === undefined) return out;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as unknown as [string, string][]) add(pair[0], pair[1]);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i], headers[i + 1]);
    }
    return out;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of headers as Iterable<[string, unknown]>) add(name, value);
    return out;
  }
  for (const [name, value] of Object.entries(headers)) add(name, value);
  return out;
}

/** Passes the response on with its body masked; holds the head while a JSON document is buffered. */
class MaskingHandler implements Handler {
  #plan: BodyPlan = 'pass';
  #body: BodyMasker | undefined;
  #head: [number, IncomingHeaders, string | undefined] | undefined;
  #failed = false;

  constructor(
    private readonly inner: Handler,
    private readonly masker: Masker,
    private readonly maxBodyBytes: number,
    private readonly method: string,
    private readonly unmasked: UnmaskedTypes | undefined,
  ) {}

  onRequestStart(controller: Controller, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(
    controller: Controller,
    statusCode: number,
    headers: IncomingHeaders,
    socket: never,
  ): void {
    if (masksBodies(this.masker)) {
      // Not asked for (the check before dispatch refuses those): still nothing to mask it with.
      (socket as { destroy?: () => void }).destroy?.();
      this.#abort(controller, fetchBodyErrors.unenforceable('cannot mask an upgraded connection'));
      return;
    }
    this.inner.onRequestUpgrade?.(controller, statusCode, this.#masked(headers), socket);
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: IncomingHeaders,
    statusMessage?: string,
  ): void {
    headers = this.#masked(headers);
    if (statusMessage !== undefined) statusMessage = maskStatusText(this.masker, statusMessage);
    if (statusCode < 200) {
      this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
      return;
    }
    if (this.method === 'HEAD' || statusCode === 204 || statusCode === 304) {
      // No body to mask, but its length, ETag and digests are the unmasked body's.
      this.inner.onResponseStart?.(controller, statusCode, withoutBodyHeaders(headers), statusMessage);
      return;
    }
    try {
      this.#plan = planResponseBody(
        this.masker,
        {
          contentType: single(headers['content-type']),
          contentEncoding: single(headers['content-encoding']),
        },
        fetchBodyErrors,
        this.unmasked,
      );
      // A part of a body, though no Range was sent: its parts could cut a secret in two.
      if (this.#plan !== 'pass' && statusCode === 206)
        throw fetchBodyErrors.unenforceable('cannot mask part of a body');
    } catch (err) {
      this.#abort(controller, err);
      return;
    }
    if (this.#plan === 'pass') {
      this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
      return;
    }
    this.#body = new BodyMasker(this.masker, this.#plan, this.maxBodyBytes, fetchBodyErrors);
    this.#head = [statusCode, withoutBodyHeaders(headers), statusMessage];
    if (!this.#body.buffering) this.#start(controller);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.#failed) return;
    if (this.#body === undefined) {
      this.inner.onResponseData?.(controller, chunk);
      return;
    }
    let out: Uint8Array;
    try {
      out = this.#body.push(chunk);
    } catch (err) {
      this.#abort(controller, err);
      return;
    }
    if (!this.#body.buffering) this.#start(controller);
    if (out.byteLength > 0)
      this.inner.onResponseData?.(controller, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
  }

  onResponseEnd(controller: Controller, trailers: IncomingHeaders): void {
    if (this.#failed) return;
    if (this.#body !== undefined) {
      let out: Uint8Array;
      try {
        out = this.#body.end();
      } catch (err) {
        this.#abort(controller, err);
        return;
      }
      if (this.#head !== undefined) this.#head[1]['content-length'] = String(out.byteLength);
      this.#start(controller);
      if (out.byteLength > 0)
        this.inner.onResponseData?.(controller, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
    }
    // A digest can come as a trailer too; it is the unmasked body's when the body was masked.
    const tail = trailers && this.#body !== undefined ? withoutBodyHeaders(trailers) : trailers;
    this.inner.onResponseEnd?.(controller, tail && this.#masked(tail));
  }

  onResponseError(controller: Controller, err: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.inner.onResponseError?.(controller, err);
  }

  /** Header (or trailer) values as the masked caller may see them; core's maskHeaderValue. */
  #masked(headers: IncomingHeaders): IncomingHeaders {
    return masksHeaders(this.masker) ? maskHeaderRecord(this.masker, { ...headers }) : headers;
  }

  #start(controller: Controller): void {
    if (this.#head === undefined) return;
    const [status, headers, message] = this.#head;
    this.#head = undefined;
    this.inner.onResponseStart?.(controller, status, headers, message);
  }

  #abort(controller: Controller, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.#failed = true;
    this.inner.onResponseError?.(controller, error);
    controller.abort(error);
  }
}

/** Whether the masker has rules for response bodies (detectors, patterns, JSONPaths). */
function masksBodies(masker: Masker): boolean {
  return masker.rules.some((r) => 'detector' in r || 'pattern' in r || 'path' in r);
}

function withoutBodyHeaders(headers: IncomingHeaders): IncomingHeaders {
  const out = { ...headers };
  for (const name of UNMASKED_BODY_RESPONSE_HEADERS) delete out[name];
  return out;
}

function single(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}
