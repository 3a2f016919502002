/**
 * One conformance case, end to end through our toolchain: modules and query compiled and
 * planned by us (the query as a plan whose result set is its bindings), emitted to wasm,
 * loaded by `@open-policy-agent/opa-wasm`, evaluated, and judged as OPA judges it.
 */

import { BUILTIN_SIGNATURES } from '../builtins/signatures.js';
import type { Diagnostic } from '../diagnostics/index.js';
import { planSources } from '../load/compile-policy.js';
import { PolicyCompileError, PolicyEvalError } from '../load/errors.js';
import { shadowedBuiltins } from '../load/js-builtins.js';
import { instantiatePolicy } from '../load/load-policy.js';
import { emitWasm } from '../wasm/index.js';
import { sameResultSet } from './compare-results.js';
import { inputTermValue } from './input-term.js';

/** A case as the YAML files spell it. */
export interface ConformanceCase {
  readonly note: string;
  readonly query: string;
  readonly modules?: readonly string[];
  readonly data?: unknown;
  readonly input?: unknown;
  readonly input_term?: string;
  readonly want_result?: readonly Record<string, unknown>[];
  readonly sort_bindings?: boolean;
  readonly want_error?: string;
  readonly want_error_code?: string;
  readonly strict_error?: boolean;
}

export type CaseOutcome = { readonly pass: true } | { readonly pass: false; readonly reason: string };

const QUERY_ENTRYPOINT = 'conformance/query';
const encoder = new TextEncoder();

class CaseError extends Error {
  constructor(
    message: string,
    readonly errorCode: string | undefined,
    readonly phase: 'compile' | 'eval',
  ) {
    super(message);
  }
}

function codeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

function describe(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map((d) => `${d.code}: ${d.message}`).join('; ');
}

async function execute(c: ConformanceCase): Promise<Record<string, unknown>[]> {
  const sources = (c.modules ?? []).map((source, i) => ({ file: `test-${i}.rego`, source }));
  let policy: Awaited<ReturnType<typeof planSources>>;
  try {
    policy = await planSources(sources, [], [{ name: QUERY_ENTRYPOINT, query: c.query }]);
  } catch (error) {
    if (error instanceof PolicyCompileError) {
      throw new CaseError(describe(error.diagnostics), error.diagnostics[0]?.code, 'compile');
    }
    throw error;
  }
  const wasm = await emitWasm(policy, {
    signatures: BUILTIN_SIGNATURES,
    hostAliases: await shadowedBuiltins(),
  });
  const loaded = await instantiatePolicy(wasm, { strictBuiltinErrors: c.strict_error === true });
  if (c.data !== undefined && c.data !== null) loaded.setData(c.data);
  let input: unknown = c.input;
  if (c.input_term !== undefined) input = encoder.encode(inputTermValue(c.input_term)).buffer;
  try {
    return loaded.evaluate(input, QUERY_ENTRYPOINT);
  } catch (error) {
    const code = error instanceof PolicyEvalError ? error.regoCode : codeOf(error);
    throw new CaseError(error instanceof Error ? error.message : String(error), code, 'eval');
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs one case; never throws. */
export async function runCase(c: ConformanceCase, timeoutMs: number): Promise<CaseOutcome> {
  const wantsError = c.want_error !== undefined || c.want_error_code !== undefined;
  let results: Record<string, unknown>[];
  try {
    results = await withTimeout(execute(c), timeoutMs);
  } catch (error) {
    if (!(error instanceof CaseError)) {
      return { pass: false, reason: `crash: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (!wantsError) return { pass: false, reason: `unexpected ${error.phase} error: ${error.message}` };
    if (
      c.want_error_code !== undefined &&
      error.errorCode !== undefined &&
      error.errorCode !== c.want_error_code
    ) {
      return {
        pass: false,
        reason: `error code ${error.errorCode}, want ${c.want_error_code}: ${error.message}`,
      };
    }
    if (c.want_error !== undefined && !error.message.includes(c.want_error)) {
      return { pass: false, reason: `error "${error.message}" does not contain "${c.want_error}"` };
    }
    return { pass: true };
  }
  if (wantsError) {
    // OPA's wasm target turns builtin errors into undefined unless strict errors are on.
    const builtinError =
      c.want_error_code === 'eval_builtin_error' || c.want_error_code === 'eval_type_error';
    if (builtinError && c.strict_error !== true && results.length === 0) return { pass: true };
    return {
      pass: false,
      reason: `want error ${c.want_error_code ?? ''} "${c.want_error ?? ''}", got ${JSON.stringify(results).slice(0, 200)}`,
    };
  }
  const want = c.want_result ?? [];
  if (sameResultSet(results, want, c.sort_bindings === true)) return { pass: true };
  return {
    pass: false,
    reason: `got ${JSON.stringify(results).slice(0, 300)}, want ${JSON.stringify(want).slice(0, 300)}`,
  };
}
