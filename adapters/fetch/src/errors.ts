/**
 * Every error class of @portcullis/fetch, by its stable code (documented in docs/errors.md).
 * All extend @portcullis/core's PortcullisError; those caused by a decision carry it.
 */
import { type DecisionResult, PortcullisError, type PortcullisErrorOptions } from '@portcullis/core';

/** The policy denied the outbound request (or it could not be decided or audited); nothing was sent. */
export class FetchDeniedError extends PortcullisError {
  override readonly code = 'PC_FETCH_DENIED';
  readonly result: DecisionResult;
  constructor(message: string, result: DecisionResult, options?: PortcullisErrorOptions) {
    super(message, options);
    this.result = result;
  }
  get decision(): DecisionResult['decision'] {
    return this.result.decision;
  }
}

/** The policy asked for approval and it has not been granted (yet); nothing was sent. */
export class FetchApprovalRequiredError extends PortcullisError {
  override readonly code = 'PC_FETCH_APPROVAL_REQUIRED';
  readonly approvalId: string;
  readonly result: DecisionResult;
  constructor(message: string, approvalId: string, result: DecisionResult, options?: PortcullisErrorOptions) {
    super(message, options);
    this.approvalId = approvalId;
    this.result = result;
  }
  get decision(): DecisionResult['decision'] {
    return this.result.decision;
  }
}

/** A reviewer denied the approval, or it expired, while the request waited; nothing was sent. */
export class FetchApprovalDeniedError extends PortcullisError {
  override readonly code = 'PC_FETCH_APPROVAL_DENIED';
  readonly approvalId: string;
  readonly state: string;
  readonly result: DecisionResult;
  constructor(approvalId: string, state: string, result: DecisionResult) {
    super(`approval ${approvalId} was ${state}; the request was not sent`);
    this.approvalId = approvalId;
    this.state = state;
    this.result = result;
  }
}

/** The request body is larger than maxBodyBytes; it was not read further and nothing was sent. */
export class FetchBodyTooLargeError extends PortcullisError {
  override readonly code = 'PC_FETCH_BODY_TOO_LARGE';
  readonly limit: number;
  constructor(limit: number) {
    super(`the request body exceeds maxBodyBytes (${limit} bytes); it was not sent`);
    this.limit = limit;
  }
}

/**
 * The response needs masking by JSONPath, which needs the whole document, and it is larger
 * than maxBodyBytes: the body is withheld rather than passed on unmasked.
 */
export class FetchResponseTooLargeError extends PortcullisError {
  override readonly code = 'PC_FETCH_RESPONSE_TOO_LARGE';
  readonly limit: number;
  constructor(limit: number) {
    super(
      `the response exceeds maxBodyBytes (${limit} bytes) and its JSONPath masks need the whole document; it was withheld`,
    );
    this.limit = limit;
  }
}

/**
 * The decision asks for masks this response cannot be masked for (binary or compressed
 * content, a charset other than UTF-8, JSONPath masks on a body that is not JSON): withheld.
 */
export class FetchMaskUnenforceableError extends PortcullisError {
  override readonly code = 'PC_FETCH_MASK_UNENFORCEABLE';
}

/** The request body is of a kind that cannot be read for the decision (a custom object, a FormData with a stream); nothing was sent. */
export class FetchUnsupportedBodyError extends PortcullisError {
  override readonly code = 'PC_FETCH_UNSUPPORTED_BODY';
}

export const fetchErrorClasses = {
  PC_FETCH_DENIED: FetchDeniedError,
  PC_FETCH_APPROVAL_REQUIRED: FetchApprovalRequiredError,
  PC_FETCH_APPROVAL_DENIED: FetchApprovalDeniedError,
  PC_FETCH_BODY_TOO_LARGE: FetchBodyTooLargeError,
  PC_FETCH_RESPONSE_TOO_LARGE: FetchResponseTooLargeError,
  PC_FETCH_MASK_UNENFORCEABLE: FetchMaskUnenforceableError,
  PC_FETCH_UNSUPPORTED_BODY: FetchUnsupportedBodyError,
} as const;
