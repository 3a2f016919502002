export { type EmitWasmOptions, emitWasm, jsBuiltinIds } from './emit-wasm.js';
export { WasmEmitError } from './errors.js';
export { HOST_ALIAS_PREFIX, hostAlias, LOADER_OWN_BUILTINS } from './host-aliases.js';
export { INPUT_PATHS_SECTION, readInputPaths } from './input-paths-section.js';
export { FALLBACK_NATIVES, NATIVE_BUILTINS, NATIVE_FALLBACK, type NativeBuiltin } from './native-builtins.js';
