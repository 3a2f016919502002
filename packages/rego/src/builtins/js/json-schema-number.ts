/**
 * Numbers as JSON Schema validation needs them. gojsonschema compares and divides exact
 * rationals (`1.1` is a multiple of `0.1` there, not in float64), so values are turned back
 * into the decimal they were written as (the shortest round-trip text of the double, which
 * is the policy's literal in practice) and compared as `m × 10^e` on bigints.
 */
import { formatFloat } from './go-float.js';

/** `m × 10^e`; `inf` is set for values JSON.parse turned into ±Infinity. */
export interface Decimal {
  readonly m: bigint;
  readonly e: number;
  readonly inf?: 1 | -1;
}

const TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

export function toDecimal(x: number | bigint): Decimal {
  if (typeof x === 'bigint') return { m: x, e: 0 };
  if (!Number.isFinite(x)) return { m: 0n, e: 0, inf: x > 0 ? 1 : -1 };
  const t = TEXT.exec(String(x));
  if (t === null) return { m: 0n, e: 0 };
  const frac = t[3] ?? '';
  const m = BigInt(t[2]! + frac);
  return { m: t[1] === '-' ? -m : m, e: Number(t[4] ?? 0) - frac.length };
}

/** Both mantissas scaled to the smaller exponent, so they compare and divide as integers. */
function aligned(a: Decimal, b: Decimal): [bigint, bigint] {
  const e = Math.min(a.e, b.e);
  return [a.m * 10n ** BigInt(a.e - e), b.m * 10n ** BigInt(b.e - e)];
}

export function compareDecimals(a: Decimal, b: Decimal): number {
  const ia = a.inf ?? 0;
  const ib = b.inf ?? 0;
  if (ia !== 0 || ib !== 0) return Math.sign(ia - ib);
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Whether a / b is a whole number (b is positive: schema compilation checks that). */
export function isMultipleOf(a: Decimal, b: Decimal): boolean {
  if (a.inf !== undefined || b.inf !== undefined) return false;
  const [x, y] = aligned(a, b);
  return y !== 0n && x % y === 0n;
}

export function isIntegral(x: number | bigint): boolean {
  return typeof x === 'bigint' || Number.isInteger(x);
}

/**
 * How gojsonschema prints a schema bound in a message: a big.Float through text/template,
 * which is `Text('g', 10)`: ten significant digits, exponent form from 1e10 up or below 1e-4.
 */
export function formatBound(x: number | bigint): string {
  // Zero is special-cased: formatFloat gives "0e+00" for it with an explicit precision.
  const n = Number(x);
  return n === 0 ? '0' : formatFloat(n, 'g', 10);
}
