// Builtins the code generator calls natively instead of through `opa_builtinN`: the ones
// every policy uses (count, `in`, set algebra) and the ones whose results are sets, which a
// JSON round trip through the host would turn into arrays. Each returns a value address, 0
// (undefined) on operands of the wrong type, as OPA's wasm target does without strict errors;
// with strict errors asked for (./errors), the error OPA raises ends the evaluation instead.

import { TYPE_ARRAY, TYPE_NUMBER, TYPE_OBJECT, TYPE_SET, TYPE_STRING, makeBoolean } from '../value';
import { arrayGet } from '../array';
import { equalValues } from '../compare';
import {
  arithDivide,
  arithMinus,
  arithMultiply,
  arithPlus,
  arithRem,
  exactInt,
  makeInt,
  toF64,
} from '../number';
import { builtinError, typeError } from './errors';
import { makeSet, setAdd } from '../set';
import { entryAt, tableFind, tableUsed } from '../table';
import { opa_value_get } from '../access';

/** `count(x)`: elements of a collection, or code points of a string (not bytes). */
export function opa_builtin_count(v: usize): usize {
  if (v == 0) return 0;
  const type = load<u32>(v);
  if (type == TYPE_ARRAY || type == TYPE_OBJECT || type == TYPE_SET) return makeInt(<i64>load<u32>(v, 4));
  if (type != TYPE_STRING) return 0;
  const len = <usize>load<u32>(v, 4);
  const bytes = <usize>load<u32>(v, 8);
  let runes: i64 = 0;
  for (let i: usize = 0; i < len; i++) {
    if ((load<u8>(bytes + i) & 0xc0) != 0x80) runes++;
  }
  return makeInt(runes);
}

/** `internal.member_2(x, c)`: `x in c` over array elements, object values or set members. */
export function opa_builtin_member(x: usize, c: usize): usize {
  if (x == 0 || c == 0) return 0;
  const type = load<u32>(c);
  if (type == TYPE_SET) return makeBoolean(tableFind(c, x) != 0);
  if (type == TYPE_ARRAY) {
    const n = load<u32>(c, 4);
    for (let i: u32 = 0; i < n; i++) if (equalValues(arrayGet(c, i), x)) return makeBoolean(true);
    return makeBoolean(false);
  }
  if (type == TYPE_OBJECT) {
    const used = tableUsed(c);
    for (let i: u32 = 0; i < used; i++) {
      const e = entryAt(c, i);
      if (load<u32>(e) != 0 && equalValues(<usize>load<u32>(e, 4), x)) return makeBoolean(true);
    }
    return makeBoolean(false);
  }
  return makeBoolean(false);
}

/** `internal.member_3(k, v, c)`: `k, v in c` for arrays (k an index) and objects. */
export function opa_builtin_member_with_key(k: usize, v: usize, c: usize): usize {
  if (k == 0 || v == 0 || c == 0) return 0;
  const type = load<u32>(c);
  if (type != TYPE_ARRAY && type != TYPE_OBJECT) return makeBoolean(false);
  const found = opa_value_get(c, k);
  return makeBoolean(found != 0 && equalValues(found, v));
}

function addAll(out: usize, s: usize): void {
  const used = tableUsed(s);
  for (let i: u32 = 0; i < used; i++) {
    const key = <usize>load<u32>(entryAt(s, i));
    if (key != 0) setAdd(out, key);
  }
}

/** `a & b`, `intersection`'s binary form. */
export function opa_builtin_set_and(a: usize, b: usize): usize {
  if (a == 0 || b == 0 || load<u32>(a) != TYPE_SET || load<u32>(b) != TYPE_SET) return 0;
  const out = makeSet();
  const used = tableUsed(a);
  for (let i: u32 = 0; i < used; i++) {
    const key = <usize>load<u32>(entryAt(a, i));
    if (key != 0 && tableFind(b, key) != 0) setAdd(out, key);
  }
  return out;
}

/** `a | b`. */
export function opa_builtin_set_or(a: usize, b: usize): usize {
  if (a == 0 || b == 0 || load<u32>(a) != TYPE_SET || load<u32>(b) != TYPE_SET) return 0;
  const out = makeSet();
  addAll(out, a);
  addAll(out, b);
  return out;
}

function isNumber(v: usize): bool {
  return v != 0 && load<u32>(v) == TYPE_NUMBER;
}

/** Type-checks the operands of a numeric builtin; false (after a strict abort) when wrong. */
function numbers(name: string, a: usize, b: usize): bool {
  if (!isNumber(a)) {
    typeError(name, '1', 'number', a);
    return false;
  }
  if (!isNumber(b)) {
    typeError(name, '2', 'number', b);
    return false;
  }
  return true;
}

/** `a + b`. */
export function opa_builtin_plus(a: usize, b: usize): usize {
  return numbers('plus', a, b) ? arithPlus(a, b) : 0;
}

/** `a * b`. */
export function opa_builtin_mul(a: usize, b: usize): usize {
  return numbers('mul', a, b) ? arithMultiply(a, b) : 0;
}

/** `a / b`; dividing by zero is a builtin error. */
export function opa_builtin_div(a: usize, b: usize): usize {
  if (!numbers('div', a, b)) return 0;
  if (toF64(b) == 0) return builtinError('div', 'divide by zero');
  return arithDivide(a, b);
}

/** `a % b`: integers only, a non-zero divisor. */
export function opa_builtin_rem(a: usize, b: usize): usize {
  if (!numbers('rem', a, b)) return 0;
  if (!exactInt(a) || !exactInt(b)) {
    // A whole number too large for i64 is still an integer to OPA; only fractions are refused.
    const x = toF64(a);
    const y = toF64(b);
    if (x != Math.floor(x) || y != Math.floor(y))
      return builtinError('rem', 'modulo on floating-point number');
    return 0;
  }
  if (toF64(b) == 0) return builtinError('rem', 'modulo by zero');
  return arithRem(a, b);
}

/** `a - b`: numeric difference, or set difference when both are sets. */
export function opa_builtin_minus(a: usize, b: usize): usize {
  if (a == 0 || b == 0) return 0;
  const ta = load<u32>(a);
  if (ta != TYPE_SET && ta != TYPE_NUMBER) return typeError('minus', '1', 'any of number, set', a);
  if (ta == TYPE_NUMBER) return isNumber(b) ? arithMinus(a, b) : typeError('minus', '2', 'number', b);
  if (load<u32>(b) != TYPE_SET) return typeError('minus', '2', 'set', b);
  const out = makeSet();
  const used = tableUsed(a);
  for (let i: u32 = 0; i < used; i++) {
    const key = <usize>load<u32>(entryAt(a, i));
    if (key != 0 && tableFind(b, key) == 0) setAdd(out, key);
  }
  return out;
}

/** `intersection(s)` and `union(s)` over a set of sets (`all` = 1 for intersection). */
export function opa_builtin_sets_fold(s: usize, all: i32): usize {
  if (s == 0 || load<u32>(s) != TYPE_SET) return 0;
  const used = tableUsed(s);
  let out: usize = 0;
  for (let i: u32 = 0; i < used; i++) {
    const member = <usize>load<u32>(entryAt(s, i));
    if (member == 0) continue;
    if (load<u32>(member) != TYPE_SET) return 0;
    if (out == 0) {
      out = makeSet();
      addAll(out, member);
    } else if (all != 0) {
      out = opa_builtin_set_and(out, member);
    } else {
      addAll(out, member);
    }
  }
  return out == 0 ? makeSet() : out;
}

/** `object.keys(o)`: the set of an object's keys, of any type (a JSON round trip would stringify them). */
export function opa_builtin_object_keys(o: usize): usize {
  if (o == 0) return 0;
  if (load<u32>(o) != TYPE_OBJECT) return typeError('object.keys', '1', 'object', o);
  const out = makeSet();
  addAll(out, o);
  return out;
}
