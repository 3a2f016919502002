// Arrays. Layout (16 bytes): +0 type, +4 length, +8 capacity, +12 pointer to u32 element
// addresses. Appends double the capacity; the newest buffer grows in place (see realloc).

import { alloc, realloc } from './malloc';
import { TYPE_ARRAY } from './value';

export const ARRAY_SIZE: usize = 16;

export function arrayLength(a: usize): u32 {
  return load<u32>(a, 4);
}

export function arrayElems(a: usize): usize {
  return <usize>load<u32>(a, 12);
}

export function arrayGet(a: usize, i: u32): usize {
  return <usize>load<u32>(<usize>load<u32>(a, 12) + ((<usize>i) << 2));
}

export function makeArray(cap: u32): usize {
  const a = alloc(ARRAY_SIZE);
  store<u32>(a, TYPE_ARRAY);
  store<u32>(a, 0, 4);
  store<u32>(a, cap, 8);
  store<u32>(a, cap == 0 ? 0 : <u32>alloc((<usize>cap) << 2), 12);
  return a;
}

export function arrayAppend(a: usize, v: usize): void {
  const len = load<u32>(a, 4);
  const cap = load<u32>(a, 8);
  let elems = <usize>load<u32>(a, 12);
  if (len == cap) {
    const next = cap < 4 ? 4 : cap << 1;
    elems = realloc(elems, (<usize>cap) << 2, (<usize>next) << 2);
    store<u32>(a, next, 8);
    store<u32>(a, <u32>elems, 12);
  }
  store<u32>(elems + ((<usize>len) << 2), <u32>v);
  store<u32>(a, len + 1, 4);
}

export function copyArray(a: usize): usize {
  const len = load<u32>(a, 4);
  const copy = makeArray(len);
  memory.copy(<usize>load<u32>(copy, 12), <usize>load<u32>(a, 12), (<usize>len) << 2);
  store<u32>(copy, len, 4);
  return copy;
}

// ABI.

export function opa_array(): usize {
  return makeArray(0);
}

export function opa_array_with_cap(cap: u32): usize {
  return makeArray(cap);
}

export function opa_array_append(a: usize, v: usize): void {
  arrayAppend(a, v);
}

/** The element at index `i`, or 0 when out of range (index iteration without key values). */
export function opa_array_get(a: usize, i: i32): usize {
  return i < 0 || <u32>i >= load<u32>(a, 4) ? 0 : arrayGet(a, <u32>i);
}
