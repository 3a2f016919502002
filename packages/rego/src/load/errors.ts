/**
 * Errors of the loading API. Each carries a stable `code`; compile failures carry every
 * collected diagnostic rather than the first one.
 */
import type { Diagnostic } from '../diagnostics/index.js';
import { formatDiagnostics } from '../diagnostics/index.js';

export class PolicyCompileError extends Error {
  readonly code = 'PC_REGO_COMPILE';
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[], options?: { cause?: unknown }) {
    super(diagnostics.length === 0 ? 'policy compilation failed' : formatDiagnostics(diagnostics), options);
    this.name = 'PolicyCompileError';
    this.diagnostics = diagnostics;
  }
}

/** The source could not be read or is not a policy (bad bundle, bad wasm, missing file). */
export class PolicyLoadError extends Error {
  readonly code = 'PC_REGO_LOAD';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PolicyLoadError';
  }
}

/**
 * Evaluation failed: the module aborted, a builtin raised an error in strict mode, or the
 * entrypoint is unknown. The opa-wasm loader throws strings and plain objects; they end up
 * here as `cause`.
 */
export class PolicyEvalError extends Error {
  readonly code = 'PC_REGO_EVAL';
  /** OPA's error code when known (`eval_conflict_error`, `eval_builtin_error` …). */
  readonly regoCode: string | undefined;
  constructor(message: string, options?: { cause?: unknown }) {
    const causeCode = regoCodeOf(options?.cause);
    // OPA prints runtime errors as "<code>: <message>"; builtin errors arrive without the code.
    super(
      causeCode !== undefined && !message.startsWith(causeCode) ? `${causeCode}: ${message}` : message,
      options,
    );
    this.name = 'PolicyEvalError';
    this.regoCode = causeCode ?? /^(eval_[a-z_]+): /.exec(message)?.[1];
  }
}

function regoCodeOf(cause: unknown): string | undefined {
  if (typeof cause !== 'object' || cause === null || !('code' in cause)) return undefined;
  return typeof cause.code === 'string' && cause.code.startsWith('eval_') ? cause.code : undefined;
}

/** Turns whatever the loader threw (a string, `{ message }`, an Error) into a message. */
export function thrownMessage(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown;
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'object' && thrown !== null && 'message' in thrown) return String(thrown.message);
  return String(thrown);
}
