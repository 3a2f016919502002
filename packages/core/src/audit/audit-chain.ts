import { createHash } from 'node:crypto';
import type { AuditRecord, ChainedAuditRecord } from './audit-record.js';
import { canonicalJson, canonicalMembers, joinCanonicalMembers } from './canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);

/** sha256 hex over the canonical JSON of a chained record, `hash` left out. */
export function hashAuditRecord(record: Omit<ChainedAuditRecord, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...rest } = record;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** Link a record after the one whose hash is `prev`. The chain fields overwrite any the record carried. */
export function chainAuditRecord(record: AuditRecord, seq: number, prev: string): ChainedAuditRecord {
  const linked = { ...record, seq, prev };
  return { ...linked, hash: hashAuditRecord(linked) };
}

/**
 * `chainAuditRecord` and the canonical JSON line of its result, serialising the record once:
 * the hash is taken over the members without `hash`, and the line is the same members with
 * `hash` put in its sorted place. What an audit sink writes per record.
 */
export function chainAuditLine(
  record: AuditRecord,
  seq: number,
  prev: string,
): { chained: ChainedAuditRecord; line: string } {
  const linked = { ...record, seq, prev };
  const members = canonicalMembers(linked);
  if (!members) {
    const chained = { ...linked, hash: hashAuditRecord(linked) };
    return { chained, line: canonicalJson(chained) };
  }
  // As hashAuditRecord: a `hash` the record carried is not hashed, and the chain's replaces it.
  const own = members.findIndex((m) => m[2] === 'hash');
  if (own >= 0) members.splice(own, 1);
  const hash = createHash('sha256').update(joinCanonicalMembers(members)).digest('hex');
  const at = members.findIndex((m) => m[2] > 'hash');
  const withHash: [string, string, string] = ['"hash"', JSON.stringify(hash), 'hash'];
  if (at < 0) members.push(withHash);
  else members.splice(at, 0, withHash);
  return { chained: { ...linked, hash }, line: joinCanonicalMembers(members) };
}
