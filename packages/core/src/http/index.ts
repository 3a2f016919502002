/** HTTP facts: what a policy sees of an HTTP request, with credentials redacted by default. */

export { type DecodedBody, decodeContentCoding } from './content-coding.js';
export { extractHttpFacts, type HttpRequestInput } from './extract-http-facts.js';
export type { HttpHeadersInit } from './headers.js';
export { httpFingerprint } from './http-fingerprint.js';
export {
  DEFAULT_MAX_BODY_BYTES,
  type HttpFactsOptions,
  type ResolvedHttpFactsOptions,
  resolveHttpFactsOptions,
} from './http-options.js';
export { type HttpBody, isJsonContentType } from './json-body.js';
export { REDACTED } from './redact-headers.js';
