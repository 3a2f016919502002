// Sets: hash tables (see table.ts) with keys only.

import { TYPE_SET } from './value';
import { makeTable, tableFind, tableInsert, tableRemove, tableEntryByRank } from './table';

export function makeSet(): usize {
  return makeTable(TYPE_SET);
}

export function setAdd(s: usize, v: usize): void {
  if (tableFind(s, v) == 0) tableInsert(s, v, 0);
}

// ABI.

export function opa_set(): usize {
  return makeTable(TYPE_SET);
}

/** Adds `v` unless an equal element is present. */
export function opa_set_add(s: usize, v: usize): void {
  setAdd(s, v);
}

/** The stored element equal to `v`, or 0. */
export function opa_set_get(s: usize, v: usize): usize {
  const e = tableFind(s, v);
  return e == 0 ? 0 : <usize>load<u32>(e);
}

/** Removes `v`; 1 when it was present. */
export function opa_set_remove(s: usize, v: usize): i32 {
  return tableRemove(s, v) ? 1 : 0;
}

/** The element of rank `i` in sorted order, or 0. */
export function opa_set_elem_at(s: usize, i: i32): usize {
  const e: usize = i < 0 ? 0 : tableEntryByRank(s, <u32>i);
  return e == 0 ? 0 : <usize>load<u32>(e);
}
