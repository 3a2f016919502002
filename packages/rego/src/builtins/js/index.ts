/**
 * The JS builtin library: every builtin we implement in JS, keyed by OPA's name. Those with
 * `impl: 'js'` in signatures.ts are called from the module through `opa_builtinN`; the rest
 * here (`impl: 'wasm'`) are reference versions for constant folding and differential tests.
 */
import type { JsBuiltin } from '../builtin-types.js';
import { AGGREGATE_BUILTINS } from './aggregates.js';
import { ARRAY_BUILTINS } from './arrays.js';
import { AWS_BUILTINS } from './aws.js';
import { CRYPTO_BUILTINS } from './crypto.js';
import { ENCODING_BUILTINS } from './encoding.js';
import { GLOB_BUILTINS } from './glob.js';
import { GRAPH_BUILTINS } from './graph.js';
import { GRAPHQL_BUILTINS } from './graphql.js';
import { JSON_SCHEMA_BUILTINS } from './json-schema.js';
import { JWT_BUILTINS } from './jwt.js';
import { NET_BUILTINS } from './net.js';
import { NUMBER_BUILTINS } from './numbers.js';
import { OBJECT_BUILTINS } from './objects.js';
import { OPA_BUILTINS } from './opa.js';
import { REGEX_BUILTINS } from './regex.js';
import { SEMVER_BUILTINS } from './semver.js';
import { SET_BUILTINS } from './sets.js';
import { STRING_BUILTINS } from './strings.js';
import { TIME_BUILTINS } from './time.js';
import { TYPE_BUILTINS } from './types.js';
import { UNIT_BUILTINS } from './units.js';
import { UUID_BUILTINS } from './uuid.js';
import { X509_BUILTINS } from './x509.js';

const families = [
  AWS_BUILTINS,
  STRING_BUILTINS,
  REGEX_BUILTINS,
  NUMBER_BUILTINS,
  AGGREGATE_BUILTINS,
  ARRAY_BUILTINS,
  OBJECT_BUILTINS,
  SET_BUILTINS,
  TYPE_BUILTINS,
  ENCODING_BUILTINS,
  JSON_SCHEMA_BUILTINS,
  GLOB_BUILTINS,
  NET_BUILTINS,
  TIME_BUILTINS,
  UNIT_BUILTINS,
  UUID_BUILTINS,
  CRYPTO_BUILTINS,
  X509_BUILTINS,
  SEMVER_BUILTINS,
  OPA_BUILTINS,
  JWT_BUILTINS,
  GRAPH_BUILTINS,
  GRAPHQL_BUILTINS,
];

export const JS_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map(families.flatMap((f) => [...f]));

/**
 * JSON text of a builtin result, with bigints written exactly (JSON.stringify rejects them,
 * and times in nanoseconds need them).
 */
export function encodeBuiltinResult(value: unknown): string {
  const marker = '\u0000big:';
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? marker + v.toString() : v));
  return text.replace(/"\\u0000big:(-?\d+)"/g, '$1');
}

/**
 * The builtins in the shape `loadPolicy(wasm, memory, customBuiltins)` of opa-wasm expects:
 * each returns its result as JSON bytes (an ArrayBuffer, which opa-wasm hands to
 * `opa_json_parse` as is), so large integers survive the trip, and undefined stays undefined.
 */
export function opaWasmBuiltins(names?: Iterable<string>): Record<string, (...args: unknown[]) => unknown> {
  const out: Record<string, (...args: unknown[]) => unknown> = {};
  for (const name of names ?? JS_BUILTINS.keys()) {
    const fn = JS_BUILTINS.get(name);
    if (fn === undefined) continue;
    out[name] = (...args) => {
      const r = fn(...args);
      if (r === undefined) return undefined;
      const bytes = new TextEncoder().encode(encodeBuiltinResult(r));
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    };
  }
  return out;
}
