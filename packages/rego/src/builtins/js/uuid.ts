/** uuid.rfc4122 (random v4) and uuid.parse (fields as google/uuid reports them). */
import { randomUUID } from 'node:crypto';
import type { JsBuiltin } from '../builtin-types.js';
import { str } from './args.js';

/** 100ns intervals between 1582-10-15 (the Gregorian epoch of UUID time) and 1970-01-01. */
const GREGORIAN_OFFSET = 122192928000000000n;

/** The 16 bytes, from the forms google/uuid.Parse accepts; undefined when malformed. */
function uuidBytes(s: string): Buffer | undefined {
  let hex: string | undefined;
  if (s.length === 36 + 9 && s.slice(0, 9).toLowerCase() === 'urn:uuid:') s = s.slice(9);
  else if (s.length === 38 && s[0] === '{' && s[37] === '}') s = s.slice(1, 37);
  if (s.length === 36) {
    if (s[8] !== '-' || s[13] !== '-' || s[18] !== '-' || s[23] !== '-') return undefined;
    hex = s.replace(/-/g, '');
  } else if (s.length === 32) {
    hex = s;
  }
  if (hex === undefined || !/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  return Buffer.from(hex, 'hex');
}

function variant(b: number): string {
  if ((b & 0xc0) === 0x80) return 'RFC4122';
  if ((b & 0xe0) === 0xc0) return 'Microsoft';
  if ((b & 0xe0) === 0xe0) return 'Future';
  return 'Reserved';
}

function parse(x: unknown): Record<string, unknown> | undefined {
  if (typeof x !== 'string') return undefined;
  const b = uuidBytes(x);
  if (b === undefined) return undefined;
  const version = b[6]! >> 4;
  const out: Record<string, unknown> = { version, variant: variant(b[8]!) };
  if (version === 1 || version === 2) {
    // google/uuid reads time_low even for v2, where it holds the local id; OPA reports that.
    const low = BigInt(b.readUInt32BE(0));
    const mid = BigInt(b.readUInt16BE(4));
    const hi = BigInt(b.readUInt16BE(6) & 0x0fff);
    const t = low | (mid << 32n) | (hi << 48n);
    const ns = (t - GREGORIAN_OFFSET) * 100n;
    out.time = Number.isSafeInteger(Number(ns)) ? Number(ns) : ns;
    out.clocksequence = b.readUInt16BE(8) & 0x3fff;
    const node = b.subarray(10, 16);
    out.nodeid = [...node].map((n) => n.toString(16).padStart(2, '0')).join('-');
    out.macvariables = `${node[0]! & 0x02 ? 'local' : 'global'}:${node[0]! & 0x01 ? 'multicast' : 'unicast'}`;
    if (version === 2) {
      const d = b[9]!;
      out.domain = d === 0 ? 'Person' : d === 1 ? 'Group' : d === 2 ? 'Org' : `Domain${d}`;
      out.id = b.readUInt32BE(0);
    }
  }
  return out;
}

export const UUID_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  [
    'uuid.rfc4122',
    (k) => {
      // OPA returns the same UUID for the same key within one query; the bridge has no notion
      // of a query, so each call is fresh (see the report on nondeterministic caching).
      str('uuid.rfc4122', k, 1);
      return randomUUID();
    },
  ],
  ['uuid.parse', parse],
]);
