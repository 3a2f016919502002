/**
 * Every failure Portcullis reports has a class here with a stable `code`. Callers branch on
 * `code`, never on message text. Each code is documented in docs/errors.md; a test keeps the
 * two in step. New errors are added here, to `errorClasses`, and to docs/errors.md.
 */

export interface PortcullisErrorOptions {
  cause?: unknown;
}

export class PortcullisError extends Error {
  readonly code: string = 'PC_ERR';

  constructor(message: string, options: PortcullisErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** An option passed to a constructor or factory is missing or invalid; the message names it. */
export class InvalidOptionError extends PortcullisError {
  override readonly code = 'PC_INVALID_OPTION';
  readonly option: string;
  constructor(option: string, message: string, options?: PortcullisErrorOptions) {
    super(`invalid option ${option}: ${message}`, options);
    this.option = option;
  }
}

/** A request given to the engine or the CLI is not well-formed (missing subject, unknown resource type …). */
export class InvalidRequestError extends PortcullisError {
  override readonly code = 'PC_INVALID_REQUEST';
}

/** A SQL parser could not be loaded (the libpg-query wasm or node-sql-parser). */
export class SqlParserUnavailableError extends PortcullisError {
  override readonly code = 'PC_SQL_PARSER_UNAVAILABLE';
}

/** The bash grammar (tree-sitter-bash on web-tree-sitter) could not be loaded. */
export class ShellParserUnavailableError extends PortcullisError {
  override readonly code = 'PC_SHELL_PARSER_UNAVAILABLE';
}

/** The evaluator threw or returned something that is not a result. */
export class EvaluationError extends PortcullisError {
  override readonly code = 'PC_EVALUATION_FAILED';
}

/** The evaluator did not answer within the engine's time limit. */
export class EvaluationTimeoutError extends PortcullisError {
  override readonly code = 'PC_EVALUATION_TIMEOUT';
}

/** The policy returned a decision that does not match the `portcullis.v1` decision schema. */
export class MalformedDecisionError extends PortcullisError {
  override readonly code = 'PC_MALFORMED_DECISION';
}

/** A mask rule is invalid: unknown strategy or detector, bad JSONPath, pattern RE2 rejects. */
export class InvalidMaskRuleError extends PortcullisError {
  override readonly code = 'PC_INVALID_MASK_RULE';
}

/** An approval id is not known to the store. */
export class ApprovalNotFoundError extends PortcullisError {
  override readonly code = 'PC_APPROVAL_NOT_FOUND';
}

/** An approval transition that its state forbids: voting on an expired or decided request, a reviewer not allowed, a double vote. */
export class ApprovalStateError extends PortcullisError {
  override readonly code = 'PC_APPROVAL_STATE';
}

/** An audit record could not be written; the caller must not proceed as if it were. */
export class AuditWriteError extends PortcullisError {
  override readonly code = 'PC_AUDIT_WRITE_FAILED';
}

/** An audit log failed verification: a record was altered, removed or reordered. */
export class AuditChainError extends PortcullisError {
  override readonly code = 'PC_AUDIT_CHAIN_BROKEN';
}

/** Every error class, by code. docs/errors.md documents exactly these codes. */
export const errorClasses = {
  PC_INVALID_OPTION: InvalidOptionError,
  PC_INVALID_REQUEST: InvalidRequestError,
  PC_SQL_PARSER_UNAVAILABLE: SqlParserUnavailableError,
  PC_SHELL_PARSER_UNAVAILABLE: ShellParserUnavailableError,
  PC_EVALUATION_FAILED: EvaluationError,
  PC_EVALUATION_TIMEOUT: EvaluationTimeoutError,
  PC_MALFORMED_DECISION: MalformedDecisionError,
  PC_INVALID_MASK_RULE: InvalidMaskRuleError,
  PC_APPROVAL_NOT_FOUND: ApprovalNotFoundError,
  PC_APPROVAL_STATE: ApprovalStateError,
  PC_AUDIT_WRITE_FAILED: AuditWriteError,
  PC_AUDIT_CHAIN_BROKEN: AuditChainError,
} as const;

export type ErrorCode = keyof typeof errorClasses;

export function isPortcullisError(value: unknown): value is PortcullisError {
  return value instanceof PortcullisError;
}
