/**
 * The Rego compiler: modules in, a CompiledProgram (rule tree plus rewritten, safety-ordered
 * rules) out, with OPA's compile-time diagnostics. The planner (../plan) consumes the program.
 */
export type { BuiltinTable } from './builtin-arities.js';
export { type CompileOptions, type CompileResult, compileModules, compileParsed } from './compile-modules.js';
export { type CompileQueryResult, compileQuery } from './compile-query.js';
export type {
  CompiledElse,
  CompiledProgram,
  CompiledQuery,
  CompiledRule,
  RuleGroup,
  RuleKind,
  RuleTreeNode,
} from './compiled-program.js';
export { BUILTIN_VALUE_PREFIX, findNode, isGeneratedVar } from './compiled-program.js';
export { inputPaths } from './input-paths.js';
export { COMPILE_STAGES, type CompileStage } from './stages.js';
