/**
 * @portcullis/rego — a Rego toolchain in TypeScript: scanner, parser, compiler, planner and a
 * WebAssembly backend whose modules satisfy the OPA wasm ABI as `@open-policy-agent/opa-wasm`
 * loads it.
 */

export * from './ast/index.js';
export * from './builtins/index.js';
export * from './compile/index.js';
export * from './conformance/index.js';
export * from './diagnostics/index.js';
export { regoErrorClasses } from './errors.js';
export * from './load/index.js';
export * from './parser/index.js';
export * from './plan/index.js';
export {
  type CompileRuntimeOptions,
  compileRuntime,
  RUNTIME_WASM_FILE,
  RuntimeBuildError,
  runtimeWasm,
} from './runtime/compile-runtime.js';
export { scan, type Token, type TokenKind } from './scanner/index.js';
export * from './test-runner/index.js';
export * from './wasm/index.js';
