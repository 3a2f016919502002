import type { AuditRecord } from './audit-record.js';

/**
 * Where audit records go. `write` resolves only once the record is stored (and synced, where
 * the sink promises that); it rejects with AuditWriteError otherwise, and a caller must then
 * treat the interaction as not audited.
 */
export interface AuditSink {
  write(record: AuditRecord): Promise<void>;
  close(): Promise<void>;
}
