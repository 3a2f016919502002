import type { BodyMaskErrors } from '@portcullis/core';
import { FetchMaskUnenforceableError, FetchResponseTooLargeError } from './errors.js';

/** The guarded fetch's errors for core's body masker. */
export const fetchBodyErrors: BodyMaskErrors = {
  tooLarge: (limit) => new FetchResponseTooLargeError(limit),
  unenforceable: (message, options) => new FetchMaskUnenforceableError(message, options),
};
