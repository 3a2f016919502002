/**
 * How the test runner (and anything else that only needs "compile these modules, evaluate
 * these entrypoints") runs Rego. The default executor is the reference IR interpreter; the
 * wasm loader can implement the same interface, so tests run unchanged on either backend.
 */
import { compileModules } from '../compile/index.js';
import type { Diagnostic } from '../diagnostics/index.js';
import { formatDiagnostics } from '../diagnostics/index.js';
import { fromJson, IrInterpreter, planPolicy, toJson } from '../plan/index.js';

export interface RegoSourceFile {
  readonly file: string;
  readonly source: string;
}

/** One entrypoint's result set, shaped like OPA's: `[{ result }]`, empty when undefined. */
export type EntrypointResult = readonly { readonly result: unknown }[];

/** A compiled and loaded policy: evaluates one of the entrypoints it was loaded with. */
export interface LoadedRego {
  evaluate(entrypoint: string, input: unknown): EntrypointResult | Promise<EntrypointResult>;
}

/** Compiles Rego sources with base data and entrypoints (`pkg/rule`) into something evaluable. */
export interface RegoExecutor {
  readonly name: string;
  load(
    sources: readonly RegoSourceFile[],
    entrypoints: readonly string[],
    data: unknown,
  ): LoadedRego | Promise<LoadedRego>;
}

/** Compilation or planning failed; every collected diagnostic is kept. */
export class RegoExecutorCompileError extends Error {
  readonly code = 'PC_REGO_COMPILE';
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super(diagnostics.length === 0 ? 'policy compilation failed' : formatDiagnostics(diagnostics));
    this.name = 'RegoExecutorCompileError';
    this.diagnostics = diagnostics;
  }
}

export interface InterpreterExecutorOptions {
  /** Step budget per evaluation (guards against runaway plans). */
  readonly maxSteps?: number;
}

/** The reference IR interpreter as an executor: compile, plan every entrypoint, interpret. */
export function createInterpreterExecutor(options: InterpreterExecutorOptions = {}): RegoExecutor {
  return {
    name: 'interpreter',
    load(sources, entrypoints, data) {
      const compiled = compileModules(sources);
      if (compiled.program === undefined) throw new RegoExecutorCompileError(compiled.diagnostics);
      const planned = planPolicy(compiled.program, { entrypoints });
      if (planned.policy === undefined) throw new RegoExecutorCompileError(planned.diagnostics);
      const interpreter = new IrInterpreter(
        planned.policy,
        options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps },
      );
      const dataValue = fromJson(data ?? {});
      return {
        evaluate(entrypoint, input) {
          const results = interpreter.run(entrypoint, {
            ...(input === undefined ? {} : { input: fromJson(input) }),
            data: dataValue,
          });
          return results.map((r) => {
            const json = toJson(r) as { result?: unknown };
            return { result: json.result };
          });
        },
      };
    },
  };
}
