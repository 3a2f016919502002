/**
 * Rego's total order and equality over JSON values, for the builtins that sort, deduplicate
 * or compare (sort, max, semver-free comparisons, set-typed results). Order by type first,
 * OPA's way: null < boolean < number < string < array < object.
 */
import { isObject, type Json } from './args.js';

const rank = (v: Json): number => {
  if (v === null) return 0;
  if (typeof v === 'boolean') return 1;
  if (typeof v === 'number' || typeof v === 'bigint') return 2;
  if (typeof v === 'string') return 3;
  if (Array.isArray(v)) return 4;
  return 5;
};

function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  // Mixed: compare exactly when the float is whole, else through float64.
  const [x, y] = [a, b];
  if (typeof x === 'number' && Number.isInteger(x)) return compareNumbers(BigInt(x), y);
  if (typeof y === 'number' && Number.isInteger(y)) return compareNumbers(x, BigInt(y));
  return compareNumbers(Number(x), Number(y));
}

/** Code-point order, as Go compares strings (UTF-16 order differs above U+FFFF). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const ra = a[Symbol.iterator]();
  const rb = b[Symbol.iterator]();
  for (;;) {
    const x = ra.next();
    const y = rb.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

export function compareValues(a: Json, b: Json): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return a === b ? 0 : a === false ? -1 : 1;
    case 2:
      return compareNumbers(a as number | bigint, b as number | bigint);
    case 3:
      return compareStrings(a as string, b as string);
    case 4: {
      const x = a as Json[];
      const y = b as Json[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i]!, y[i]!);
        if (c !== 0) return c;
      }
      return x.length - y.length < 0 ? -1 : x.length === y.length ? 0 : 1;
    }
    default: {
      const x = a as Record<string, Json>;
      const y = b as Record<string, Json>;
      const kx = Object.keys(x).sort(compareStrings);
      const ky = Object.keys(y).sort(compareStrings);
      for (let i = 0; i < Math.min(kx.length, ky.length); i++) {
        const c = compareStrings(kx[i]!, ky[i]!);
        if (c !== 0) return c;
        const v = compareValues(x[kx[i]!]!, y[ky[i]!]!);
        if (v !== 0) return v;
      }
      return kx.length < ky.length ? -1 : kx.length === ky.length ? 0 : 1;
    }
  }
}

export function equalValues(a: Json, b: Json): boolean {
  return compareValues(a, b) === 0;
}

/** Sorted, deduplicated: how a set-typed result is returned as a JSON array. */
export function toSetArray(values: Iterable<Json>): Json[] {
  const sorted = [...values].sort(compareValues);
  const out: Json[] = [];
  for (const v of sorted) if (out.length === 0 || !equalValues(out[out.length - 1]!, v)) out.push(v);
  return out;
}

export function deepClone<T extends Json>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => deepClone(x)) as T;
  if (isObject(v)) {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) out[k] = deepClone(x);
    return out as T;
  }
  return v;
}
