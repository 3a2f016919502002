import { createHash, hash as digest } from 'node:crypto';
import type { AuditRecord, ChainedAuditRecord } from './audit-record.js';
import { canonicalJson, canonicalMembers, joinCanonicalMembers, orderedJson } from './canonical-json.js';

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
 * The common case of chainAuditLine, with the native serialiser doing the work: the members
 * sorting before `hash` go in order into one object and those after it (`prev` and `seq`
 * among them) into another; the hash goes between the two. A record whose keys are already
 * sorted, as auditRecordFromDecision builds them, is not sorted again. Undefined when a
 * member is not in canonical order inside (orderedJson), for the general path.
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
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  // 0: neither chain member placed yet, 1: `prev` placed, 2: both.
  let placed = 0;
  for (const key of keys) {
    if (key === 'hash' || key === 'prev' || key === 'seq') continue;
    // Assigning `__proto__` would set the object's prototype rather than add a member.
    if (key === '__proto__') return undefined;
    if (key < 'hash') {
      before[key] = record[key];
      continue;
    }
    if (placed === 0 && key > 'prev') {
      after.prev = prev;
      placed = 1;
    }
    if (placed === 1 && key > 'seq') {
      after.seq = seq;
      placed = 2;
    }
    after[key] = record[key];
  }
  if (placed === 0) after.prev = prev;
  if (placed < 2) after.seq = seq;
  const head = orderedJson(before);
  const tail = head === undefined ? undefined : orderedJson(after);
  if (head === undefined || tail === undefined) return undefined;
  const a = head.slice(1, -1);
  const b = tail.slice(1, -1);
  const hash = sha256Hex(a ? `{${a},${b}}` : `{${b}}`);
  return { hash, line: `{${a}${a ? ',' : ''}"hash":"${hash}",${b}}` };
}

// crypto.hash is the one-shot digest (Node 20.12 and later), without a Hash object per call.
const sha256Hex: (data: string) => string =
  typeof digest === 'function'
    ? (data) => digest('sha256', data, 'hex')
    : (data) => createHash('sha256').update(data).digest('hex');
