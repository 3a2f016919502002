/**
 * The planner: compiled Rego → OPA-style IR (ir.ts), the contract with the wasm backend. Also
 * a text printer for the IR and a reference interpreter of it, for tests and for diffing the
 * backend against.
 */

export { constToValue, formatConst, termToConst } from './const-value.js';
export { type InterpretOptions, IrInterpreter } from './interpret.js';
export { type BuiltinImpl, INTERPRETER_BUILTINS, IrEvalError } from './interpret-builtins.js';
export * from './ir.js';
export { type PlanOptions, type PlanResult, planPolicy } from './plan-policy.js';
export { printIr } from './print-ir.js';
export { termToValue } from './term-value.js';
export {
  compareValues,
  equalValues,
  fromJson,
  RegoObject,
  RegoSet,
  toJson,
  type Value,
} from './values.js';
