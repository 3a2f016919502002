import { createHash, randomUUID } from 'node:crypto';
import type { Decision, GrantedApproval } from '../contract.js';
import { InvalidOptionError } from '../errors.js';
import type { HttpBody } from '../http/json-body.js';
import { formatTime } from '../request/format-time.js';
import type { Engine } from './create-engine.js';
import type { DecisionCacheOptions } from './decision-cache.js';
import type { DecisionResult } from './decision-result.js';

/** On unless turned off: 10 000 entries, each reused for at most 5 s. */
export const DEFAULT_REQUEST_DECISION_CACHE: Readonly<DecisionCacheOptions> = {
  maxEntries: 10_000,
  ttlMs: 5_000,
};

const NO_APPROVALS: readonly boolean[] = [];

/** Longest key kept as plain JSON rather than digested. */
const MAX_PLAIN_KEY = 1024;

/** Everything about one request that the input document is built from. */
export interface RequestCacheParts {
  subject: unknown;
  sessionId: string;
  /** The client's address, for inbound requests (policies may read `session.source`). */
  source?: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: HttpBody | undefined;
  approvals: readonly GrantedApproval[];
}

interface Entry {
  result: DecisionResult;
  expiresAt: number;
}

/**
 * For HTTP adapters (inbound middleware, outbound fetch), in front of `engine.decide`.
 * Reuses the engine's decision for a request identical to one decided moments ago, keyed on
 * the raw request rather than on the input document, so a hit skips building the document
 * (URL and header parsing, body extraction) as well as the evaluation.
 *
 * What the key covers: the engine's policy generation, the subject as the hook returned it
 * (id, kind, groups, claims), the session id and source, method, request-target, every
 * header, the body, and the granted approvals with whether each is still valid now. The
 * input document is a function of exactly these and the time; the time is not keyed, so a
 * policy that reads `time` (other than for approval expiry, keyed here) or
 * `session.started_at` must run with the cache off. The engine's own cache makes the same
 * assumption (see decisionCacheKey).
 *
 * Only engines that report a policy generation are cached for (createEngine's do), so a
 * policy reload or `invalidate()` is seen by the very next request; failed evaluations are
 * never kept.
 */
export class RequestDecisionCache {
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;
  readonly #ttl: number;
  readonly #engine: Engine;
  /** The key last inserted or moved to the end: the most recently used. */
  #newest: string | undefined;
  #second = Number.NaN;
  #secondText = '';

  constructor(engine: Engine, options: DecisionCacheOptions) {
    this.#engine = engine;
    this.#max = options.maxEntries;
    this.#ttl = options.ttlMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The key for a request, or undefined when this engine cannot be cached for. */
  key(parts: RequestCacheParts, now: number): string | undefined {
    const generation = this.#engine.generation;
    if (typeof generation !== 'number') return undefined;
    // JSON of an array is unambiguous: no choice of values makes two requests one key.
    const head = JSON.stringify([
      generation,
      parts.subject,
      parts.sessionId,
      parts.source ?? null,
      parts.method,
      parts.url,
      parts.headers,
      parts.approvals,
      parts.approvals.length === 0
        ? NO_APPROVALS
        : parts.approvals.map((g) => Date.parse(g.expires_at) > now),
      bodyKind(parts.body),
    ]);
    // A short key is its own best hash (V8 hashes strings); a long one, or one with a body, is
    // digested so the cache does not hold whole requests.
    if (head.length <= MAX_PLAIN_KEY && (parts.body === undefined || parts.body === null)) return head;
    const hash = createHash('sha256').update(head);
    if (parts.body instanceof Uint8Array) hash.update(parts.body);
    else if (parts.body instanceof ArrayBuffer) hash.update(new Uint8Array(parts.body));
    else if (typeof parts.body === 'string') hash.update(parts.body);
    else if (parts.body !== undefined && parts.body !== null) hash.update(JSON.stringify(parts.body));
    return `#${hash.digest('base64')}`;
  }

  /** A fresh result for a cached decision: its own id and time, marked cached. */
  get(key: string, now: number): DecisionResult | undefined {
    const entry = this.#live(key, now);
    if (entry === undefined) return undefined;
    const { result } = entry;
    return {
      id: randomUUID(),
      decision: result.decision,
      input: { ...result.input, time: this.#time(now) },
      evaluation: { ...result.evaluation, durationMs: 0, factsMs: 0, cached: true },
    };
  }

  /**
   * Only the cached decision (deeply frozen, shared between hits), for a caller that needs
   * nothing else of the result: an adapter enforcing an allow with no audit sink, where a
   * fresh id and time would be built for nobody to read.
   */
  peek(key: string, now: number): Decision | undefined {
    return this.#live(key, now)?.result.decision;
  }

  /** The entry, if present and not expired; a hit becomes the most recently used. */
  #live(key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      if (key === this.#newest) this.#newest = undefined;
      return undefined;
    }
    // Moving the most recently used entry to the end again would change nothing; a hot key
    // hit over and over skips the delete and re-insert.
    if (key !== this.#newest) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      this.#newest = key;
    }
    return entry;
  }

  /** formatTime(new Date(now)), with the seconds part reused: this runs on every hit. */
  #time(now: number): string {
    const second = Math.floor(now / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#secondText = formatTime(new Date(second * 1000)).slice(0, -1);
    }
    const ms = now - second * 1000;
    return ms === 0 ? `${this.#secondText}Z` : `${this.#secondText}.${String(ms).padStart(3, '0')}Z`;
  }

  set(key: string, result: DecisionResult, now: number, generationAtStart: number | undefined): void {
    if (result.evaluation.error !== undefined) return;
    // A decision of a policy replaced while it was being made is returned but not kept.
    if (generationAtStart !== this.#engine.generation) return;
    this.#entries.delete(key);
    this.#entries.set(key, {
      result: { ...result, decision: deepFreeze(result.decision) },
      expiresAt: now + this.#ttl,
    });
    this.#newest = key;
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#newest = undefined;
  }
}

/** Validate the `decisionCache` option; undefined means off. */
export function createRequestDecisionCache(
  engine: Engine,
  option: DecisionCacheOptions | false | undefined,
): RequestDecisionCache | undefined {
  if (option === false) return undefined;
  const options = option ?? DEFAULT_REQUEST_DECISION_CACHE;
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('decisionCache', 'must be { maxEntries, ttlMs } or false');
  if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 1)
    throw new InvalidOptionError('decisionCache.maxEntries', 'must be a positive integer');
  if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0)
    throw new InvalidOptionError('decisionCache.ttlMs', 'must be a positive number of milliseconds');
  return new RequestDecisionCache(engine, options);
}

/** Which of the body forms it is, so bytes and the same text as a string never share a key. */
function bodyKind(body: HttpBody | undefined): string {
  if (body === undefined) return 'none';
  if (body === null) return 'null';
  if (typeof body === 'string') return 'text';
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) return 'bytes';
  return 'json';
}

/** Cached decisions are shared between requests: freezing makes any mutation fail loudly. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
