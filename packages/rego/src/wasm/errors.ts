/** The IR cannot be lowered: a malformed plan (unknown function, bad arity, bad break depth). */
export class WasmEmitError extends Error {
  readonly code = 'PC_REGO_WASM_EMIT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WasmEmitError';
  }
}
