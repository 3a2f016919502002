/**
 * The policy's ground values (MakeConstStmt) laid out ahead of time. Each constant is built
 * by the runtime itself, in a throwaway instance of the very runtime binary the policy links
 * with, at the addresses it will have in the policy's module (right above the runtime's
 * static data); its tables are then sorted (`pcl_value_freeze`) and the bytes become a data
 * segment. Values never move and hold absolute addresses, so the copy is valid as is: a
 * constant costs nothing per evaluation, and because it lies below the heap pointer the
 * loader saves and restores, every evaluation sees it intact. Building through the runtime
 * keeps its hashing, equality and ordering the only definitions there are.
 */

import { formatConst } from '../plan/const-value.js';
import type { ConstValue, Policy, Stmt } from '../plan/ir.js';
import { type WasmMemory, wasmApi } from '../runtime/wasm-api.js';
import { WasmEmitError } from './errors.js';

export interface ConstantLayout {
  /** First byte of the constants (the runtime's heap base). */
  readonly base: number;
  /** First byte after them, 8-aligned: where the policy's other static data starts. */
  readonly end: number;
  readonly bytes: Uint8Array;
  /** Address of each constant, by `formatConst` text. */
  readonly addresses: ReadonlyMap<string, number>;
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

const compiled = new WeakMap<Uint8Array, object>();
const encoder = new TextEncoder();

/** Every distinct constant of the policy, keyed by its text, in first-use order. */
export function policyConstants(policy: Policy): Map<string, ConstValue> {
  const found = new Map<string, ConstValue>();
  const visit = (stmts: readonly Stmt[]): void => {
    for (const s of stmts) {
      if (s.type === 'MakeConstStmt') {
        const key = formatConst(s.value);
        if (!found.has(key)) found.set(key, s.value);
      } else if (s.type === 'BlockStmt') {
        for (const b of s.blocks) visit(b.stmts);
      } else if (s.type === 'ScanStmt' || s.type === 'NotStmt' || s.type === 'WithStmt') {
        visit(s.block.stmts);
      }
    }
  };
  for (const f of policy.funcs) for (const b of f.blocks) visit(b.stmts);
  for (const p of policy.plans) for (const b of p.blocks) visit(b.stmts);
  return found;
}

interface RuntimeExports {
  opa_heap_ptr_get(): number;
  opa_malloc(size: number): number;
  opa_null(): number;
  opa_boolean(b: number): number;
  opa_number_int(x: bigint): number;
  opa_number_ref(addr: number, len: number): number;
  opa_string_allocated(addr: number, len: number): number;
  opa_array_with_cap(cap: number): number;
  opa_array_append(a: number, v: number): void;
  opa_object(): number;
  opa_object_insert(o: number, k: number, v: number): void;
  opa_set(): number;
  opa_set_add(s: number, v: number): void;
  pcl_value_freeze(v: number): void;
}

/** Builds the constants at the runtime's heap base; `base` is that heap base. */
export function layoutConstants(
  runtime: Uint8Array,
  base: number,
  constants: ReadonlyMap<string, ConstValue>,
): ConstantLayout {
  if (constants.size === 0) return { base, end: base, bytes: new Uint8Array(0), addresses: new Map() };
  let module = compiled.get(runtime);
  if (module === undefined) {
    module = new wasmApi.Module(runtime);
    compiled.set(runtime, module);
  }
  const memory: WasmMemory = new wasmApi.Memory({ initial: 2 });
  const abort = (): never => {
    throw new WasmEmitError('the runtime aborted while laying out the policy constants');
  };
  const env: Record<string, unknown> = { memory, opa_abort: abort, opa_println: () => 0 };
  for (let n = 0; n <= 4; n++) env[`opa_builtin${n}`] = abort;
  const rt = new wasmApi.Instance(module, { env }).exports as unknown as RuntimeExports;
  if (rt.opa_heap_ptr_get() !== base) {
    throw new WasmEmitError(`the runtime's heap starts at ${rt.opa_heap_ptr_get()}, expected ${base}`);
  }
  const bytes = (text: string): { addr: number; length: number } => {
    const utf8 = encoder.encode(text);
    const addr = rt.opa_malloc(utf8.length);
    new Uint8Array(memory.buffer, addr, utf8.length).set(utf8);
    return { addr, length: utf8.length };
  };
  // The same runtime calls the statements the planner would otherwise emit make.
  const build = (c: ConstValue): number => {
    switch (c.type) {
      case 'null':
        return rt.opa_null();
      case 'boolean':
        return rt.opa_boolean(c.value ? 1 : 0);
      case 'number': {
        if (/^-?\d+$/.test(c.raw)) {
          const n = BigInt(c.raw);
          if (n >= I64_MIN && n <= I64_MAX) return rt.opa_number_int(n);
        }
        const text = bytes(c.raw);
        return rt.opa_number_ref(text.addr, text.length);
      }
      case 'string': {
        const text = bytes(c.value);
        return rt.opa_string_allocated(text.addr, text.length);
      }
      case 'array': {
        const a = rt.opa_array_with_cap(c.items.length);
        for (const item of c.items) rt.opa_array_append(a, build(item));
        return a;
      }
      case 'set': {
        const s = rt.opa_set();
        for (const item of c.items) rt.opa_set_add(s, build(item));
        return s;
      }
      case 'object': {
        const o = rt.opa_object();
        for (const [k, v] of c.entries) rt.opa_object_insert(o, build(k), build(v));
        return o;
      }
    }
  };
  const addresses = new Map<string, number>();
  for (const [key, c] of constants) {
    const addr = build(c);
    rt.pcl_value_freeze(addr);
    addresses.set(key, addr);
  }
  const end = rt.opa_heap_ptr_get();
  return { base, end, bytes: new Uint8Array(memory.buffer.slice(base, end)), addresses };
}
