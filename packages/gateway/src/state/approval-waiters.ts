import type { ApprovalRequest, WaitOptions } from '@portcullis/core';

export interface ApprovalWaitersOptions {
  /** Reads a request, expiring it first if its deadline has passed. */
  read: (id: string) => ApprovalRequest | Promise<ApprovalRequest>;
  clock: () => number;
  /**
   * How often a waiter re-reads its request regardless of notifications: the safety net for a
   * vote written by a process whose notification did not reach us.
   */
  pollMs: number;
}

// Timers re-check the clock when they fire; if an injected clock lags real time, re-arm no
// faster than this rather than spin.
const MIN_REARM_MS = 10;

/**
 * `ApprovalStore.waitFor` for the persistent stores: a waiter re-reads its request when it is
 * told something changed (`notify`, from a vote through this process or a PostgreSQL
 * NOTIFY from another), at its wait deadline, and every `pollMs`. It resolves once the
 * request leaves `pending`, with the pending request when `timeoutMs` passes, and rejects with
 * the signal's reason on abort.
 */
export class ApprovalWaiters {
  readonly #options: ApprovalWaitersOptions;
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(options: ApprovalWaitersOptions) {
    this.#options = options;
  }

  /** How many waits are in progress (tests check nothing leaks). */
  get size(): number {
    let n = 0;
    for (const set of this.#waiters.values()) n += set.size;
    return n;
  }

  /** Wakes every waiter on this request to re-read it. */
  notify(id: string): void {
    for (const wake of [...(this.#waiters.get(id) ?? [])]) wake();
  }

  /** Wakes every waiter (after a lost connection, when notifications may have been missed). */
  notifyAll(): void {
    for (const id of [...this.#waiters.keys()]) this.notify(id);
  }

  async wait(id: string, options: WaitOptions = {}): Promise<ApprovalRequest> {
    const { read, clock, pollMs } = this.#options;
    const current = await read(id);
    if (current.state !== 'pending') return current;
    const { signal, timeoutMs } = options;
    if (signal?.aborted) throw signal.reason;
    const expiresAtMs = Date.parse(current.expires_at);
    return new Promise<ApprovalRequest>((resolve, reject) => {
      let settled = false;
      let reading = false;
      let again = false;
      let expiry: NodeJS.Timeout | undefined;
      let timeout: NodeJS.Timeout | undefined;
      const poll = setInterval(() => check(), pollMs);
      poll.unref?.();
      const cleanup = () => {
        settled = true;
        clearTimeout(expiry);
        clearTimeout(timeout);
        clearInterval(poll);
        const set = this.#waiters.get(id);
        set?.delete(check);
        if (set?.size === 0) this.#waiters.delete(id);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        if (settled) return;
        cleanup();
        reject(signal!.reason);
      };
      // Reads are async (PostgreSQL): one at a time per waiter, and a wake-up during a read
      // asks for one more, so a vote that lands mid-read is not missed.
      const check = (): void => {
        if (settled) return;
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        Promise.resolve()
          .then(() => read(id))
          .then(
            (request) => {
              reading = false;
              if (settled) return;
              if (request.state !== 'pending') {
                cleanup();
                resolve(request);
              } else if (again) {
                again = false;
                check();
              }
            },
            (err: unknown) => {
              reading = false;
              if (settled) return;
              cleanup();
              reject(err);
            },
          );
      };
      const armExpiry = () => {
        expiry = setTimeout(
          () => {
            check();
            if (!settled) armExpiry();
          },
          Math.max(expiresAtMs - clock(), MIN_REARM_MS),
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
      if (timeoutMs !== undefined) {
        timeout = setTimeout(() => {
          if (settled) return;
          cleanup();
          Promise.resolve()
            .then(() => read(id))
            .then(resolve, reject);
        }, timeoutMs);
      }
    });
  }
}
