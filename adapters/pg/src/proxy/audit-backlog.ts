import type { AuditRecord, AuditSink, EngineLogger } from '@portcullis/core';

/** How long the backlog waits before trying a failing sink again. */
export const AUDIT_RETRY_MS = 1000;
/** Records the backlog keeps at most; past it the oldest are dropped, and logged. */
export const AUDIT_BACKLOG_LIMIT = 10_000;

/**
 * Audit records a session could not write before it ended: the completion records it kept
 * while the sink failed, those of statements cut off by its end, its `session_end` record.
 * While the session lives it holds them itself and writes them before its next decision
 * record (proxy-session.ts); once it has ended there is no next decision, so the proxy keeps
 * them here and writes them again, in order, every AUDIT_RETRY_MS until the sink takes them
 * or the proxy closes, which makes a last attempt. What is still unwritten then, or dropped
 * past AUDIT_BACKLOG_LIMIT, is logged as lost.
 */
export class AuditBacklog {
  readonly #sink: AuditSink;
  readonly #logger: EngineLogger | undefined;
  readonly #retryMs: number;
  readonly #limit: number;
  readonly #records: AuditRecord[] = [];
  #writing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failing = false;
  #closed = false;

  constructor(
    sink: AuditSink,
    logger: EngineLogger | undefined,
    retryMs = AUDIT_RETRY_MS,
    limit = AUDIT_BACKLOG_LIMIT,
  ) {
    this.#sink = sink;
    this.#logger = logger;
    this.#retryMs = retryMs;
    this.#limit = limit;
  }

  /** Records waiting to be written. */
  get size(): number {
    return this.#records.length;
  }

  /** Keep `records` (in order, after those already kept) and try to write them now. */
  add(records: readonly AuditRecord[]): void {
    if (records.length === 0) return;
    this.#records.push(...records);
    const over = this.#records.length - this.#limit;
    if (over > 0) {
      this.#records.splice(0, over);
      this.#logger?.error?.({ lost: over }, 'audit records lost: the backlog of unwritten records is full');
    }
    void this.flush();
  }

  /** Write what is kept, in order, each dropped once written; on a failure, try again later. */
  flush(): Promise<void> {
    this.#writing ??= (async () => {
      try {
        while (this.#records.length > 0) {
          await this.#sink.write(this.#records[0] as AuditRecord);
          this.#records.shift();
        }
        if (this.#failing) this.#logger?.info?.({}, 'audit records of ended sessions written');
        this.#failing = false;
      } catch (err) {
        if (this.#closed) {
          this.#logger?.error?.(
            { err, lost: this.#records.length },
            'audit records lost: the sink did not take them before the proxy closed',
          );
        } else {
          // Logged once per streak of failures, not at every attempt.
          if (!this.#failing)
            this.#logger?.error?.(
              { err, pending: this.#records.length },
              'audit records of ended sessions could not be written; trying again',
            );
          this.#failing = true;
          this.#retry();
        }
      } finally {
        this.#writing = undefined;
      }
    })();
    return this.#writing;
  }

  /** A last attempt, after the one under way; no retries after it. */
  async close(): Promise<void> {
    await this.#writing;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#closed = true;
    await this.flush();
  }

  #retry(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#retryMs);
    // A library's timer does not keep the process alive; closing the proxy makes the last try.
    this.#timer.unref();
  }
}
