export { type Bundle, readBundle } from './bundle.js';
export {
  type CompilePolicyOptions,
  compilePolicy,
  defaultEntrypoints,
  planSources,
  type RegoSource,
} from './compile-policy.js';
export { PolicyCompileError, PolicyEvalError, PolicyLoadError } from './errors.js';
export { type HostBuiltin, type HostBuiltinOptions, hostBuiltins, jsBuiltinTable } from './js-builtins.js';
export {
  instantiatePolicy,
  type LoadedPolicy,
  type LoadPolicyOptions,
  loadPolicy,
  type PolicySource,
  type ResultSet,
} from './load-policy.js';
export { createRegoEvaluator, type RegoEvaluator, type RegoEvaluatorOptions } from './rego-evaluator.js';
export { readTar, type TarEntry } from './tar.js';
