// Exact decimals: sign × magnitude × 10^exp, the magnitude an arbitrary-precision array of
// u32 limbs (little-endian). Blocks live on the bump heap and are immutable once built.
//
// Dec block: +0 sign (i32: -1, 0, 1), +4 exp (i32), +8 limb count (u32), +12 unused,
// +16 limbs. A normalized Dec has no zero top limb and a magnitude not divisible by 10
// (zero has sign 0, exp 0, no limbs), so equal values have identical blocks.

import { alloc } from './malloc';

/** Decimals whose point position leaves ±MAX_POINT are not handled exactly (f64 fallback). */
export const MAX_POINT: i32 = 1000;

const HDR: usize = 16;

export function decSign(d: usize): i32 {
  return load<i32>(d);
}
export function decExp(d: usize): i32 {
  return load<i32>(d, 4);
}
export function decLen(d: usize): u32 {
  return load<u32>(d, 8);
}
function limb(d: usize, i: u32): u32 {
  return i < load<u32>(d, 8) ? load<u32>(d + HDR + ((<usize>i) << 2)) : 0;
}

function decNew(sign: i32, exp: i32, n: u32): usize {
  const d = alloc(HDR + ((<usize>n) << 2));
  store<i32>(d, sign);
  store<i32>(d, exp, 4);
  store<u32>(d, n, 8);
  store<u32>(d, 0, 12);
  return d;
}

/** Drops zero top limbs; a zero magnitude gets sign 0. Returns d. */
function trim(d: usize): usize {
  let n = load<u32>(d, 8);
  while (n > 0 && load<u32>(d + HDR + ((<usize>(n - 1)) << 2)) == 0) n--;
  store<u32>(d, n, 8);
  if (n == 0) {
    store<i32>(d, 0);
    store<i32>(d, 0, 4);
  }
  return d;
}

export function decFromI64(x: i64): usize {
  const d = decNew(x < 0 ? -1 : x > 0 ? 1 : 0, 0, 2);
  const m: u64 = x < 0 ? <u64>0 - <u64>x : <u64>x;
  store<u32>(d + HDR, <u32>m);
  store<u32>(d + HDR + 4, <u32>(m >> 32));
  return trim(d);
}

/** magnitude × m + add (new block, same sign and exp). */
function mulSmall(a: usize, m: u32, add: u32): usize {
  const n = decLen(a);
  const r = decNew(decSign(a), decExp(a), n + 1);
  let carry: u64 = add;
  for (let i: u32 = 0; i < n; i++) {
    const t = <u64>limb(a, i) * <u64>m + carry;
    store<u32>(r + HDR + ((<usize>i) << 2), <u32>t);
    carry = t >> 32;
  }
  store<u32>(r + HDR + ((<usize>n) << 2), <u32>carry);
  if (decSign(r) == 0 && carry != 0) store<i32>(r, 1);
  return trim(r);
}

let remSmall: u32 = 0;

/** magnitude / m (new block); the remainder is left in remSmall. */
function divSmall(a: usize, m: u32): usize {
  const n = decLen(a);
  const r = decNew(decSign(a), decExp(a), n);
  let rem: u64 = 0;
  for (let i = <i32>n - 1; i >= 0; i--) {
    const t = (rem << 32) | <u64>limb(a, <u32>i);
    store<u32>(r + HDR + ((<usize>i) << 2), <u32>(t / m));
    rem = t % m;
  }
  remSmall = <u32>rem;
  return trim(r);
}

/** magnitude × 10^k, k ≥ 0. */
function scale10(a: usize, k: i32): usize {
  let r = a;
  while (k >= 9) {
    r = mulSmall(r, 1000000000, 0);
    k -= 9;
  }
  if (k > 0) {
    let p: u32 = 1;
    for (let i = 0; i < k; i++) p *= 10;
    r = mulSmall(r, p, 0);
  }
  return r;
}

function magCmp(a: usize, b: usize): i32 {
  const na = decLen(a);
  const nb = decLen(b);
  if (na != nb) return na < nb ? -1 : 1;
  for (let i = <i32>na - 1; i >= 0; i--) {
    const x = limb(a, <u32>i);
    const y = limb(b, <u32>i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

function magAdd(a: usize, b: usize, sign: i32, exp: i32): usize {
  const n = max(decLen(a), decLen(b)) + 1;
  const r = decNew(sign, exp, n);
  let carry: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const t = <u64>limb(a, i) + <u64>limb(b, i) + carry;
    store<u32>(r + HDR + ((<usize>i) << 2), <u32>t);
    carry = t >> 32;
  }
  return trim(r);
}

/** |a| - |b|, requires |a| ≥ |b|. */
function magSub(a: usize, b: usize, sign: i32, exp: i32): usize {
  const n = decLen(a);
  const r = decNew(sign, exp, n);
  let borrow: i64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let t = <i64>limb(a, i) - <i64>limb(b, i) - borrow;
    borrow = 0;
    if (t < 0) {
      t += 0x100000000;
      borrow = 1;
    }
    store<u32>(r + HDR + ((<usize>i) << 2), <u32>t);
  }
  return trim(r);
}

/** Strips factors of ten into the exponent. */
export function normalize(a: usize): usize {
  if (decSign(a) == 0) return a;
  let r = a;
  while (true) {
    const q = divSmall(r, 10);
    if (remSmall != 0) break;
    store<i32>(q, decExp(r) + 1, 4);
    r = q;
  }
  return r;
}

/** Aligns a and b to the smaller exponent; results in alignedA/alignedB. */
let alignedA: usize = 0;
let alignedB: usize = 0;
function align(a: usize, b: usize): void {
  const ea = decExp(a);
  const eb = decExp(b);
  if (ea > eb) {
    alignedA = scale10(a, ea - eb);
    store<i32>(alignedA, eb, 4);
    alignedB = b;
  } else {
    alignedA = a;
    alignedB = scale10(b, eb - ea);
    store<i32>(alignedB, ea, 4);
  }
}

export function decNeg(a: usize): usize {
  const n = decLen(a);
  const r = decNew(-decSign(a), decExp(a), n);
  memory.copy(r + HDR, a + HDR, (<usize>n) << 2);
  return r;
}

export function decAdd(a: usize, b: usize): usize {
  if (decSign(a) == 0) return b;
  if (decSign(b) == 0) return a;
  align(a, b);
  const x = alignedA;
  const y = alignedB;
  const e = decExp(x);
  if (decSign(x) == decSign(y)) return normalize(magAdd(x, y, decSign(x), e));
  const c = magCmp(x, y);
  if (c == 0) return decFromI64(0);
  return normalize(c > 0 ? magSub(x, y, decSign(x), e) : magSub(y, x, decSign(y), e));
}

export function decMul(a: usize, b: usize): usize {
  if (decSign(a) == 0 || decSign(b) == 0) return decFromI64(0);
  const na = decLen(a);
  const nb = decLen(b);
  const r = decNew(decSign(a) * decSign(b), decExp(a) + decExp(b), na + nb);
  memory.fill(r + HDR, 0, (<usize>(na + nb)) << 2);
  for (let i: u32 = 0; i < na; i++) {
    let carry: u64 = 0;
    const x = <u64>limb(a, i);
    for (let j: u32 = 0; j < nb; j++) {
      const p = r + HDR + ((<usize>(i + j)) << 2);
      const t = x * <u64>limb(b, j) + <u64>load<u32>(p) + carry;
      store<u32>(p, <u32>t);
      carry = t >> 32;
    }
    store<u32>(r + HDR + ((<usize>(i + nb)) << 2), <u32>carry);
  }
  return normalize(trim(r));
}

export function decCompare(a: usize, b: usize): i32 {
  const sa = decSign(a);
  const sb = decSign(b);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  align(a, b);
  return sa * magCmp(alignedA, alignedB);
}

/** Number of decimal digits of the magnitude (0 for zero). */
export function decDigits(a: usize): i32 {
  let n = 0;
  let r = a;
  while (decLen(r) > 1) {
    r = divSmall(r, 1000000000);
    n += 9;
  }
  let x = limb(r, 0);
  while (x != 0) {
    n++;
    x /= 10;
  }
  return n;
}

let divRem: usize = 0;

/** Magnitude division by shift-and-subtract: quotient returned, remainder in divRem. */
function magDivMod(a: usize, b: usize): usize {
  const na = decLen(a);
  const nb = decLen(b);
  const q = decNew(1, 0, na);
  memory.fill(q + HDR, 0, (<usize>na) << 2);
  // r has room for nb + 1 limbs (it stays below 2b).
  const r = decNew(1, 0, nb + 1);
  memory.fill(r + HDR, 0, (<usize>(nb + 1)) << 2);
  store<u32>(r, nb + 1, 8);
  for (let bit = <i32>(na * 32) - 1; bit >= 0; bit--) {
    // r = r << 1 | bit of a
    let carry: u32 = (limb(a, <u32>bit >> 5) >> (<u32>bit & 31)) & 1;
    for (let i: u32 = 0; i <= nb; i++) {
      const p = r + HDR + ((<usize>i) << 2);
      const v = load<u32>(p);
      store<u32>(p, (v << 1) | carry);
      carry = v >> 31;
    }
    // compare r >= b
    let ge = true;
    for (let i = <i32>nb; i >= 0; i--) {
      const x = load<u32>(r + HDR + ((<usize>i) << 2));
      const y = limb(b, <u32>i);
      if (x != y) {
        ge = x > y;
        break;
      }
    }
    if (ge) {
      let borrow: i64 = 0;
      for (let i: u32 = 0; i <= nb; i++) {
        const p = r + HDR + ((<usize>i) << 2);
        let t = <i64>load<u32>(p) - <i64>limb(b, i) - borrow;
        borrow = 0;
        if (t < 0) {
          t += 0x100000000;
          borrow = 1;
        }
        store<u32>(p, <u32>t);
      }
      const qp = q + HDR + ((<usize>(<u32>bit >> 5)) << 2);
      store<u32>(qp, load<u32>(qp) | ((<u32>1) << (<u32>bit & 31)));
    }
  }
  divRem = trim(r);
  return trim(q);
}

/** Significant digits an exact quotient may have. */
export const DIV_DIGITS: i32 = 34;

/**
 * a / b when the quotient terminates within DIV_DIGITS significant digits; 0 otherwise
 * (the caller then rounds through f64). b must be non-zero.
 */
export function decDivExact(a: usize, b: usize): usize {
  if (decSign(a) == 0) return decFromI64(0);
  let k = DIV_DIGITS + 2 + decDigits(b) - decDigits(a);
  if (k < 0) k = 0;
  const n = scale10(a, k);
  const q = magDivMod(n, b);
  if (decSign(divRem) != 0) return 0;
  store<i32>(q, decSign(a) * decSign(b));
  store<i32>(q, decExp(a) - decExp(b) - k, 4);
  const r = normalize(q);
  if (decDigits(r) > DIV_DIGITS) return 0;
  return r;
}

/** Truncated remainder of two integral decimals (exp ≥ 0); the sign follows a. */
export function decRemInt(a: usize, b: usize): usize {
  const x = scale10(a, decExp(a));
  store<i32>(x, 0, 4);
  const y = scale10(b, decExp(b));
  store<i32>(y, 0, 4);
  magDivMod(x, y);
  const r = divRem;
  if (decSign(r) != 0) store<i32>(r, decSign(a));
  return normalize(r);
}

let i64Value: i64 = 0;

/** True when the (normalized) decimal is an integer within i64; the value in decI64Value(). */
export function decToI64(a: usize): bool {
  const s = decSign(a);
  if (s == 0) {
    i64Value = 0;
    return true;
  }
  const e = decExp(a);
  if (e < 0 || e > 18 || decLen(a) > 2) return false;
  let m: u64 = ((<u64>limb(a, 1)) << 32) | <u64>limb(a, 0);
  for (let i = 0; i < e; i++) {
    if (m > 1844674407370955161) return false;
    m *= 10;
  }
  if (s > 0) {
    if (m > <u64>i64.MAX_VALUE) return false;
    i64Value = <i64>m;
  } else {
    if (m > (<u64>1) << 63) return false;
    i64Value = <i64>(<u64>0 - m);
  }
  return true;
}

export function decI64Value(): i64 {
  return i64Value;
}

/** A 64-bit hash key of a normalized decimal. */
export function decHashKey(a: usize): u64 {
  let h: u64 = 0xcbf29ce484222325 ^ <u64>(<u32>decSign(a)) ^ ((<u64>(<u32>decExp(a))) << 32);
  const n = decLen(a);
  for (let i: u32 = 0; i < n; i++) {
    h = (h ^ <u64>limb(a, i)) * 0x100000001b3;
    h ^= h >> 29;
  }
  return h;
}

/**
 * Parses JSON/Rego number text into a normalized decimal; 0 when it is not a number or
 * its point position leaves ±MAX_POINT.
 */
export function decParse(ptr: usize, len: usize): usize {
  let i: usize = 0;
  let negative = false;
  if (i < len && load<u8>(ptr) == 0x2d) {
    negative = true;
    i++;
  }
  let d = decNew(1, 0, 0);
  let chunk: u32 = 0;
  let chunkMul: u32 = 1;
  let digits = 0;
  let frac: i64 = 0;
  let afterDot = false;
  let any = false;
  while (i < len) {
    const c = load<u8>(ptr + i);
    if (c == 0x2e) {
      if (afterDot) return 0;
      afterDot = true;
    } else if (c >= 0x30 && c <= 0x39) {
      any = true;
      if (afterDot) frac++;
      if (digits > 0 || c != 0x30) {
        digits++;
        chunk = chunk * 10 + <u32>(c - 0x30);
        chunkMul *= 10;
        if (chunkMul == 1000000000) {
          d = mulSmall(d, chunkMul, chunk);
          chunk = 0;
          chunkMul = 1;
        }
      }
    } else {
      break;
    }
    i++;
  }
  if (!any) return 0;
  if (chunkMul != 1) d = mulSmall(d, chunkMul, chunk);
  let e: i64 = 0;
  if (i < len) {
    const c = load<u8>(ptr + i);
    if (c != 0x65 && c != 0x45) return 0;
    i++;
    let expNegative = false;
    if (i < len) {
      const s = load<u8>(ptr + i);
      if (s == 0x2d || s == 0x2b) {
        expNegative = s == 0x2d;
        i++;
      }
    }
    if (i == len) return 0;
    while (i < len) {
      const c2 = load<u8>(ptr + i);
      if (c2 < 0x30 || c2 > 0x39) return 0;
      if (e < 100000000) e = e * 10 + <i64>(c2 - 0x30);
      i++;
    }
    if (expNegative) e = -e;
  }
  if (digits == 0) return decFromI64(0);
  const exp = e - frac;
  const point = exp + <i64>digits;
  if (point > <i64>MAX_POINT || point < -(<i64>MAX_POINT)) return 0;
  store<i32>(d, negative ? -1 : 1);
  store<i32>(d, <i32>exp, 4);
  return normalize(d);
}

/** Upper bound of decFormat's output length. */
export function decTextBound(a: usize): usize {
  return <usize>decLen(a) * 10 + 80;
}

/** Integers print plainly up to this many digits before the point. */
const PLAIN_MAX_POINT: i32 = 64;

/**
 * The exact value as the shortest decimal text: plain for moderate magnitudes
 * (-6 < point ≤ 64, like JavaScript for small values), otherwise `d.ddde±x`.
 */
export function decFormat(dst: usize, a: usize): usize {
  const s = decSign(a);
  if (s == 0) {
    store<u8>(dst, 0x30);
    return 1;
  }
  // Digits, most significant first, into a scratch block.
  const cap = <usize>decLen(a) * 10 + 1;
  const buf = alloc(cap);
  let nd: usize = 0;
  let r = a;
  while (decSign(r) != 0) {
    r = divSmall(r, 1000000000);
    let c = remSmall;
    const last = decSign(r) == 0;
    for (let j = 0; j < 9; j++) {
      if (last && c == 0) break;
      store<u8>(buf + cap - 1 - nd, <u8>(0x30 + (c % 10)));
      c /= 10;
      nd++;
    }
  }
  const digits = buf + cap - nd;
  let n: usize = 0;
  if (s < 0) {
    store<u8>(dst, 0x2d);
    n = 1;
  }
  const e = decExp(a);
  const point = <i32>nd + e;
  if (e >= 0 && point <= PLAIN_MAX_POINT) {
    memory.copy(dst + n, digits, nd);
    n += nd;
    memory.fill(dst + n, 0x30, <usize>e);
    return n + <usize>e;
  }
  if (e < 0 && point > 0) {
    memory.copy(dst + n, digits, <usize>point);
    n += <usize>point;
    store<u8>(dst + n, 0x2e);
    n++;
    memory.copy(dst + n, digits + <usize>point, nd - <usize>point);
    return n + nd - <usize>point;
  }
  if (e < 0 && point > -6) {
    store<u16>(dst + n, 0x2e30); // "0."
    n += 2;
    memory.fill(dst + n, 0x30, <usize>-point);
    n += <usize>-point;
    memory.copy(dst + n, digits, nd);
    return n + nd;
  }
  store<u8>(dst + n, load<u8>(digits));
  n++;
  if (nd > 1) {
    store<u8>(dst + n, 0x2e);
    n++;
    memory.copy(dst + n, digits + 1, nd - 1);
    n += nd - 1;
  }
  store<u8>(dst + n, 0x65);
  n++;
  let x = point - 1;
  if (x < 0) {
    store<u8>(dst + n, 0x2d);
    x = -x;
  } else {
    store<u8>(dst + n, 0x2b);
  }
  n++;
  let t = x;
  let w: usize = 0;
  do {
    w++;
    t /= 10;
  } while (t != 0);
  for (let j = w; j > 0; j--) {
    store<u8>(dst + n + j - 1, <u8>(0x30 + (x % 10)));
    x /= 10;
  }
  return n + w;
}
