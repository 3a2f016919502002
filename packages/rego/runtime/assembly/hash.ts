// Hashing for object keys and set elements. Hashes must agree with equality, so numbers hash
// by numeric value (1, 1.0 and 1e0 hash alike) and objects/sets combine member hashes with an
// order-independent sum.

import {
  TYPE_ARRAY,
  TYPE_BOOLEAN,
  TYPE_NULL,
  TYPE_NUMBER,
  TYPE_OBJECT,
  TYPE_SET,
  TYPE_STRING,
} from './value';
import { numberHashKey } from './number';
import { stringLength, stringBytes } from './string';
import { arrayLength, arrayGet } from './array';
import { tableUsed, tableEntries, ENTRY_SIZE } from './table';

function mix32(h: u32): u32 {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

function mix64(x: u64): u32 {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccd;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53;
  x ^= x >> 33;
  return <u32>x;
}

/** Hashes bytes four at a time (murmur3-style rounds). */
export function hashBytes(ptr: usize, len: usize): u32 {
  let h: u32 = 0x9747b28c ^ <u32>len;
  let i: usize = 0;
  while (i + 4 <= len) {
    let k = load<u32>(ptr + i);
    k *= 0xcc9e2d51;
    k = rotl<u32>(k, 15);
    k *= 0x1b873593;
    h ^= k;
    h = rotl<u32>(h, 13);
    h = h * 5 + 0xe6546b64;
    i += 4;
  }
  let tail: u32 = 0;
  let shift: u32 = 0;
  while (i < len) {
    tail |= (<u32>load<u8>(ptr + i)) << shift;
    shift += 8;
    i++;
  }
  if (shift != 0) {
    tail *= 0xcc9e2d51;
    tail = rotl<u32>(tail, 15);
    tail *= 0x1b873593;
    h ^= tail;
  }
  return mix32(h);
}

export function hashValue(v: usize): u32 {
  switch (load<u32>(v)) {
    case TYPE_NULL:
      return 0x2545f491;
    case TYPE_BOOLEAN:
      return load<u32>(v, 4) != 0 ? 0x9e3779b9 : 0x7f4a7c15;
    case TYPE_NUMBER:
      return mix64(numberHashKey(v));
    case TYPE_STRING:
      return hashBytes(stringBytes(v), stringLength(v));
    case TYPE_ARRAY: {
      const n = arrayLength(v);
      let h: u32 = 0x3c6ef372 ^ <u32>n;
      for (let i: u32 = 0; i < n; i++) h = mix32(h * 31 + hashValue(arrayGet(v, i)));
      return h;
    }
    case TYPE_OBJECT:
    case TYPE_SET: {
      const used = tableUsed(v);
      const entries = tableEntries(v);
      const isObject = load<u32>(v) == TYPE_OBJECT;
      let h: u32 = isObject ? 0xa54ff53a : 0x510e527f;
      for (let i: u32 = 0; i < used; i++) {
        const e = entries + <usize>i * ENTRY_SIZE;
        const key = load<usize>(e);
        if (key == 0) continue;
        // The stored key hash is reused; only object values need hashing here.
        let member = load<u32>(e, 8);
        if (isObject) member = mix32(member ^ rotl<u32>(hashValue(load<usize>(e, 4)), 7));
        h += member;
      }
      return mix32(h);
    }
  }
  return 0;
}

export function opa_value_hash(v: usize): u32 {
  return v == 0 ? 0 : hashValue(v);
}
