import type { Masker, UnmaskedTypes } from '@portcullis/core';
import {
  BodyMasker,
  maskHeaderValue,
  maskStatusText,
  masksHeaders,
  planResponseBody,
  UNMASKED_BODY_RESPONSE_HEADERS,
} from '@portcullis/core';
import { fetchBodyErrors } from './body-errors.js';

/**
 * A Response whose body is masked by `masker`. Resolves once the masked body can start: at
 * once for text, after the whole document for JSON (up to `maxBodyBytes`), so that a JSON
 * body that cannot be masked rejects here instead of failing half-way through the read.
 * Headers that described the original bytes are dropped: Content-Encoding (fetch has already
 * decoded the body), and the length, ETag and digests of the unmasked body (core's
 * unmasked-body-headers), from a HEAD, 204 or 304 answer too. A 206 (a part of a body) that
 * needs masking is refused. Header values are masked too (a Location or Set-Cookie
 * can carry what the body would), structural ones aside (core's `maskHeaderValue`).
 */
export async function maskResponse(
  response: Response,
  masker: Masker,
  maxBodyBytes: number,
  unmasked?: UnmaskedTypes,
): Promise<Response> {
  const source = response.body;
  let maskedHeaders = maskHeaders(response.headers, masker);
  // A reason phrase can carry what the body would; a Response is rebuilt to change it.
  const statusText = maskStatusText(masker, response.statusText);
  if (statusText !== response.statusText) maskedHeaders ??= new Headers(response.headers);
  if (source === null) {
    // A HEAD, 204 or 304 answer: no body to mask, but its length, ETag and digests are the
    // unmasked body's (core's unmasked-body-headers).
    if (UNMASKED_BODY_RESPONSE_HEADERS.some((name) => response.headers.has(name))) {
      maskedHeaders ??= new Headers(response.headers);
      for (const name of UNMASKED_BODY_RESPONSE_HEADERS) maskedHeaders.delete(name);
    }
    return maskedHeaders ? rebuilt(response, null, maskedHeaders, statusText) : response;
  }
  let plan: ReturnType<typeof planResponseBody>;
  try {
    plan = planResponseBody(
      masker,
      {
        contentType: response.headers.get('content-type'),
        contentEncoding: null,
      },
      fetchBodyErrors,
      unmasked,
    );
    // A part of a body, though no Range was sent: its parts could cut a secret in two.
    if (plan !== 'pass' && response.status === 206)
      throw fetchBodyErrors.unenforceable('cannot mask part of a body');
  } catch (err) {
    await source.cancel(err).catch(() => undefined);
    throw err;
  }
  if (plan === 'pass') return maskedHeaders ? rebuilt(response, source, maskedHeaders, statusText) : response;

  const body = new BodyMasker(masker, plan, maxBodyBytes, fetchBodyErrors);
  const reader = source.getReader();
  const ready: Uint8Array[] = [];
  let ended = false;
  try {
    while (body.buffering) {
      const next = await reader.read();
      if (next.done) {
        ready.push(body.end());
        ended = true;
        break;
      }
      ready.push(body.push(next.value));
    }
  } catch (err) {
    await reader.cancel(err).catch(() => undefined);
    throw err;
  }

  const headers = maskedHeaders ?? new Headers(response.headers);
  headers.delete('content-encoding');
  for (const name of UNMASKED_BODY_RESPONSE_HEADERS) headers.delete(name);
  if (ended) headers.set('content-length', String(ready.reduce((n, c) => n + c.byteLength, 0)));
  const masked = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of ready) if (chunk.byteLength > 0) controller.enqueue(chunk);
      ready.length = 0;
      if (ended) controller.close();
    },
    async pull(controller) {
      for (;;) {
        const next = await reader.read();
        const out = next.done ? body.end() : body.push(next.value);
        if (out.byteLength > 0) controller.enqueue(out);
        if (next.done) {
          controller.close();
          return;
        }
        if (out.byteLength > 0) return;
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return rebuilt(response, masked, headers, statusText);
}

/** `response`'s headers with their values masked, or undefined when none changed. */
function maskHeaders(source: Headers, masker: Masker): Headers | undefined {
  if (!masksHeaders(masker)) return undefined;
  const out = new Headers();
  let changed = false;
  // Iteration gives each Set-Cookie on its own, and the other repeated headers joined.
  for (const [name, value] of source) {
    const masked = maskHeaderValue(masker, name, value);
    if (masked !== value) changed = true;
    out.append(name, masked);
  }
  return changed ? out : undefined;
}

function rebuilt(
  response: Response,
  body: ReadableStream<Uint8Array> | null,
  headers: Headers,
  statusText: string,
): Response {
  const result = new Response(body, { status: response.status, statusText, headers });
  // A new Response has no URL; callers of a drop-in fetch rely on it (relative links, redirects).
  Object.defineProperties(result, {
    url: { value: response.url },
    redirected: { value: response.redirected },
  });
  return result;
}
