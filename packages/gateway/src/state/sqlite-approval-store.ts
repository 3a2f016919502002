import {
  ApprovalNotFoundError,
  type ApprovalRequest,
  type ApprovalRequestInput,
  type ApprovalState,
  ApprovalStateError,
  type ApprovalStore,
  type ApprovalStoreSettings,
  type ApprovalStoreSettingsInput,
  applyVote,
  approvalStoreSettings,
  checkRequestInput,
  expire,
  type FindGrantedQuery,
  InvalidOptionError,
  isDue,
  newRequest,
  type VoteInput,
  type WaitOptions,
} from '@portcullis/core';
import { ApprovalWaiters } from './approval-waiters.js';
import type { StateDatabase } from './state-database.js';

export interface SqliteApprovalStoreOptions extends ApprovalStoreSettingsInput {
  db: StateDatabase;
  /**
   * How often a waiter re-reads its request, so a vote written by another process sharing the
   * file (another gateway, the CLI) is seen; default 250 ms. Votes through this store wake
   * waiters at once.
   */
  pollMs?: number;
}

interface Row {
  doc: string;
  state: ApprovalState;
  expires_ms: number;
  ttl_ms: number;
}

/**
 * core's ApprovalStore on SQLite: the same semantics as InMemoryApprovalStore (the rules live
 * in core's approval-transitions.ts, shared with every store), with every transition in a
 * transaction so concurrent votes cannot both win.
 */
export class SqliteApprovalStore implements ApprovalStore {
  readonly #db: StateDatabase;
  readonly #settings: ApprovalStoreSettings;
  readonly #waiters: ApprovalWaiters;

  constructor(options: SqliteApprovalStoreOptions) {
    if (typeof options?.db?.prepare !== 'function')
      throw new InvalidOptionError('db', 'must be a state database from openStateDatabase');
    this.#db = options.db;
    this.#settings = approvalStoreSettings(options, 250);
    this.#waiters = new ApprovalWaiters({
      read: (id) => this.#read(id),
      clock: this.#settings.clock,
      pollMs: this.#settings.pollMs,
    });
  }

  async request(input: ApprovalRequestInput): Promise<ApprovalRequest> {
    const { ttlMs, waitMs } = checkRequestInput(input, this.#settings);
    const now = this.#settings.clock();
    const request = newRequest(input, this.#settings.generateId(), now, waitMs);
    try {
      this.#db
        .prepare(
          `INSERT INTO approvals (id, state, subject, resource, fingerprint, session_id, scope,
             created_ms, expires_ms, ttl_ms, doc)
           VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          request.id,
          request.subject,
          request.resource,
          request.fingerprint ?? null,
          request.session_id,
          request.scope,
          now,
          now + waitMs,
          ttlMs,
          JSON.stringify(request),
        );
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
        throw new ApprovalStateError(`approval id ${request.id} is already in use`);
      throw err;
    }
    return request;
  }

  async get(id: string): Promise<ApprovalRequest> {
    return this.#read(id);
  }

  async vote(id: string, vote: VoteInput): Promise<ApprovalRequest> {
    const result = this.#db.transaction(() => {
      const row = this.#row(id);
      const request = this.#current(row, id);
      const { validUntilMs } = applyVote(request, vote, this.#settings.clock(), row.ttl_ms);
      this.#db
        .prepare('UPDATE approvals SET state = ?, valid_until_ms = ?, doc = ? WHERE id = ?')
        .run(request.state, validUntilMs, JSON.stringify(request), id);
      return request;
    })();
    if (result.state !== 'pending') this.#waiters.notify(id);
    return result;
  }

  async findGranted(query: FindGrantedQuery): Promise<ApprovalRequest | undefined> {
    const row = this.#db
      .prepare(
        `SELECT doc FROM approvals
         WHERE state = 'approved' AND valid_until_ms > ? AND subject = ? AND resource = ?
           AND ((scope = 'session' AND session_id = ?) OR (scope = 'statement' AND fingerprint = ?))
         ORDER BY valid_until_ms DESC LIMIT 1`,
      )
      .get(
        this.#settings.clock(),
        query.subjectId,
        query.resourceName,
        query.sessionId,
        query.fingerprint ?? null,
      ) as { doc: string } | undefined;
    return row && (JSON.parse(row.doc) as ApprovalRequest);
  }

  waitFor(id: string, options: WaitOptions = {}): Promise<ApprovalRequest> {
    return this.#waiters.wait(id, options);
  }

  async list(filter: { state?: ApprovalState } = {}): Promise<ApprovalRequest[]> {
    const due = this.#db
      .prepare("SELECT id FROM approvals WHERE state = 'pending' AND expires_ms <= ?")
      .all(this.#settings.clock()) as { id: string }[];
    for (const { id } of due) this.#read(id);
    const rows = (
      filter.state === undefined
        ? this.#db.prepare('SELECT doc FROM approvals ORDER BY created_ms, rowid').all()
        : this.#db
            .prepare('SELECT doc FROM approvals WHERE state = ? ORDER BY created_ms, rowid')
            .all(filter.state)
    ) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as ApprovalRequest);
  }

  #row(id: string): Row {
    const row = this.#db
      .prepare('SELECT doc, state, expires_ms, ttl_ms FROM approvals WHERE id = ?')
      .get(id) as Row | undefined;
    if (!row) throw new ApprovalNotFoundError(`no approval with id ${JSON.stringify(id)}`);
    return row;
  }

  /** The request a row holds, moved to `expired` (and saved) if its deadline has passed. */
  #current(row: Row, id: string): ApprovalRequest {
    const request = JSON.parse(row.doc) as ApprovalRequest;
    if (!isDue(row.state, row.expires_ms, this.#settings.clock())) return request;
    expire(request, row.expires_ms);
    this.#db
      .prepare("UPDATE approvals SET state = 'expired', doc = ? WHERE id = ? AND state = 'pending'")
      .run(JSON.stringify(request), id);
    queueMicrotask(() => this.#waiters.notify(id));
    return request;
  }

  #read(id: string): ApprovalRequest {
    return this.#current(this.#row(id), id);
  }
}
