import { HttpMaskUnenforceableError, HttpResponseTooLargeError } from './errors.js';
import { type HttpAnswer, PROBLEM_TYPES, problem } from './problem-document.js';

/** The answer sent instead of a response that could not be masked: never the unmasked body. */
export function unmaskableAnswer(err: unknown): HttpAnswer {
  const known = err instanceof HttpResponseTooLargeError || err instanceof HttpMaskUnenforceableError;
  return problem({
    type: PROBLEM_TYPES.responseUnmaskable,
    title: 'Response withheld',
    status: 500,
    detail: known ? err.message : 'the response could not be masked',
    code: known ? err.code : 'PC_HTTP_MASK_UNENFORCEABLE',
  });
}
