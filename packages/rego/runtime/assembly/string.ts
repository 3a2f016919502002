// Strings: UTF-8 bytes, not NUL-terminated. Layout (12 bytes): +0 type, +4 byte length,
// +8 pointer to the bytes. A copied string's bytes follow its header in one allocation.

import { alloc } from './malloc';
import { TYPE_STRING } from './value';

export const STRING_SIZE: usize = 12;

export function stringLength(v: usize): u32 {
  return load<u32>(v, 4);
}

export function stringBytes(v: usize): usize {
  return <usize>load<u32>(v, 8);
}

/** Allocates a string with room for `len` bytes; the caller fills (and may shorten) it. */
export function makeStringUninitialized(len: usize): usize {
  const v = alloc(STRING_SIZE + len);
  store<u32>(v, TYPE_STRING);
  store<u32>(v, <u32>len, 4);
  store<u32>(v, <u32>(v + STRING_SIZE), 8);
  return v;
}

export function setStringLength(v: usize, len: usize): void {
  store<u32>(v, <u32>len, 4);
}

export function makeString(bytes: usize, len: usize): usize {
  const v = makeStringUninitialized(len);
  memory.copy(v + STRING_SIZE, bytes, len);
  return v;
}

/** Bytewise (hence code point) order, then length: Go's string comparison. */
export function compareStrings(a: usize, b: usize): i32 {
  const la = load<u32>(a, 4);
  const lb = load<u32>(b, 4);
  const n = la < lb ? la : lb;
  const c = memory.compare(<usize>load<u32>(a, 8), <usize>load<u32>(b, 8), n);
  if (c != 0) return c < 0 ? -1 : 1;
  return la < lb ? -1 : la > lb ? 1 : 0;
}

export function equalStrings(a: usize, b: usize): bool {
  const len = load<u32>(a, 4);
  return len == load<u32>(b, 4) && memory.compare(<usize>load<u32>(a, 8), <usize>load<u32>(b, 8), len) == 0;
}

export function cStringLength(addr: usize): usize {
  let end = addr;
  while (load<u8>(end) != 0) end++;
  return end - addr;
}

// ABI.

/** A string copied from `len` bytes at `addr`. */
export function opa_string(addr: usize, len: usize): usize {
  return makeString(addr, len);
}

/** A string over bytes that outlive it (e.g. a data segment): no copy. */
export function opa_string_allocated(addr: usize, len: usize): usize {
  const v = alloc(STRING_SIZE);
  store<u32>(v, TYPE_STRING);
  store<u32>(v, <u32>len, 4);
  store<u32>(v, <u32>addr, 8);
  return v;
}

/** A string copied from the NUL-terminated bytes at `addr`. */
export function opa_string_terminated(addr: usize): usize {
  return makeString(addr, cStringLength(addr));
}

export function opa_strlen(addr: usize): usize {
  return cStringLength(addr);
}

/** Compares at most `n` bytes of two NUL-terminated strings, like C's strncmp. */
export function opa_strncmp(a: usize, b: usize, n: usize): i32 {
  for (let i: usize = 0; i < n; i++) {
    const x = load<u8>(a + i);
    const y = load<u8>(b + i);
    if (x != y) return x < y ? -1 : 1;
    if (x == 0) break;
  }
  return 0;
}

export function opa_memcmp(a: usize, b: usize, n: usize): i32 {
  const c = memory.compare(a, b, n);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}
