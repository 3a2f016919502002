// Updates to documents by path, for hosts that patch `data` in place, and the deep merge of
// objects used to combine data documents.

import { TYPE_ARRAY, TYPE_OBJECT } from './value';
import { arrayGet } from './array';
import { makeObject, objectGet } from './object';
import { ENTRY_SIZE, tableFind, tableInsert, tableRemove } from './table';

// OPA's error codes (opa_errc).
export const ERR_OK: i32 = 0;
export const ERR_INVALID_TYPE: i32 = 2;
export const ERR_INVALID_PATH: i32 = 3;

/**
 * Deep merge: keys of both objects, with values present in both merged recursively. Where
 * either side is not an object, `a` wins, as in OPA.
 */
export function mergeValues(a: usize, b: usize): usize {
  if (a == 0) return b;
  if (b == 0 || load<u32>(a) != TYPE_OBJECT || load<u32>(b) != TYPE_OBJECT) return a;
  const result = makeObject();
  for (let pass = 0; pass < 2; pass++) {
    const from = pass == 0 ? a : b;
    const other = pass == 0 ? b : a;
    const used = load<u32>(from, 8);
    const entries = <usize>load<u32>(from, 16);
    for (let i: u32 = 0; i < used; i++) {
      const e = entries + <usize>i * ENTRY_SIZE;
      const key = <usize>load<u32>(e);
      if (key == 0) continue;
      const value = <usize>load<u32>(e, 4);
      const match = tableFind(other, key);
      if (match == 0) tableInsert(result, key, value);
      else if (pass == 0) tableInsert(result, key, mergeValues(value, <usize>load<u32>(match, 4)));
    }
  }
  return result;
}

export function opa_value_merge(a: usize, b: usize): usize {
  return mergeValues(a, b);
}

/** The object at `path[0..depth)` below `data`, creating missing objects when asked; 0 if blocked. */
function walk(data: usize, path: usize, depth: u32, create: bool): usize {
  let node = data;
  for (let i: u32 = 0; i < depth; i++) {
    const key = arrayGet(path, i);
    let next = objectGet(node, key);
    if (next == 0) {
      if (!create) return 0;
      next = makeObject();
      tableInsert(node, key, next);
    } else if (load<u32>(next) != TYPE_OBJECT) {
      return 0;
    }
    node = next;
  }
  return node;
}

function checkArguments(data: usize, path: usize): i32 {
  if (data == 0 || path == 0 || load<u32>(data) != TYPE_OBJECT || load<u32>(path) != TYPE_ARRAY) {
    return ERR_INVALID_TYPE;
  }
  return load<u32>(path, 4) == 0 ? ERR_INVALID_PATH : ERR_OK;
}

/** Sets `data[path…] = value`, creating intermediate objects. Returns an OPA error code. */
export function opa_value_add_path(data: usize, path: usize, value: usize): i32 {
  const check = checkArguments(data, path);
  if (check != ERR_OK) return check;
  const n = load<u32>(path, 4);
  const parent = walk(data, path, n - 1, true);
  if (parent == 0) return ERR_INVALID_PATH;
  tableInsert(parent, arrayGet(path, n - 1), value);
  return ERR_OK;
}

/** Deletes `data[path…]`. Returns ERR_INVALID_PATH when nothing is there. */
export function opa_value_remove_path(data: usize, path: usize): i32 {
  const check = checkArguments(data, path);
  if (check != ERR_OK) return check;
  const n = load<u32>(path, 4);
  const parent = walk(data, path, n - 1, false);
  if (parent == 0 || !tableRemove(parent, arrayGet(path, n - 1))) return ERR_INVALID_PATH;
  return ERR_OK;
}
