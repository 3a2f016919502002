import { createHash, hash as digest } from 'node:crypto';
import type { AuditRecord, ChainedAuditRecord } from './audit-record.js';
import {
  canonicalJson,
  canonicalMembers,
  joinCanonicalMembers,
  orderedJson,
  snapshotJson,
} from './canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);

/** sha256 hex over the canonical JSON of a chained record, `hash` left out. */
export function hashAuditRecord(record: Omit<ChainedAuditRecord, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...rest } = record;
  return sha256Hex(canonicalJson(rest));
}

/** Link a record after the one whose hash is `prev`. The chain fields overwrite any the record carried. */
export function chainAuditRecord(record: AuditRecord, seq: number, prev: string): ChainedAuditRecord {
  const linked = { ...record, seq, prev };
  return { ...linked, hash: hashAuditRecord(linked) };
}

/**
 * The hash and canonical JSON line of `chainAuditRecord(record, seq, prev)`, serialising the
 * record once: the hash is taken over the members without `hash`, and the line is the same
 * members with `hash` put in its sorted place. What an audit sink writes per record.
 */
export function chainAuditLine(
  record: AuditRecord,
  seq: number,
  prev: string,
): { hash: string; line: string } {
  const fast = orderedChainLine(record as unknown as Record<string, unknown>, seq, prev);
  if (fast) return fast;
  const linked = { ...record, seq, prev };
  const members = canonicalMembers(linked);
  if (!members) {
    const hash = hashAuditRecord(linked);
    return { hash, line: canonicalJson({ ...linked, hash }) };
  }
  // As hashAuditRecord: a `hash` the record carried is not hashed, and the chain's replaces it.
  const own = members.findIndex((m) => m[2] === 'hash');
  if (own >= 0) members.splice(own, 1);
  const hash = sha256Hex(joinCanonicalMembers(members));
  const at = members.findIndex((m) => m[2] > 'hash');
  const withHash: [string, string, string] = ['"hash"', JSON.stringify(hash), 'hash'];
  if (at < 0) members.push(withHash);
  else members.splice(at, 0, withHash);
  return { hash, line: joinCanonicalMembers(members) };
}

/**
 * The common case of chainAuditLine, serialised member by member in sorted order with the
 * native serialiser: a member canonicalSnapshot made is written from its kept JSON, any other
 * object must already be in canonical order inside (orderedJson). `prev` and `seq` go in
 * their sorted places, and the hash between the members before `hash` and those after.
 * Undefined when some member needs the general path.
 */
function orderedChainLine(
  record: Record<string, unknown>,
  seq: number,
  prev: string,
): { hash: string; line: string } | undefined {
  if (typeof record.toJSON === 'function') return undefined;
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) >= (keys[i] as string)) {
      keys.sort();
      break;
    }
  }
  let head = '';
  let tail = '';
  // 0: neither chain member placed yet, 1: `prev` placed, 2: both.
  let placed = 0;
  for (const key of keys) {
    if (key === 'hash' || key === 'prev' || key === 'seq') continue;
    if (key > 'hash') {
      if (placed === 0 && key > 'prev') {
        tail += `${tail ? ',' : ''}"prev":${JSON.stringify(prev)}`;
        placed = 1;
      }
      if (placed === 1 && key > 'seq') {
        tail += `,"seq":${JSON.stringify(seq)}`;
        placed = 2;
      }
    }
    const json = memberJson(record[key]);
    if (json === undefined) return undefined;
    if (json === '') continue;
    const member = `${memberKey(key)}${json}`;
    if (key < 'hash') head += head ? `,${member}` : member;
    else tail += tail ? `,${member}` : member;
  }
  if (placed === 0) tail += `${tail ? ',' : ''}"prev":${JSON.stringify(prev)}`;
  if (placed < 2) tail += `,"seq":${JSON.stringify(seq)}`;
  const hash = sha256Hex(head ? `{${head},${tail}}` : `{${tail}}`);
  return { hash, line: `{${head}${head ? ',' : ''}"hash":"${hash}",${tail}}` };
}

/**
 * A member's value as canonical JSON: '' for what JSON.stringify leaves out of an object
 * (undefined, functions, symbols), undefined for what needs the general path.
 */
function memberJson(value: unknown): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'undefined':
    case 'function':
    case 'symbol':
      return '';
    case 'object':
      return snapshotJson(value) ?? orderedJson(value);
    default:
      return undefined;
  }
}

/** `"key":` for the few keys a record has, made once. */
const memberKeys = new Map<string, string>();

function memberKey(key: string): string {
  let json = memberKeys.get(key);
  if (json === undefined) {
    json = `${JSON.stringify(key)}:`;
    // Keys come from records, which callers may fill with anything; keep the map small.
    if (memberKeys.size < 256) memberKeys.set(key, json);
  }
  return json;
}

// crypto.hash is the one-shot digest (Node 20.12 and later), without a Hash object per call.
const sha256Hex: (data: string) => string =
  typeof digest === 'function'
    ? (data) => digest('sha256', data, 'hex')
    : (data) => createHash('sha256').update(data).digest('hex');
