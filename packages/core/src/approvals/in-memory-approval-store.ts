import { randomUUID } from 'node:crypto';
import {
  ApprovalNotFoundError,
  ApprovalStateError,
  InvalidOptionError,
  InvalidRequestError,
} from '../errors.js';
import { formatTime } from '../request/format-time.js';
import type {
  ApprovalRequest,
  ApprovalRequestInput,
  ApprovalState,
  ApprovalStore,
  FindGrantedQuery,
  VoteInput,
  WaitOptions,
} from './approval-store.js';
import { parseDuration } from './duration.js';
import { isAllowedReviewer } from './reviewer-match.js';

export interface InMemoryApprovalStoreOptions {
  /** Milliseconds since the epoch; expiry is computed against it. Defaults to Date.now. */
  clock?: () => number;
  /** How long a request waits for reviewers unless it says otherwise; default 15m. */
  defaultWait?: string;
  generateId?: () => string;
}

interface Entry {
  request: ApprovalRequest;
  expiresAtMs: number;
  validUntilMs?: number;
  ttlMs: number;
}

// Timers re-check the clock when they fire; if an injected clock lags real time, re-arm no
// faster than this rather than spin.
const MIN_REARM_MS = 10;

export class InMemoryApprovalStore implements ApprovalStore {
  readonly #entries = new Map<string, Entry>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #clock: () => number;
  readonly #defaultWaitMs: number;
  readonly #generateId: () => string;

  constructor(options: InMemoryApprovalStoreOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#defaultWaitMs = parseDuration(options.defaultWait ?? '15m', 'defaultWait');
    if (this.#defaultWaitMs <= 0) throw new InvalidOptionError('defaultWait', 'must be a positive duration');
    this.#generateId = options.generateId ?? randomUUID;
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
    if (this.#entries.has(request.id))
      throw new ApprovalStateError(`approval id ${request.id} is already in use`);
    this.#entries.set(request.id, { request, expiresAtMs: now + waitMs, ttlMs });
    return structuredClone(request);
  }

  async get(id: string): Promise<ApprovalRequest> {
    return structuredClone(this.#entry(id).request);
  }

  async vote(id: string, vote: VoteInput): Promise<ApprovalRequest> {
    const entry = this.#entry(id);
    const { request } = entry;
    if (request.state !== 'pending')
      throw new ApprovalStateError(`approval ${id} is ${request.state}; it takes no more votes`);
    if (typeof vote.reviewer !== 'string' || vote.reviewer === '')
      throw new ApprovalStateError('a vote needs a reviewer');
    if (vote.decision !== 'approve' && vote.decision !== 'deny') {
      throw new ApprovalStateError(`a vote is approve or deny, not ${JSON.stringify(vote.decision)}`);
    }
    if (vote.reviewer === request.requester || vote.reviewer === request.subject) {
      throw new ApprovalStateError(`${vote.reviewer} cannot review their own request`);
    }
    if (!isAllowedReviewer(request.reviewers, vote.reviewer, vote.reviewerGroups ?? [])) {
      throw new ApprovalStateError(`${vote.reviewer} is not a reviewer of approval ${id}`);
    }
    if (request.votes.some((v) => v.reviewer === vote.reviewer)) {
      throw new ApprovalStateError(`${vote.reviewer} has already voted on approval ${id}`);
    }
    const now = this.#clock();
    const at = formatTime(new Date(now));
    request.votes.push(
      vote.comment === undefined
        ? { reviewer: vote.reviewer, decision: vote.decision, at }
        : { reviewer: vote.reviewer, decision: vote.decision, comment: vote.comment, at },
    );
    if (vote.decision === 'deny') {
      this.#settle(entry, 'denied', now);
    } else if (request.votes.filter((v) => v.decision === 'approve').length >= request.quorum) {
      entry.validUntilMs = now + entry.ttlMs;
      request.valid_until = formatTime(new Date(entry.validUntilMs));
      this.#settle(entry, 'approved', now);
    }
    return structuredClone(request);
  }

  async findGranted(query: FindGrantedQuery): Promise<ApprovalRequest | undefined> {
    const now = this.#clock();
    let best: Entry | undefined;
    for (const entry of this.#entries.values()) {
      const { request } = entry;
      if (request.state !== 'approved' || entry.validUntilMs === undefined || entry.validUntilMs <= now)
        continue;
      if (request.subject !== query.subjectId || request.resource !== query.resourceName) continue;
      const covers =
        request.scope === 'session'
          ? request.session_id === query.sessionId
          : query.fingerprint !== undefined && request.fingerprint === query.fingerprint;
      if (covers && (best === undefined || entry.validUntilMs > best.validUntilMs!)) best = entry;
    }
    return best && structuredClone(best.request);
  }

  waitFor(id: string, options: WaitOptions = {}): Promise<ApprovalRequest> {
    let entry: Entry;
    try {
      entry = this.#entry(id);
    } catch (err) {
      return Promise.reject(err);
    }
    if (entry.request.state !== 'pending') return Promise.resolve(structuredClone(entry.request));
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const timers: NodeJS.Timeout[] = [];
      const cleanup = () => {
        timers.forEach(clearTimeout);
        this.#waiters.get(id)?.delete(onChange);
        signal?.removeEventListener('abort', onAbort);
      };
      const onChange = () => {
        cleanup();
        resolve(structuredClone(entry.request));
      };
      const onAbort = () => {
        cleanup();
        reject(signal!.reason);
      };
      const armExpiry = () => {
        const delay = Math.max(entry.expiresAtMs - this.#clock(), MIN_REARM_MS);
        timers[0] = setTimeout(() => {
          // #entry applies lazy expiry and notifies waiters if the deadline has passed.
          this.#entry(id);
          if (entry.request.state === 'pending') armExpiry();
        }, delay);
      };
      let set = this.#waiters.get(id);
      if (set === undefined) {
        set = new Set();
        this.#waiters.set(id, set);
      }
      set.add(onChange);
      signal?.addEventListener('abort', onAbort, { once: true });
      armExpiry();
      if (timeoutMs !== undefined) {
        timers[1] = setTimeout(() => {
          cleanup();
          resolve(structuredClone(entry.request));
        }, timeoutMs);
      }
    });
  }

  async list(filter: { state?: ApprovalState } = {}): Promise<ApprovalRequest[]> {
    const out: ApprovalRequest[] = [];
    for (const id of this.#entries.keys()) {
      const { request } = this.#entry(id);
      if (filter.state === undefined || request.state === filter.state) out.push(structuredClone(request));
    }
    return out.sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /** Look up an entry, first moving it to `expired` if its wait deadline has passed. */
  #entry(id: string): Entry {
    const entry = this.#entries.get(id);
    if (entry === undefined) throw new ApprovalNotFoundError(`no approval with id ${JSON.stringify(id)}`);
    if (entry.request.state === 'pending' && this.#clock() >= entry.expiresAtMs) {
      this.#settle(entry, 'expired', entry.expiresAtMs);
    }
    return entry;
  }

  #settle(entry: Entry, state: Exclude<ApprovalState, 'pending'>, atMs: number): void {
    entry.request.state = state;
    entry.request.decided_at = formatTime(new Date(atMs));
    const waiters = this.#waiters.get(entry.request.id);
    this.#waiters.delete(entry.request.id);
    for (const notify of waiters ?? []) notify();
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
  ) {
    fail('reviewers', 'must be a non-empty list');
  }
  if (!Number.isSafeInteger(input.quorum) || input.quorum < 1)
    fail('quorum', 'must be an integer of at least 1');
  if (input.scope !== 'statement' && input.scope !== 'session') fail('scope', 'must be statement or session');
  if (input.scope === 'statement' && (typeof input.fingerprint !== 'string' || input.fingerprint === '')) {
    fail('fingerprint', 'is required for statement scope');
  }
  const ttlMs = durationOf(input.ttl, 'ttl', fail);
  const waitMs = input.wait === undefined ? defaultWaitMs : durationOf(input.wait, 'wait', fail);
  return { ttlMs, waitMs };
}

function durationOf(text: unknown, field: string, fail: (field: string, message: string) => never): number {
  let ms: number;
  try {
    ms = parseDuration(text as string, field);
  } catch {
    return fail(field, `${JSON.stringify(text)} is not a duration such as 15m or 1h30m`);
  }
  return ms > 0 ? ms : fail(field, 'must be positive');
}
