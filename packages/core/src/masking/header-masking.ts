import type { Masker } from './masker.js';
import { REDACTED } from './strategies.js';

/**
 * Response headers whose values are protocol structure that clients and intermediaries parse
 * (lengths, codings, dates, cache and security policy, CORS), not data an application chose to
 * send. Their values pass unchanged: a detector that matched digits in a Content-Length or a
 * Date would break the response and hide nothing. Every other header is masked, Location,
 * Content-Disposition, Link, Set-Cookie and custom `X-…` headers among them.
 */
export const STRUCTURAL_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'accept-ranges',
  'access-control-allow-credentials',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-allow-origin',
  'access-control-expose-headers',
  'access-control-max-age',
  'age',
  'allow',
  'alt-svc',
  'cache-control',
  'connection',
  'content-encoding',
  'content-language',
  'content-length',
  'content-range',
  'content-security-policy',
  'content-security-policy-report-only',
  'content-type',
  'cross-origin-embedder-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'date',
  'etag',
  'expires',
  'keep-alive',
  'last-modified',
  'permissions-policy',
  'pragma',
  'proxy-authenticate',
  'referrer-policy',
  'retry-after',
  'server',
  'strict-transport-security',
  'timing-allow-origin',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'vary',
  'www-authenticate',
  'x-content-type-options',
  'x-frame-options',
  'x-xss-protection',
]);

/** True when `masker` has rules that apply to header values (detectors and patterns). */
export function masksHeaders(masker: Masker): boolean {
  return masker.rules.some((r) => 'detector' in r || 'pattern' in r);
}

/** Characters a header value may hold (RFC 9110 field-value: VCHAR, obs-text, SP, HTAB). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The value of response header `name` as a masked subject may see it: what the detector and
 * pattern rules find is masked, as in a body, except in the structural headers above. A mask
 * whose output could not be sent as a header value (a strategy that kept a line break, or
 * characters beyond Latin-1) gives the redaction marker for the whole value instead.
 */
export function maskHeaderValue(masker: Masker, name: string, value: string): string {
  if (STRUCTURAL_RESPONSE_HEADERS.has(name.toLowerCase())) return value;
  const masked = masker.maskText(value);
  if (masked === value || FIELD_VALUE.test(masked)) return masked;
  return REDACTED;
}

/**
 * A status line's reason phrase masked as a header value is: HTTP/1.1 lets a server say
 * anything there (`404 No account for alice@example.com`). The same text when nothing
 * matched or `masker` has no detector or pattern rules; `[REDACTED]` when the masked text
 * could not be sent as a reason phrase.
 */
export function maskStatusText(masker: Masker, text: string): string {
  if (text === '' || !masksHeaders(masker)) return text;
  const masked = masker.maskText(text);
  if (masked === text || FIELD_VALUE.test(masked)) return masked;
  return REDACTED;
}

/** One header's value (a string, a list of repeats, or a number, kept) masked; the same value when unchanged. */
export function maskHeaderField<V extends string | string[] | number | undefined>(
  masker: Masker,
  name: string,
  value: V,
): V {
  if (typeof value === 'string') return maskHeaderValue(masker, name, value) as V;
  if (Array.isArray(value)) {
    const masked = value.map((v) => maskHeaderValue(masker, name, v));
    return (masked.some((v, i) => v !== value[i]) ? masked : value) as V;
  }
  return value;
}

/**
 * A record of header values (Node's and undici's shape) masked in place, with
 * `maskHeaderField`; a `__proto__` header stays a header.
 */
export function maskHeaderRecord<T extends Record<string, string | string[] | number | undefined>>(
  masker: Masker,
  headers: T,
): T {
  if (!masksHeaders(masker)) return headers;
  for (const [name, value] of Object.entries(headers)) {
    const masked = maskHeaderField(masker, name, value);
    if (masked !== value)
      Object.defineProperty(headers, name, {
        value: masked,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return headers;
}
