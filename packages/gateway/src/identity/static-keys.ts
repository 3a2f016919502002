import { createHash } from 'node:crypto';
import type { ApiKeyConfig } from '../config/gateway-config.js';
import { verifyApiKeyHash } from './api-key-hash.js';
import type { Identity } from './identity.js';

/**
 * Checks presented keys against the configured hashes. A key that matched is remembered by its
 * SHA-256 so the slow hash runs once per key per process, not once per connection.
 */
export class StaticKeyVerifier {
  readonly #keys: readonly ApiKeyConfig[];
  readonly #hits = new Map<string, ApiKeyConfig>();

  constructor(keys: readonly ApiKeyConfig[]) {
    this.#keys = keys;
  }

  get size(): number {
    return this.#keys.length;
  }

  /** The identity the key belongs to; with `subjectId`, only a key of that subject matches. */
  verify(key: string, subjectId?: string): Identity | null {
    if (key === '') return null;
    const digest = createHash('sha256').update(key).digest('hex');
    let hit = this.#hits.get(digest);
    if (!hit) {
      const candidates = this.#keys.filter((k) => subjectId === undefined || k.id === subjectId);
      hit = candidates.find((k) => verifyApiKeyHash(key, k.hash));
      if (hit) this.#hits.set(digest, hit);
    }
    if (!hit || (subjectId !== undefined && hit.id !== subjectId)) return null;
    return { id: hit.id, kind: hit.kind, groups: [...hit.groups], via: 'api_key' };
  }
}
