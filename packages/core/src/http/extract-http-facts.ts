import type { HttpFacts } from '../contract.js';
import { type HttpHeadersInit, normalizeHeaders } from './headers.js';
import {
  type HttpFactsOptions,
  type ResolvedHttpFactsOptions,
  resolveHttpFactsOptions,
} from './http-options.js';
import { extractBody, type HttpBody } from './json-body.js';
import { redactHeaderValue, shouldRedact } from './redact-headers.js';
import { parseUrlParts, setOwn } from './url-parts.js';

/** An HTTP request as an adapter hands it in. */
export interface HttpRequestInput {
  method: string;
  /** Absolute URL, or the request-target (`/path?query`) resolved against the Host header. */
  url: string;
  headers?: HttpHeadersInit;
  body?: HttpBody;
}

/**
 * Turn an HTTP request into the facts a policy sees. Never throws on request content: a bad
 * URL or body shows up in the facts (empty host, `body_parse_error`) for the policy to judge.
 * Options are validated on each call; hot paths should pass `ResolvedHttpFactsOptions` from
 * `resolveHttpFactsOptions` once.
 */
export function extractHttpFacts(
  req: HttpRequestInput,
  options: HttpFactsOptions | ResolvedHttpFactsOptions = {},
): HttpFacts {
  const resolved = isResolved(options) ? options : resolveHttpFactsOptions(options);
  // normalizeHeaders returns a fresh object of our own: credentials are redacted in place,
  // after the headers read below as sent are taken out.
  const headers = normalizeHeaders(req.headers);
  const contentType = Object.hasOwn(headers, 'content-type') ? headers['content-type']! : null;
  const host = Object.hasOwn(headers, 'host') ? headers.host : undefined;
  const contentEncoding = Object.hasOwn(headers, 'content-encoding') ? headers['content-encoding']! : null;
  for (const name in headers) {
    if (Object.hasOwn(headers, name) && shouldRedact(name, resolved)) {
      const value = redactHeaderValue(name, headers[name]!);
      if (name === '__proto__') setOwn(headers, name, value);
      else headers[name] = value;
    }
  }
  const url = parseUrlParts(String(req.url ?? ''), host);
  const body = extractBody(req.body, contentType, resolved, contentEncoding);
  const facts: HttpFacts = {
    method: String(req.method ?? '').toUpperCase(),
    url: url.url,
    scheme: url.scheme,
    host: url.host,
    port: url.port,
    path: url.path,
    query: url.query,
    headers,
    body: body.body,
    content_type: contentType,
    body_size: body.body_size,
  };
  if (body.body_parse_error !== undefined) facts.body_parse_error = body.body_parse_error;
  if (body.body_too_large) facts.body_too_large = true;
  return facts;
}

function isResolved(o: HttpFactsOptions | ResolvedHttpFactsOptions): o is ResolvedHttpFactsOptions {
  return 'reveal' in o && 'extraCredentialHeaders' in o;
}
