/** array.* builtins (run in the module; these are the JS reference versions). */
import type { JsBuiltin } from '../builtin-types.js';
import { arr, int } from './args.js';

function slice(a: unknown, start: unknown, stop: unknown) {
  const xs = arr('array.slice', a, 1);
  // OPA clamps out-of-range bounds rather than failing.
  const from = Math.max(0, int('array.slice', start, 2));
  const to = Math.min(xs.length, int('array.slice', stop, 3));
  return from >= to ? [] : xs.slice(from, to);
}

export const ARRAY_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['array.concat', (a, b) => [...arr('array.concat', a, 1), ...arr('array.concat', b, 2)]],
  ['array.slice', slice],
  ['array.reverse', (a) => [...arr('array.reverse', a, 1)].reverse()],
]);
