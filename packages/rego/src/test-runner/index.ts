/**
 * The Rego test runner: `opa test` semantics (every `test_*` rule must evaluate to `true`)
 * over a pluggable executor, so the same tests run on the IR interpreter or the wasm backend.
 */
export {
  createInterpreterExecutor,
  type EntrypointResult,
  type InterpreterExecutorOptions,
  type LoadedRego,
  type RegoExecutor,
  RegoExecutorCompileError,
  type RegoSourceFile,
} from './executor.js';
export { formatTestReport } from './format-report.js';
export { type LoadedFiles, loadFiles } from './load-files.js';
export {
  type RegoTestResult,
  type RegoTestRunResult,
  type RunRegoTestsOptions,
  runRegoTests,
} from './run-rego-tests.js';
export { createWasmExecutor } from './wasm-executor.js';
