/**
 * Loads a policy from whatever form it comes in (Rego text, files, directories, a wasm module
 * of ours or OPA's, an OPA bundle) and evaluates it through `@open-policy-agent/opa-wasm`,
 * the client every module we emit must satisfy. Our JS builtins, plus any the embedder adds,
 * are passed as the loader's custom builtins so every `opa_builtinN` call is served.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadPolicy as opaLoadPolicy } from '@open-policy-agent/opa-wasm';
import { readInputPaths } from '../wasm/input-paths-section.js';
import { FALLBACK_NATIVES } from '../wasm/native-builtins.js';
import { readBundle } from './bundle.js';
import { compilePolicy, type RegoSource } from './compile-policy.js';
import { PolicyEvalError, PolicyLoadError, thrownMessage } from './errors.js';
import { type HostBuiltin, hostBuiltins, type QueryCache } from './js-builtins.js';
import { importedMemoryPages } from './memory-pages.js';

/** Rego text, a path (file or directory), or module bytes (wasm or a bundle .tar.gz). */
export type PolicySource = string | Uint8Array | ArrayBuffer | RegoSource | readonly (string | RegoSource)[];

export interface LoadPolicyOptions {
  /** Entrypoints to compile for Rego sources (`pkg/rule`); default: every rule. */
  readonly entrypoints?: readonly string[];
  /** Extra builtins by name, called with JSON arguments; they override ours. */
  readonly builtins?: Readonly<Record<string, HostBuiltin>>;
  /** Initial data document (a bundle's data is used when absent). */
  readonly data?: unknown;
  /** Make builtin errors fail the evaluation (OPA's strict-builtin-errors). */
  readonly strictBuiltinErrors?: boolean;
  /** Cache compiled Rego on disk here, besides memory. */
  readonly cacheDir?: string;
}

/** One answer: `{ result }` for an entrypoint, the query's bindings for a query plan. */
export type ResultSet = Record<string, unknown>[];

export interface LoadedPolicy {
  /** Entrypoint names to ids. */
  readonly entrypoints: Readonly<Record<string, number>>;
  setData(data: unknown): void;
  /** Evaluates an entrypoint (default: id 0). Throws PolicyEvalError on failure. */
  evaluate(input: unknown, entrypoint?: string | number): ResultSet;
  /**
   * The input paths the policy may read (none a prefix of another; `[]` means the whole
   * input), when its module says: ours do, from the compiler (compile/input-paths); modules
   * built by `opa build` do not, and this is then undefined.
   */
  readonly inputPaths?: readonly (readonly string[])[] | undefined;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const DEFAULT_PAGES = 5;

function isWasm(bytes: Uint8Array): boolean {
  return WASM_MAGIC.every((b, i) => bytes[i] === b);
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function looksLikeRego(text: string): boolean {
  return text.includes('\n') || /^\s*package\s/.test(text);
}

async function regoFilesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.rego') && !e.name.endsWith('_test.rego'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

type Resolved = { kind: 'rego'; sources: RegoSource[] } | { kind: 'wasm'; wasm: Uint8Array; data?: unknown };

async function resolveOne(source: string | RegoSource, index: number): Promise<Resolved> {
  if (typeof source !== 'string') return { kind: 'rego', sources: [source] };
  if (looksLikeRego(source)) return { kind: 'rego', sources: [{ file: `module${index}.rego`, source }] };
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(source);
  } catch (cause) {
    throw new PolicyLoadError(`cannot read policy source ${source}`, { cause });
  }
  if (info.isDirectory()) {
    const files = await regoFilesIn(source);
    if (files.length === 0) throw new PolicyLoadError(`no .rego files under ${source}`);
    return {
      kind: 'rego',
      sources: await Promise.all(
        files.map(async (f) => ({ file: relative(source, f) || f, source: await readFile(f, 'utf8') })),
      ),
    };
  }
  const bytes = new Uint8Array(await readFile(source));
  if (isWasm(bytes)) return { kind: 'wasm', wasm: bytes };
  if (isGzip(bytes)) {
    const bundle = readBundle(bytes);
    return { kind: 'wasm', wasm: bundle.wasm, data: bundle.data };
  }
  return { kind: 'rego', sources: [{ file: source, source: new TextDecoder().decode(bytes) }] };
}

async function resolve(source: PolicySource): Promise<Resolved> {
  if (source instanceof ArrayBuffer) return resolve(new Uint8Array(source));
  if (source instanceof Uint8Array) {
    if (isWasm(source)) return { kind: 'wasm', wasm: source };
    if (isGzip(source)) {
      const bundle = readBundle(source);
      return { kind: 'wasm', wasm: bundle.wasm, data: bundle.data };
    }
    throw new PolicyLoadError('bytes are neither a wasm module nor a gzip bundle');
  }
  if (typeof source === 'string' || !Array.isArray(source))
    return resolveOne(source as string | RegoSource, 0);
  const parts = await Promise.all(
    (source as readonly (string | RegoSource)[]).map((s, i) => resolveOne(s, i)),
  );
  const sources: RegoSource[] = [];
  for (const part of parts) {
    if (part.kind !== 'rego') throw new PolicyLoadError('a list of sources may hold only Rego');
    sources.push(...part.sources);
  }
  return { kind: 'rego', sources };
}

type OpaPolicy = Awaited<ReturnType<typeof opaLoadPolicy>>;

/** The loader's own fields read by the direct evaluation path (opa-wasm's LoadedPolicy). */
interface OpaInternals {
  minorVersion?: number;
  mem?: WasmMemory;
  dataAddr?: number;
  dataHeapPtr?: number;
  wasmInstance?: { exports: Record<string, unknown> };
}

type OpaEval = (
  ctx: number,
  entrypoint: number,
  data: number,
  input: number,
  inputLen: number,
  heap: number,
  format: number,
) => number;

/** The part of WebAssembly.Memory used here (the package's lib has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const PAGE_BYTES = 64 * 1024;

class RegoPolicy implements LoadedPolicy {
  readonly entrypoints: Readonly<Record<string, number>>;
  readonly #internals: OpaInternals;
  readonly #opaEval: OpaEval | undefined;
  /** A Buffer over the wasm memory, remade when the memory grows (its old buffer detaches). */
  #view: Buffer | undefined;

  constructor(
    private readonly inner: OpaPolicy,
    private readonly cache: QueryCache = { current: undefined },
    readonly inputPaths: readonly (readonly string[])[] | undefined = undefined,
  ) {
    this.entrypoints = inner.entrypoints as Record<string, number>;
    this.#internals = inner as unknown as OpaInternals;
    const opaEval = this.#internals.wasmInstance?.exports.opa_eval;
    // The one-call ABI (1.2+) is what the direct path drives; older modules use the loader,
    // and so does a loader whose fields are not the ones read here (they are its internals;
    // direct-evaluate.test.ts compares both paths, so a loader upgrade that changes their
    // meaning fails there).
    this.#opaEval =
      (this.#internals.minorVersion ?? 0) >= 2 &&
      typeof opaEval === 'function' &&
      typeof this.#internals.mem?.grow === 'function' &&
      typeof this.#internals.dataAddr === 'number' &&
      typeof this.#internals.dataHeapPtr === 'number'
        ? (opaEval as OpaEval)
        : undefined;
  }

  setData(data: unknown): void {
    try {
      this.inner.setData(data as object);
    } catch (cause) {
      throw new PolicyEvalError(`cannot set data: ${thrownMessage(cause)}`, { cause });
    }
  }

  evaluate(input: unknown, entrypoint: string | number = 0): ResultSet {
    if (typeof entrypoint === 'string' && !Object.hasOwn(this.entrypoints, entrypoint)) {
      throw new PolicyEvalError(`unknown entrypoint ${entrypoint}`);
    }
    // One query: once-per-query builtins (time.now_ns …) answer alike throughout it.
    this.cache.current = new Map();
    try {
      if (
        this.#opaEval !== undefined &&
        typeof entrypoint === 'number' &&
        typeof input === 'object' &&
        input !== null &&
        !(input instanceof ArrayBuffer)
      ) {
        return this.#evaluateDirect(input, entrypoint, this.#opaEval);
      }
      return this.inner.evaluate(input, entrypoint) as ResultSet;
    } catch (cause) {
      throw new PolicyEvalError(thrownMessage(cause), { cause });
    } finally {
      this.cache.current = undefined;
    }
  }

  /**
   * What the loader's ABI 1.2 path does, with fewer copies: the input's JSON text is written
   * straight into wasm memory (the loader encodes it to a fresh array, then copies that in),
   * and the result's end is found with a native scan instead of a byte-by-byte JS loop. The
   * bytes the module sees and the value returned are the same.
   */
  #evaluateDirect(input: object, entrypoint: number, opaEval: OpaEval): ResultSet {
    const internals = this.#internals;
    const memory = internals.mem as WasmMemory;
    const text = JSON.stringify(input) as string | undefined;
    // A toJSON that answers undefined: the loader's own path handles that oddity.
    if (text === undefined) return this.inner.evaluate(input, entrypoint) as ResultSet;
    const inputAddr = internals.dataHeapPtr as number;
    // UTF-8 takes at most 3 bytes per UTF-16 unit; the exact length is counted only when
    // that bound does not fit, so memory grows exactly as the loader would grow it.
    let view = this.#viewOf(memory);
    if (inputAddr + text.length * 3 > view.byteLength) {
      const delta = inputAddr + Buffer.byteLength(text, 'utf8') - view.byteLength;
      if (delta > 0) memory.grow(Math.ceil(delta / PAGE_BYTES));
      view = this.#viewOf(memory);
    }
    const inputLen = view.write(text, inputAddr, 'utf8');
    const ret = opaEval(
      0,
      entrypoint,
      internals.dataAddr as number,
      inputAddr,
      inputLen,
      inputAddr + inputLen,
      0,
    );
    // Evaluation may have grown the memory.
    view = this.#viewOf(memory);
    const end = view.indexOf(0, ret);
    return JSON.parse(view.toString('utf8', ret, end === -1 ? view.byteLength : end)) as ResultSet;
  }

  #viewOf(memory: WasmMemory): Buffer {
    const current = this.#view;
    if (current !== undefined && current.buffer === memory.buffer) return current;
    const view = Buffer.from(memory.buffer);
    this.#view = view;
    return view;
  }
}

/** Instantiates module bytes under opa-wasm with our host builtins. */
export async function instantiatePolicy(
  wasm: Uint8Array,
  options: Pick<LoadPolicyOptions, 'builtins' | 'strictBuiltinErrors'> = {},
): Promise<LoadedPolicy> {
  const cache: QueryCache = { current: undefined };
  const builtins = await hostBuiltins({
    cache,
    strict: options.strictBuiltinErrors ?? false,
    ...(options.builtins === undefined ? {} : { custom: options.builtins }),
  });
  const pages = Math.max(DEFAULT_PAGES, importedMemoryPages(wasm) ?? 0);
  let inner: OpaPolicy;
  try {
    inner = await opaLoadPolicy(wasm, { initial: pages }, builtins);
  } catch (cause) {
    throw new PolicyLoadError(`cannot load the wasm module: ${thrownMessage(cause)}`, { cause });
  }
  if (options.strictBuiltinErrors === true) enableStrictNativeErrors(inner);
  if (options.builtins !== undefined) disableReplacedNatives(inner, Object.keys(options.builtins));
  return new RegoPolicy(inner, cache, readInputPaths(wasm));
}

/**
 * An embedder's builtin overrides ours, including those the module answers itself with a
 * host fallback: those are switched off so every call reaches the embedder's function.
 */
function disableReplacedNatives(policy: OpaPolicy, names: readonly string[]): void {
  const instance = (policy as unknown as { wasmInstance?: { exports: Record<string, unknown> } })
    .wasmInstance;
  const disable = instance?.exports.pcl_native_disable;
  if (typeof disable !== 'function') return;
  for (const name of names) {
    const index = FALLBACK_NATIVES.indexOf(name);
    if (index >= 0) (disable as (index: number) => void)(index);
  }
}

/**
 * Builtins the module implements itself learn about strictness from the module: ours export
 * a switch (modules built by `opa build` do not, and keep their own behaviour).
 */
function enableStrictNativeErrors(policy: OpaPolicy): void {
  const instance = (policy as unknown as { wasmInstance?: { exports: Record<string, unknown> } })
    .wasmInstance;
  const setStrict = instance?.exports.portcullis_set_strict_builtin_errors;
  if (typeof setStrict === 'function') (setStrict as (flag: number) => void)(1);
}

/**
 * Loads a policy. Rego is compiled in process (cached by content); compile errors throw a
 * PolicyCompileError carrying every diagnostic.
 */
export async function loadPolicy(
  source: PolicySource,
  options: LoadPolicyOptions = {},
): Promise<LoadedPolicy> {
  const resolved = await resolve(source);
  let wasm: Uint8Array;
  let data: unknown;
  if (resolved.kind === 'rego') {
    wasm = await compilePolicy(resolved.sources, {
      ...(options.entrypoints === undefined ? {} : { entrypoints: options.entrypoints }),
      ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    });
  } else {
    wasm = resolved.wasm;
    data = resolved.data;
  }
  const policy = await instantiatePolicy(wasm, options);
  const initial = options.data ?? data;
  if (initial !== undefined) policy.setData(initial);
  return policy;
}
