import { startPeriodicTask } from '../gateway/periodic-task.js';
import type { AuditIndexStore } from './audit-index.js';

/** How often the index is pruned. */
export const PRUNE_EVERY_MS = 10 * 60_000;
/**
 * Entries one delete takes at most. On SQLite the delete holds the event loop: 1000 took
 * about 1.2 ms on the benchmark VM (an index batch's commit is about as long), 5000 took
 * 6.6 ms and up to 16, which every session would have felt as a pause (benchmarks/audit).
 */
export const PRUNE_CHUNK = 1000;

export interface IndexPrunerOptions {
  /** Entries older than this many milliseconds go. */
  retentionMs: number;
  clock?: () => number;
  everyMs?: number;
  chunk?: number;
  onPruned?: (count: number, before: string) => void;
  onError: (err: unknown) => void;
}

export interface IndexPruner {
  /** Prunes now (or joins the run under way); resolves with how many entries went. */
  prune(): Promise<number>;
  /** No more runs; waits for the one under way. */
  stop(): Promise<void>;
}

/**
 * Keeps the audit index to its retention. The index holds an entry per statement for as long
 * as the state database lives, and that database also holds credentials and approvals: left
 * alone it grows without end, and every insert into it grows a little dearer. The JSONL log
 * keeps every record; the index is for recent lookups.
 *
 * A run deletes the oldest entries in chunks, giving the event loop back between them, so
 * that the first run after an upgrade, with months of entries to drop, never stalls a
 * session for longer than one chunk. Runs at start and every `everyMs` after.
 */
export function startIndexPruner(index: AuditIndexStore, options: IndexPrunerOptions): IndexPruner {
  const clock = options.clock ?? Date.now;
  const chunk = options.chunk ?? PRUNE_CHUNK;
  const task = startPeriodicTask(
    async (stopped) => {
      const before = new Date(clock() - options.retentionMs).toISOString();
      let total = 0;
      while (!stopped()) {
        const count = await index.prune(before, chunk);
        total += count;
        if (count < chunk) break;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (total > 0) options.onPruned?.(total, before);
      return total;
    },
    options.everyMs ?? PRUNE_EVERY_MS,
    options.onError,
  );
  return { prune: task.run, stop: task.stop };
}
