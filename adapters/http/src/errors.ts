/**
 * Every error class of @portcullis/http, by its stable code (documented in docs/errors.md).
 * All extend @portcullis/core's PortcullisError. They reach clients as the `code` member of
 * an RFC 9457 problem document, never as a stack trace.
 */
import { PortcullisError } from '@portcullis/core';

/** The request body is larger than maxBodyBytes; answered 413 before the application saw it. */
export class HttpBodyTooLargeError extends PortcullisError {
  override readonly code = 'PC_HTTP_BODY_TOO_LARGE';
  readonly limit: number;
  constructor(limit: number) {
    super(`the request body exceeds ${limit} bytes`);
    this.limit = limit;
  }
}

/**
 * The response needs JSONPath masks, which need the whole document, and it is larger than
 * maxBodyBytes: answered 500 instead of sending it unmasked.
 */
export class HttpResponseTooLargeError extends PortcullisError {
  override readonly code = 'PC_HTTP_RESPONSE_TOO_LARGE';
  readonly limit: number;
  constructor(limit: number) {
    super(`the response exceeds ${limit} bytes and its JSONPath masks need the whole document`);
    this.limit = limit;
  }
}

/**
 * The decision asks for masks this response cannot be masked for (binary or compressed
 * content, a charset other than UTF-8, JSONPath masks on a body that is not JSON): answered
 * 500 instead of sending it unmasked.
 */
export class HttpMaskUnenforceableError extends PortcullisError {
  override readonly code = 'PC_HTTP_MASK_UNENFORCEABLE';
}

/** The subject hook returned no subject or threw (no or bad credentials): answered 401. */
export class HttpUnauthenticatedError extends PortcullisError {
  override readonly code = 'PC_HTTP_UNAUTHENTICATED';
}

/**
 * The request could not be decided or audited (evaluator failure or timeout, malformed
 * decision, engine error, audit write failure): answered with failureStatus (503 by default).
 */
export class HttpDecisionFailedError extends PortcullisError {
  override readonly code = 'PC_HTTP_DECISION_FAILED';
}

/**
 * The reverse proxy could not get an answer from its upstream (connection refused or reset,
 * timeout, a malformed response): answered 502 with a problem document.
 */
export class HttpUpstreamError extends PortcullisError {
  override readonly code = 'PC_HTTP_UPSTREAM_FAILED';
}

export const httpErrorClasses = {
  PC_HTTP_BODY_TOO_LARGE: HttpBodyTooLargeError,
  PC_HTTP_RESPONSE_TOO_LARGE: HttpResponseTooLargeError,
  PC_HTTP_MASK_UNENFORCEABLE: HttpMaskUnenforceableError,
  PC_HTTP_UNAUTHENTICATED: HttpUnauthenticatedError,
  PC_HTTP_DECISION_FAILED: HttpDecisionFailedError,
  PC_HTTP_UPSTREAM_FAILED: HttpUpstreamError,
} as const;
