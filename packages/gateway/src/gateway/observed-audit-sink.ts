import type { AuditRecord, AuditSink } from '@portcullis/core';

/** Tells `observe` about each record the inner sink has stored (never about a failed write). */
export function observedAuditSink(inner: AuditSink, observe: (record: AuditRecord) => void): AuditSink {
  return {
    async write(record) {
      await inner.write(record);
      observe(record);
    },
    ...(inner.writeNow && {
      writeNow(record: AuditRecord) {
        if (!inner.writeNow?.(record)) return false;
        observe(record);
        return true;
      },
    }),
    close: () => inner.close(),
  };
}
