import type { AuditIndexStore } from './audit-index.js';
import { type Pruner, type PrunerOptions, startChunkedPruning } from './chunked-pruning.js';

export { PRUNE_CHUNK, PRUNE_EVERY_MS } from './chunked-pruning.js';

/** `before` is the cutoff as the index stores times (ISO 8601). */
export type IndexPrunerOptions = PrunerOptions<string>;
export type IndexPruner = Pruner;

/**
 * Keeps the audit index to its retention. The index holds an entry per statement for as long
 * as the state database lives, and that database also holds credentials and approvals: left
 * alone it grows without end, and every insert into it grows a little dearer. The JSONL log
 * keeps every record; the index is for recent lookups.
 *
 * Pruned in chunks, at start and every `everyMs` after (chunked-pruning.ts).
 */
export function startIndexPruner(index: AuditIndexStore, options: IndexPrunerOptions): IndexPruner {
  return startChunkedPruning(
    (before: string, limit) => index.prune(before, limit),
    (ms) => new Date(ms).toISOString(),
    options,
  );
}
