import type { Decision } from '../contract.js';

export interface DecisionCacheOptions {
  maxEntries: number;
  ttlMs: number;
}

interface Entry {
  decision: Decision;
  expiresAt: number;
  /** Checked on every hit, so even a key collision cannot hand one identity another's decision. */
  owner: string;
}

/**
 * A bounded LRU of decisions with a time-to-live. Map iteration order is insertion order, so
 * re-inserting on a hit keeps the least recently used entry first, where eviction takes it.
 * Decisions are copied in and out: a caller that mutates its decision cannot poison the cache.
 */
export class DecisionCache {
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;
  readonly #ttl: number;
  readonly #now: () => number;

  constructor(options: DecisionCacheOptions, now: () => number) {
    this.#max = options.maxEntries;
    this.#ttl = options.ttlMs;
    this.#now = now;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, owner: string): Decision | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now() || entry.owner !== owner) return undefined;
    this.#entries.set(key, entry);
    return structuredClone(entry.decision);
  }

  set(key: string, owner: string, decision: Decision): void {
    this.#entries.delete(key);
    this.#entries.set(key, {
      decision: structuredClone(decision),
      expiresAt: this.#now() + this.#ttl,
      owner,
    });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
