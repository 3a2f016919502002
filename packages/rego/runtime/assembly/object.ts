// Objects: hash tables (see table.ts) whose keys may be any value, as in Rego.

import { TYPE_OBJECT } from './value';
import { makeTable, tableFind, tableInsert, tableRemove, tableEntryByRank } from './table';

export function makeObject(): usize {
  return makeTable(TYPE_OBJECT);
}

export function objectGet(o: usize, key: usize): usize {
  const e = tableFind(o, key);
  return e == 0 ? 0 : <usize>load<u32>(e, 4);
}

// ABI.

export function opa_object(): usize {
  return makeTable(TYPE_OBJECT);
}

/** Inserts `key: value`, replacing the value of an existing equal key. */
export function opa_object_insert(o: usize, key: usize, value: usize): void {
  tableInsert(o, key, value);
}

/** The value under `key`, or 0 (undefined). */
export function opa_object_get(o: usize, key: usize): usize {
  return objectGet(o, key);
}

/** Removes `key`; 1 when it was present. */
export function opa_object_remove(o: usize, key: usize): i32 {
  return tableRemove(o, key) ? 1 : 0;
}

/** The key of rank `i` in key order, or 0: iteration by index without a lookup per step. */
export function opa_object_key_at(o: usize, i: i32): usize {
  const e: usize = i < 0 ? 0 : tableEntryByRank(o, <u32>i);
  return e == 0 ? 0 : <usize>load<u32>(e);
}

/** The value of the key of rank `i` in key order, or 0. */
export function opa_object_value_at(o: usize, i: i32): usize {
  const e: usize = i < 0 ? 0 : tableEntryByRank(o, <u32>i);
  return e == 0 ? 0 : <usize>load<u32>(e, 4);
}
