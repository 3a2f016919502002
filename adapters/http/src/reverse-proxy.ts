import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import {
  BodyMasker,
  InvalidOptionError,
  type Masker,
  maskHeaderRecord,
  planResponseBody,
  UNMASKED_BODY_REQUEST_HEADERS,
  UNMASKED_BODY_RESPONSE_HEADERS,
} from '@portcullis/core';
import { Agent, type Dispatcher } from 'undici';
import { approvalStatus } from './approval-status.js';
import { httpBodyErrors } from './body-errors.js';
import { decideInbound, refuseTooLarge } from './decide-inbound.js';
import { discardBody } from './discard-body.js';
import { HoldSignal } from './hold-signal.js';
import { endToEndHeaders } from './hop-by-hop.js';
import { maskTransform } from './mask-transform.js';
import { type PortcullisHttpOptions, resolveHttpGuard } from './options.js';
import { type HttpAnswer, PROBLEM_TYPES, problem, serializeAnswer } from './problem-document.js';
import { declaredTooLarge, hasBody, readRequestBody } from './read-request-body.js';
import { unmaskableAnswer } from './response-failure.js';

export interface HttpReverseProxyOptions extends Omit<PortcullisHttpOptions<IncomingMessage>, 'subject'> {
  /** The API behind the proxy; request-targets are appended to the URL's path. */
  upstream: {
    /** `http://` or `https://` base URL, e.g. `https://api.internal:8443/v1`. */
    url: string;
    /** Set on every forwarded request, replacing the client's (an upstream API token, say). */
    headers?: Record<string, string>;
    /** Longest wait for the upstream's response headers, and between body chunks; default 30 s. */
    timeoutMs?: number;
  };
  /** Who is calling, from the request's credentials; undefined (or a throw) answers 401. */
  authenticate: PortcullisHttpOptions<IncomingMessage>['subject'];
  /**
   * Forward the client's Authorization header upstream; default false, since it carries the
   * client's credential for the proxy, not for the API.
   */
  forwardAuthorization?: boolean;
  /** More request headers never forwarded (an identity header the authenticate hook read, say). */
  stripRequestHeaders?: readonly string[];
  /** undici dispatcher that reaches the upstream; default a keep-alive Agent owned by the proxy. */
  dispatcher?: Dispatcher;
}

export interface HttpReverseProxy {
  /** A node:http request handler: `createServer(proxy.handle)`. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Requests being decided or forwarded now. */
  readonly inFlight: number;
  /** Close the upstream connections (of the proxy's own dispatcher). */
  close(): Promise<void>;
}

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;

/**
 * A reverse proxy in front of one upstream API, as a node:http request handler: each request
 * is authenticated, its body read (at most maxBodyBytes) and decided like the middleware
 * does, then forwarded with undici; the answer streams back with hop-by-hop headers
 * dropped and JSON and text bodies masked as the decision asks. Deny answers 403, approve
 * 202 with the approval id and a Location (or holds), an unreachable upstream 502, each as
 * an RFC 9457 problem document; every request and decision is audited. With approvals, the
 * proxy also answers `GET <statusPath>/<id>` (authenticated) for clients polling a 202.
 */
export function createHttpReverseProxy(options: HttpReverseProxyOptions): HttpReverseProxy {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'must be an object');
  if (typeof options.authenticate !== 'function')
    throw new InvalidOptionError('authenticate', 'must be a function of the request');
  const guard = resolveHttpGuard<IncomingMessage>({ ...options, subject: options.authenticate });
  const upstream = resolveUpstream(options.upstream);
  const ownDispatcher = options.dispatcher === undefined;
  const dispatcher: Dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000 });
  const drop = new Set(['host', 'content-length', 'expect']);
  if (options.forwardAuthorization !== true) drop.add('authorization');
  for (const name of options.stripRequestHeaders ?? []) {
    if (typeof name !== 'string') throw new InvalidOptionError('stripRequestHeaders', 'must be header names');
    drop.add(name.toLowerCase());
  }
  let inFlight = 0;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight++;
    res.once('close', () => inFlight--);
    serve(req, res).catch((err: unknown) => {
      // Every expected failure is answered inside serve; this is the last line of defence.
      if (!res.headersSent) send(res, failed(`the request could not be proxied: ${(err as Error)?.message}`));
      else res.destroy();
    });
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const source = req.socket.remoteAddress ?? '';

    if (
      guard.approvals !== undefined &&
      method === 'GET' &&
      url.startsWith(`${guard.approvals.statusPath}/`)
    ) {
      const subject = await Promise.resolve()
        .then(() => guard.subject(req))
        .catch(() => undefined);
      if (subject === undefined) return send(res, unauthenticated());
      let id: string;
      try {
        id = decodeURIComponent(url.slice(guard.approvals.statusPath.length + 1).split('?')[0] ?? '');
      } catch {
        id = '';
      }
      return send(res, await approvalStatus(guard.approvals.store, id));
    }

    let body: Buffer | undefined;
    if (declaredTooLarge(req.headers, guard.maxBodyBytes)) {
      req.on('error', () => undefined).resume();
      return send(res, await tooLarge(method, url, source));
    }
    if (hasBody(req.headers)) {
      try {
        body = await readRequestBody(req, guard.maxBodyBytes);
      } catch {
        return send(res, await tooLarge(method, url, source));
      }
    }

    const hold = new HoldSignal(res, res);
    const outcome = await decideInbound(guard, req, {
      method,
      url,
      headers: req.headers,
      source,
      body,
      hold,
    });
    hold.release();
    if (outcome.kind === 'answer') return send(res, outcome.answer);
    await forward(req, res, { method, url, source, body, masker: outcome.masker });
  }

  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    r: { method: string; url: string; source: string; body: Buffer | undefined; masker: Masker | undefined },
  ): Promise<void> {
    const headers = endToEndHeaders(req.headers, drop);
    const forwardedFor = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${r.source}` : r.source;
    if (req.headers.host !== undefined) headers['x-forwarded-host'] = req.headers.host;
    headers['x-forwarded-proto'] = 'encrypted' in req.socket ? 'https' : 'http';
    // A compressed answer cannot be masked: ask for it plain when the decision masks.
    if (r.masker !== undefined) {
      headers['accept-encoding'] = 'identity';
      // Range, If-Range and If-None-Match act on the unmasked body (core's unmasked-body-headers).
      for (const name of UNMASKED_BODY_REQUEST_HEADERS) delete headers[name];
    }
    for (const [name, value] of Object.entries(upstream.headers))
      Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });

    // The upstream request ends with the client: a client that goes away cancels it.
    const cancel = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) cancel.abort();
    };
    res.once('close', onClose);
    let answer: Dispatcher.ResponseData;
    try {
      answer = await dispatcher.request({
        origin: upstream.origin,
        path: upstream.basePath + r.url,
        method: r.method as Dispatcher.HttpMethod,
        headers,
        body: r.body ?? null,
        signal: cancel.signal,
        headersTimeout: upstream.timeoutMs,
        bodyTimeout: upstream.timeoutMs,
      });
    } catch (err) {
      res.off('close', onClose);
      if (cancel.signal.aborted) return;
      return send(res, badGateway(err));
    }
    const upstreamBody = answer.body as unknown as Readable;
    const status = answer.statusCode;
    const out = r.masker
      ? maskHeaderRecord(r.masker, endToEndHeaders(answer.headers))
      : endToEndHeaders(answer.headers);
    const bodiless =
      r.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
    const masker = bodiless ? undefined : r.masker;
    if (bodiless && r.masker !== undefined)
      for (const name of UNMASKED_BODY_RESPONSE_HEADERS) delete out[name];

    let plan: ReturnType<typeof planResponseBody> = 'pass';
    if (masker !== undefined) {
      try {
        plan = planResponseBody(
          masker,
          { contentType: first(out['content-type']), contentEncoding: first(out['content-encoding']) },
          httpBodyErrors,
          guard.unmasked,
        );
        // A part of a body, sent though no Range was passed on: its parts could cut a secret.
        if (plan !== 'pass' && status === 206)
          throw httpBodyErrors.unenforceable('cannot mask part of a body');
      } catch (err) {
        discardBody(upstreamBody);
        return send(res, unmaskableAnswer(err));
      }
    }
    if (masker === undefined || plan === 'pass') {
      res.writeHead(status, out);
      return finish(upstreamBody, res);
    }

    const masking = new BodyMasker(masker, plan, guard.maxBodyBytes, httpBodyErrors);
    for (const name of UNMASKED_BODY_RESPONSE_HEADERS) delete out[name];
    if (masking.buffering && masker.rules.some((rule) => 'path' in rule)) {
      // JSONPath masks need the whole document: read it here, so one that cannot be masked
      // is answered with a problem document instead of a body cut off half-way.
      const parts: Uint8Array[] = [];
      try {
        for await (const chunk of upstreamBody) parts.push(masking.push(chunk as Buffer));
        parts.push(masking.end());
      } catch (err) {
        discardBody(upstreamBody);
        if (cancel.signal.aborted) return;
        return send(res, isMaskError(err) ? unmaskableAnswer(err) : badGateway(err));
      }
      const text = Buffer.concat(parts);
      out['content-length'] = String(text.byteLength);
      res.writeHead(status, out);
      res.end(text);
      return;
    }
    res.writeHead(status, out);
    return finish(upstreamBody, res, maskTransform(masking));
  }

  function tooLarge(method: string, url: string, source: string): Promise<HttpAnswer> {
    return refuseTooLarge(guard, { method, url, source });
  }

  function failed(detail: string): HttpAnswer {
    return problem({
      type: PROBLEM_TYPES.decisionFailed,
      title: 'Request could not be decided',
      status: guard.failureStatus,
      detail,
      code: 'PC_HTTP_DECISION_FAILED',
    });
  }

  return {
    handle,
    get inFlight() {
      return inFlight;
    },
    async close() {
      if (ownDispatcher) await dispatcher.close();
    },
  };
}

interface ResolvedUpstream {
  origin: string;
  basePath: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

function resolveUpstream(upstream: HttpReverseProxyOptions['upstream']): ResolvedUpstream {
  if (typeof upstream !== 'object' || upstream === null)
    throw new InvalidOptionError('upstream', 'must be { url, headers? }');
  let url: URL;
  try {
    url = new URL(String(upstream.url));
  } catch {
    throw new InvalidOptionError('upstream.url', `is not a URL: ${JSON.stringify(upstream.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidOptionError('upstream.url', 'must be an http:// or https:// URL');
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw new InvalidOptionError('upstream.url', 'must carry no credentials, query or fragment');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(upstream.headers ?? {})) {
    if (typeof value !== 'string')
      throw new InvalidOptionError(`upstream.headers.${name}`, 'must be a string');
    Object.defineProperty(headers, name.toLowerCase(), {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const timeoutMs = upstream.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new InvalidOptionError('upstream.timeoutMs', 'must be a positive number of milliseconds');
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), headers, timeoutMs };
}

/** Pipe the upstream body to the client; a failure half-way can only cut the connection. */
function finish(body: Readable, res: ServerResponse, transform?: NodeJS.ReadWriteStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (err?: NodeJS.ErrnoException | null) => {
      if (err) res.destroy();
      resolve();
    };
    if (transform) pipeline(body, transform, res, done);
    else pipeline(body, res, done);
  });
}

function send(res: ServerResponse, answer: HttpAnswer): void {
  const text = serializeAnswer(answer);
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

function unauthenticated(): HttpAnswer {
  return problem(
    {
      type: PROBLEM_TYPES.unauthenticated,
      title: 'Unauthenticated',
      status: 401,
      detail: 'the request carries no verified identity',
      code: 'PC_HTTP_UNAUTHENTICATED',
    },
    { 'www-authenticate': 'Basic realm="portcullis"' },
  );
}

function badGateway(err: unknown): HttpAnswer {
  const message = (err as Error)?.message ?? String(err);
  return problem({
    type: PROBLEM_TYPES.badGateway,
    title: 'Bad Gateway',
    status: 502,
    detail: `the upstream could not be reached or answered badly: ${message}`,
    code: 'PC_HTTP_UPSTREAM_FAILED',
  });
}

function isMaskError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'PC_HTTP_RESPONSE_TOO_LARGE' || code === 'PC_HTTP_MASK_UNENFORCEABLE';
}

function first(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}
