// OPA's total order over values: null < boolean < number < string < array < object < set
// (the type tags are numbered in that order). Arrays compare element-wise, objects by sorted
// keys then values pair by pair, sets by sorted elements; the shorter prefix is smaller.
// Numbers compare by numeric value, so 1 and 1.0 are equal. Undefined (0) sorts first.

import {
  TYPE_ARRAY,
  TYPE_BOOLEAN,
  TYPE_NUMBER,
  TYPE_OBJECT,
  TYPE_SET,
  TYPE_STRING,
  makeBoolean,
} from './value';
import { compareNumbers } from './number';
import { compareStrings, equalStrings } from './string';
import { arrayGet } from './array';
import { ENTRY_SIZE, tableFind, tableSorted } from './table';

function compareLengths(a: u32, b: u32): i32 {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareTables(a: usize, b: usize, withValues: bool): i32 {
  const la = load<u32>(a, 4);
  const lb = load<u32>(b, 4);
  const n = la < lb ? la : lb;
  if (n != 0) {
    const sa = tableSorted(a);
    const sb = tableSorted(b);
    const ea = <usize>load<u32>(a, 16);
    const eb = <usize>load<u32>(b, 16);
    for (let i: u32 = 0; i < n; i++) {
      const x = ea + <usize>load<u32>(sa + ((<usize>i) << 2)) * ENTRY_SIZE;
      const y = eb + <usize>load<u32>(sb + ((<usize>i) << 2)) * ENTRY_SIZE;
      let c = compareValues(<usize>load<u32>(x), <usize>load<u32>(y));
      if (c != 0) return c;
      if (withValues) {
        c = compareValues(<usize>load<u32>(x, 4), <usize>load<u32>(y, 4));
        if (c != 0) return c;
      }
    }
  }
  return compareLengths(la, lb);
}

export function compareValues(a: usize, b: usize): i32 {
  if (a == b) return 0;
  if (a == 0) return -1;
  if (b == 0) return 1;
  const ta = load<u32>(a);
  const tb = load<u32>(b);
  if (ta != tb) return ta < tb ? -1 : 1;
  switch (ta) {
    case TYPE_BOOLEAN:
      return compareLengths(load<u32>(a, 4), load<u32>(b, 4));
    case TYPE_NUMBER:
      return compareNumbers(a, b);
    case TYPE_STRING:
      return compareStrings(a, b);
    case TYPE_ARRAY: {
      const la = load<u32>(a, 4);
      const lb = load<u32>(b, 4);
      const n = la < lb ? la : lb;
      for (let i: u32 = 0; i < n; i++) {
        const c = compareValues(arrayGet(a, i), arrayGet(b, i));
        if (c != 0) return c;
      }
      return compareLengths(la, lb);
    }
    case TYPE_OBJECT:
      return compareTables(a, b, true);
    case TYPE_SET:
      return compareTables(a, b, false);
  }
  return 0; // null
}

/** Equality consistent with compareValues, without sorting: objects and sets by lookup. */
export function equalValues(a: usize, b: usize): bool {
  if (a == b) return true;
  if (a == 0 || b == 0) return false;
  const ta = load<u32>(a);
  if (ta != load<u32>(b)) return false;
  switch (ta) {
    case TYPE_BOOLEAN:
      return load<u32>(a, 4) == load<u32>(b, 4);
    case TYPE_NUMBER:
      return compareNumbers(a, b) == 0;
    case TYPE_STRING:
      return equalStrings(a, b);
    case TYPE_ARRAY: {
      const n = load<u32>(a, 4);
      if (n != load<u32>(b, 4)) return false;
      for (let i: u32 = 0; i < n; i++) if (!equalValues(arrayGet(a, i), arrayGet(b, i))) return false;
      return true;
    }
    case TYPE_OBJECT:
    case TYPE_SET: {
      if (load<u32>(a, 4) != load<u32>(b, 4)) return false;
      const used = load<u32>(a, 8);
      const entries = <usize>load<u32>(a, 16);
      for (let i: u32 = 0; i < used; i++) {
        const e = entries + <usize>i * ENTRY_SIZE;
        const key = <usize>load<u32>(e);
        if (key == 0) continue;
        const other = tableFind(b, key);
        if (other == 0) return false;
        if (ta == TYPE_OBJECT && !equalValues(<usize>load<u32>(e, 4), <usize>load<u32>(other, 4)))
          return false;
      }
      return true;
    }
  }
  return true; // null
}

// ABI.

/** -1, 0 or 1 in OPA's total order. */
export function opa_value_compare(a: usize, b: usize): i32 {
  return compareValues(a, b);
}

/** 1 when equal (1 == 1.0), else 0. */
export function opa_value_equal(a: usize, b: usize): i32 {
  return equalValues(a, b) ? 1 : 0;
}

// Rego's comparison operators, as boolean values (defined for operands of any types).

export function opa_cmp_eq(a: usize, b: usize): usize {
  return makeBoolean(equalValues(a, b));
}

export function opa_cmp_neq(a: usize, b: usize): usize {
  return makeBoolean(!equalValues(a, b));
}

export function opa_cmp_lt(a: usize, b: usize): usize {
  return makeBoolean(compareValues(a, b) < 0);
}

export function opa_cmp_lte(a: usize, b: usize): usize {
  return makeBoolean(compareValues(a, b) <= 0);
}

export function opa_cmp_gt(a: usize, b: usize): usize {
  return makeBoolean(compareValues(a, b) > 0);
}

export function opa_cmp_gte(a: usize, b: usize): usize {
  return makeBoolean(compareValues(a, b) >= 0);
}
