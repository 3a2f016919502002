// `walk(x)`: every node of x with its path, as OPA's relation enumerates them (the node
// first, then its children: array elements by index, object entries and set members in key
// order). The planner scans the array of `[path, value]` pairs this returns, so `walk` stays
// a plain call in the IR. Native because set members and non-string keys must survive.

import { TYPE_ARRAY, TYPE_OBJECT, TYPE_SET } from '../value';
import { arrayAppend, arrayGet, copyArray, makeArray } from '../array';
import { makeInt } from '../number';
import { tableEntryByRank, tableLength } from '../table';

function pair(path: usize, value: usize): usize {
  const p = makeArray(2);
  arrayAppend(p, path);
  arrayAppend(p, value);
  return p;
}

function child(path: usize, key: usize): usize {
  const p = copyArray(path);
  arrayAppend(p, key);
  return p;
}

function walkInto(out: usize, path: usize, v: usize): void {
  arrayAppend(out, pair(path, v));
  const type = load<u32>(v);
  if (type == TYPE_ARRAY) {
    const n = load<u32>(v, 4);
    for (let i: u32 = 0; i < n; i++) walkInto(out, child(path, makeInt(<i64>i)), arrayGet(v, i));
  } else if (type == TYPE_OBJECT || type == TYPE_SET) {
    const n = tableLength(v);
    for (let i: u32 = 0; i < n; i++) {
      const e = tableEntryByRank(v, i);
      const key = <usize>load<u32>(e);
      walkInto(out, child(path, key), type == TYPE_SET ? key : <usize>load<u32>(e, 4));
    }
  }
}

/** The array of `[path, value]` pairs of every node of `v`, `v` itself first. */
export function opa_builtin_walk(v: usize): usize {
  if (v == 0) return 0;
  const out = makeArray(8);
  walkInto(out, makeArray(0), v);
  return out;
}
