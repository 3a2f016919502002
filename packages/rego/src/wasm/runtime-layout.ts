/**
 * What the backend must know about the runtime module before adding code to it: where its
 * heap starts (so static policy data goes above the runtime's own and below the heap), and
 * the internal function names behind its exports. The heap base is measured by instantiating
 * the runtime once rather than read from its data segments, because binaryen drops trailing
 * zero bytes of segments (static buffers the runtime reserves) from the binary.
 */
import binaryen from 'binaryen';
import { wasmApi } from '../runtime/wasm-api.js';

export interface RuntimeLayout {
  /** First byte the runtime's allocator hands out before any policy data is added. */
  readonly heapBase: number;
}

const layouts = new WeakMap<Uint8Array, RuntimeLayout>();

function noop(): number {
  return 0;
}

/** The runtime's layout, measured once per runtime binary. */
export function runtimeLayout(runtime: Uint8Array): RuntimeLayout {
  const cached = layouts.get(runtime);
  if (cached !== undefined) return cached;
  const memory = new wasmApi.Memory({ initial: 2 });
  const env: Record<string, unknown> = { memory, opa_abort: noop, opa_println: noop };
  for (let n = 0; n <= 4; n++) env[`opa_builtin${n}`] = noop;
  const instance = new wasmApi.Instance(new wasmApi.Module(runtime), { env });
  const heapPtr = instance.exports.opa_heap_ptr_get as () => number;
  const layout = { heapBase: heapPtr() };
  layouts.set(runtime, layout);
  return layout;
}

/** Maps export names to the module's internal function names (binaryen calls by the latter). */
export function exportedFunctions(module: binaryen.Module): Map<string, string> {
  const names = new Map<string, string>();
  for (let i = 0; i < module.getNumExports(); i++) {
    const info = binaryen.getExportInfo(module.getExportByIndex(i));
    if (info.kind === binaryen.ExternalFunction) names.set(info.name, info.value);
  }
  return names;
}
