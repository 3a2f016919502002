import { randomUUID } from 'node:crypto';
import {
  ApprovalNotFoundError,
  type ApprovalRequest,
  type ApprovalRequestInput,
  type ApprovalState,
  ApprovalStateError,
  type ApprovalStore,
  type FindGrantedQuery,
  formatTime,
  InvalidOptionError,
  InvalidRequestError,
  isAllowedReviewer,
  parseDuration,
  tryParseDuration,
  type VoteInput,
  type WaitOptions,
} from '@portcullis/core';
import type { StateDatabase } from './state-database.js';

export interface SqliteApprovalStoreOptions {
  db: StateDatabase;
  /** Milliseconds since the epoch; defaults to Date.now. */
  clock?: () => number;
  /** How long a request waits for reviewers unless it says otherwise; default 15m. */
  defaultWait?: string;
  /** Upper bound on a grant's validity: a longer ttl asked for by a policy is cut to this. */
  maxTtl?: string;
  generateId?: () => string;
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

const MIN_REARM_MS = 10;

/**
 * core's ApprovalStore on SQLite: the same semantics as InMemoryApprovalStore (lazy expiry at
 * the wait deadline, quorum, any deny denies, no self-review, grants valid for ttl from
 * approval), with every transition in a transaction so concurrent votes cannot both win.
 */
export class SqliteApprovalStore implements ApprovalStore {
  readonly #db: StateDatabase;
  readonly #clock: () => number;
  readonly #defaultWaitMs: number;
  readonly #maxTtlMs: number;
  readonly #generateId: () => string;
  readonly #pollMs: number;
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(options: SqliteApprovalStoreOptions) {
    if (typeof options?.db?.prepare !== 'function')
      throw new InvalidOptionError('db', 'must be a state database from openStateDatabase');
    this.#db = options.db;
    this.#clock = options.clock ?? Date.now;
    this.#defaultWaitMs = parseDuration(options.defaultWait ?? '15m', 'defaultWait');
    if (this.#defaultWaitMs <= 0) throw new InvalidOptionError('defaultWait', 'must be a positive duration');
    this.#maxTtlMs =
      options.maxTtl === undefined ? Number.POSITIVE_INFINITY : parseDuration(options.maxTtl, 'maxTtl');
    if (this.#maxTtlMs <= 0) throw new InvalidOptionError('maxTtl', 'must be a positive duration');
    this.#generateId = options.generateId ?? randomUUID;
    this.#pollMs = options.pollMs ?? 250;
    if (!Number.isInteger(this.#pollMs) || this.#pollMs < 1)
      throw new InvalidOptionError('pollMs', 'must be a positive integer of milliseconds');
  }

  async request(input: ApprovalRequestInput): Promise<ApprovalRequest> {
    const { ttlMs, waitMs } = checkInput(input, this.#defaultWaitMs);
    const now = this.#clock();
    const request: ApprovalRequest = {
      id: this.#generateId(),
      state: 'pending',
      requester: input.requester,
      subject: input.subject,
      resource: input.resource,
      session_id: input.sessionId,
      reviewers: [...input.reviewers],
      quorum: input.quorum,
      scope: input.scope,
      ttl: input.ttl,
      summary: input.summary,
      reasons: structuredClone(input.reasons ?? []),
      created_at: formatTime(new Date(now)),
      expires_at: formatTime(new Date(now + waitMs)),
      votes: [],
    };
    if (input.fingerprint !== undefined) request.fingerprint = input.fingerprint;
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
          Math.min(ttlMs, this.#maxTtlMs),
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
      const request = this.#read(id);
      if (request.state !== 'pending')
        throw new ApprovalStateError(`approval ${id} is ${request.state}; it takes no more votes`);
      if (typeof vote.reviewer !== 'string' || vote.reviewer === '')
        throw new ApprovalStateError('a vote needs a reviewer');
      if (vote.decision !== 'approve' && vote.decision !== 'deny')
        throw new ApprovalStateError(`a vote is approve or deny, not ${JSON.stringify(vote.decision)}`);
      if (vote.reviewer === request.requester || vote.reviewer === request.subject)
        throw new ApprovalStateError(`${vote.reviewer} cannot review their own request`);
      if (!isAllowedReviewer(request.reviewers, vote.reviewer, vote.reviewerGroups ?? []))
        throw new ApprovalStateError(`${vote.reviewer} is not a reviewer of approval ${id}`);
      if (request.votes.some((v) => v.reviewer === vote.reviewer))
        throw new ApprovalStateError(`${vote.reviewer} has already voted on approval ${id}`);
      const now = this.#clock();
      const at = formatTime(new Date(now));
      request.votes.push(
        vote.comment === undefined
          ? { reviewer: vote.reviewer, decision: vote.decision, at }
          : { reviewer: vote.reviewer, decision: vote.decision, comment: vote.comment, at },
      );
      let validUntil: number | null = null;
      if (vote.decision === 'deny') {
        request.state = 'denied';
        request.decided_at = at;
      } else if (request.votes.filter((v) => v.decision === 'approve').length >= request.quorum) {
        const row = this.#db.prepare('SELECT ttl_ms FROM approvals WHERE id = ?').get(id) as {
          ttl_ms: number;
        };
        validUntil = now + row.ttl_ms;
        request.state = 'approved';
        request.decided_at = at;
        request.valid_until = formatTime(new Date(validUntil));
      }
      this.#db
        .prepare('UPDATE approvals SET state = ?, valid_until_ms = ?, doc = ? WHERE id = ?')
        .run(request.state, validUntil, JSON.stringify(request), id);
      return request;
    })();
    if (result.state !== 'pending') this.#notify(id);
    return result;
  }

  async findGranted(query: FindGrantedQuery): Promise<ApprovalRequest | undefined> {
    const now = this.#clock();
    const row = this.#db
      .prepare(
        `SELECT doc FROM approvals
         WHERE state = 'approved' AND valid_until_ms > ? AND subject = ? AND resource = ?
           AND ((scope = 'session' AND session_id = ?) OR (scope = 'statement' AND fingerprint = ?))
         ORDER BY valid_until_ms DESC LIMIT 1`,
      )
      .get(now, query.subjectId, query.resourceName, query.sessionId, query.fingerprint ?? null) as
      | { doc: string }
      | undefined;
    return row && (JSON.parse(row.doc) as ApprovalRequest);
  }

  waitFor(id: string, options: WaitOptions = {}): Promise<ApprovalRequest> {
    let current: ApprovalRequest;
    try {
      current = this.#read(id);
    } catch (err) {
      return Promise.reject(err);
    }
    if (current.state !== 'pending') return Promise.resolve(current);
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const expiresAtMs = Date.parse(current.expires_at);
    return new Promise((resolve, reject) => {
      let expiry: NodeJS.Timeout | undefined;
      let timeout: NodeJS.Timeout | undefined;
      let poll: NodeJS.Timeout | undefined;
      const cleanup = () => {
        clearTimeout(expiry);
        clearTimeout(timeout);
        clearInterval(poll);
        this.#waiters.get(id)?.delete(check);
        signal?.removeEventListener('abort', onAbort);
      };
      const finish = (request: ApprovalRequest) => {
        cleanup();
        resolve(request);
      };
      function onAbort() {
        cleanup();
        reject(signal!.reason);
      }
      const check = () => {
        let request: ApprovalRequest;
        try {
          request = this.#read(id);
        } catch (err) {
          cleanup();
          reject(err);
          return;
        }
        if (request.state !== 'pending') finish(request);
      };
      const armExpiry = () => {
        expiry = setTimeout(
          () => {
            check();
            if (this.#waiters.get(id)?.has(check)) armExpiry();
          },
          Math.max(expiresAtMs - this.#clock(), MIN_REARM_MS),
        );
      };
      let set = this.#waiters.get(id);
      if (!set) {
        set = new Set();
        this.#waiters.set(id, set);
      }
      set.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
      armExpiry();
      poll = setInterval(check, this.#pollMs);
      poll.unref?.();
      if (timeoutMs !== undefined) {
        timeout = setTimeout(() => {
          cleanup();
          try {
            resolve(this.#read(id));
          } catch (err) {
            reject(err);
          }
        }, timeoutMs);
      }
    });
  }

  async list(filter: { state?: ApprovalState } = {}): Promise<ApprovalRequest[]> {
    this.#expireDue();
    const rows = (
      filter.state === undefined
        ? this.#db.prepare('SELECT doc FROM approvals ORDER BY created_ms, rowid').all()
        : this.#db
            .prepare('SELECT doc FROM approvals WHERE state = ? ORDER BY created_ms, rowid')
            .all(filter.state)
    ) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as ApprovalRequest);
  }

  /** Reads a request, first moving it to `expired` if its wait deadline has passed. */
  #read(id: string): ApprovalRequest {
    const row = this.#db
      .prepare('SELECT doc, state, expires_ms, ttl_ms FROM approvals WHERE id = ?')
      .get(id) as Row | undefined;
    if (!row) throw new ApprovalNotFoundError(`no approval with id ${JSON.stringify(id)}`);
    const request = JSON.parse(row.doc) as ApprovalRequest;
    if (row.state === 'pending' && this.#clock() >= row.expires_ms) {
      this.#expire(request, row.expires_ms);
      this.#notify(id);
    }
    return request;
  }

  #expire(request: ApprovalRequest, atMs: number): void {
    request.state = 'expired';
    request.decided_at = formatTime(new Date(atMs));
    this.#db
      .prepare("UPDATE approvals SET state = 'expired', doc = ? WHERE id = ? AND state = 'pending'")
      .run(JSON.stringify(request), request.id);
  }

  #expireDue(): void {
    const due = this.#db
      .prepare("SELECT id FROM approvals WHERE state = 'pending' AND expires_ms <= ?")
      .all(this.#clock()) as { id: string }[];
    for (const { id } of due) this.#read(id);
  }

  #notify(id: string): void {
    for (const wake of [...(this.#waiters.get(id) ?? [])]) wake();
    if (this.#waiters.get(id)?.size === 0) this.#waiters.delete(id);
  }
}

function checkInput(input: ApprovalRequestInput, defaultWaitMs: number): { ttlMs: number; waitMs: number } {
  const fail = (field: string, message: string): never => {
    throw new InvalidRequestError(`approval ${field}: ${message}`);
  };
  for (const field of ['requester', 'subject', 'resource', 'sessionId', 'summary'] as const) {
    if (typeof input[field] !== 'string' || (field !== 'summary' && input[field] === ''))
      fail(field, 'is required');
  }
  if (
    !Array.isArray(input.reviewers) ||
    input.reviewers.length === 0 ||
    !input.reviewers.every((r) => typeof r === 'string' && r !== '')
  )
    fail('reviewers', 'must be a non-empty list');
  if (!Number.isSafeInteger(input.quorum) || input.quorum < 1)
    fail('quorum', 'must be an integer of at least 1');
  if (input.scope !== 'statement' && input.scope !== 'session') fail('scope', 'must be statement or session');
  if (input.scope === 'statement' && (typeof input.fingerprint !== 'string' || input.fingerprint === ''))
    fail('fingerprint', 'is required for statement scope');
  const duration = (text: unknown, field: string): number => {
    const ms = typeof text === 'string' ? tryParseDuration(text) : undefined;
    if (ms === undefined)
      return fail(field, `${JSON.stringify(text)} is not a duration such as 15m or 1h30m`);
    return ms > 0 ? ms : fail(field, 'must be positive');
  };
  const ttlMs = duration(input.ttl, 'ttl');
  const waitMs = input.wait === undefined ? defaultWaitMs : duration(input.wait, 'wait');
  return { ttlMs, waitMs };
}
