/**
 * @portcullis/rego — a Rego toolchain in TypeScript: scanner, parser, compiler, planner and a
 * WebAssembly backend whose modules satisfy the OPA wasm ABI as `@open-policy-agent/opa-wasm`
 * loads it.
 */
export {};
