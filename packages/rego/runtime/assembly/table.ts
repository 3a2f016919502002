// The hash table behind objects and sets: entries in insertion order, chained buckets of
// entry indices for O(1) lookup, and a lazily built sorted index (OPA iterates and prints
// objects and sets in key order). Mutation invalidates the sorted index; it is rebuilt, in
// O(n log n) and only once per batch of mutations, when order is next needed.
//
// Header (32 bytes): +0 type, +4 live length, +8 entries used (incl. removed), +12 entry
// capacity, +16 entries, +20 buckets (u32 entry index + 1, 0 = empty), +24 bucket mask,
// +28 sorted index (u32 entry indices, 0 = stale).
// Entry (20 bytes): +0 key, +4 value (0 in sets), +8 key hash, +12 next in chain (index + 1),
// +16 rank in the sorted index. A removed entry has key 0.

import { alloc, allocZeroed } from './malloc';
import { hashValue } from './hash';
import { compareValues, equalValues } from './compare';

export const TABLE_SIZE: usize = 32;
export const ENTRY_SIZE: usize = 20;
const SORT_RUN: u32 = 16;

export function tableLength(t: usize): u32 {
  return load<u32>(t, 4);
}

export function tableUsed(t: usize): u32 {
  return load<u32>(t, 8);
}

export function tableEntries(t: usize): usize {
  return <usize>load<u32>(t, 16);
}

export function entryAt(t: usize, index: u32): usize {
  return <usize>load<u32>(t, 16) + <usize>index * ENTRY_SIZE;
}

export function makeTable(type: u32): usize {
  const t = allocZeroed(TABLE_SIZE);
  store<u32>(t, type);
  return t;
}

function nextPowerOfTwo(n: u32): u32 {
  return n <= 1 ? 1 : (<u32>1) << (32 - clz<u32>(n - 1));
}

/** Rebuilds storage with room for `cap` entries, dropping removed entries. */
function rebuild(t: usize, cap: u32): void {
  const oldEntries = <usize>load<u32>(t, 16);
  const used = load<u32>(t, 8);
  const entries = alloc(<usize>cap * ENTRY_SIZE);
  const bucketCount = nextPowerOfTwo(cap << 1);
  const buckets = allocZeroed((<usize>bucketCount) << 2);
  const mask = bucketCount - 1;
  let n: u32 = 0;
  for (let i: u32 = 0; i < used; i++) {
    const from = oldEntries + <usize>i * ENTRY_SIZE;
    if (load<u32>(from) == 0) continue;
    const to = entries + <usize>n * ENTRY_SIZE;
    const h = load<u32>(from, 8);
    const slot = buckets + ((<usize>(h & mask)) << 2);
    store<u32>(to, load<u32>(from));
    store<u32>(to, load<u32>(from, 4), 4);
    store<u32>(to, h, 8);
    store<u32>(to, load<u32>(slot), 12);
    store<u32>(to, 0, 16);
    n++;
    store<u32>(slot, n);
  }
  store<u32>(t, n, 4);
  store<u32>(t, n, 8);
  store<u32>(t, cap, 12);
  store<u32>(t, <u32>entries, 16);
  store<u32>(t, <u32>buckets, 20);
  store<u32>(t, mask, 24);
  store<u32>(t, 0, 28);
}

/** The entry holding `key`, or 0. */
export function tableFind(t: usize, key: usize): usize {
  if (load<u32>(t, 4) == 0) return 0;
  const h = hashValue(key);
  const entries = <usize>load<u32>(t, 16);
  let index = load<u32>(<usize>load<u32>(t, 20) + ((<usize>(h & load<u32>(t, 24))) << 2));
  while (index != 0) {
    const e = entries + <usize>(index - 1) * ENTRY_SIZE;
    if (load<u32>(e, 8) == h) {
      const k = <usize>load<u32>(e);
      if (k == key || equalValues(k, key)) return e;
    }
    index = load<u32>(e, 12);
  }
  return 0;
}

/** Inserts or, for an existing key, replaces the value (sets keep the first element). */
export function tableInsert(t: usize, key: usize, value: usize): void {
  const h = hashValue(key);
  let entries = <usize>load<u32>(t, 16);
  if (load<u32>(t, 4) != 0) {
    let index = load<u32>(<usize>load<u32>(t, 20) + ((<usize>(h & load<u32>(t, 24))) << 2));
    while (index != 0) {
      const e = entries + <usize>(index - 1) * ENTRY_SIZE;
      if (load<u32>(e, 8) == h) {
        const k = <usize>load<u32>(e);
        if (k == key || equalValues(k, key)) {
          store<u32>(e, <u32>value, 4);
          return;
        }
      }
      index = load<u32>(e, 12);
    }
  }
  const used = load<u32>(t, 8);
  if (used == load<u32>(t, 12)) {
    const len = load<u32>(t, 4);
    rebuild(t, len < 2 ? 4 : nextPowerOfTwo(len << 1));
    entries = <usize>load<u32>(t, 16);
  }
  const n = load<u32>(t, 8);
  const e = entries + <usize>n * ENTRY_SIZE;
  const slot = <usize>load<u32>(t, 20) + ((<usize>(h & load<u32>(t, 24))) << 2);
  store<u32>(e, <u32>key);
  store<u32>(e, <u32>value, 4);
  store<u32>(e, h, 8);
  store<u32>(e, load<u32>(slot), 12);
  store<u32>(e, 0, 16);
  store<u32>(slot, n + 1);
  store<u32>(t, n + 1, 8);
  store<u32>(t, load<u32>(t, 4) + 1, 4);
  store<u32>(t, 0, 28);
}

/** Removes `key`; returns whether it was present. */
export function tableRemove(t: usize, key: usize): bool {
  if (load<u32>(t, 4) == 0) return false;
  const h = hashValue(key);
  const entries = <usize>load<u32>(t, 16);
  let link = <usize>load<u32>(t, 20) + ((<usize>(h & load<u32>(t, 24))) << 2);
  let index = load<u32>(link);
  while (index != 0) {
    const e = entries + <usize>(index - 1) * ENTRY_SIZE;
    const k = <usize>load<u32>(e);
    if (load<u32>(e, 8) == h && (k == key || equalValues(k, key))) {
      store<u32>(link, load<u32>(e, 12));
      store<u32>(e, 0);
      store<u32>(t, load<u32>(t, 4) - 1, 4);
      store<u32>(t, 0, 28);
      return true;
    }
    link = e + 12;
    index = load<u32>(e, 12);
  }
  return false;
}

function keyOf(entries: usize, index: u32): usize {
  return <usize>load<u32>(entries + <usize>index * ENTRY_SIZE);
}

/** The sorted index: entry indices in key order, with each entry's rank recorded. */
export function tableSorted(t: usize): usize {
  let sorted = <usize>load<u32>(t, 28);
  if (sorted != 0) return sorted;
  const len = load<u32>(t, 4);
  const used = load<u32>(t, 8);
  const entries = <usize>load<u32>(t, 16);
  sorted = alloc((<usize>(len == 0 ? 1 : len)) << 2);
  let n: u32 = 0;
  let inOrder = true;
  for (let i: u32 = 0; i < used; i++) {
    if (keyOf(entries, i) == 0) continue;
    if (n != 0 && inOrder) {
      const prev = load<u32>(sorted + ((<usize>(n - 1)) << 2));
      inOrder = compareValues(keyOf(entries, prev), keyOf(entries, i)) < 0;
    }
    store<u32>(sorted + ((<usize>n) << 2), i);
    n++;
  }
  if (!inOrder) sortIndices(sorted, len, entries);
  for (let r: u32 = 0; r < len; r++) {
    store<u32>(entries + <usize>load<u32>(sorted + ((<usize>r) << 2)) * ENTRY_SIZE, r, 16);
  }
  store<u32>(t, <u32>sorted, 28);
  return sorted;
}

/** Insertion sort on short runs, then bottom-up merges through a scratch buffer. */
function sortIndices(index: usize, len: u32, entries: usize): void {
  for (let start: u32 = 0; start < len; start += SORT_RUN) {
    const end = start + SORT_RUN < len ? start + SORT_RUN : len;
    for (let i = start + 1; i < end; i++) {
      const item = load<u32>(index + ((<usize>i) << 2));
      const key = keyOf(entries, item);
      let j = i;
      while (j > start) {
        const prev = load<u32>(index + ((<usize>(j - 1)) << 2));
        if (compareValues(keyOf(entries, prev), key) <= 0) break;
        store<u32>(index + ((<usize>j) << 2), prev);
        j--;
      }
      store<u32>(index + ((<usize>j) << 2), item);
    }
  }
  if (len <= SORT_RUN) return;
  let from = index;
  let to = alloc((<usize>len) << 2);
  for (let width = SORT_RUN; width < len; width <<= 1) {
    for (let lo: u32 = 0; lo < len; lo += width << 1) {
      const mid = lo + width < len ? lo + width : len;
      const hi = lo + (width << 1) < len ? lo + (width << 1) : len;
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        const a = load<u32>(from + ((<usize>i) << 2));
        const b = load<u32>(from + ((<usize>j) << 2));
        if (compareValues(keyOf(entries, b), keyOf(entries, a)) < 0) {
          store<u32>(to + ((<usize>k) << 2), b);
          j++;
        } else {
          store<u32>(to + ((<usize>k) << 2), a);
          i++;
        }
        k++;
      }
      while (i < mid) {
        store<u32>(to + ((<usize>k) << 2), load<u32>(from + ((<usize>i) << 2)));
        i++;
        k++;
      }
      while (j < hi) {
        store<u32>(to + ((<usize>k) << 2), load<u32>(from + ((<usize>j) << 2)));
        j++;
        k++;
      }
    }
    const swap = from;
    from = to;
    to = swap;
  }
  if (from != index) memory.copy(index, from, (<usize>len) << 2);
}

/** The entry of rank `i` in key order, or 0 when out of range. */
export function tableEntryByRank(t: usize, i: u32): usize {
  if (i >= load<u32>(t, 4)) return 0;
  const sorted = tableSorted(t);
  return entryAt(t, load<u32>(sorted + ((<usize>i) << 2)));
}

/** The entry after the one holding `prev` in key order (the first when `prev` is 0), or 0. */
export function tableNext(t: usize, prev: usize): usize {
  if (load<u32>(t, 4) == 0) return 0;
  tableSorted(t);
  if (prev == 0) return tableEntryByRank(t, 0);
  const e = tableFind(t, prev);
  if (e == 0) return 0;
  return tableEntryByRank(t, load<u32>(e, 16) + 1);
}

export function copyTable(t: usize): usize {
  const copy = makeTable(load<u32>(t));
  if (load<u32>(t, 4) != 0) {
    // rebuild() reads the source's entries through the copy's header, so share them first.
    store<u32>(copy, load<u32>(t, 8), 8);
    store<u32>(copy, load<u32>(t, 16), 16);
    rebuild(copy, nextPowerOfTwo(load<u32>(t, 4)) < 4 ? 4 : nextPowerOfTwo(load<u32>(t, 4)));
  }
  return copy;
}
