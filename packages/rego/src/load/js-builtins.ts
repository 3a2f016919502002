/**
 * The JavaScript builtins a module reaches through `opa_builtinN`, in the shape the opa-wasm
 * loader calls them: JSON values in, a JSON value (or undefined) out. Builtin errors follow
 * OPA's wasm target: the call is undefined unless strict errors are asked for, when they
 * propagate and fail the evaluation. Results holding bigints are handed over as JSON text
 * (an ArrayBuffer, which the loader parses as is), so large integers stay exact.
 */

import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BuiltinError } from '../builtins/builtin-error.js';
import type { JsBuiltin } from '../builtins/builtin-types.js';
import { hostAlias, LOADER_OWN_BUILTINS } from '../wasm/host-aliases.js';

export type HostBuiltin = (...args: unknown[]) => unknown;

let tables: Promise<Map<string, JsBuiltin>> | undefined;

/**
 * Collects every `ReadonlyMap<string, JsBuiltin>` exported by the files of builtins/js: the
 * builtin implementations are split by topic there and grow file by file, so the table is
 * discovered rather than listed twice.
 */
export function jsBuiltinTable(): Promise<Map<string, JsBuiltin>> {
  tables ??= (async () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'builtins', 'js');
    // A bundled build has no builtins/js folder to list: it then serves only embedder builtins.
    const files = (await readdir(dir).catch(() => [] as string[]))
      .filter((f) => /\.(ts|js)$/.test(f) && !/\.(test|d)\.ts$/.test(f))
      .sort();
    const table = new Map<string, JsBuiltin>();
    for (const file of files) {
      const mod = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
      for (const value of Object.values(mod)) {
        if (!(value instanceof Map)) continue;
        for (const [name, impl] of value as Map<unknown, unknown>) {
          if (typeof name === 'string' && typeof impl === 'function') table.set(name, impl as JsBuiltin);
        }
      }
    }
    return table;
  })();
  return tables;
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

function wrap(
  name: string,
  impl: JsBuiltin,
  strict: boolean,
  onError?: (error: unknown) => void,
): HostBuiltin {
  return (...args: unknown[]) => {
    try {
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
    out[name] = wrap(name, impl, strict, options.onError);
    if (LOADER_OWN_BUILTINS.has(name)) out[hostAlias(name)] = out[name];
  }
  for (const [name, impl] of Object.entries(options.custom ?? {})) {
    out[name] = wrap(name, impl, strict, options.onError);
    if (LOADER_OWN_BUILTINS.has(name)) out[hostAlias(name)] = out[name];
  }
  return out;
}
