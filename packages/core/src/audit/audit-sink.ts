import type { AuditRecord } from './audit-record.js';

/**
 * Where audit records go. `write` resolves only once the record is stored (and synced, where
 * the sink promises that); it rejects with AuditWriteError otherwise, and a caller must then
 * treat the interaction as not audited.
 */
export interface AuditSink {
  write(record: AuditRecord): Promise<void>;
  /**
   * Store the record before returning, when the sink can do so on the calling thread (its
   * writes are synchronous and none is queued): returns true once stored, false when it
   * cannot, and the caller then uses `write`. Throws AuditWriteError as `write` rejects.
   * Optional: an adapter that enforces only after the record is stored can then decide a
   * statement without waiting a turn of the event loop.
   */
  writeNow?(record: AuditRecord): boolean;
  close(): Promise<void>;
}
