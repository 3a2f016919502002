/**
 * @portcullis/fetch — outbound HTTP under a Portcullis policy: `guardFetch` wraps a fetch
 * function, `createGuardInterceptor` composes into an undici dispatcher. Each request is
 * decided before it leaves; response bodies are masked before the caller sees them.
 */

export type { MaskingOptions } from '@portcullis/core';
export {
  FetchApprovalDeniedError,
  FetchApprovalRequiredError,
  FetchBodyTooLargeError,
  FetchDeniedError,
  FetchMaskUnenforceableError,
  FetchResponseTooLargeError,
  FetchUnsupportedBodyError,
  fetchErrorClasses,
} from './errors.js';
export { type FetchFunction, type GuardFetchOptions, guardFetch } from './guard-fetch.js';
export { createGuardInterceptor } from './guard-interceptor.js';
export type { GuardOptions, SubjectInput } from './guard-options.js';
