import { type Engine, UNMASKED_BODY_REQUEST_HEADERS } from '@portcullis/core';
import { decideOutbound } from './decide-outbound.js';
import { type GuardOptions, resolveGuard } from './guard-options.js';
import { maskResponse } from './mask-response.js';
import { readLimited } from './read-limited.js';

export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface GuardFetchOptions extends GuardOptions {
  /** The fetch that sends allowed requests; default `globalThis.fetch` (undici's `fetch` works too). */
  fetch?: FetchFunction;
}

/**
 * A drop-in `fetch` that decides each request before it leaves and masks the response body
 * before the caller sees it. The request body is read once (at most maxBodyBytes), shown to
 * the policy, and the same bytes are sent. Rejects with FetchDeniedError,
 * FetchApprovalRequiredError, FetchApprovalDeniedError, FetchBodyTooLargeError, or (for a
 * response that cannot be masked) FetchResponseTooLargeError / FetchMaskUnenforceableError.
 */
export function guardFetch(engine: Engine, options: GuardFetchOptions): FetchFunction {
  const guard = resolveGuard(engine, options);
  const send: FetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  if (typeof send !== 'function') throw new TypeError('options.fetch must be a function');

  return function guardedFetch(input, init) {
    return guarded(input, init, 0);
  };

  async function guarded(
    input: string | URL | Request,
    init: RequestInit | undefined,
    hops: number,
  ): Promise<Response> {
    // The Request constructor does fetch's own normalisation: URL, method, headers, and the
    // serialisation of FormData, URLSearchParams and Blob bodies with their content type.
    const request = new Request(input, init);
    const body = await readLimited(request.body, guard.maxBodyBytes);
    const decision = await decideOutbound(guard, {
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body,
      signal: request.signal,
    });
    const masker = guard.maskers.get(decision.masks);
    const headers = [...request.headers];
    const response = await send(request.url, {
      ...init,
      method: request.method,
      // Range, If-Range and If-None-Match act on the unmasked body (core's unmasked-body-headers).
      headers:
        masker === undefined
          ? headers
          : headers.filter(([name]) => !UNMASKED_BODY_REQUEST_HEADERS.includes(name)),
      body: body ?? null,
      signal: request.signal,
      // Redirects are followed here, not by the fetch below, so each hop is decided.
      redirect: 'manual',
    });
    const location = response.headers.get('location');
    if (request.redirect !== 'manual' && REDIRECTS.has(response.status) && location !== null) {
      await response.body?.cancel().catch(() => undefined);
      if (request.redirect === 'error' || hops >= MAX_REDIRECTS) {
        throw new TypeError(
          `fetch failed: redirect to ${location} not followed (redirect: ${request.redirect}, hop ${hops + 1})`,
        );
      }
      return guarded(...nextHop(request, body, location, response.status, init), hops + 1);
    }
    return masker === undefined
      ? response
      : maskResponse(response, masker, guard.maxBodyBytes, guard.unmasked);
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// As in the fetch standard.
const MAX_REDIRECTS = 20;

/** The next request of a redirect chain, following the fetch standard's HTTP-redirect fetch. */
function nextHop(
  request: Request,
  body: Uint8Array | undefined,
  location: string,
  status: number,
  init: RequestInit | undefined,
): [URL, RequestInit] {
  const url = new URL(location, request.url);
  const headers = new Headers(request.headers);
  let method = request.method;
  let next: Uint8Array | undefined = body;
  if (status === 303 ? method !== 'HEAD' : (status === 301 || status === 302) && method === 'POST') {
    method = 'GET';
    next = undefined;
    for (const name of [
      'content-type',
      'content-length',
      'content-encoding',
      'content-language',
      'content-location',
    ])
      headers.delete(name);
  }
  if (url.origin !== new URL(request.url).origin) {
    for (const name of ['authorization', 'cookie', 'proxy-authorization']) headers.delete(name);
  }
  return [
    url,
    { ...init, method, headers, body: next ?? null, signal: request.signal, redirect: request.redirect },
  ];
}
