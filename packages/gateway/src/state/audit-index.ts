import type { AuditRecord, AuditSink } from '@portcullis/core';
import type Database from 'better-sqlite3';
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
  /** Several records in one transaction (one round trip). */
  addMany(records: readonly AuditRecord[]): void | Promise<void>;
  /** Newest first. */
  query(filter?: AuditIndexFilter): Promise<AuditIndexEntry[]>;
  /**
   * Deletes up to `limit` entries, oldest first, whose time is before `before` (RFC 3339 UTC,
   * as records carry it); returns how many went. The log keeps them.
   */
  prune(before: string, limit: number): number | Promise<number>;
}

/**
 * A queryable copy of the audit log's essentials in the state database. The JSONL log stays
 * the record of truth (it is hash-chained); the index is written after it and is for lookups
 * such as "what did agent-7 run today": one entry per decision and per session bound, none
 * for completion records (see indexedAuditSink).
 */
export class AuditIndex {
  readonly #db: StateDatabase;
  #insert: Database.Statement | undefined;
  #insertMany: ((records: readonly AuditRecord[]) => void) | undefined;
  #prune: Database.Statement | undefined;

  constructor(db: StateDatabase) {
    this.#db = db;
  }

  // Prepared once: preparing costs more than the insert itself.
  #statement(): Database.Statement {
    this.#insert ??= this.#db.prepare(
      `INSERT OR IGNORE INTO audit_index
         (record_id, time, session_id, subject, resource, action, effect, rules, approval_id, summary)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    return this.#insert;
  }

  /** One record, committed as a batch is (see addMany). */
  add(record: AuditRecord): void {
    this.addMany([record]);
  }

  /**
   * One transaction: one commit to the WAL for the lot rather than one per record. The commit
   * does not wait for the disk (`synchronous = NORMAL` for it alone): the index is a copy of
   * the audit log, which is written first, and waiting would stall the event loop, every
   * session with it, for an fsync per batch. A power loss can take the last batches from the
   * index, never from the log, and leaves the database consistent (WAL). The connection's
   * other writes (credentials, revocations, approvals) keep waiting for the disk, and their
   * fsync of the WAL carries the index's commits before them to the disk too.
   */
  addMany(records: readonly AuditRecord[]): void {
    const insert = this.#statement();
    this.#insertMany ??= this.#db.transaction((batch: readonly AuditRecord[]) => {
      for (const record of batch) insert.run(...row(record));
    });
    // SQLite refuses to change the setting inside a transaction; a batch inside a caller's
    // transaction commits with it, as that transaction says.
    if (this.#db.inTransaction) {
      this.#insertMany(records);
      return;
    }
    const before = this.#db.pragma('synchronous', { simple: true }) as number;
    this.#db.pragma('synchronous = NORMAL');
    try {
      this.#insertMany(records);
    } finally {
      this.#db.pragma(`synchronous = ${before}`);
    }
  }

  /** As `addMany`, one transaction that does not wait for the disk: the log holds what goes. */
  prune(before: string, limit: number): number {
    this.#prune ??= this.#db.prepare(
      `DELETE FROM audit_index WHERE rowid IN
         (SELECT rowid FROM audit_index WHERE time < ? ORDER BY time LIMIT ?)`,
    );
    const prune = this.#prune;
    const run = () => prune.run(before, limit).changes;
    if (this.#db.inTransaction) return run();
    const synchronous = this.#db.pragma('synchronous', { simple: true }) as number;
    this.#db.pragma('synchronous = NORMAL');
    try {
      return run();
    } finally {
      this.#db.pragma(`synchronous = ${synchronous}`);
    }
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
    addMany: (records) => index.addMany(records),
    query: async (filter) => index.query(filter),
    prune: (before, limit) => index.prune(before, limit),
  };
}

/** Rows per INSERT: 10 parameters each, well under PostgreSQL's 65535 per statement. */
const PG_BATCH_ROWS = 500;

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

  /** One multi-row INSERT per 500 records: one round trip instead of one per record. */
  async addMany(records: readonly AuditRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += PG_BATCH_ROWS) {
      const chunk = records.slice(start, start + PG_BATCH_ROWS);
      const tuples = chunk.map(
        (_, i) => `(${Array.from({ length: 10 }, (_, k) => `$${i * 10 + k + 1}`).join(', ')})`,
      );
      await this.#db.query(
        `INSERT INTO portcullis_audit_index
           (record_id, time, session_id, subject, resource, action, effect, rules, approval_id, summary)
         VALUES ${tuples.join(', ')} ON CONFLICT (record_id) DO NOTHING`,
        chunk.flatMap(row),
      );
    }
  }

  async prune(before: string, limit: number): Promise<number> {
    const { rowCount } = await this.#db.query(
      `DELETE FROM portcullis_audit_index WHERE seq IN
         (SELECT seq FROM portcullis_audit_index WHERE time < $1 ORDER BY time LIMIT $2)`,
      [before, limit],
    );
    return rowCount ?? 0;
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

/** How long a record may wait to be indexed with others; and how many make a batch at once. */
export const INDEX_BATCH_MS = 25;
export const INDEX_BATCH_MAX = 500;

export interface IndexedAuditSink extends AuditSink {
  /**
   * The index as the gateway's own readers should see it: a query first indexes what is
   * gathered, so it finds every record the log already holds.
   */
  readonly index: AuditIndexStore;
}

/**
 * The audit sink the gateway gives adapters: the hash-chained log first (a failed write there
 * fails the statement), then the index. An index failure is logged, not fatal: the log has it.
 * Index writes are gathered for up to INDEX_BATCH_MS (or INDEX_BATCH_MAX records) and made in
 * one transaction (`addMany`): a commit per record, or per turn of the event loop, cost more
 * than the rest of the statement's audit. The index is not waited for before the statement proceeds, since the log already
 * holds the record; `close` indexes what is gathered and waits for those writes.
 */
export function indexedAuditSink(
  log: AuditSink,
  index: AuditIndexStore,
  onIndexError: (err: unknown) => void,
): IndexedAuditSink {
  const inFlight = new Set<Promise<void>>();
  let batch: AuditRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  const track = (pending: void | Promise<void>): void => {
    if (!(pending instanceof Promise)) return;
    const tracked: Promise<void> = pending.catch(onIndexError).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const records = batch;
    batch = [];
    if (records.length === 0) return;
    try {
      track(index.addMany(records));
    } catch (err) {
      onIndexError(err);
    }
  };
  const indexed = (record: AuditRecord): void => {
    // A completion record repeats its decision's who, what and effect, which the index has;
    // what it adds (rows, bytes, timings) is not indexed. Indexing it listed every statement
    // twice and doubled the index's cost.
    if (record.stage === 'completion') return;
    batch.push(record);
    if (batch.length >= INDEX_BATCH_MAX) flush();
    else if (!timer) {
      timer = setTimeout(flush, INDEX_BATCH_MS);
      // A pending index write does not keep the process alive; close() flushes it.
      timer.unref();
    }
  };
  return {
    index: {
      add: (record) => index.add(record),
      addMany: (records) => index.addMany(records),
      async query(filter) {
        flush();
        await Promise.allSettled([...inFlight]);
        return index.query(filter);
      },
      prune: (before, limit) => index.prune(before, limit),
    },
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
      flush();
      await Promise.allSettled([...inFlight]);
      await log.close();
    },
  };
}
