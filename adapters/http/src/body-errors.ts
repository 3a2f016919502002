import type { BodyMaskErrors } from '@portcullis/core';
import { HttpMaskUnenforceableError, HttpResponseTooLargeError } from './errors.js';

/** The middleware's errors for core's body masker. */
export const httpBodyErrors: BodyMaskErrors = {
  tooLarge: (limit) => new HttpResponseTooLargeError(limit),
  unenforceable: (message, options) => new HttpMaskUnenforceableError(message, options),
};
