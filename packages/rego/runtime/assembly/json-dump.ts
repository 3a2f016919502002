// Values to NUL-terminated text: JSON (opa_json_dump) or OPA's value syntax (opa_value_dump).
// Object keys and set elements come out in sorted order, as OPA prints them. Strings are
// escaped as OPA's wasm runtime does: `"`, `\` and control characters only; no HTML escaping
// of <, > and &, and other bytes pass through unchanged.

import { fail } from './env';
import { realloc } from './malloc';
import { formatNumber, numberTextBound } from './number';
import { arrayGet } from './array';
import { ENTRY_SIZE, tableSorted } from './table';
import { TYPE_ARRAY, TYPE_BOOLEAN, TYPE_NUMBER, TYPE_OBJECT, TYPE_SET, TYPE_STRING } from './value';
import { alloc } from './malloc';

let out: usize = 0;
let outLen: usize = 0;
let outCap: usize = 0;

function reserve(n: usize): void {
  const need = outLen + n;
  if (need <= outCap) return;
  let cap = outCap << 1;
  if (cap < need) cap = need;
  out = realloc(out, outCap, cap);
  outCap = cap;
}

function putByte(b: u32): void {
  reserve(1);
  store<u8>(out + outLen, <u8>b);
  outLen++;
}

function putAscii(word: u64, len: usize): void {
  reserve(8);
  store<u64>(out + outLen, word);
  outLen += len;
}

// Escape table: 0 = copy, otherwise the character after the backslash ('u' = \u00XX).
const ESCAPES: usize = memory.data<u8>([
  0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x62, 0x74, 0x6e, 0x75, 0x66, 0x72, 0x75, 0x75, 0x75, 0x75,
  0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0x75, 0, 0, 0x22, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

function escapeOf(c: u32): u32 {
  if (c < 48) return load<u8>(ESCAPES + c);
  return c == 0x5c ? 0x5c : 0;
}

const HEX: usize = memory.data<u8>([
  0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
]);

function putQuoted(bytes: usize, len: usize): void {
  // Measure first so the output grows once per string, then copy unescaped runs in bulk.
  let extra: usize = 0;
  for (let i: usize = 0; i < len; i++) {
    const e = escapeOf(load<u8>(bytes + i));
    if (e != 0) extra += e == 0x75 ? 5 : 1;
  }
  reserve(len + extra + 2);
  let dst = out + outLen;
  store<u8>(dst++, 0x22);
  if (extra == 0) {
    memory.copy(dst, bytes, len);
    dst += len;
  } else {
    for (let i: usize = 0; i < len; i++) {
      const c = <u32>load<u8>(bytes + i);
      const e = escapeOf(c);
      if (e == 0) {
        store<u8>(dst++, <u8>c);
      } else if (e == 0x75) {
        store<u32>(dst, 0x3030755c); // \u00
        store<u8>(dst + 4, load<u8>(HEX + (c >> 4)));
        store<u8>(dst + 5, load<u8>(HEX + (c & 15)));
        dst += 6;
      } else {
        store<u8>(dst, 0x5c);
        store<u8>(dst + 1, <u8>e);
        dst += 2;
      }
    }
  }
  store<u8>(dst++, 0x22);
  outLen = dst - out;
}

function writeValue(v: usize, valueSyntax: bool): void {
  switch (load<u32>(v)) {
    case TYPE_BOOLEAN:
      if (load<u32>(v, 4) != 0) putAscii(0x65757274, 4);
      else putAscii(0x65736c6166, 5);
      return;
    case TYPE_NUMBER:
      reserve(numberTextBound(v));
      outLen += formatNumber(out + outLen, v);
      return;
    case TYPE_STRING:
      putQuoted(<usize>load<u32>(v, 8), <usize>load<u32>(v, 4));
      return;
    case TYPE_ARRAY: {
      const n = load<u32>(v, 4);
      putByte(0x5b);
      for (let i: u32 = 0; i < n; i++) {
        if (i != 0) putByte(0x2c);
        writeValue(arrayGet(v, i), valueSyntax);
      }
      putByte(0x5d);
      return;
    }
    case TYPE_OBJECT: {
      const n = load<u32>(v, 4);
      putByte(0x7b);
      if (n != 0) {
        const sorted = tableSorted(v);
        const entries = <usize>load<u32>(v, 16);
        for (let i: u32 = 0; i < n; i++) {
          const e = entries + <usize>load<u32>(sorted + ((<usize>i) << 2)) * ENTRY_SIZE;
          if (i != 0) putByte(0x2c);
          writeKey(<usize>load<u32>(e), valueSyntax);
          putByte(0x3a);
          writeValue(<usize>load<u32>(e, 4), valueSyntax);
        }
      }
      putByte(0x7d);
      return;
    }
    case TYPE_SET: {
      const n = load<u32>(v, 4);
      if (valueSyntax && n == 0) {
        putAscii(0x2928746573, 5); // set()
        return;
      }
      putByte(valueSyntax ? 0x7b : 0x5b);
      if (n != 0) {
        const sorted = tableSorted(v);
        const entries = <usize>load<u32>(v, 16);
        for (let i: u32 = 0; i < n; i++) {
          if (i != 0) putByte(0x2c);
          writeValue(
            <usize>load<u32>(entries + <usize>load<u32>(sorted + ((<usize>i) << 2)) * ENTRY_SIZE),
            valueSyntax,
          );
        }
      }
      putByte(valueSyntax ? 0x7d : 0x5d);
      return;
    }
  }
  putAscii(0x6c6c756e, 4); // null
}

/** JSON object keys must be strings: any other key is written as the string of its JSON. */
function writeKey(key: usize, valueSyntax: bool): void {
  if (valueSyntax || load<u32>(key) == TYPE_STRING) {
    writeValue(key, valueSyntax);
    return;
  }
  const start = outLen;
  writeValue(key, false);
  const len = outLen - start;
  const text = alloc(len);
  memory.copy(text, out + start, len);
  outLen = start;
  putQuoted(text, len);
}

function dump(v: usize, valueSyntax: bool): usize {
  if (v == 0) fail('opa_json_dump: undefined value');
  out = 0;
  outLen = 0;
  outCap = 0;
  reserve(64);
  writeValue(v, valueSyntax);
  putByte(0);
  const result = out;
  out = 0;
  return result;
}

export function dumpJson(v: usize): usize {
  return dump(v, false);
}

// ABI.

/** NUL-terminated JSON text of `v`. Sets are written as arrays. */
export function opa_json_dump(v: usize): usize {
  return dump(v, false);
}

/** NUL-terminated text of `v` in OPA's value syntax: sets as `{1,2}` or `set()`. */
export function opa_value_dump(v: usize): usize {
  return dump(v, true);
}
