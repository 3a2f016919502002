// String builtins and `regex.match` answered inside the module for the cases that need no
// Unicode tables or regex features beyond a small, exactly understood subset: ASCII case
// mapping, byte-wise prefix/suffix/substring tests, `split` on a non-empty separator, and
// regular expressions built from literals, `.`, classes, groups, alternation, `* + ?` and
// anchors. Each returns FALLBACK for anything else (other types, non-ASCII text, other
// syntax, invalid patterns); the generated code then calls the JavaScript builtin, which
// gives the exact answer or raises OPA's error. Crossing to JavaScript costs microseconds
// per call (JSON both ways); these answer in nanoseconds.

import { TYPE_ARRAY, TYPE_NUMBER, TYPE_STRING, makeBoolean } from '../value';
import { REPR_INT } from '../number';
import { alloc, allocZeroed } from '../malloc';
import { makeString, makeStringUninitialized, stringBytes, stringLength } from '../string';
import { arrayAppend, arrayGet, arrayLength, makeArray } from '../array';

/** Not a value address (0..1023 are never values): "ask the host". */
export const FALLBACK: usize = 1;

// Natives an embedder replaced with builtins of its own (bit i: the i-th fallback native in
// the code generator's table); the generated code then always asks the host.
let disabledNatives: u32 = 0;

export function pcl_native_disable(index: i32): void {
  if (index >= 0 && index < 32) disabledNatives |= (<u32>1) << (<u32>index);
}

export function pcl_native_enabled(index: i32): i32 {
  return ((disabledNatives >> <u32>index) & 1) == 0 ? 1 : 0;
}

function isString(v: usize): bool {
  return v != 0 && load<u32>(v) == TYPE_STRING;
}

function isAscii(v: usize): bool {
  const p = stringBytes(v);
  const n = <usize>stringLength(v);
  for (let i: usize = 0; i < n; i++) if (load<u8>(p + i) >= 0x80) return false;
  return true;
}

function hasAt(s: usize, at: usize, t: usize): bool {
  const n = <usize>stringLength(t);
  if (at + n > <usize>stringLength(s)) return false;
  return memory.compare(stringBytes(s) + at, stringBytes(t), n) == 0;
}

function indexOf(s: usize, t: usize, from: usize): isize {
  const ls = <usize>stringLength(s);
  const lt = <usize>stringLength(t);
  if (lt > ls) return -1;
  for (let i = from; i + lt <= ls; i++)
    if (memory.compare(stringBytes(s) + i, stringBytes(t), lt) == 0) return <isize>i;
  return -1;
}

export function pcl_builtin_startswith(s: usize, prefix: usize): usize {
  if (!isString(s) || !isString(prefix)) return FALLBACK;
  return makeBoolean(hasAt(s, 0, prefix));
}

export function pcl_builtin_endswith(s: usize, suffix: usize): usize {
  if (!isString(s) || !isString(suffix)) return FALLBACK;
  const ls = <usize>stringLength(s);
  const lt = <usize>stringLength(suffix);
  return makeBoolean(lt <= ls && hasAt(s, ls - lt, suffix));
}

export function pcl_builtin_contains(s: usize, sub: usize): usize {
  if (!isString(s) || !isString(sub)) return FALLBACK;
  return makeBoolean(indexOf(s, sub, 0) >= 0);
}

function mapCase(s: usize, upper: bool): usize {
  if (!isString(s) || !isAscii(s)) return FALLBACK;
  const n = <usize>stringLength(s);
  const out = makeStringUninitialized(n);
  const src = stringBytes(s);
  const dst = stringBytes(out);
  for (let i: usize = 0; i < n; i++) {
    let c = load<u8>(src + i);
    if (upper && c >= 0x61 && c <= 0x7a) c -= 32;
    if (!upper && c >= 0x41 && c <= 0x5a) c += 32;
    store<u8>(dst + i, c);
  }
  return out;
}

export function pcl_builtin_lower(s: usize): usize {
  return mapCase(s, false);
}

export function pcl_builtin_upper(s: usize): usize {
  return mapCase(s, true);
}

/** `split(s, sep)` for a non-empty separator (an empty one splits into code points). */
export function pcl_builtin_split(s: usize, sep: usize): usize {
  if (!isString(s) || !isString(sep) || stringLength(sep) == 0) return FALLBACK;
  const out = makeArray(4);
  const lsep = <usize>stringLength(sep);
  let start: usize = 0;
  for (;;) {
    const at = indexOf(s, sep, start);
    if (at < 0) break;
    arrayAppend(out, makeString(stringBytes(s) + start, <usize>at - start));
    start = <usize>at + lsep;
  }
  arrayAppend(out, makeString(stringBytes(s) + start, <usize>stringLength(s) - start));
  return out;
}

/** `concat(delimiter, strings)` over an array (a set goes to the host). */
export function pcl_builtin_concat(delim: usize, xs: usize): usize {
  if (!isString(delim) || xs == 0 || load<u32>(xs) != TYPE_ARRAY) return FALLBACK;
  const n = arrayLength(xs);
  const ld = <usize>stringLength(delim);
  let total: usize = 0;
  for (let i: u32 = 0; i < n; i++) {
    const x = arrayGet(xs, i);
    if (!isString(x)) return FALLBACK;
    total += <usize>stringLength(x) + (i > 0 ? ld : 0);
  }
  const out = makeStringUninitialized(total);
  let at = stringBytes(out);
  for (let i: u32 = 0; i < n; i++) {
    const x = arrayGet(xs, i);
    if (i > 0) {
      memory.copy(at, stringBytes(delim), ld);
      at += ld;
    }
    memory.copy(at, stringBytes(x), <usize>stringLength(x));
    at += <usize>stringLength(x);
  }
  return out;
}

/** Decimal digits of an i64 written at `at` (when `at` is not 0); returns their count. */
function writeInt(x: i64, at: usize): usize {
  let u: u64 = x < 0 ? <u64>-x : <u64>x;
  let n: usize = x < 0 ? 1 : 0;
  let digits: usize = 1;
  for (let t = u / 10; t != 0; t /= 10) digits++;
  n += digits;
  if (at == 0) return n;
  if (x < 0) store<u8>(at, 0x2d);
  for (let i: usize = 0; i < digits; i++) {
    store<u8>(at + n - 1 - i, <u8>(0x30 + <u32>(u % 10)));
    u /= 10;
  }
  return n;
}

/**
 * One pass of `sprintf` over the format: writes at `out` when it is not 0, and returns the
 * length, or -1 when the format or an argument is outside what is answered here: only `%%`,
 * `%s`/`%v` of a string, `%q` of a printable ASCII string and `%d`/`%v` of an integer, with
 * exactly one argument per verb (Go's `%!…` error forms are left to the host).
 */
function sprintfPass(format: usize, args: usize, out: usize): isize {
  const f = stringBytes(format);
  const n = <usize>stringLength(format);
  const nargs = arrayLength(args);
  let next: u32 = 0;
  let len: usize = 0;
  for (let i: usize = 0; i < n; i++) {
    const c = load<u8>(f + i);
    if (c != 0x25) {
      if (out != 0) store<u8>(out + len, c);
      len++;
      continue;
    }
    if (i + 1 >= n) return -1;
    const verb = load<u8>(f + ++i);
    if (verb == 0x25) {
      if (out != 0) store<u8>(out + len, 0x25);
      len++;
      continue;
    }
    if (next >= nargs) return -1;
    const arg = arrayGet(args, next++);
    const type = load<u32>(arg);
    if (type == TYPE_STRING && (verb == 0x73 || verb == 0x76)) {
      const l = <usize>stringLength(arg);
      if (out != 0) memory.copy(out + len, stringBytes(arg), l);
      len += l;
    } else if (type == TYPE_STRING && verb == 0x71) {
      const p = stringBytes(arg);
      const l = <usize>stringLength(arg);
      if (out != 0) store<u8>(out + len, 0x22);
      len++;
      for (let j: usize = 0; j < l; j++) {
        const b = load<u8>(p + j);
        if (b < 0x20 || b > 0x7e) return -1;
        if (b == 0x22 || b == 0x5c) {
          if (out != 0) store<u8>(out + len, 0x5c);
          len++;
        }
        if (out != 0) store<u8>(out + len, b);
        len++;
      }
      if (out != 0) store<u8>(out + len, 0x22);
      len++;
    } else if (type == TYPE_NUMBER && (verb == 0x64 || verb == 0x76) && load<u32>(arg, 4) == REPR_INT) {
      // Only the i64 representation: numbers written as `1.0` or `1e3` keep the host's form.
      len += writeInt(load<i64>(arg, 8), out == 0 ? 0 : out + len);
    } else return -1;
  }
  return next == nargs ? <isize>len : -1;
}

/** `sprintf(format, args)` for the verbs and arguments `sprintfPass` accepts. */
export function pcl_builtin_sprintf(format: usize, args: usize): usize {
  if (!isString(format) || args == 0 || load<u32>(args) != TYPE_ARRAY || !isAscii(format)) return FALLBACK;
  const len = sprintfPass(format, args, 0);
  if (len < 0) return FALLBACK;
  const out = makeStringUninitialized(<usize>len);
  sprintfPass(format, args, stringBytes(out));
  return out;
}

/** `array.concat(a, b)`. */
export function pcl_builtin_array_concat(a: usize, b: usize): usize {
  if (a == 0 || b == 0 || load<u32>(a) != TYPE_ARRAY || load<u32>(b) != TYPE_ARRAY) return FALLBACK;
  const na = arrayLength(a);
  const nb = arrayLength(b);
  const out = makeArray(na + nb);
  for (let i: u32 = 0; i < na; i++) arrayAppend(out, arrayGet(a, i));
  for (let i: u32 = 0; i < nb; i++) arrayAppend(out, arrayGet(b, i));
  return out;
}

// ---------------------------------------------------------------------------------------------
// regex.match: parse to a tree, compile to a Thompson program, run it as a Pike VM without
// captures (only whether there is a match is asked), which is linear in the text like RE2.

const N_CHAR: u32 = 1;
const N_CLASS: u32 = 2;
const N_BOL: u32 = 3;
const N_EOL: u32 = 4;
const N_EMPTY: u32 = 5;
const N_CAT: u32 = 6;
const N_ALT: u32 = 7;
const N_STAR: u32 = 8;
const N_PLUS: u32 = 9;
const N_QUEST: u32 = 10;

const I_CHAR: u32 = 1;
const I_CLASS: u32 = 2;
const I_SPLIT: u32 = 3;
const I_JMP: u32 = 4;
const I_BOL: u32 = 5;
const I_EOL: u32 = 6;
const I_MATCH: u32 = 7;

const MAX_PATTERN: u32 = 2048;

// Parser state (one parse at a time; the module is single-threaded).
let pat: usize = 0;
let patLen: usize = 0;
let pos: usize = 0;
let bad = false;
let nodes: i32 = 0;

function node(kind: u32, a: usize, b: usize): usize {
  nodes++;
  const n = alloc(12);
  store<u32>(n, kind);
  store<u32>(n, <u32>a, 4);
  store<u32>(n, <u32>b, 8);
  return n;
}

function peek(): i32 {
  return pos < patLen ? <i32>load<u8>(pat + pos) : -1;
}

function isAlnum(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function classSet(bits: usize, c: i32): void {
  const at = bits + <usize>(c >> 3);
  const shift: i32 = c & 7;
  const word: i32 = 1 << shift;
  const bit = <u8>word;
  store<u8>(at, load<u8>(at) | bit);
}

function classRange(bits: usize, lo: i32, hi: i32): void {
  for (let c = lo; c <= hi; c++) classSet(bits, c);
}

/** `\d \w \s` (and their negations) into `bits`; false for other letters. */
function perlClass(bits: usize, c: i32): bool {
  const negate = c == 0x44 || c == 0x57 || c == 0x53;
  const lowerC = negate ? c + 32 : c;
  const tmp = allocZeroed(32);
  if (lowerC == 0x64) classRange(tmp, 0x30, 0x39);
  else if (lowerC == 0x77) {
    classRange(tmp, 0x30, 0x39);
    classRange(tmp, 0x41, 0x5a);
    classRange(tmp, 0x61, 0x7a);
    classSet(tmp, 0x5f);
  } else if (lowerC == 0x73) {
    classSet(tmp, 0x09);
    classSet(tmp, 0x0a);
    classSet(tmp, 0x0c);
    classSet(tmp, 0x0d);
    classSet(tmp, 0x20);
  } else return false;
  // Only ASCII text reaches the matcher, so negating within 0..127 is exact.
  for (let i = 0; i < 16; i++) {
    const t = load<u8>(tmp + i);
    store<u8>(bits + i, load<u8>(bits + i) | (negate ? ~t : t));
  }
  return true;
}

/** An escaped character (after `\`): its byte, or -1 for a class written into `bits`. */
function escape(bits: usize): i32 {
  const c = peek();
  if (c < 0) {
    bad = true;
    return 0;
  }
  pos++;
  if (c == 0x6e) return 0x0a;
  if (c == 0x74) return 0x09;
  if (c == 0x72) return 0x0d;
  if (c == 0x66) return 0x0c;
  if (c == 0x76) return 0x0b;
  if (!isAlnum(c)) return c;
  if (bits != 0 && perlClass(bits, c)) return -1;
  bad = true;
  return 0;
}

function parseClass(): usize {
  // After `[`.
  const bits = allocZeroed(32);
  let negate = false;
  if (peek() == 0x5e) {
    negate = true;
    pos++;
  }
  // A `]` first, `[:alpha:]` and nested classes: left to the host.
  if (peek() == 0x5d) {
    bad = true;
    return 0;
  }
  for (;;) {
    let c = peek();
    if (c < 0) {
      bad = true;
      return 0;
    }
    pos++;
    if (c == 0x5d) break;
    if (c == 0x5b) {
      bad = true;
      return 0;
    }
    if (c == 0x5c) {
      c = escape(bits);
      if (bad) return 0;
      if (c < 0) continue;
    }
    if (peek() == 0x2d && pos + 1 < patLen && <i32>load<u8>(pat + pos + 1) != 0x5d) {
      pos++;
      let hi = peek();
      pos++;
      if (hi == 0x5c) {
        hi = escape(0);
        if (bad) return 0;
      } else if (hi == 0x5b) {
        bad = true;
        return 0;
      }
      if (hi < c) {
        bad = true;
        return 0;
      }
      classRange(bits, c, hi);
      continue;
    }
    classSet(bits, c);
  }
  // Only ASCII text reaches the matcher, so the complement within 0..127 is exact (and, as in
  // RE2, a negated class matches a newline).
  if (negate) for (let i = 0; i < 16; i++) store<u8>(bits + i, ~load<u8>(bits + i));
  return node(N_CLASS, bits, 0);
}

function parseAtom(): usize {
  const c = peek();
  if (c == 0x28) {
    pos++;
    if (peek() == 0x3f) {
      // Only the non-capturing group; flags and named groups are left to the host.
      if (pos + 1 < patLen && <i32>load<u8>(pat + pos + 1) == 0x3a) pos += 2;
      else {
        bad = true;
        return 0;
      }
    }
    const inner = parseAlt();
    if (bad) return 0;
    if (peek() != 0x29) {
      bad = true;
      return 0;
    }
    pos++;
    return inner;
  }
  if (c == 0x5b) {
    pos++;
    return parseClass();
  }
  if (c == 0x2e) {
    pos++;
    const bits = allocZeroed(32);
    classRange(bits, 0, 0x7f);
    store<u8>(bits + 1, load<u8>(bits + 1) & ~(<u8>(1 << 2))); // not \n
    return node(N_CLASS, bits, 0);
  }
  if (c == 0x5e) {
    pos++;
    return node(N_BOL, 0, 0);
  }
  if (c == 0x24) {
    pos++;
    return node(N_EOL, 0, 0);
  }
  if (c == 0x5c) {
    pos++;
    const bits = allocZeroed(32);
    const e = escape(bits);
    if (bad) return 0;
    if (e < 0) return node(N_CLASS, bits, 0);
    return node(N_CHAR, <usize>e, 0);
  }
  // Repetition without an operand, braces (counted repetition or literal, depending on what
  // follows) and a stray `]`: left to the host.
  if (c == 0x2a || c == 0x2b || c == 0x3f || c == 0x7b || c == 0x7d || c == 0x5d || c == 0x29 || c < 0) {
    bad = true;
    return 0;
  }
  pos++;
  return node(N_CHAR, <usize>c, 0);
}

function parseRepeat(): usize {
  const startsAnchor = peek() == 0x5e || peek() == 0x24;
  let atom = parseAtom();
  if (bad) return 0;
  const c = peek();
  let kind: u32 = 0;
  if (c == 0x2a) kind = N_STAR;
  else if (c == 0x2b) kind = N_PLUS;
  else if (c == 0x3f) kind = N_QUEST;
  if (kind == 0) return atom;
  if (startsAnchor) {
    bad = true;
    return 0;
  }
  pos++;
  // A lazy marker changes which match is found, not whether there is one.
  if (peek() == 0x3f) pos++;
  const next = peek();
  if (next == 0x2a || next == 0x2b || next == 0x3f || next == 0x7b) {
    bad = true;
    return 0;
  }
  atom = node(kind, atom, 0);
  return atom;
}

function parseConcat(): usize {
  let left = node(N_EMPTY, 0, 0);
  for (;;) {
    const c = peek();
    if (c < 0 || c == 0x7c || c == 0x29) return left;
    const right = parseRepeat();
    if (bad) return 0;
    left = node(N_CAT, left, right);
  }
  return left;
}

function parseAlt(): usize {
  let left = parseConcat();
  if (bad) return 0;
  while (peek() == 0x7c) {
    pos++;
    const right = parseConcat();
    if (bad) return 0;
    left = node(N_ALT, left, right);
  }
  return left;
}

// Program: 12-byte instructions (op, x, y).
let prog: usize = 0;
let progLen: u32 = 0;

function emit(op: u32, x: u32, y: u32): u32 {
  const at = progLen++;
  const p = prog + <usize>at * 12;
  store<u32>(p, op);
  store<u32>(p, x, 4);
  store<u32>(p, y, 8);
  return at;
}

function patch(at: u32, x: u32, y: u32): void {
  const p = prog + <usize>at * 12;
  store<u32>(p, x, 4);
  store<u32>(p, y, 8);
}

function compile(n: usize): void {
  const kind = load<u32>(n);
  const a = <usize>load<u32>(n, 4);
  const b = <usize>load<u32>(n, 8);
  if (kind == N_CHAR) emit(I_CHAR, <u32>a, 0);
  else if (kind == N_CLASS) emit(I_CLASS, <u32>a, 0);
  else if (kind == N_BOL) emit(I_BOL, 0, 0);
  else if (kind == N_EOL) emit(I_EOL, 0, 0);
  else if (kind == N_CAT) {
    compile(a);
    compile(b);
  } else if (kind == N_ALT) {
    const split = emit(I_SPLIT, 0, 0);
    compile(a);
    const jmp = emit(I_JMP, 0, 0);
    const second = progLen;
    compile(b);
    patch(split, split + 1, second);
    patch(jmp, progLen, 0);
  } else if (kind == N_STAR) {
    const split = emit(I_SPLIT, 0, 0);
    compile(a);
    emit(I_JMP, split, 0);
    patch(split, split + 1, progLen);
  } else if (kind == N_PLUS) {
    const start = progLen;
    compile(a);
    const split = emit(I_SPLIT, 0, 0);
    patch(split, start, progLen);
  } else if (kind == N_QUEST) {
    const split = emit(I_SPLIT, 0, 0);
    compile(a);
    patch(split, split + 1, progLen);
  }
}

// VM state.
let marks: usize = 0;
let generation: u32 = 0;
let text: usize = 0;
let textLen: usize = 0;

/** Adds pc's epsilon closure at text position `at` to `list`; true when it reaches MATCH. */
function addState(list: usize, pc: u32, at: usize): bool {
  const mark = marks + <usize>pc * 4;
  if (load<u32>(mark) == generation) return false;
  store<u32>(mark, generation);
  const p = prog + <usize>pc * 12;
  const op = load<u32>(p);
  if (op == I_MATCH) return true;
  if (op == I_JMP) return addState(list, load<u32>(p, 4), at);
  if (op == I_SPLIT) return addState(list, load<u32>(p, 4), at) || addState(list, load<u32>(p, 8), at);
  if (op == I_BOL) return at == 0 ? addState(list, pc + 1, at) : false;
  if (op == I_EOL) return at == textLen ? addState(list, pc + 1, at) : false;
  const n = load<u32>(list);
  store<u32>(list + 4 + <usize>n * 4, pc);
  store<u32>(list, n + 1);
  return false;
}

// The bytes a match can start with (16-byte bitmap over ASCII), or 0 when a match may consume
// nothing (then every position must be tried). Most values a policy tests match none of its
// patterns, and most of their bytes cannot start a match: with no thread alive, the search
// skips straight to the next byte that can.
let first: usize = 0;

function collectFirst(set: usize, pc: u32): bool {
  const mark = marks + <usize>pc * 4;
  if (load<u32>(mark) == generation) return false;
  store<u32>(mark, generation);
  const p = prog + <usize>pc * 12;
  const op = load<u32>(p);
  if (op == I_MATCH) return true;
  if (op == I_JMP) return collectFirst(set, load<u32>(p, 4));
  if (op == I_SPLIT) {
    const a = collectFirst(set, load<u32>(p, 4));
    return collectFirst(set, load<u32>(p, 8)) || a;
  }
  // Assertions are taken as passable: the set only needs to hold every possible first byte.
  if (op == I_BOL || op == I_EOL) return collectFirst(set, pc + 1);
  if (op == I_CHAR) {
    const c = load<u32>(p, 4);
    if (c < 128)
      store<u8>(set + <usize>(c >> 3), load<u8>(set + <usize>(c >> 3)) | ((<u8>1) << (<u8>(c & 7))));
  } else {
    const bits = <usize>load<u32>(p, 4);
    for (let i: usize = 0; i < 16; i++) store<u8>(set + i, load<u8>(set + i) | load<u8>(bits + i));
  }
  return false;
}

/** Fills `set` (16 zeroed bytes) with the program's first bytes; false when it can match empty. */
function firstBytes(set: usize): bool {
  generation++;
  return !collectFirst(set, 0);
}

function run(): bool {
  const size: usize = 4 + <usize>progLen * 4;
  let cur = alloc(size);
  let next = alloc(size);
  store<u32>(cur, 0);
  generation++;
  for (let at: usize = 0; ; at++) {
    if (first != 0 && load<u32>(cur) == 0) {
      // Threads started where the next byte cannot begin a match die on it, and none reaches
      // MATCH without a byte, so those positions are skipped.
      while (at < textLen) {
        const c = <u32>load<u8>(text + at);
        if (((<u32>load<u8>(first + <usize>(c >> 3)) >> (c & 7)) & 1) != 0) break;
        at++;
      }
      if (at == textLen) return false;
    }
    // Unanchored search: a new thread starts at every position.
    if (addState(cur, 0, at)) return true;
    if (at == textLen) return false;
    const c = <u32>load<u8>(text + at);
    generation++;
    store<u32>(next, 0);
    const n = load<u32>(cur);
    for (let i: u32 = 0; i < n; i++) {
      const pc = load<u32>(cur + 4 + <usize>i * 4);
      const p = prog + <usize>pc * 12;
      const op = load<u32>(p);
      let ok = false;
      if (op == I_CHAR) ok = load<u32>(p, 4) == c;
      else if (op == I_CLASS) {
        const bits = <usize>load<u32>(p, 4);
        ok = ((<u32>load<u8>(bits + <usize>(c >> 3)) >> (c & 7)) & 1) != 0;
      }
      if (ok && addState(next, pc + 1, at + 1)) return true;
    }
    const t = cur;
    cur = next;
    next = t;
  }
  return false;
}

// Compiled programs are cached by pattern text in an arena reserved once, at instantiation,
// below the heap the loader resets per evaluation: policies match a few configured patterns
// against many values, and parsing and compiling cost more than running on short text.
// Entries: next, pattern length, pattern bytes, program, program length, first-byte set or 0
// (24 bytes), the set's 16 bytes, then the copied bytes, instructions and class bitmaps. When the arena is full, programs are
// compiled per call on the heap instead.
const ENTRY_HEADER: usize = 40;
let cacheTop: usize = 0;
let cacheEnd: usize = 0;
let cacheHead: usize = 0;

/** Reserves the program cache; called by the module's start function after the heap is set. */
export function pcl_regex_cache_init(size: usize): void {
  cacheTop = alloc(size);
  cacheEnd = cacheTop + size;
  cacheHead = 0;
}

function cacheLookup(bytes: usize, len: usize): usize {
  for (let e = cacheHead; e != 0; e = <usize>load<u32>(e)) {
    if (<usize>load<u32>(e, 4) == len && memory.compare(<usize>load<u32>(e, 8), bytes, len) == 0) return e;
  }
  return 0;
}

function cacheStore(bytes: usize, len: usize): void {
  let classes: usize = 0;
  for (let i: u32 = 0; i < progLen; i++) if (load<u32>(prog + <usize>i * 12) == I_CLASS) classes++;
  const size = (ENTRY_HEADER + len + 7 + <usize>progLen * 12 + classes * 16 + 7) & ~(<usize>7);
  if (cacheTop + size > cacheEnd) return;
  const e = cacheTop;
  cacheTop += size;
  if (first != 0) memory.copy(e + 24, first, 16);
  store<u32>(e, first != 0 ? <u32>(e + 24) : 0, 20);
  const patCopy = e + ENTRY_HEADER;
  memory.copy(patCopy, bytes, len);
  const progCopy = (patCopy + len + 7) & ~(<usize>7);
  memory.copy(progCopy, prog, <usize>progLen * 12);
  let bitmaps = progCopy + <usize>progLen * 12;
  for (let i: u32 = 0; i < progLen; i++) {
    const p = progCopy + <usize>i * 12;
    if (load<u32>(p) != I_CLASS) continue;
    // Only ASCII text is matched, so the first 16 bytes (128 bits) are the whole class.
    memory.copy(bitmaps, <usize>load<u32>(p, 4), 16);
    store<u32>(p, <u32>bitmaps, 4);
    bitmaps += 16;
  }
  store<u32>(e, <u32>cacheHead);
  store<u32>(e, <u32>len, 4);
  store<u32>(e, <u32>patCopy, 8);
  store<u32>(e, <u32>progCopy, 12);
  store<u32>(e, progLen, 16);
  cacheHead = e;
}

/** `regex.match(pattern, value)`. */
export function pcl_builtin_regex_match(pattern: usize, value: usize): usize {
  if (!isString(pattern) || !isString(value)) return FALLBACK;
  if (stringLength(pattern) > MAX_PATTERN || !isAscii(pattern) || !isAscii(value)) return FALLBACK;
  const bytes = stringBytes(pattern);
  const len = <usize>stringLength(pattern);
  const cached = cacheLookup(bytes, len);
  if (cached != 0) {
    prog = <usize>load<u32>(cached, 12);
    progLen = load<u32>(cached, 16);
    first = <usize>load<u32>(cached, 20);
    marks = allocZeroed(<usize>progLen * 4);
  } else {
    pat = bytes;
    patLen = len;
    pos = 0;
    bad = false;
    nodes = 0;
    const tree = parseAlt();
    if (bad || pos != patLen) return FALLBACK;
    // Every node emits at most three instructions; plus MATCH.
    prog = alloc(<usize>(nodes * 3 + 1) * 12);
    progLen = 0;
    compile(tree);
    emit(I_MATCH, 0, 0);
    marks = allocZeroed(<usize>progLen * 4);
    generation = 0;
    first = allocZeroed(16);
    if (!firstBytes(first)) first = 0;
    memory.fill(marks, 0, <usize>progLen * 4);
    if (cacheEnd != 0) cacheStore(bytes, len);
  }
  generation = 0;
  text = stringBytes(value);
  textLen = <usize>stringLength(value);
  return makeBoolean(run());
}
