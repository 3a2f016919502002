/**
 * `opa test` for our toolchain: compile every module under the given paths together, plan each
 * `test_*` rule as an entrypoint, evaluate it with no input and the data files' data, and pass
 * it only when its value is `true`. Compile errors are reported as failures with locations.
 */

import { compileModules } from '../compile/index.js';
import type { Diagnostic } from '../diagnostics/index.js';
import {
  createInterpreterExecutor,
  type LoadedRego,
  type RegoExecutor,
  RegoExecutorCompileError,
} from './executor.js';
import { loadFiles } from './load-files.js';

export interface RegoTestResult {
  /** `data.pkg.test_name`, or `<compile>` / `<load>` for a problem before any test ran. */
  readonly name: string;
  readonly file: string;
  readonly row: number;
  readonly passed: boolean;
  readonly error?: string;
  readonly durationMs?: number;
}

export interface RegoTestRunResult {
  readonly results: RegoTestResult[];
  readonly passed: number;
  readonly failed: number;
}

export interface RunRegoTestsOptions {
  /** Defaults to the reference IR interpreter. */
  readonly executor?: RegoExecutor;
  /** Only run tests whose full name (`data.pkg.test_x`) matches. */
  readonly filter?: RegExp;
}

function tally(results: RegoTestResult[]): RegoTestRunResult {
  const passed = results.filter((r) => r.passed).length;
  return { results, passed, failed: results.length - passed };
}

function diagnosticResults(diagnostics: readonly Diagnostic[]): RegoTestResult[] {
  return diagnostics.map((d) => ({
    name: '<compile>',
    file: d.location.file,
    row: d.location.row,
    passed: false,
    error: `${d.code}: ${d.message}`,
  }));
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

export async function runRegoTests(
  paths: readonly string[],
  options: RunRegoTestsOptions = {},
): Promise<RegoTestRunResult> {
  let files: Awaited<ReturnType<typeof loadFiles>>;
  try {
    files = await loadFiles(paths);
  } catch (err) {
    return tally([{ name: '<load>', file: paths.join(', '), row: 0, passed: false, error: String(err) }]);
  }

  // 1. Compile once ourselves to find the tests (and to report diagnostics with locations).
  const compiled = compileModules(files.sources);
  if (compiled.program === undefined) return tally(diagnosticResults(compiled.diagnostics));
  const tests = compiled.program.groups
    .filter((g) => g.kind !== 'function' && (g.path.at(-1) ?? '').startsWith('test_'))
    .map((g) => {
      const first = g.rules[0];
      return {
        name: `data.${g.path.join('.')}`,
        entrypoint: g.path.join('/'),
        file: first?.loc.file ?? '',
        row: first?.loc.row ?? 0,
      };
    })
    .filter((t) => options.filter === undefined || options.filter.test(t.name));
  if (tests.length === 0) return tally([]);

  // 2. Load all test entrypoints at once through the executor.
  const executor = options.executor ?? createInterpreterExecutor();
  let loaded: LoadedRego;
  try {
    loaded = await executor.load(
      files.sources,
      tests.map((t) => t.entrypoint),
      files.data,
    );
  } catch (err) {
    if (err instanceof RegoExecutorCompileError) return tally(diagnosticResults(err.diagnostics));
    const diagnostics = (err as { diagnostics?: unknown }).diagnostics;
    if (Array.isArray(diagnostics) && diagnostics.length > 0) {
      return tally(diagnosticResults(diagnostics as Diagnostic[]));
    }
    return tally([
      {
        name: '<load>',
        file: paths.join(', '),
        row: 0,
        passed: false,
        error: (err as Error).message ?? String(err),
      },
    ]);
  }

  // 3. Evaluate each test with no input; only `true` passes.
  const results: RegoTestResult[] = [];
  for (const t of tests) {
    const started = performance.now();
    const base = { name: t.name, file: t.file, row: t.row };
    try {
      const rs = await loaded.evaluate(t.entrypoint, undefined);
      const durationMs = performance.now() - started;
      const value = rs[0]?.result;
      if (rs.length === 0 || value === undefined)
        results.push({ ...base, passed: false, error: 'undefined', durationMs });
      else if (value === true) results.push({ ...base, passed: true, durationMs });
      else results.push({ ...base, passed: false, error: `result ${describeValue(value)}`, durationMs });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      results.push({ ...base, passed: false, error: message, durationMs: performance.now() - started });
    }
  }
  return tally(results);
}
