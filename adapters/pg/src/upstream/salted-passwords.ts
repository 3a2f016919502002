/**
 * SCRAM's SaltedPassword (RFC 5802 §3: PBKDF2-HMAC-SHA-256 of the password, the salt the
 * server stores for the role, and its iteration count), kept for reuse. It is the slow part
 * of a SCRAM login, 4,096 HMAC rounds by PostgreSQL's default, and for one credential against
 * one server it is the same on every login: the salt only changes when the role's password
 * does. Without it every client session paid for it again on its way upstream (about a
 * quarter of the proxy's CPU per connection, in a profile taken by hand under `pgbench -C`), and sessions that
 * connect at once each paid in parallel; here they share one derivation.
 *
 * Keyed by a digest of the three inputs, so a password replaced by rotation does not stay in
 * the map in clear; what the map holds opens nothing the process's own copy of the password
 * does not. The map is bounded, since the salt and the count come from the server.
 */

import { createHash, pbkdf2 } from 'node:crypto';

const DEFAULT_CAPACITY = 32;

export class SaltedPasswords {
  readonly #entries = new Map<string, Promise<Buffer>>();
  readonly #capacity: number;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = capacity;
  }

  /** PBKDF2-HMAC-SHA-256 of `password` (already SASLprepped), 32 bytes. */
  derive(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
    // The salt's length first: no salt and password can pass for another pair.
    const key = createHash('sha256')
      .update(`${iterations}:${salt.length}:`)
      .update(salt)
      .update(password)
      .digest('base64');
    const known = this.#entries.get(key);
    if (known) {
      // Most recently used last, so the oldest is the first to go.
      this.#entries.delete(key);
      this.#entries.set(key, known);
      return known;
    }
    const derived = new Promise<Buffer>((resolve, reject) =>
      pbkdf2(password, salt, iterations, 32, 'sha256', (err, out) => (err ? reject(err) : resolve(out))),
    );
    // A failed derivation is not kept: the next login tries afresh.
    derived.catch(() => {
      if (this.#entries.get(key) === derived) this.#entries.delete(key);
    });
    if (this.#entries.size >= this.#capacity)
      this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(key, derived);
    return derived;
  }

  get size(): number {
    return this.#entries.size;
  }
}
