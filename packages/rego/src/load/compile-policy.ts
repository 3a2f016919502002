/**
 * Rego source → wasm module, in process: parse and compile (all diagnostics collected), plan
 * the entrypoints, emit. Results are cached by a hash of the sources, the entrypoints and
 * the runtime, in memory and optionally on disk, since compiling costs milliseconds to
 * seconds and policies are loaded far more often than they change.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUILTIN_SIGNATURES } from '../builtins/signatures.js';
import { type CompiledProgram, compileModules, inputPaths } from '../compile/index.js';
import type { Policy } from '../plan/ir.js';
import { runtimeWasm } from '../runtime/compile-runtime.js';
import { emitWasm } from '../wasm/index.js';
import { PolicyCompileError } from './errors.js';
import { shadowedBuiltins } from './js-builtins.js';
import { type PlanQuery, plan } from './planner.js';

export interface RegoSource {
  readonly file: string;
  readonly source: string;
}

export interface CompilePolicyOptions {
  /** Entrypoints (`pkg/rule`); default: every rule that is not a function. */
  readonly entrypoints?: readonly string[];
  /** Directory for compiled modules; default none (memory only). */
  readonly cacheDir?: string;
}

/** Bumped whenever codegen changes what a given source compiles to. */
const CODEGEN_VERSION = 'portcullis-wasm-4';
const memory = new Map<string, Promise<Uint8Array>>();
const runtimeHashes = new WeakMap<Uint8Array, string>();

function runtimeHash(runtime: Uint8Array): string {
  let h = runtimeHashes.get(runtime);
  if (h === undefined) {
    h = createHash('sha256').update(runtime).digest('hex');
    runtimeHashes.set(runtime, h);
  }
  return h;
}

/** Every non-function rule's entrypoint name. */
export function defaultEntrypoints(program: CompiledProgram): string[] {
  return program.groups.filter((g) => g.kind !== 'function').map((g) => g.path.join('/'));
}

/** Compiles Rego modules (and optionally queries) to a planned policy, throwing on diagnostics. */
export async function planSources(
  sources: readonly RegoSource[],
  entrypoints: readonly string[] | undefined,
  queries?: readonly PlanQuery[],
): Promise<Policy> {
  const compiled = compileModules(sources);
  if (compiled.program === undefined || compiled.diagnostics.length > 0) {
    throw new PolicyCompileError(compiled.diagnostics);
  }
  const program = compiled.program;
  const request = {
    entrypoints: entrypoints ?? defaultEntrypoints(program),
    ...(queries === undefined ? {} : { queries }),
  };
  const planned = plan(program, request);
  // Queries planned beside the modules may read input too; only a module-only policy says.
  return queries === undefined ? { ...planned, inputPaths: inputPaths(program) } : planned;
}

export async function compilePolicy(
  sources: readonly RegoSource[],
  options: CompilePolicyOptions = {},
): Promise<Uint8Array> {
  const runtime = await runtimeWasm();
  const hash = createHash('sha256').update(`${CODEGEN_VERSION}\0${runtimeHash(runtime)}\0`);
  for (const s of sources) hash.update(`${s.file}\0${s.source}\0`);
  hash.update(JSON.stringify(options.entrypoints ?? null));
  const key = hash.digest('hex').slice(0, 40);
  let pending = memory.get(key);
  if (pending === undefined) {
    pending = compileUncached(sources, options, runtime, key);
    memory.set(key, pending);
    // A failure is not cached: the next call reports it afresh (and may succeed after a fix
    // elsewhere, e.g. a missing planner).
    pending.catch(() => memory.delete(key));
  }
  return pending;
}

async function compileUncached(
  sources: readonly RegoSource[],
  options: CompilePolicyOptions,
  runtime: Uint8Array,
  key: string,
): Promise<Uint8Array> {
  const file = options.cacheDir === undefined ? undefined : join(options.cacheDir, `${key}.wasm`);
  if (file !== undefined && existsSync(file)) return new Uint8Array(await readFile(file));
  const policy = await planSources(sources, options.entrypoints);
  const wasm = await emitWasm(policy, {
    runtime,
    signatures: BUILTIN_SIGNATURES,
    hostAliases: await shadowedBuiltins(),
  });
  if (file !== undefined && options.cacheDir !== undefined) {
    await mkdir(options.cacheDir, { recursive: true });
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, wasm);
    await rename(temporary, file);
  }
  return wasm;
}
