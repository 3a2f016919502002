// Builtin errors of the natively implemented builtins. OPA's wasm target makes a failing
// builtin call undefined; with strict builtin errors (`strict-builtin-errors`) the error ends
// the evaluation instead. The host asks for strictness once per instance through
// `portcullis_set_strict_builtin_errors`; then an error aborts with "<code>: <message>",
// which the loader throws and `PolicyEvalError` reads the code from.

import { TYPE_ARRAY, TYPE_BOOLEAN, TYPE_NULL, TYPE_NUMBER, TYPE_OBJECT, TYPE_STRING } from '../value';
import { failParts } from '../env';

let strict: i32 = 0;

/** 1 makes native builtin errors abort the evaluation; 0 (the default) makes them undefined. */
export function portcullis_set_strict_builtin_errors(flag: i32): void {
  strict = flag;
}

/** OPA's name of a value's type. */
export function typeName(v: usize): string {
  if (v == 0) return 'undefined';
  const t = load<u32>(v);
  if (t == TYPE_NULL) return 'null';
  if (t == TYPE_BOOLEAN) return 'boolean';
  if (t == TYPE_NUMBER) return 'number';
  if (t == TYPE_STRING) return 'string';
  if (t == TYPE_ARRAY) return 'array';
  if (t == TYPE_OBJECT) return 'object';
  return 'set';
}

/** `eval_builtin_error: <name>: <message>` in strict mode; returns 0 (undefined) otherwise. */
export function builtinError(name: string, message: string): usize {
  if (strict != 0) failParts('eval_builtin_error: ', name, ': ', message, '', '', '', '');
  return 0;
}

/** `eval_type_error: <name>: operand <n> must be <want> but got <type>`, or 0. */
export function typeError(name: string, operand: string, want: string, got: usize): usize {
  if (strict != 0) {
    failParts(
      'eval_type_error: ',
      name,
      ': operand ',
      operand,
      ' must be ',
      want,
      ' but got ',
      typeName(got),
    );
  }
  return 0;
}
