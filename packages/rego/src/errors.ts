/**
 * Every error class of @portcullis/rego, by its stable code. They follow @portcullis/core's
 * convention (a `code`, a `cause`, never a thrown string) without importing core, so the
 * toolchain stays usable on its own. docs/errors.md documents each code; the gateway's tests
 * check that the registries of all packages and the page agree.
 */
import { PolicyCompileError, PolicyEvalError, PolicyLoadError } from './load/errors.js';
import { RuntimeBuildError } from './runtime/compile-runtime.js';
import { WasmEmitError } from './wasm/errors.js';

export const regoErrorClasses = {
  PC_REGO_COMPILE: PolicyCompileError,
  PC_REGO_LOAD: PolicyLoadError,
  PC_REGO_EVAL: PolicyEvalError,
  PC_REGO_WASM_EMIT: WasmEmitError,
  PC_REGO_RUNTIME_BUILD: RuntimeBuildError,
} as const;
