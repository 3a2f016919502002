// Numbers. Integers that fit in i64 are exact (repr INT). Other literals (fractions,
// exponents, integers beyond i64) keep their original text (repr REF) so JSON round-trips are
// byte-exact, with an f64 approximation beside the text. Arithmetic and comparison are exact
// decimal (`decimal.ts`): results that are not i64 integers are repr DEC. Numbers made from
// an f64 (`opa_number_float`) are repr FLOAT and count as the decimal of their shortest text.
//
// Layout (24 bytes): +0 type, +4 repr, +8 i64 (INT) or f64 approximation (FLOAT, REF, DEC),
// +16 text ptr (REF) or decimal block (DEC), +20 text length (REF).

import { dtoa_buffered } from '~lib/util/number';
import {
  decAdd,
  decCompare,
  decDivExact,
  decExp,
  decFormat,
  decFromI64,
  decHashKey,
  decI64Value,
  decMul,
  decNeg,
  decParse,
  decRemInt,
  decSign,
  decTextBound,
  decToI64,
} from './decimal';
import { alloc } from './malloc';
import { TYPE_NUMBER } from './value';

export const REPR_INT: u32 = 1;
export const REPR_FLOAT: u32 = 2;
export const REPR_REF: u32 = 3;
export const REPR_DEC: u32 = 4;
export const NUMBER_SIZE: usize = 24;

const TWO_63: f64 = 9223372036854775808.0;
const TWO_53: f64 = 9007199254740992.0;

// Powers of ten that f64 represents exactly (Clinger's fast path).
const POW10: usize = memory.data<f64>([
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
]);

function pow10(e: i32): f64 {
  return load<f64>(POW10 + ((<usize>e) << 3));
}

export function reprOf(v: usize): u32 {
  return load<u32>(v, 4);
}

export function makeInt(x: i64): usize {
  const v = alloc(NUMBER_SIZE);
  store<u32>(v, TYPE_NUMBER);
  store<u32>(v, REPR_INT, 4);
  store<i64>(v, x, 8);
  store<u64>(v, 0, 16);
  return v;
}

/**
 * Integral results within 2^53 become exact integers so they print as `1`, not `1.0`.
 * NaN (only reachable as ∞ - ∞ and the like) is not a Rego number: undefined.
 */
export function makeFloat(f: f64): usize {
  if (f != f) return 0;
  if (f == Math.trunc(f) && Math.abs(f) <= TWO_53) return makeInt(<i64>f);
  const v = alloc(NUMBER_SIZE);
  store<u32>(v, TYPE_NUMBER);
  store<u32>(v, REPR_FLOAT, 4);
  store<f64>(v, f, 8);
  store<u64>(v, 0, 16);
  return v;
}

/** A number from an exact decimal block: INT when it is an i64 integer, else DEC. */
export function makeDec(d: usize): usize {
  if (decToI64(d)) return makeInt(decI64Value());
  const bound = decTextBound(d);
  const text = alloc(bound);
  const n = decFormat(text, d);
  const v = alloc(NUMBER_SIZE);
  store<u32>(v, TYPE_NUMBER);
  store<u32>(v, REPR_DEC, 4);
  store<f64>(v, decimalToF64(text, n), 8);
  store<u32>(v, <u32>d, 16);
  store<u32>(v, 0, 20);
  return v;
}

const F64_TEXT: usize = memory.data(48);

/** The exact decimal of a number, or 0 when it has none we handle (∞, huge exponents). */
export function toDec(v: usize): usize {
  const repr = load<u32>(v, 4);
  if (repr == REPR_INT) return decFromI64(load<i64>(v, 8));
  if (repr == REPR_DEC) return <usize>load<u32>(v, 16);
  if (repr == REPR_REF) return decParse(<usize>load<u32>(v, 16), <usize>load<u32>(v, 20));
  const f = load<f64>(v, 8);
  if (!isFinite(f)) return 0;
  return decParse(F64_TEXT, formatF64(F64_TEXT, f));
}

/** Wraps literal text that already lives in memory owned by the value (no copy). */
export function makeRef(text: usize, len: usize): usize {
  const v = alloc(NUMBER_SIZE);
  store<u32>(v, TYPE_NUMBER);
  store<u32>(v, REPR_REF, 4);
  store<f64>(v, decimalToF64(text, len), 8);
  store<u32>(v, <u32>text, 16);
  store<u32>(v, <u32>len, 20);
  return v;
}

/**
 * Parses an optionally signed run of decimal digits into an i64; returns false on overflow
 * or on anything that is not a plain integer literal.
 */
let parsedInt: i64 = 0;
export function parseInteger(ptr: usize, len: usize): bool {
  let i: usize = 0;
  let negative = false;
  if (len > 0 && load<u8>(ptr) == 0x2d) {
    negative = true;
    i = 1;
  }
  if (i == len) return false;
  // Accumulate negatively so that i64.MIN_VALUE is representable.
  let acc: i64 = 0;
  while (i < len) {
    const d = <i32>load<u8>(ptr + i) - 0x30;
    if (d < 0 || d > 9) return false;
    if (acc < -922337203685477580 || (acc == -922337203685477580 && d > 8)) return false;
    acc = acc * 10 - d;
    i++;
  }
  if (!negative) {
    if (acc == i64.MIN_VALUE) return false;
    acc = -acc;
  }
  parsedInt = acc;
  return true;
}

export function lastParsedInt(): i64 {
  return parsedInt;
}

/**
 * Decimal text to the nearest f64 when the significand has at most 15–16 digits and the
 * exponent is small (exact); otherwise within a few ulps. Only comparisons and arithmetic
 * on non-integers see this value; the text itself is kept for output.
 */
export function decimalToF64(ptr: usize, len: usize): f64 {
  let i: usize = 0;
  let negative = false;
  if (len > 0 && load<u8>(ptr) == 0x2d) {
    negative = true;
    i = 1;
  }
  let mantissa: u64 = 0;
  let digits = 0;
  let exponent: i32 = 0;
  let afterDot = false;
  while (i < len) {
    const c = load<u8>(ptr + i);
    if (c == 0x2e) {
      afterDot = true;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits < 19) {
        mantissa = mantissa * 10 + <u64>(c - 0x30);
        if (mantissa != 0) digits++;
        if (afterDot) exponent--;
      } else if (!afterDot) {
        exponent++;
      }
    } else {
      break;
    }
    i++;
  }
  if (i < len) {
    // Exponent part: [eE][+-]?digits, clamped so absurd exponents cannot overflow i32.
    i++;
    let expNegative = false;
    if (i < len) {
      const s = load<u8>(ptr + i);
      if (s == 0x2d || s == 0x2b) {
        expNegative = s == 0x2d;
        i++;
      }
    }
    let e: i32 = 0;
    while (i < len) {
      const c = load<u8>(ptr + i);
      if (c < 0x30 || c > 0x39) break;
      if (e < 100000) e = e * 10 + <i32>(c - 0x30);
      i++;
    }
    exponent += expNegative ? -e : e;
  }
  let result: f64 = 0;
  if (mantissa != 0) {
    if (exponent > 330) {
      result = Infinity;
    } else if (exponent < -400) {
      result = 0;
    } else {
      result = <f64>mantissa;
      if (mantissa <= <u64>TWO_53 && exponent >= -22 && exponent <= 22) {
        result = exponent < 0 ? result / pow10(-exponent) : result * pow10(exponent);
      } else {
        let e = exponent;
        while (e > 22) {
          result *= 1e22;
          e -= 22;
        }
        while (e < -22) {
          result /= 1e22;
          e += 22;
        }
        result = e < 0 ? result / pow10(-e) : result * pow10(e);
      }
    }
  }
  return negative ? -result : result;
}

export function toF64(v: usize): f64 {
  return load<u32>(v, 4) == REPR_INT ? <f64>load<i64>(v, 8) : load<f64>(v, 8);
}

function isIntegralInRange(f: f64): bool {
  return f == Math.trunc(f) && f >= -TWO_63 && f < TWO_63;
}

/** The i64 of a number that is exactly an integer (set by `exactInt`). */
let exactIntValue: i64 = 0;

/** True when the number is an integer we can do exact i64 arithmetic on. */
export function exactInt(v: usize): bool {
  const repr = load<u32>(v, 4);
  if (repr == REPR_INT) {
    exactIntValue = load<i64>(v, 8);
    return true;
  }
  // Decimal results that are i64 integers are always INT.
  if (repr == REPR_DEC) return false;
  if (repr == REPR_REF) {
    const d = toDec(v);
    if (d != 0) {
      if (!decToI64(d)) return false;
      exactIntValue = decI64Value();
      return true;
    }
  }
  const f = load<f64>(v, 8);
  if (f == Math.trunc(f) && Math.abs(f) <= TWO_53) {
    exactIntValue = <i64>f;
    return true;
  }
  return false;
}

export function exactIntResult(): i64 {
  return exactIntValue;
}

/** A 64-bit key equal for numerically equal numbers, for hashing. */
export function numberHashKey(v: usize): u64 {
  if (load<u32>(v, 4) == REPR_INT) return <u64>load<i64>(v, 8);
  const d = toDec(v);
  if (d != 0) return decToI64(d) ? <u64>decI64Value() : decHashKey(d);
  const f = load<f64>(v, 8);
  if (isIntegralInRange(f)) return <u64>(<i64>f);
  return reinterpret<u64>(f) ^ 0x6a09e667f3bcc908;
}

function compareIntFloat(x: i64, y: f64): i32 {
  if (y != y) return -1;
  if (y < -TWO_63) return 1;
  if (y >= TWO_63) return -1;
  const t = Math.trunc(y);
  const ti = <i64>t;
  if (x < ti) return -1;
  if (x > ti) return 1;
  if (y > t) return -1;
  if (y < t) return 1;
  return 0;
}

export function compareNumbers(a: usize, b: usize): i32 {
  const intA = load<u32>(a, 4) == REPR_INT;
  const intB = load<u32>(b, 4) == REPR_INT;
  if (intA && intB) {
    const x = load<i64>(a, 8);
    const y = load<i64>(b, 8);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const da = toDec(a);
  const db = da != 0 ? toDec(b) : 0;
  if (db != 0) return decCompare(da, db);
  if (intA) return compareIntFloat(load<i64>(a, 8), load<f64>(b, 8));
  if (intB) return -compareIntFloat(load<i64>(b, 8), load<f64>(a, 8));
  const x = load<f64>(a, 8);
  const y = load<f64>(b, 8);
  return x < y ? -1 : x > y ? 1 : 0;
}

// Arithmetic. Operands are number values; a non-number operand or an undefined result
// (division by zero, remainder of a non-integer) yields 0, which is Rego's "undefined".

export function arithPlus(a: usize, b: usize): usize {
  if (exactInt(a)) {
    const x = exactIntValue;
    if (exactInt(b)) {
      const y = exactIntValue;
      const r = x + y;
      if (((x ^ r) & (y ^ r)) >= 0) return makeInt(r);
    }
  }
  const da = toDec(a);
  const db = da != 0 ? toDec(b) : 0;
  if (db != 0) return makeDec(decAdd(da, db));
  return makeFloat(toF64(a) + toF64(b));
}

export function arithMinus(a: usize, b: usize): usize {
  if (exactInt(a)) {
    const x = exactIntValue;
    if (exactInt(b)) {
      const y = exactIntValue;
      const r = x - y;
      if (((x ^ y) & (x ^ r)) >= 0) return makeInt(r);
    }
  }
  const da = toDec(a);
  const db = da != 0 ? toDec(b) : 0;
  if (db != 0) return makeDec(decAdd(da, decNeg(db)));
  return makeFloat(toF64(a) - toF64(b));
}

export function arithMultiply(a: usize, b: usize): usize {
  if (exactInt(a)) {
    const x = exactIntValue;
    if (exactInt(b)) {
      const y = exactIntValue;
      const r = x * y;
      // Test the MIN × -1 cases before dividing: MIN / -1 itself traps.
      const overflow =
        (x == -1 && y == i64.MIN_VALUE) || (y == -1 && x == i64.MIN_VALUE) || (x != 0 && r / x != y);
      if (!overflow) return makeInt(r);
    }
  }
  const da = toDec(a);
  const db = da != 0 ? toDec(b) : 0;
  if (db != 0) return makeDec(decMul(da, db));
  return makeFloat(toF64(a) * toF64(b));
}

/**
 * Exact when the quotient terminates within DIV_DIGITS (34) significant digits; otherwise
 * rounded through f64 (`1 / 3` is 0.3333333333333333), as OPA's float-backed division.
 */
export function arithDivide(a: usize, b: usize): usize {
  const db = toDec(b);
  if (db != 0 && decSign(db) == 0) return 0;
  const divisor = toF64(b);
  if (db == 0 && divisor == 0) return 0;
  if (exactInt(a)) {
    const x = exactIntValue;
    if (exactInt(b)) {
      const y = exactIntValue;
      if (!(x == i64.MIN_VALUE && y == -1) && x % y == 0) return makeInt(x / y);
    }
  }
  const da = toDec(a);
  if (da != 0 && db != 0) {
    const q = decDivExact(da, db);
    if (q != 0) return makeDec(q);
  }
  return makeFloat(toF64(a) / divisor);
}

/** Truncated remainder, as Go's `%`: the sign follows the dividend. Integers only. */
export function arithRem(a: usize, b: usize): usize {
  const intA = exactInt(a);
  const x = exactIntValue;
  const intB = exactInt(b);
  const y = exactIntValue;
  if (!intA || !intB) {
    // Integers beyond i64 are still integers.
    const da = toDec(a);
    const db = toDec(b);
    if (da == 0 || db == 0 || decExp(da) < 0 || decExp(db) < 0 || decSign(db) == 0) return 0;
    return makeDec(decRemInt(da, db));
  }
  if (y == 0) return 0;
  if (y == -1) return makeInt(0);
  return makeInt(x % y);
}

// Output.

const SCRATCH: usize = memory.data(64);

export const NUMBER_TEXT_MAX: usize = 40;

function formatU64(dst: usize, x: u64): usize {
  let n: usize = 0;
  let t = x;
  do {
    n++;
    t /= 10;
  } while (t != 0);
  let i = n;
  do {
    i--;
    store<u8>(dst + i, <u8>(0x30 + <u32>(x % 10)));
    x /= 10;
  } while (x != 0);
  return n;
}

export function formatI64(dst: usize, x: i64): usize {
  if (x < 0) {
    store<u8>(dst, 0x2d);
    return 1 + formatU64(dst + 1, <u64>0 - <u64>x);
  }
  return formatU64(dst, <u64>x);
}

/** Shortest round-tripping text, like Go's and JavaScript's; at most NUMBER_TEXT_MAX bytes. */
export function formatF64(dst: usize, f: f64): usize {
  if (!isFinite(f)) {
    // JSON has no infinities; an overflowing literal parses back to the same infinity.
    let n: usize = 0;
    if (f < 0) {
      store<u8>(dst, 0x2d);
      n = 1;
    }
    store<u8>(dst + n, 0x31);
    store<u32>(dst + n + 1, 0x39393965); // "e999"
    return n + 5;
  }
  if (f == Math.trunc(f) && f > -TWO_63 && f < TWO_63) return formatI64(dst, <i64>f);
  let n = <usize>dtoa_buffered<f64>(SCRATCH, f);
  // AssemblyScript writes "1e21" style integers as "1000…0.0"; drop the ".0" Go would not print.
  if (n >= 2 && load<u16>(SCRATCH + ((n - 1) << 1)) == 0x30 && load<u16>(SCRATCH + ((n - 2) << 1)) == 0x2e)
    n -= 2;
  for (let i: usize = 0; i < n; i++) store<u8>(dst + i, <u8>load<u16>(SCRATCH + (i << 1)));
  return n;
}

/** Writes the number's text; REF numbers are copied verbatim, so reserve their length. */
export function formatNumber(dst: usize, v: usize): usize {
  const repr = load<u32>(v, 4);
  if (repr == REPR_INT) return formatI64(dst, load<i64>(v, 8));
  if (repr == REPR_DEC) return decFormat(dst, <usize>load<u32>(v, 16));
  if (repr == REPR_REF) {
    const len = <usize>load<u32>(v, 20);
    memory.copy(dst, <usize>load<u32>(v, 16), len);
    return len;
  }
  return formatF64(dst, load<f64>(v, 8));
}

export function numberTextBound(v: usize): usize {
  const repr = load<u32>(v, 4);
  if (repr == REPR_DEC) return decTextBound(<usize>load<u32>(v, 16));
  return repr == REPR_REF ? <usize>load<u32>(v, 20) : NUMBER_TEXT_MAX;
}

// ABI.

export function opa_number_int(x: i64): usize {
  return makeInt(x);
}

export function opa_number_float(f: f64): usize {
  return makeFloat(f);
}

/** A number from literal text (copied). Integer literals within i64 become exact integers. */
export function opa_number_ref(addr: usize, len: usize): usize {
  if (parseInteger(addr, len)) return makeInt(parsedInt);
  const text = alloc(len);
  memory.copy(text, addr, len);
  return makeRef(text, len);
}

/** 1 when the number is an exact integer (readable with `opa_number_as_int`). */
export function opa_number_is_int(v: usize): i32 {
  return v != 0 && load<u32>(v) == TYPE_NUMBER && exactInt(v) ? 1 : 0;
}

export function opa_number_as_int(v: usize): i64 {
  return exactInt(v) ? exactIntValue : <i64>toF64(v);
}

export function opa_number_as_f64(v: usize): f64 {
  return toF64(v);
}

function bothNumbers(a: usize, b: usize): bool {
  return a != 0 && b != 0 && load<u32>(a) == TYPE_NUMBER && load<u32>(b) == TYPE_NUMBER;
}

export function opa_arith_plus(a: usize, b: usize): usize {
  return bothNumbers(a, b) ? arithPlus(a, b) : 0;
}

export function opa_arith_minus(a: usize, b: usize): usize {
  return bothNumbers(a, b) ? arithMinus(a, b) : 0;
}

export function opa_arith_multiply(a: usize, b: usize): usize {
  return bothNumbers(a, b) ? arithMultiply(a, b) : 0;
}

/** Undefined (0) when dividing by zero. */
export function opa_arith_divide(a: usize, b: usize): usize {
  return bothNumbers(a, b) ? arithDivide(a, b) : 0;
}

/** Undefined (0) for a zero divisor or a non-integer operand, as OPA errors there. */
export function opa_arith_rem(a: usize, b: usize): usize {
  return bothNumbers(a, b) ? arithRem(a, b) : 0;
}
