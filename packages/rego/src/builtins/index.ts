/**
 * Rego's builtin functions: the signature table every stage consults and the JS library
 * called from compiled modules through `opa_builtinN`.
 */
export { BuiltinError, type BuiltinErrorCode, builtinError } from './builtin-error.js';
export type { BuiltinSignature, BuiltinType, JsBuiltin } from './builtin-types.js';
export { encodeBuiltinResult, JS_BUILTINS, opaWasmBuiltins } from './js/index.js';
export { BUILTIN_SIGNATURES, getBuiltinSignature, getInfixBuiltin } from './signatures.js';
