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
import type { PoolClient } from 'pg';
import { ApprovalWaiters } from './approval-waiters.js';
import type { PgStateDatabase } from './pg-state-database.js';

export interface PgApprovalStoreOptions extends ApprovalStoreSettingsInput {
  db: PgStateDatabase;
  /**
   * How often a waiter re-reads its request even without a notification; default 2 s. Votes
   * from any gateway on the same database wake waiters at once through LISTEN/NOTIFY; this is
   * the safety net for the moments the listening connection is being re-established.
   */
  pollMs?: number;
  /** Told when the listening connection fails (it is re-established on its own). */
  onListenError?: (err: unknown) => void;
}

interface Row {
  doc: string;
  state: ApprovalState;
  expires_ms: string;
  ttl_ms: string;
}

type Queryable = Pick<PoolClient, 'query'>;

const COLUMNS = 'doc, state, expires_ms, ttl_ms';

/**
 * core's ApprovalStore on PostgreSQL, so several gateways share approvals: a statement held
 * on one gateway is released by a vote given on another. The rules are core's approval-transitions.ts
 * (the SQLite store uses the same ones); votes lock the row (`FOR UPDATE`), and a trigger
 * NOTIFYs every listening gateway when a request leaves `pending`.
 */
export class PgApprovalStore implements ApprovalStore {
  readonly #db: PgStateDatabase;
  readonly #settings: ApprovalStoreSettings;
  readonly #waiters: ApprovalWaiters;
  readonly #unsubscribe: () => void;

  constructor(options: PgApprovalStoreOptions) {
    if (typeof options?.db?.transaction !== 'function')
      throw new InvalidOptionError('db', 'must be a PgStateDatabase from PgStateDatabase.open');
    this.#db = options.db;
    this.#settings = approvalStoreSettings(options, 2000);
    this.#waiters = new ApprovalWaiters({
      read: (id) => this.#read(id),
      clock: this.#settings.clock,
      pollMs: this.#settings.pollMs,
    });
    const onListenError = options.onListenError;
    this.#unsubscribe = this.#db.onApprovalDecided({
      onNotification: (id) => this.#waiters.notify(id),
      onReconnect: () => this.#waiters.notifyAll(),
      onError: (err) => onListenError?.(err),
    });
  }

  /** Stops listening for decisions; the database itself is closed by its owner. */
  close(): void {
    this.#unsubscribe();
  }

  async request(input: ApprovalRequestInput): Promise<ApprovalRequest> {
    const { ttlMs, waitMs } = checkRequestInput(input, this.#settings);
    const now = this.#settings.clock();
    const request = newRequest(input, this.#settings.generateId(), now, waitMs);
    try {
      await this.#db.query(
        `INSERT INTO portcullis_approvals (id, state, subject, resource, fingerprint, session_id, scope,
           created_ms, expires_ms, ttl_ms, doc)
         VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
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
        ],
      );
    } catch (err) {
      if ((err as { code?: string }).code === '23505')
        throw new ApprovalStateError(`approval id ${request.id} is already in use`);
      throw err;
    }
    return request;
  }

  get(id: string): Promise<ApprovalRequest> {
    return this.#read(id);
  }

  async vote(id: string, vote: VoteInput): Promise<ApprovalRequest> {
    const outcome = await this.#db.transaction(async (client) => {
      const row = await this.#row(client, id, 'FOR UPDATE');
      const request = await this.#current(client, row, id);
      // A refused vote still commits an expiry found on the way, so it is not re-derived forever.
      try {
        const { validUntilMs } = applyVote(request, vote, this.#settings.clock(), Number(row.ttl_ms));
        await client.query(
          'UPDATE portcullis_approvals SET state = $1, valid_until_ms = $2, doc = $3 WHERE id = $4',
          [request.state, validUntilMs, JSON.stringify(request), id],
        );
        return { request };
      } catch (err) {
        if (err instanceof ApprovalStateError) return { refused: err };
        throw err;
      }
    });
    if (outcome.refused) throw outcome.refused;
    if (outcome.request.state !== 'pending') this.#waiters.notify(id);
    return outcome.request;
  }

  async findGranted(query: FindGrantedQuery): Promise<ApprovalRequest | undefined> {
    const { rows } = await this.#db.query<{ doc: string }>(
      `SELECT doc FROM portcullis_approvals
       WHERE state = 'approved' AND valid_until_ms > $1 AND subject = $2 AND resource = $3
         AND ((scope = 'session' AND session_id = $4) OR (scope = 'statement' AND fingerprint = $5))
       ORDER BY valid_until_ms DESC LIMIT 1`,
      [
        this.#settings.clock(),
        query.subjectId,
        query.resourceName,
        query.sessionId,
        query.fingerprint ?? null,
      ],
    );
    return rows[0] && (JSON.parse(rows[0].doc) as ApprovalRequest);
  }

  waitFor(id: string, options: WaitOptions = {}): Promise<ApprovalRequest> {
    return this.#waiters.wait(id, options);
  }

  async list(filter: { state?: ApprovalState } = {}): Promise<ApprovalRequest[]> {
    const due = await this.#db.query<{ id: string }>(
      "SELECT id FROM portcullis_approvals WHERE state = 'pending' AND expires_ms <= $1",
      [this.#settings.clock()],
    );
    for (const { id } of due.rows) await this.#read(id);
    const { rows } =
      filter.state === undefined
        ? await this.#db.query<{ doc: string }>(
            'SELECT doc FROM portcullis_approvals ORDER BY created_ms, seq',
          )
        : await this.#db.query<{ doc: string }>(
            'SELECT doc FROM portcullis_approvals WHERE state = $1 ORDER BY created_ms, seq',
            [filter.state],
          );
    return rows.map((r) => JSON.parse(r.doc) as ApprovalRequest);
  }

  async #row(client: Queryable, id: string, lock = ''): Promise<Row> {
    const { rows } = await client.query<Row>(
      `SELECT ${COLUMNS} FROM portcullis_approvals WHERE id = $1 ${lock}`,
      [id],
    );
    if (!rows[0]) throw new ApprovalNotFoundError(`no approval with id ${JSON.stringify(id)}`);
    return rows[0];
  }

  /** The request a row holds, moved to `expired` (and saved) if its deadline has passed. */
  async #current(client: Queryable, row: Row, id: string): Promise<ApprovalRequest> {
    const request = JSON.parse(row.doc) as ApprovalRequest;
    const expiresMs = Number(row.expires_ms);
    if (!isDue(row.state, expiresMs, this.#settings.clock())) return request;
    expire(request, expiresMs);
    const updated = await client.query(
      "UPDATE portcullis_approvals SET state = 'expired', doc = $1 WHERE id = $2 AND state = 'pending'",
      [JSON.stringify(request), id],
    );
    // Decided elsewhere between our read and this write (a vote just before the deadline,
    // or another gateway expiring it): what is stored now is the answer.
    if (updated.rowCount === 0) return JSON.parse((await this.#row(client, id)).doc) as ApprovalRequest;
    queueMicrotask(() => this.#waiters.notify(id));
    return request;
  }

  async #read(id: string): Promise<ApprovalRequest> {
    const pool = this.#db.pool;
    return this.#current(pool, await this.#row(pool, id), id);
  }
}
