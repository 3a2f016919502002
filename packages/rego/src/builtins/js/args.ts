/**
 * Operand checks shared by the JS builtins. They turn JSON values (as the opa-wasm bridge
 * passes them: sets arrive as arrays) into typed values or raise OPA's type error, worded as
 * OPA words it: `count: operand 1 must be one of {array, object, set, string} but got number`.
 */
import { BuiltinError } from '../builtin-error.js';

export type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** OPA's name for the type of a JSON value; arrays may have been sets, which we can't tell. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
    case 'object':
      return 'object';
    default:
      return 'undefined';
  }
}

export function typeError(builtin: string, pos: number, expected: string, value: unknown): BuiltinError {
  return new BuiltinError(
    builtin,
    'eval_type_error',
    `operand ${pos} must be ${expected} but got ${typeName(value)}`,
  );
}

export function str(builtin: string, value: unknown, pos: number): string {
  if (typeof value !== 'string') throw typeError(builtin, pos, 'string', value);
  return value;
}

export function num(builtin: string, value: unknown, pos: number): number | bigint {
  if (typeof value !== 'number' && typeof value !== 'bigint') throw typeError(builtin, pos, 'number', value);
  return value;
}

/** A number that must be a whole value that fits a JS number exactly (indices, counts). */
export function int(builtin: string, value: unknown, pos: number): number {
  const n = num(builtin, value, pos);
  if (typeof n === 'bigint') {
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new BuiltinError(builtin, 'eval_builtin_error', `operand ${pos} must be an integer in range`);
    }
    return Number(n);
  }
  if (!Number.isInteger(n)) {
    throw new BuiltinError(
      builtin,
      'eval_type_error',
      `operand ${pos} must be integer number but got floating-point number`,
    );
  }
  return n;
}

export function bool(builtin: string, value: unknown, pos: number): boolean {
  if (typeof value !== 'boolean') throw typeError(builtin, pos, 'boolean', value);
  return value;
}

/**
 * Set an own property even when the key is `__proto__`: keys come from policies and input,
 * and plain assignment of that key would replace the object's prototype instead.
 */
export function setOwn(o: JsonObject, key: string, value: Json): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function arr(builtin: string, value: unknown, pos: number, expected = 'array'): Json[] {
  if (!Array.isArray(value)) throw typeError(builtin, pos, expected, value);
  return value as Json[];
}

export function object(builtin: string, value: unknown, pos: number): JsonObject {
  if (!isObject(value)) throw typeError(builtin, pos, 'object', value);
  return value;
}

/** Strings from an array or set (sets arrive as arrays), OPA's `any<array[string], set[string]>`. */
export function strings(builtin: string, value: unknown, pos: number): string[] {
  const expected = 'one of {array, set}';
  const items = arr(builtin, value, pos, expected);
  for (const item of items) {
    if (typeof item !== 'string') {
      throw new BuiltinError(
        builtin,
        'eval_type_error',
        `operand ${pos} must be one of {set, array} containing strings but got ${typeName(item)}`,
      );
    }
  }
  return items as string[];
}

/** A string, or an array/set of strings, as a list (`strings.any_prefix_match` and friends). */
export function stringOrStrings(builtin: string, value: unknown, pos: number): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) throw typeError(builtin, pos, 'one of {array, set, string}', value);
  return strings(builtin, value, pos);
}

/** Arity guard: the compiler checks arity, but custom callers of JS_BUILTINS may not. */
export function arity(builtin: string, args: readonly unknown[], n: number): void {
  if (args.length !== n) {
    throw new BuiltinError(builtin, 'eval_type_error', `expected ${n} arguments but got ${args.length}`);
  }
}
