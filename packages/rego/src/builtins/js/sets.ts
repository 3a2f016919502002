/**
 * Set algebra over sets passed as arrays. These run in the module; the JS versions are the
 * reference for constant folding and tests. Results are sorted, deduplicated arrays.
 */
import type { JsBuiltin } from '../builtin-types.js';
import { arr, type Json } from './args.js';
import { equalValues, toSetArray } from './value.js';

const has = (xs: readonly Json[], v: Json) => xs.some((x) => equalValues(x, v));

function setsOf(name: string, x: unknown): Json[][] {
  const outer = arr(name, x, 1, 'set');
  return outer.map((s) => arr(name, s, 1, 'set[set]'));
}

export const SET_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['and', (a, b) => toSetArray(arr('and', a, 1, 'set').filter((v) => has(arr('and', b, 2, 'set'), v)))],
  ['or', (a, b) => toSetArray([...arr('or', a, 1, 'set'), ...arr('or', b, 2, 'set')])],
  [
    'set_diff',
    (a, b) => toSetArray(arr('set_diff', a, 1, 'set').filter((v) => !has(arr('set_diff', b, 2, 'set'), v))),
  ],
  [
    'intersection',
    (x) => {
      const sets = setsOf('intersection', x);
      if (sets.length === 0) return [];
      return toSetArray(sets[0]!.filter((v) => sets.every((s) => has(s, v))));
    },
  ],
  ['union', (x) => toSetArray(setsOf('union', x).flat())],
]);
