/**
 * The slice of the WebAssembly JavaScript API this package uses, typed locally: the
 * repository's strict lib set (ES2023 + Node 20 types) declares no global `WebAssembly`.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export type WasmImports = Record<string, Record<string, unknown>>;

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: WasmImports) => WasmInstance;
}

/** The host's WebAssembly namespace. */
export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
