/**
 * The error a builtin raises at evaluation time. `code` is OPA's error code, so a caller
 * comparing against OPA (or the conformance suite) sees the same value: `eval_type_error`
 * when an operand has the wrong type, `eval_builtin_error` when the operand is well typed
 * but the operation fails (bad regex, unparsable time, range too large …). The message
 * follows OPA's `<builtin>: <reason>` shape.
 */
export type BuiltinErrorCode = 'eval_type_error' | 'eval_builtin_error';

export class BuiltinError extends Error {
  readonly code: BuiltinErrorCode;
  readonly builtin: string;

  constructor(builtin: string, code: BuiltinErrorCode, reason: string, options?: { cause?: unknown }) {
    super(`${builtin}: ${reason}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BuiltinError';
    this.builtin = builtin;
    this.code = code;
  }
}

/** A failure that is not about operand types (OPA's `eval_builtin_error`). */
export function builtinError(builtin: string, reason: string, cause?: unknown): BuiltinError {
  return new BuiltinError(builtin, 'eval_builtin_error', reason, cause === undefined ? undefined : { cause });
}
