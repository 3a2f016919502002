import { createHash } from 'node:crypto';
import type { AuditRecord, ChainedAuditRecord } from './audit-record.js';
import { canonicalJson } from './canonical-json.js';

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
