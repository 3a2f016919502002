import { startPeriodicTask } from '../gateway/periodic-task.js';

/** How often a retention is applied. */
export const PRUNE_EVERY_MS = 10 * 60_000;
/**
 * Rows one delete takes at most. On SQLite the delete holds the event loop: 1000 audit index
 * entries took about 1.2 ms on the benchmark VM (an index batch's commit is about as long),
 * 5000 took 6.6 ms and up to 16, which every session would have felt as a pause
 * (benchmarks/audit).
 */
export const PRUNE_CHUNK = 1000;

export interface PrunerOptions<Cutoff> {
  /** Rows older than this many milliseconds go. */
  retentionMs: number;
  clock?: () => number;
  everyMs?: number;
  chunk?: number;
  onPruned?: (count: number, before: Cutoff) => void;
  onError: (err: unknown) => void;
}

export interface Pruner {
  /** Prunes now (or joins the run under way); resolves with how many rows went. */
  prune(): Promise<number>;
  /** No more runs; waits for the one under way. */
  stop(): Promise<void>;
}

/**
 * Applies a retention at start and every `everyMs` after: `prune(cutoff, chunk)` deletes at
 * most `chunk` rows from before the cutoff (`cutoffOf` turns the time the retention reaches
 * back to into the store's form) and is called again until it deletes fewer, the event loop
 * given back between calls. So the first run after an upgrade, with months of rows to drop,
 * never stalls a session for longer than one chunk.
 */
export function startChunkedPruning<Cutoff>(
  prune: (cutoff: Cutoff, limit: number) => number | Promise<number>,
  cutoffOf: (ms: number) => Cutoff,
  options: PrunerOptions<Cutoff>,
): Pruner {
  const clock = options.clock ?? Date.now;
  const chunk = options.chunk ?? PRUNE_CHUNK;
  const task = startPeriodicTask(
    async (stopped) => {
      const before = cutoffOf(clock() - options.retentionMs);
      let total = 0;
      while (!stopped()) {
        const count = await prune(before, chunk);
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
