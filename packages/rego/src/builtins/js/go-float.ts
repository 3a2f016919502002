/**
 * Go's strconv float formatting ('e', 'f', 'g' with a precision, or shortest), for sprintf.
 * JS's toFixed rounds ties away from zero on the exact binary value; Go rounds the exact
 * decimal expansion half to even, so we expand the double exactly and round ourselves.
 */

interface Digits {
  /** Significant decimal digits, no leading zeros (empty for zero). */
  d: string;
  /** Position of the decimal point relative to the start of d. */
  dp: number;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The exact decimal expansion of a finite, non-negative double. */
function exactDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  f64[0] = x;
  const bits = u64[0]!;
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let exp: number;
  if (expBits === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  let s: string;
  let dp: number;
  if (exp >= 0) {
    s = (mant << BigInt(exp)).toString();
    dp = s.length;
  } else {
    s = (mant * 5n ** BigInt(-exp)).toString();
    dp = s.length + exp;
  }
  return trim({ d: s, dp });
}

function trim(v: Digits): Digits {
  let d = v.d.replace(/0+$/, '');
  let dp = v.dp;
  const lead = d.length - d.replace(/^0+/, '').length;
  d = d.slice(lead);
  dp -= lead;
  return d === '' ? { d: '', dp: 0 } : { d, dp };
}

/** Round to nd significant digits, half to even (the expansion is exact, so ties are real). */
function roundTo(v: Digits, nd: number): Digits {
  if (nd < 0) return { d: '', dp: 0 };
  if (v.d.length <= nd) return v;
  const keep = v.d.slice(0, nd);
  const rest = v.d.slice(nd);
  const first = rest.charCodeAt(0) - 48;
  let up = first > 5 || (first === 5 && /[1-9]/.test(rest.slice(1)));
  if (first === 5 && !up && !/[1-9]/.test(rest.slice(1))) {
    const last = nd > 0 ? keep.charCodeAt(nd - 1) - 48 : 0;
    up = last % 2 === 1;
  }
  if (!up) return trim({ d: keep, dp: v.dp });
  // Propagate the carry.
  const digits = keep.split('').map((c) => c.charCodeAt(0) - 48);
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === 9) {
    digits[i] = 0;
    i--;
  }
  if (i < 0) return trim({ d: '1' + digits.join(''), dp: v.dp + 1 });
  digits[i]! += 1;
  return trim({ d: digits.join(''), dp: v.dp });
}

/** Shortest digits that round-trip, which JS's toExponential() already gives. */
function shortestDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const [m, e] = x.toExponential().split('e') as [string, string];
  return trim({ d: m.replace('.', ''), dp: Number(e) + 1 });
}

function digitAt(v: Digits, i: number): string {
  return i >= 0 && i < v.d.length ? v.d[i]! : '0';
}

function fmtE(v: Digits, prec: number, e: 'e' | 'E'): string {
  let s = digitAt(v, 0);
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) s += digitAt(v, i);
  }
  const exp = v.d === '' ? 0 : v.dp - 1;
  const abs = Math.abs(exp);
  return s + e + (exp < 0 ? '-' : '+') + (abs < 10 ? '0' : '') + abs;
}

function fmtF(v: Digits, prec: number): string {
  let s = '';
  if (v.dp > 0) for (let i = 0; i < v.dp; i++) s += digitAt(v, i);
  else s = '0';
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) s += digitAt(v, v.dp + i - 1);
  }
  return s;
}

/**
 * strconv.FormatFloat(x, verb, prec, 64). prec -1 means shortest. Sign handling included;
 * Inf and NaN as Go spells them.
 */
export function formatFloat(x: number, verb: 'e' | 'E' | 'f' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  const shortest = prec < 0;
  let digs: Digits;
  let body: string;
  if (verb === 'e' || verb === 'E') {
    digs = shortest ? shortestDigits(a) : roundTo(exactDigits(a), prec + 1);
    body = fmtE(digs, shortest ? Math.max(digs.d.length - 1, 0) : prec, verb);
  } else if (verb === 'f') {
    digs = shortest ? shortestDigits(a) : roundTo(exactDigits(a), exactDigits(a).dp + prec);
    body = fmtF(digs, shortest ? Math.max(digs.d.length - digs.dp, 0) : prec);
  } else {
    let p = prec === 0 ? 1 : prec;
    digs = shortest ? shortestDigits(a) : roundTo(exactDigits(a), p);
    if (shortest) p = digs.d.length;
    let eprec = p;
    if (eprec > digs.d.length && digs.d.length >= digs.dp) eprec = digs.d.length;
    if (shortest) eprec = 6;
    const exp = digs.dp - 1;
    if (exp < -4 || exp >= eprec) {
      if (p > digs.d.length) p = digs.d.length;
      body = fmtE(digs, Math.max(p - 1, 0), verb === 'g' ? 'e' : 'E');
    } else {
      if (p > digs.dp) p = digs.d.length;
      body = fmtF(digs, Math.max(p - digs.dp, 0));
    }
  }
  return (neg ? '-' : '') + body;
}
