/**
 * Type predicates and the deprecated casts. is_set/is_array/type_name run in the module
 * (JSON has no sets); these JS versions answer as if every array were an array.
 */
import type { JsBuiltin } from '../builtin-types.js';
import { isObject, type Json, typeError, typeName } from './args.js';
import { toSetArray } from './value.js';

const is =
  (t: string): JsBuiltin =>
  (x) =>
    typeName(x) === t;

export const TYPE_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['is_array', is('array')],
  ['is_boolean', is('boolean')],
  ['is_null', is('null')],
  ['is_number', is('number')],
  ['is_object', is('object')],
  ['is_set', () => false],
  ['is_string', is('string')],
  ['type_name', (x) => typeName(x)],
  [
    'cast_array',
    (x) => {
      if (!Array.isArray(x)) throw typeError('cast_array', 1, 'one of {array, set}', x);
      return x;
    },
  ],
  [
    'cast_set',
    (x) => {
      if (!Array.isArray(x)) throw typeError('cast_set', 1, 'one of {array, set}', x);
      return toSetArray(x as Json[]);
    },
  ],
  ['cast_string', (x) => (typeof x === 'string' ? x : undefined)],
  ['cast_boolean', (x) => (typeof x === 'boolean' ? x : undefined)],
  ['cast_null', (x) => (x === null ? null : undefined)],
  ['cast_object', (x) => (isObject(x) ? x : undefined)],
]);
