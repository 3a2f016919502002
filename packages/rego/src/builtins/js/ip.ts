/**
 * IP addresses and CIDRs as Go's net package parses and prints them, on bigint arithmetic.
 * (The rego package must not import node:net, and Go's rules differ from it anyway.)
 */

export interface Ip {
  readonly v6: boolean;
  readonly value: bigint;
}

export interface Cidr {
  readonly v6: boolean;
  readonly first: bigint;
  readonly bits: number;
}

export const width = (v6: boolean): number => (v6 ? 128 : 32);

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    // Go rejects leading zeros (ambiguous octal) since 1.17.
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  let tail4: bigint | undefined;
  let str = s;
  const lastColon = str.lastIndexOf(':');
  if (str.includes('.')) {
    tail4 = parseV4(str.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    str = str.slice(0, lastColon + 1) + '0:0';
  }
  const halves = str.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string): number[] | undefined => {
    if (h === '') return [];
    const groups = h.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  if (tail4 !== undefined) v = (v & ~0xffffffffn) | tail4;
  return v;
}

const V4_MAPPED = 0xffffn << 32n;

export function parseIp(s: string): Ip | undefined {
  if (s.includes(':')) {
    const v = parseV6(s);
    if (v === undefined) return undefined;
    // Go treats ::ffff:a.b.c.d as the IPv4 address it embeds.
    if (v >> 32n === 0xffffn) return { v6: false, value: v & 0xffffffffn };
    return { v6: true, value: v };
  }
  const v = parseV4(s);
  return v === undefined ? undefined : { v6: false, value: v };
}

export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len)) return undefined;
  const bits = Number(len);
  const ip = parseIp(addr);
  if (ip === undefined) return undefined;
  // A mapped IPv4 address written as IPv6 keeps IPv6 prefix lengths in Go.
  const v6 = addr.includes(':');
  const w = width(v6);
  if (bits > w) return undefined;
  const value = v6 && !ip.v6 ? ip.value | V4_MAPPED : ip.value;
  return { v6, first: value & mask(w, bits), bits };
}

export function mask(w: number, bits: number): bigint {
  const all = (1n << BigInt(w)) - 1n;
  return all ^ ((1n << BigInt(w - bits)) - 1n);
}

export function lastOf(c: Cidr): bigint {
  return c.first | ((1n << BigInt(width(c.v6) - c.bits)) - 1n);
}

/** Normalise to the 128-bit space so IPv4 and mapped IPv6 compare as Go compares them. */
export function span(c: Cidr): [bigint, bigint] {
  const lift = (x: bigint) => (c.v6 ? x : x | V4_MAPPED);
  return [lift(c.first), lift(lastOf(c))];
}

export function ipSpan(ip: Ip): bigint {
  return ip.v6 ? ip.value : ip.value | V4_MAPPED;
}

export function formatIp(v6: boolean, value: bigint): string {
  if (!v6 || value >> 32n === 0xffffn) {
    const x = value & 0xffffffffn;
    return [24n, 16n, 8n, 0n].map((s) => String((x >> s) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (>= 2) of zero groups, the first if tied.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
}

export function formatCidr(v6: boolean, first: bigint, bits: number): string {
  return `${formatIp(v6, first)}/${bits}`;
}
