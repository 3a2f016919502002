// JSON text to values (RFC 8259), and the same parser in "value" mode for OPA's value syntax
// (sets `{1,2}` and `set()`, keys of any type). Recursive descent with a nesting limit, so
// hostile input cannot exhaust the wasm stack; any error yields 0. Strings are copied out of
// the input, so the caller may reuse the text buffer.

import { makeArray, arrayAppend } from './array';
import { makeObject } from './object';
import { makeSet, setAdd } from './set';
import { tableInsert } from './table';
import { makeInt, makeRef, parseInteger, lastParsedInt } from './number';
import { makeString, makeStringUninitialized, setStringLength, STRING_SIZE } from './string';
import { makeBoolean, opa_null } from './value';
import { alloc } from './malloc';

/**
 * The deepest nesting of arrays and objects accepted. Dumping, comparing and hashing recurse
 * once per level on the engine's native stack, which in Node overflows somewhere past 5000
 * levels; 2048 leaves room for hosts with smaller stacks (Go's encoding/json allows 10000).
 */
export const MAX_DEPTH: i32 = 2048;

let pos: usize = 0;
let end: usize = 0;
let depth: i32 = 0;
let valueMode = false;

function skipWhitespace(): void {
  while (pos < end) {
    const c = load<u8>(pos);
    if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) return;
    pos++;
  }
}

function hexDigit(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>(c - 0x30);
  c |= 0x20;
  if (c >= 0x61 && c <= 0x66) return <i32>(c - 0x61 + 10);
  return -1;
}

/** Four hex digits at `at`, or -1. */
function hex4(at: usize): i32 {
  if (at + 4 > end) return -1;
  const a = hexDigit(load<u8>(at));
  const b = hexDigit(load<u8>(at + 1));
  const c = hexDigit(load<u8>(at + 2));
  const d = hexDigit(load<u8>(at + 3));
  if ((a | b | c | d) < 0) return -1;
  return (a << 12) | (b << 8) | (c << 4) | d;
}

function putUtf8(dst: usize, cp: u32): usize {
  if (cp < 0x80) {
    store<u8>(dst, <u8>cp);
    return 1;
  }
  if (cp < 0x800) {
    store<u8>(dst, <u8>(0xc0 | (cp >> 6)));
    store<u8>(dst + 1, <u8>(0x80 | (cp & 0x3f)));
    return 2;
  }
  if (cp < 0x10000) {
    store<u8>(dst, <u8>(0xe0 | (cp >> 12)));
    store<u8>(dst + 1, <u8>(0x80 | ((cp >> 6) & 0x3f)));
    store<u8>(dst + 2, <u8>(0x80 | (cp & 0x3f)));
    return 3;
  }
  store<u8>(dst, <u8>(0xf0 | (cp >> 18)));
  store<u8>(dst + 1, <u8>(0x80 | ((cp >> 12) & 0x3f)));
  store<u8>(dst + 2, <u8>(0x80 | ((cp >> 6) & 0x3f)));
  store<u8>(dst + 3, <u8>(0x80 | (cp & 0x3f)));
  return 4;
}

function parseString(): usize {
  const start = pos + 1;
  let i = start;
  let escaped = false;
  while (true) {
    if (i >= end) return 0;
    const c = load<u8>(i);
    if (c == 0x22) break;
    if (c < 0x20) return 0;
    if (c == 0x5c) {
      escaped = true;
      i++;
    }
    i++;
  }
  pos = i + 1;
  if (!escaped) return makeString(start, i - start);
  // Every escape decodes to no more bytes than its source text, so the raw length suffices.
  const s = makeStringUninitialized(i - start);
  const dst = s + STRING_SIZE;
  let n: usize = 0;
  let j = start;
  while (j < i) {
    const c = load<u8>(j);
    if (c != 0x5c) {
      store<u8>(dst + n, c);
      n++;
      j++;
      continue;
    }
    const e = load<u8>(j + 1);
    j += 2;
    let b: u32 = 0;
    switch (e) {
      case 0x22:
      case 0x5c:
      case 0x2f:
        b = e;
        break;
      case 0x62:
        b = 0x08;
        break;
      case 0x66:
        b = 0x0c;
        break;
      case 0x6e:
        b = 0x0a;
        break;
      case 0x72:
        b = 0x0d;
        break;
      case 0x74:
        b = 0x09;
        break;
      case 0x75: {
        let cp = hex4(j);
        if (cp < 0) return 0;
        j += 4;
        if (cp >= 0xd800 && cp < 0xdc00) {
          // A high surrogate pairs with an immediately following low one; alone, it is
          // replaced by U+FFFD as Go does.
          const low = j + 6 <= i && load<u8>(j) == 0x5c && load<u8>(j + 1) == 0x75 ? hex4(j + 2) : -1;
          if (low >= 0xdc00 && low < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            j += 6;
          } else {
            cp = 0xfffd;
          }
        } else if (cp >= 0xdc00 && cp < 0xe000) {
          cp = 0xfffd;
        }
        n += putUtf8(dst + n, <u32>cp);
        continue;
      }
      default:
        return 0;
    }
    store<u8>(dst + n, <u8>b);
    n++;
  }
  setStringLength(s, n);
  return s;
}

function isDigit(c: u32): bool {
  return c - 0x30 < 10;
}

function parseNumber(): usize {
  const start = pos;
  let i = pos;
  if (load<u8>(i) == 0x2d) i++;
  if (i >= end || !isDigit(load<u8>(i))) return 0;
  if (load<u8>(i) == 0x30) {
    i++;
  } else {
    while (i < end && isDigit(load<u8>(i))) i++;
  }
  let integer = true;
  if (i < end && load<u8>(i) == 0x2e) {
    integer = false;
    i++;
    if (i >= end || !isDigit(load<u8>(i))) return 0;
    while (i < end && isDigit(load<u8>(i))) i++;
  }
  if (i < end && (load<u8>(i) | 0x20) == 0x65) {
    integer = false;
    i++;
    if (i < end && (load<u8>(i) == 0x2b || load<u8>(i) == 0x2d)) i++;
    if (i >= end || !isDigit(load<u8>(i))) return 0;
    while (i < end && isDigit(load<u8>(i))) i++;
  }
  pos = i;
  const len = i - start;
  if (integer && parseInteger(start, len)) return makeInt(lastParsedInt());
  const text = alloc(len);
  memory.copy(text, start, len);
  return makeRef(text, len);
}

function expectWord(word: u32, len: usize): bool {
  if (pos + len > end) return false;
  const actual = len == 4 ? load<u32>(pos) : load<u32>(pos + 1);
  if (actual != word) return false;
  pos += len;
  return true;
}

function parseArray(): usize {
  pos++;
  const a = makeArray(0);
  skipWhitespace();
  if (pos < end && load<u8>(pos) == 0x5d) {
    pos++;
    return a;
  }
  while (true) {
    const v = parseValue();
    if (v == 0) return 0;
    arrayAppend(a, v);
    skipWhitespace();
    if (pos >= end) return 0;
    const c = load<u8>(pos++);
    if (c == 0x5d) return a;
    if (c != 0x2c) return 0;
  }
  return 0;
}

/** `{` starts an object, or in value mode a set when the first member has no colon. */
function parseBraces(): usize {
  pos++;
  skipWhitespace();
  if (pos < end && load<u8>(pos) == 0x7d) {
    pos++;
    return makeObject();
  }
  let container: usize = 0;
  let isSet = false;
  while (true) {
    skipWhitespace();
    if (pos >= end) return 0;
    if (!valueMode && load<u8>(pos) != 0x22) return 0;
    const key = parseValue();
    if (key == 0) return 0;
    skipWhitespace();
    if (pos >= end) return 0;
    if (container == 0) {
      isSet = valueMode && load<u8>(pos) != 0x3a;
      container = isSet ? makeSet() : makeObject();
    }
    if (isSet) {
      setAdd(container, key);
    } else {
      if (load<u8>(pos) != 0x3a) return 0;
      pos++;
      const value = parseValue();
      if (value == 0) return 0;
      tableInsert(container, key, value);
      skipWhitespace();
      if (pos >= end) return 0;
    }
    const c = load<u8>(pos++);
    if (c == 0x7d) return container;
    if (c != 0x2c) return 0;
  }
  return 0;
}

function parseValue(): usize {
  skipWhitespace();
  if (pos >= end) return 0;
  const c = load<u8>(pos);
  switch (c) {
    case 0x7b: {
      if (++depth > MAX_DEPTH) return 0;
      const v = parseBraces();
      depth--;
      return v;
    }
    case 0x5b: {
      if (++depth > MAX_DEPTH) return 0;
      const v = parseArray();
      depth--;
      return v;
    }
    case 0x22:
      return parseString();
    case 0x74:
      return expectWord(0x65757274, 4) ? makeBoolean(true) : 0; // "true"
    case 0x66:
      return expectWord(0x65736c61, 5) ? makeBoolean(false) : 0; // "false" (bytes 1..4)
    case 0x6e:
      return expectWord(0x6c6c756e, 4) ? opa_null() : 0; // "null"
    case 0x73:
      // "set()": the empty set, which value syntax cannot write as `{}`.
      return valueMode && expectWord(0x29287465, 5) ? makeSet() : 0; // "et()" after "s"
  }
  if (c == 0x2d || isDigit(c)) return parseNumber();
  return 0;
}

function parseDocument(addr: usize, len: usize, values: bool): usize {
  pos = addr;
  end = addr + len;
  depth = 0;
  valueMode = values;
  const v = parseValue();
  if (v == 0) return 0;
  skipWhitespace();
  return pos == end ? v : 0;
}

export function parseJson(addr: usize, len: usize): usize {
  return parseDocument(addr, len, false);
}

// ABI.

/** Parses `len` bytes of JSON at `addr`; 0 when the text is not valid JSON. */
export function opa_json_parse(addr: usize, len: usize): usize {
  return parseDocument(addr, len, false);
}

/** Parses OPA's value syntax (JSON plus sets and non-string keys); 0 when invalid. */
export function opa_value_parse(addr: usize, len: usize): usize {
  return parseDocument(addr, len, true);
}
