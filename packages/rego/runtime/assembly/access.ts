// Generic access to any value: lookup, length, iteration and copying, as the planner's
// instructions (DotStmt, LenStmt, ScanStmt, …) need them.

import { TYPE_ARRAY, TYPE_NUMBER, TYPE_OBJECT, TYPE_SET, TYPE_STRING } from './value';
import { arrayGet, copyArray } from './array';
import { copyTable, tableFind, tableNext } from './table';
import { exactInt, exactIntResult, makeInt } from './number';

/** The array index a key denotes, or -1 when it is not an integer within [0, length). */
function indexOf(key: usize, length: u32): i64 {
  if (load<u32>(key) != TYPE_NUMBER || !exactInt(key)) return -1;
  const i = exactIntResult();
  return i >= 0 && i < <i64>length ? i : -1;
}

/**
 * `v[key]`, or 0 (undefined): arrays by integer index, objects by key, and sets by
 * membership, returning the stored element.
 */
export function opa_value_get(v: usize, key: usize): usize {
  if (v == 0 || key == 0) return 0;
  switch (load<u32>(v)) {
    case TYPE_ARRAY: {
      const i = indexOf(key, load<u32>(v, 4));
      return i < 0 ? 0 : arrayGet(v, <u32>i);
    }
    case TYPE_OBJECT: {
      const e = tableFind(v, key);
      return e == 0 ? 0 : <usize>load<u32>(e, 4);
    }
    case TYPE_SET: {
      const e = tableFind(v, key);
      return e == 0 ? 0 : <usize>load<u32>(e);
    }
  }
  return 0;
}

/** Elements of a collection; bytes of a string (rune counting is the builtin's job); else 0. */
export function opa_value_length(v: usize): u32 {
  if (v == 0) return 0;
  const type = load<u32>(v);
  if (type == TYPE_ARRAY || type == TYPE_OBJECT || type == TYPE_SET || type == TYPE_STRING) {
    return load<u32>(v, 4);
  }
  return 0;
}

/**
 * The key after `prev` (the first key when `prev` is 0), or 0 at the end. Arrays yield
 * number indices in order; objects their keys and sets their elements, both in sorted order.
 * Array iteration allocates a number per step: generated loops over arrays should prefer
 * opa_value_length + opa_array_get.
 */
export function opa_value_iter(v: usize, prev: usize): usize {
  if (v == 0) return 0;
  switch (load<u32>(v)) {
    case TYPE_ARRAY: {
      const n = load<u32>(v, 4);
      if (prev == 0) return n == 0 ? 0 : makeInt(0);
      const i = indexOf(prev, n);
      return i < 0 || i + 1 >= <i64>n ? 0 : makeInt(i + 1);
    }
    case TYPE_OBJECT:
    case TYPE_SET: {
      const e = tableNext(v, prev);
      return e == 0 ? 0 : <usize>load<u32>(e);
    }
  }
  return 0;
}

/** A new container holding the same members; scalars are immutable and returned as is. */
export function opa_value_shallow_copy(v: usize): usize {
  if (v == 0) return 0;
  const type = load<u32>(v);
  if (type == TYPE_ARRAY) return copyArray(v);
  if (type == TYPE_OBJECT || type == TYPE_SET) return copyTable(v);
  return v;
}
