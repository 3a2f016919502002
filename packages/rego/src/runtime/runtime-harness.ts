/**
 * Test support: instantiates the runtime with a fresh memory and stub host imports, and
 * offers JavaScript-side helpers to move JSON in and out. Not part of the package API.
 */
import { compileRuntime } from './compile-runtime.js';
import { type WasmMemory, wasmApi } from './wasm-api.js';

type Addr = number;

/** The runtime exports the tests exercise (see runtime/README.md for the full table). */
export interface RuntimeExports {
  readonly opa_wasm_abi_version: { readonly value: number };
  readonly opa_wasm_abi_minor_version: { readonly value: number };
  opa_malloc(size: number): Addr;
  opa_heap_ptr_get(): Addr;
  opa_heap_ptr_set(addr: Addr): void;
  opa_null(): Addr;
  opa_boolean(b: number): Addr;
  opa_value_type(v: Addr): number;
  opa_number_int(x: bigint): Addr;
  opa_number_float(f: number): Addr;
  opa_number_ref(addr: Addr, len: number): Addr;
  opa_number_is_int(v: Addr): number;
  opa_number_as_int(v: Addr): bigint;
  opa_arith_plus(a: Addr, b: Addr): Addr;
  opa_arith_minus(a: Addr, b: Addr): Addr;
  opa_arith_multiply(a: Addr, b: Addr): Addr;
  opa_arith_divide(a: Addr, b: Addr): Addr;
  opa_arith_rem(a: Addr, b: Addr): Addr;
  opa_string(addr: Addr, len: number): Addr;
  opa_array(): Addr;
  opa_array_with_cap(cap: number): Addr;
  opa_array_append(a: Addr, v: Addr): void;
  opa_array_get(a: Addr, i: number): Addr;
  opa_object(): Addr;
  opa_object_insert(o: Addr, k: Addr, v: Addr): void;
  opa_object_get(o: Addr, k: Addr): Addr;
  opa_object_remove(o: Addr, k: Addr): number;
  opa_object_key_at(o: Addr, i: number): Addr;
  opa_set(): Addr;
  opa_set_add(s: Addr, v: Addr): void;
  opa_set_remove(s: Addr, v: Addr): number;
  opa_value_compare(a: Addr, b: Addr): number;
  opa_value_equal(a: Addr, b: Addr): number;
  opa_value_hash(v: Addr): number;
  opa_cmp_eq(a: Addr, b: Addr): Addr;
  opa_cmp_lt(a: Addr, b: Addr): Addr;
  opa_value_get(v: Addr, k: Addr): Addr;
  opa_value_length(v: Addr): number;
  opa_value_iter(v: Addr, prev: Addr): Addr;
  opa_value_shallow_copy(v: Addr): Addr;
  opa_value_merge(a: Addr, b: Addr): Addr;
  opa_value_add_path(data: Addr, path: Addr, v: Addr): number;
  opa_value_remove_path(data: Addr, path: Addr): number;
  opa_json_parse(addr: Addr, len: number): Addr;
  opa_value_parse(addr: Addr, len: number): Addr;
  opa_json_dump(v: Addr): Addr;
  opa_value_dump(v: Addr): Addr;
  opa_eval_ctx_new(): Addr;
  opa_eval_ctx_set_input(ctx: Addr, v: Addr): void;
  opa_eval_ctx_get_result(ctx: Addr): Addr;
  opa_eval_result_add(ctx: Addr, v: Addr): void;
  opa_eval_prepare(entrypoint: number, data: Addr, input: Addr, inputLen: number, heapPtr: Addr): Addr;
  opa_eval_finish(ctx: Addr, format: number): Addr;
}

export class RuntimeError extends Error {
  readonly code = 'PC_REGO_RUNTIME_ABORT';
}

export class Harness {
  readonly memory: WasmMemory;
  readonly x: RuntimeExports;
  readonly printed: string[] = [];

  constructor(module: object, initialPages = 5) {
    this.memory = new wasmApi.Memory({ initial: initialPages });
    const refuse = (): never => {
      throw new RuntimeError('builtins are not available in the runtime harness');
    };
    const instance = new wasmApi.Instance(module, {
      env: {
        memory: this.memory,
        opa_abort: (addr: Addr) => {
          throw new RuntimeError(this.cString(addr));
        },
        opa_println: (addr: Addr) => {
          this.printed.push(this.cString(addr));
        },
        opa_builtin0: refuse,
        opa_builtin1: refuse,
        opa_builtin2: refuse,
        opa_builtin3: refuse,
        opa_builtin4: refuse,
      },
    });
    this.x = instance.exports as unknown as RuntimeExports;
  }

  /** Copies bytes into a fresh allocation. */
  write(bytes: Uint8Array): Addr {
    const addr = this.x.opa_malloc(bytes.length);
    new Uint8Array(this.memory.buffer).set(bytes, addr);
    return addr;
  }

  /** Parses JSON text in the runtime; 0 when it is rejected. */
  parse(text: string): Addr {
    const bytes = new TextEncoder().encode(text);
    return this.x.opa_json_parse(this.write(bytes), bytes.length);
  }

  parseValue(text: string): Addr {
    const bytes = new TextEncoder().encode(text);
    return this.x.opa_value_parse(this.write(bytes), bytes.length);
  }

  /** A value from a JavaScript JSON value. */
  of(x: unknown): Addr {
    const v = this.parse(JSON.stringify(x));
    if (v === 0) throw new RuntimeError(`runtime rejected ${JSON.stringify(x)}`);
    return v;
  }

  str(s: string): Addr {
    const bytes = new TextEncoder().encode(s);
    return this.x.opa_string(this.write(bytes), bytes.length);
  }

  num(text: string): Addr {
    const bytes = new TextEncoder().encode(text);
    return this.x.opa_number_ref(this.write(bytes), bytes.length);
  }

  cString(addr: Addr): string {
    const bytes = new Uint8Array(this.memory.buffer);
    const end = bytes.indexOf(0, addr);
    return new TextDecoder().decode(bytes.subarray(addr, end));
  }

  /** JSON text of a value. */
  dump(v: Addr): string {
    return this.cString(this.x.opa_json_dump(v));
  }

  /** OPA value-syntax text of a value. */
  valueDump(v: Addr): string {
    return this.cString(this.x.opa_value_dump(v));
  }

  /** A value as JavaScript, via its JSON. */
  js(v: Addr): unknown {
    return JSON.parse(this.dump(v));
  }
}

let cached: Promise<object> | undefined;

/** The compiled runtime module, built (or read from the cache) once per test file. */
export function runtimeModule(): Promise<object> {
  cached ??= compileRuntime().then((bytes) => new wasmApi.Module(bytes));
  return cached;
}

export async function newHarness(initialPages = 5): Promise<Harness> {
  return new Harness(await runtimeModule(), initialPages);
}

/**
 * The JSON text opa_json_dump should produce for a JavaScript value: JSON.stringify's
 * scalars, object keys in UTF-8 byte order. Built by hand because JavaScript objects put
 * integer-like keys first whatever their insertion order.
 */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    const record = x as Record<string, unknown>;
    const keys = Object.keys(record).sort(compareUtf8);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(x);
}

/** Byte order of UTF-8, which is code point order (JavaScript's < compares UTF-16 units). */
export function compareUtf8(a: string, b: string): number {
  // UTF-16 unit order agrees with code point order unless a surrogate meets U+E000..U+FFFF.
  if (!HIGH_UNITS.test(a) && !HIGH_UNITS.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const HIGH_UNITS = /[\ud800-\uffff]/;
