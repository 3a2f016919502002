import type { AuditRecord, AuditSink } from '@portcullis/core';
import type { PgStateDatabase } from './pg-state-database.js';
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

export interface AuditIndexFilter {
  subject?: string;
  resource?: string;
  limit?: number;
}

/**
 * The audit index as the gateway uses it, whichever database is behind it. `add` may answer
 * synchronously (SQLite) or with a promise (PostgreSQL); `query` is async.
 */
export interface AuditIndexStore {
  add(record: AuditRecord): void | Promise<void>;
  /** Newest first. */
  query(filter?: AuditIndexFilter): Promise<AuditIndexEntry[]>;
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
      .run(...row(record));
  }

  query(filter: AuditIndexFilter = {}): AuditIndexEntry[] {
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

/** The SQLite index behind the `AuditIndexStore` interface the gateway uses. */
export function asyncAuditIndex(index: AuditIndex): AuditIndexStore {
  return {
    add: (record) => index.add(record),
    query: async (filter) => index.query(filter),
  };
}

const row = (record: AuditRecord) => [
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
];

/** The audit index in the shared PostgreSQL state database, so every gateway's records are in one place. */
export class PgAuditIndex implements AuditIndexStore {
  readonly #db: PgStateDatabase;

  constructor(db: PgStateDatabase) {
    this.#db = db;
  }

  async add(record: AuditRecord): Promise<void> {
    await this.#db.query(
      `INSERT INTO portcullis_audit_index
         (record_id, time, session_id, subject, resource, action, effect, rules, approval_id, summary)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (record_id) DO NOTHING`,
      row(record),
    );
  }

  async query(filter: AuditIndexFilter = {}): Promise<AuditIndexEntry[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.subject !== undefined) {
      args.push(filter.subject);
      where.push(`subject = $${args.length}`);
    }
    if (filter.resource !== undefined) {
      args.push(filter.resource);
      where.push(`resource = $${args.length}`);
    }
    args.push(filter.limit ?? 100);
    const { rows } = await this.#db.query<Omit<AuditIndexEntry, 'rules'> & { rules: string; seq: string }>(
      `SELECT * FROM portcullis_audit_index ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY time DESC, seq DESC LIMIT $${args.length}`,
      args,
    );
    return rows.map(({ seq: _, ...r }) => ({ ...r, rules: JSON.parse(r.rules) as string[] }));
  }
}

/**
 * The audit sink the gateway gives adapters: the hash-chained log first (a failed write there
 * fails the statement), then the index. An index failure is logged, not fatal: the log has it.
 * An index that answers asynchronously (PostgreSQL) is not waited for before the statement
 * proceeds, since the log already holds the record; `close` waits for those writes.
 */
export function indexedAuditSink(
  log: AuditSink,
  index: AuditIndexStore,
  onIndexError: (err: unknown) => void,
): AuditSink {
  const inFlight = new Set<Promise<void>>();
  const indexed = (record: AuditRecord): void => {
    try {
      const pending = index.add(record);
      if (pending instanceof Promise) {
        const tracked: Promise<void> = pending.catch(onIndexError).finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
      }
    } catch (err) {
      onIndexError(err);
    }
  };
  return {
    async write(record) {
      await log.write(record);
      indexed(record);
    },
    ...(log.writeNow && {
      writeNow(record: AuditRecord) {
        if (!log.writeNow?.(record)) return false;
        indexed(record);
        return true;
      },
    }),
    async close() {
      await Promise.allSettled([...inFlight]);
      await log.close();
    },
  };
}
