import type { AuditRecord, AuditSink } from '@portcullis/core';
import type { StateDatabase } from './state-database.js';

export interface AuditIndexEntry {
  record_id: string;
  time: string;
  session_id: string;
  subject: string;
  resource: string;
  action: string;
  effect: string;
  rules: string[];
  approval_id: string | null;
  summary: string;
}

/**
 * A queryable copy of the audit log's essentials in the state database. The JSONL log stays
 * the record of truth (it is hash-chained); the index is written after it and is for lookups
 * such as "what did agent-7 run today".
 */
export class AuditIndex {
  readonly #db: StateDatabase;

  constructor(db: StateDatabase) {
    this.#db = db;
  }

  add(record: AuditRecord): void {
    this.#db
      .prepare(
        `INSERT OR IGNORE INTO audit_index
           (record_id, time, session_id, subject, resource, action, effect, rules, approval_id, summary)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.id,
        record.time,
        record.session_id,
        record.subject.id,
        record.resource.name,
        record.action.type,
        record.effect,
        JSON.stringify(record.reasons.map((r) => r.rule)),
        record.approval_id ?? null,
        record.action.summary,
      );
  }

  query(filter: { subject?: string; resource?: string; limit?: number } = {}): AuditIndexEntry[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.subject !== undefined) {
      where.push('subject = ?');
      args.push(filter.subject);
    }
    if (filter.resource !== undefined) {
      where.push('resource = ?');
      args.push(filter.resource);
    }
    args.push(filter.limit ?? 100);
    const rows = this.#db
      .prepare(
        `SELECT * FROM audit_index ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY time DESC, rowid DESC LIMIT ?`,
      )
      .all(...args) as (Omit<AuditIndexEntry, 'rules'> & { rules: string })[];
    return rows.map((r) => ({ ...r, rules: JSON.parse(r.rules) as string[] }));
  }
}

/**
 * The audit sink the gateway gives adapters: the hash-chained log first (a failed write there
 * fails the statement), then the index. An index failure is logged, not fatal: the log has it.
 */
export function indexedAuditSink(
  log: AuditSink,
  index: AuditIndex,
  onIndexError: (err: unknown) => void,
): AuditSink {
  return {
    async write(record) {
      await log.write(record);
      try {
        index.add(record);
      } catch (err) {
        onIndexError(err);
      }
    },
    close: () => log.close(),
  };
}
