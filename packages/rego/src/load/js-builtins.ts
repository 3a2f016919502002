/**
 * The JavaScript builtins a module reaches through `opa_builtinN`, in the shape the opa-wasm
 * loader calls them: JSON values in, a JSON value (or undefined) out. Builtin errors follow
 * OPA's wasm target: the call is undefined unless strict errors are asked for, when they
 * propagate and fail the evaluation. Results holding bigints are handed over as JSON text
 * (an ArrayBuffer, which the loader parses as is), so large integers stay exact.
 */

import { BuiltinError } from '../builtins/builtin-error.js';
import type { JsBuiltin } from '../builtins/builtin-types.js';
import { JS_BUILTINS } from '../builtins/js/index.js';
import { hostAlias, LOADER_OWN_BUILTINS } from '../wasm/host-aliases.js';

export type HostBuiltin = (...args: unknown[]) => unknown;

/**
 * Every JS builtin by name. A static import, not a directory listing: a bundled build has no
 * builtins/js folder to list, and discovering it at run time left a built CLI with no
 * builtins at all (every call then failed as "not implemented").
 */
export function jsBuiltinTable(): Promise<Map<string, JsBuiltin>> {
  return Promise.resolve(new Map(JS_BUILTINS));
}

function hasBigInt(v: unknown): boolean {
  if (typeof v === 'bigint') return true;
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.some(hasBigInt);
  for (const x of Object.values(v)) if (hasBigInt(x)) return true;
  return false;
}

const encoder = new TextEncoder();

function encodeResult(result: unknown): unknown {
  if (!hasBigInt(result)) return result;
  const text = JSON.stringify(result, (_key, value: unknown) =>
    typeof value === 'bigint' ? `\u0000big${value.toString()}\u0000` : value,
  ).replace(/"\\u0000big(-?\d+)\\u0000"/g, '$1');
  return encoder.encode(text).buffer;
}

/**
 * Builtins OPA answers once per query for the same arguments: `time.now_ns` is the query's
 * time (two calls in one decision compare equal), `rand.intn` and `uuid.rfc4122` the same
 * value for the same key.
 */
const ONCE_PER_QUERY = new Set(['time.now_ns', 'rand.intn', 'uuid.rfc4122']);

/** Results of ONCE_PER_QUERY builtins within the evaluation under way (none outside one). */
export interface QueryCache {
  current: Map<string, unknown> | undefined;
}

function wrap(
  name: string,
  impl: JsBuiltin,
  strict: boolean,
  onError?: (error: unknown) => void,
  cache?: QueryCache,
): HostBuiltin {
  const once = cache !== undefined && ONCE_PER_QUERY.has(name);
  return (...args: unknown[]) => {
    try {
      if (once && cache.current !== undefined) {
        const key = `${name}\u0000${JSON.stringify(args, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
        if (cache.current.has(key)) return cache.current.get(key);
        const result = encodeResult(impl(...args));
        cache.current.set(key, result);
        return result;
      }
      return encodeResult(impl(...args));
    } catch (error) {
      onError?.(error);
      if (!strict && error instanceof BuiltinError) return undefined;
      throw error instanceof Error ? error : new BuiltinError(name, 'eval_builtin_error', String(error));
    }
  };
}

export interface HostBuiltinOptions {
  /** Let builtin errors fail the evaluation instead of making the call undefined. */
  readonly strict?: boolean;
  /** Embedder builtins; they take precedence over ours of the same name. */
  readonly custom?: Readonly<Record<string, HostBuiltin>>;
  /** Observes every error a builtin raises (also in non-strict mode). */
  readonly onError?: (error: unknown) => void;
  /** Where once-per-query builtins keep their answers; the evaluator opens one per evaluation. */
  readonly cache?: QueryCache;
}

/** Names our JS table implements among those the opa-wasm loader would otherwise shadow. */
export async function shadowedBuiltins(): Promise<Set<string>> {
  const table = await jsBuiltinTable();
  return new Set([...LOADER_OWN_BUILTINS].filter((name) => table.has(name)));
}

/** Every JS builtin, wrapped for the opa-wasm loader's `customBuiltins` argument. */
export async function hostBuiltins(options: HostBuiltinOptions = {}): Promise<Record<string, HostBuiltin>> {
  const strict = options.strict ?? false;
  const out: Record<string, HostBuiltin> = {};
  for (const [name, impl] of await jsBuiltinTable()) {
    out[name] = wrap(name, impl, strict, options.onError, options.cache);
    if (LOADER_OWN_BUILTINS.has(name)) out[hostAlias(name)] = out[name];
  }
  for (const [name, impl] of Object.entries(options.custom ?? {})) {
    out[name] = wrap(name, impl, strict, options.onError);
    if (LOADER_OWN_BUILTINS.has(name)) out[hostAlias(name)] = out[name];
  }
  return out;
}
