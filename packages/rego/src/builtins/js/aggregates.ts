/**
 * Aggregates. These run inside the wasm module (sets, exact sums); the JS versions are
 * reference implementations for constant folding and differential tests, and treat an
 * array argument as OPA would treat an array.
 */
import { BuiltinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { isObject, type Json, typeError } from './args.js';
import { fromBig } from './numbers.js';
import { compareValues } from './value.js';

function count(x: unknown): number {
  if (typeof x === 'string') return Array.from(x).length;
  if (Array.isArray(x)) return x.length;
  if (isObject(x)) return Object.keys(x).length;
  throw typeError('count', 1, 'one of {array, object, set, string}', x);
}

function collection(name: string, x: unknown): Json[] {
  if (!Array.isArray(x)) throw typeError(name, 1, 'one of {array, set}', x);
  return x as Json[];
}

function numbers(name: string, x: unknown): (number | bigint)[] {
  const items = collection(name, x);
  for (const v of items) {
    if (typeof v !== 'number' && typeof v !== 'bigint') {
      throw new BuiltinError(
        name,
        'eval_type_error',
        `operand 1 must be one of {set, array} containing numbers`,
      );
    }
  }
  return items as (number | bigint)[];
}

function fold(
  name: string,
  init: bigint,
  f: (a: bigint, b: bigint) => bigint,
  g: (a: number, b: number) => number,
) {
  return (x: unknown) => {
    const ns = numbers(name, x);
    if (ns.every((n) => typeof n === 'bigint' || Number.isInteger(n))) {
      return fromBig(ns.reduce<bigint>((acc, n) => f(acc, BigInt(n)), init));
    }
    return ns.reduce<number>((acc, n) => g(acc, Number(n)), Number(init));
  };
}

function extreme(name: string, sign: 1 | -1): JsBuiltin {
  return (x) => {
    const items = collection(name, x);
    if (items.length === 0) return undefined;
    return items.reduce((best, v) => (compareValues(v, best) * sign > 0 ? v : best));
  };
}

export const AGGREGATE_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['count', count],
  [
    'sum',
    fold(
      'sum',
      0n,
      (a, b) => a + b,
      (a, b) => a + b,
    ),
  ],
  [
    'product',
    fold(
      'product',
      1n,
      (a, b) => a * b,
      (a, b) => a * b,
    ),
  ],
  ['max', extreme('max', 1)],
  ['min', extreme('min', -1)],
  ['sort', (x) => [...collection('sort', x)].sort(compareValues)],
  ['all', (x) => collection('all', x).every((v) => v === true)],
  ['any', (x) => collection('any', x).some((v) => v === true)],
]);
