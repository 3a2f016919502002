import { randomUUID } from 'node:crypto';
import { ApprovalNotFoundError, ApprovalStateError, InvalidOptionError } from '../errors.js';
import type {
  ApprovalRequest,
  ApprovalRequestInput,
  ApprovalState,
  ApprovalStore,
  FindGrantedQuery,
  VoteInput,
  WaitOptions,
} from './approval-store.js';
import { applyVote, checkRequestInput, expire, newRequest } from './approval-transitions.js';
import { parseDuration } from './duration.js';

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
    const { ttlMs, waitMs } = checkRequestInput(input, {
      defaultWaitMs: this.#defaultWaitMs,
      maxTtlMs: Number.POSITIVE_INFINITY,
    });
    const now = this.#clock();
    const request = newRequest(input, this.#generateId(), now, waitMs);
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
    const { validUntilMs } = applyVote(request, vote, this.#clock(), entry.ttlMs);
    if (validUntilMs !== null) entry.validUntilMs = validUntilMs;
    if (request.state !== 'pending') this.#notify(request.id);
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
      expire(entry.request, entry.expiresAtMs);
      this.#notify(id);
    }
    return entry;
  }

  #notify(id: string): void {
    const waiters = this.#waiters.get(id);
    this.#waiters.delete(id);
    for (const notify of waiters ?? []) notify();
  }
}
