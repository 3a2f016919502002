import { readFileSync } from 'node:fs';
import type { AuditRecord } from '@portcullis/core';

/** The records of a JSONL audit log, in order. */
export function readAuditRecords(path: string): AuditRecord[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditRecord);
}
