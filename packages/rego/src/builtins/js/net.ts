/**
 * net.cidr_* builtins. Expansion is capped: a policy asking for every address in a /8 would
 * otherwise allocate millions of strings inside a gateway.
 */
import { builtinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { isObject, type Json, str, typeError } from './args.js';
import { type Cidr, formatCidr, formatIp, ipSpan, lastOf, parseCidr, parseIp, span, width } from './ip.js';
import { toSetArray } from './value.js';

/** Most addresses net.cidr_expand will list (a /16 of IPv4). */
export const MAX_CIDR_EXPAND = 65_536;

function cidrOperand(builtin: string, s: string): Cidr {
  const c = parseCidr(s);
  if (c === undefined) throw builtinError(builtin, `invalid CIDR address: ${s}`);
  return c;
}

/** The span of an IP (as a /32 or /128) or a CIDR, in the unified 128-bit space. */
function spanOf(builtin: string, s: string): [bigint, bigint] {
  const ip = parseIp(s);
  if (ip !== undefined) {
    const v = ipSpan(ip);
    return [v, v];
  }
  return span(cidrOperand(builtin, s));
}

function contains(builtin: string): JsBuiltin {
  return (a, b) => {
    const [lo, hi] = span(cidrOperand(builtin, str(builtin, a, 1)));
    const [x, y] = spanOf(builtin, str(builtin, b, 2));
    return lo <= x && y <= hi;
  };
}

function intersects(builtin: string): JsBuiltin {
  return (a, b) => {
    const [lo1, hi1] = span(cidrOperand(builtin, str(builtin, a, 1)));
    const [lo2, hi2] = span(cidrOperand(builtin, str(builtin, b, 2)));
    return lo1 <= hi2 && lo2 <= hi1;
  };
}

function expand(x: unknown): string[] {
  const c = cidrOperand('net.cidr_expand', str('net.cidr_expand', x, 1));
  const size = lastOf(c) - c.first + 1n;
  if (size > BigInt(MAX_CIDR_EXPAND)) {
    throw builtinError(
      'net.cidr_expand',
      `CIDR of ${size} addresses exceeds the limit of ${MAX_CIDR_EXPAND}`,
    );
  }
  const out: string[] = [];
  for (let v = c.first; v <= lastOf(c); v++) out.push(formatIp(c.v6, v));
  return toSetArray(out) as string[];
}

/** The fewest aligned blocks covering [lo, hi] exactly. */
function rangeToCidrs(v6: boolean, lo: bigint, hi: bigint): string[] {
  const w = width(v6);
  const out: string[] = [];
  let cur = lo;
  while (cur <= hi) {
    let bits = w;
    while (bits > 0) {
      const size = 1n << BigInt(w - bits + 1);
      if (cur % size !== 0n || cur + size - 1n > hi) break;
      bits--;
    }
    out.push(formatCidr(v6, cur, bits));
    cur += 1n << BigInt(w - bits);
  }
  return out;
}

function merge(x: unknown): string[] {
  if (!Array.isArray(x)) throw typeError('net.cidr_merge', 1, 'one of {array, set}', x);
  const ranges: Record<'v4' | 'v6', [bigint, bigint][]> = { v4: [], v6: [] };
  for (const item of x as Json[]) {
    if (typeof item !== 'string') throw typeError('net.cidr_merge', 1, 'array[string]', item);
    const ip = parseIp(item);
    if (ip?.v6) throw builtinError('net.cidr_merge', 'IPv6 invalid: needs prefix length');
    if (ip !== undefined) {
      ranges[ip.v6 ? 'v6' : 'v4'].push([ip.value, ip.value]);
      continue;
    }
    const c = parseCidr(item);
    if (c === undefined) throw builtinError('net.cidr_merge', `IP address or CIDR expected, got ${item}`);
    ranges[c.v6 ? 'v6' : 'v4'].push([c.first, lastOf(c)]);
  }
  const out: string[] = [];
  for (const family of ['v4', 'v6'] as const) {
    const sorted = ranges[family].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let cur: [bigint, bigint] | undefined;
    for (const r of sorted) {
      if (cur !== undefined && r[0] <= cur[1] + 1n) {
        if (r[1] > cur[1]) cur[1] = r[1];
        continue;
      }
      if (cur !== undefined) out.push(...rangeToCidrs(family === 'v6', cur[0], cur[1]));
      cur = [r[0], r[1]];
    }
    if (cur !== undefined) out.push(...rangeToCidrs(family === 'v6', cur[0], cur[1]));
  }
  return toSetArray(out) as string[];
}

/**
 * Entries of a cidr_contains_matches operand as [key, address]: a string is its own key, an
 * array is keyed by index, an object by key; an entry that is an array carries its address
 * first. A set arrives here as an array, so its members get indices where OPA would use the
 * members themselves (a known gap of the JSON bridge).
 */
function entries(builtin: string, x: unknown, pos: number): [Json, string][] {
  const addr = (v: Json): string => {
    const a = Array.isArray(v) ? v[0] : v;
    if (typeof a !== 'string')
      throw builtinError(builtin, `operand ${pos}: expected string or array with a string first`);
    return a;
  };
  if (typeof x === 'string') return [[x, x]];
  if (Array.isArray(x)) return (x as Json[]).map((v, i) => [i, addr(v)]);
  if (isObject(x)) return Object.entries(x).map(([k, v]) => [k, addr(v)]);
  throw typeError(builtin, pos, 'one of {string, array, set, object}', x);
}

function containsMatches(a: unknown, b: unknown): Json[] {
  const name = 'net.cidr_contains_matches';
  const cidrs = entries(name, a, 1).map(([k, s]) => [k, span(cidrOperand(name, s))] as const);
  const targets = entries(name, b, 2).map(([k, s]) => [k, spanOf(name, s)] as const);
  const out: Json[] = [];
  for (const [k1, [lo, hi]] of cidrs) {
    for (const [k2, [x, y]] of targets) if (lo <= x && y <= hi) out.push([k1, k2]);
  }
  return toSetArray(out);
}

export const NET_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['net.cidr_contains', contains('net.cidr_contains')],
  ['net.cidr_intersects', intersects('net.cidr_intersects')],
  ['net.cidr_overlap', contains('net.cidr_overlap')],
  ['net.cidr_is_valid', (x) => typeof x === 'string' && parseCidr(x) !== undefined],
  ['net.cidr_expand', expand],
  ['net.cidr_merge', merge],
  ['net.cidr_contains_matches', containsMatches],
]);
