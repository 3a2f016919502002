// Prepares a value built ahead of time (the code generator builds a policy's constants in a
// throwaway instance and copies the bytes into the module's data segment) for sharing across
// evaluations: every object and set gets its sorted index now, so that no later read writes
// a lazily built index, allocated on a heap the loader reclaims, into the shared value.

import { TYPE_ARRAY, TYPE_OBJECT, TYPE_SET } from './value';
import { arrayGet, arrayLength } from './array';
import { ENTRY_SIZE, tableEntries, tableSorted, tableUsed } from './table';

export function pcl_value_freeze(v: usize): void {
  const type = load<u32>(v);
  if (type == TYPE_ARRAY) {
    const n = arrayLength(v);
    for (let i: u32 = 0; i < n; i++) pcl_value_freeze(arrayGet(v, i));
    return;
  }
  if (type != TYPE_OBJECT && type != TYPE_SET) return;
  tableSorted(v);
  const used = tableUsed(v);
  const entries = tableEntries(v);
  for (let i: u32 = 0; i < used; i++) {
    const e = entries + <usize>i * ENTRY_SIZE;
    const key = <usize>load<u32>(e);
    if (key == 0) continue;
    pcl_value_freeze(key);
    if (type == TYPE_OBJECT) pcl_value_freeze(<usize>load<u32>(e, 4));
  }
}
