// Builtins the code generator calls natively instead of through `opa_builtinN`: the ones
// every policy uses (count, `in`, set algebra) and the ones whose results are sets, which a
// JSON round trip through the host would turn into arrays. Each returns a value address, 0
// (undefined) on operands of the wrong type, as OPA's wasm target does without strict errors.

import { TYPE_ARRAY, TYPE_OBJECT, TYPE_SET, TYPE_STRING, makeBoolean } from '../value';
import { arrayGet } from '../array';
import { equalValues } from '../compare';
import { makeInt, opa_arith_minus } from '../number';
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

/** `a - b`: numeric difference, or set difference when both are sets. */
export function opa_builtin_minus(a: usize, b: usize): usize {
  if (a == 0 || b == 0) return 0;
  if (load<u32>(a) != TYPE_SET || load<u32>(b) != TYPE_SET) return opa_arith_minus(a, b);
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
  if (o == 0 || load<u32>(o) != TYPE_OBJECT) return 0;
  const out = makeSet();
  addAll(out, o);
  return out;
}
