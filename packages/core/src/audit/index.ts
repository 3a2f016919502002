/** Audit: the record of every interaction, and a hash-chained JSON-lines log that shows tampering. */

export { chainAuditRecord, GENESIS_HASH, hashAuditRecord } from './audit-chain.js';
export { rotatedAuditLogName, rotatedAuditLogs } from './audit-log-files.js';
export type { AuditRecord, AuditResponse, AuditStage, ChainedAuditRecord } from './audit-record.js';
export { type AuditEnforcement, auditRecordFromDecision } from './audit-record-from-decision.js';
export { newAuditRecordId } from './audit-record-id.js';
export type { AuditSink } from './audit-sink.js';
export { canonicalJson } from './canonical-json.js';
export { createJsonlAuditSink, type JsonlAuditSink, type JsonlAuditSinkOptions } from './jsonl-audit-sink.js';
export { redactCredentials, redactShellCredentials } from './redact-credentials.js';
export { digestResponse } from './response-digest.js';
export {
  AuditChainVerifier,
  type AuditVerification,
  type AuditVerifyOptions,
  verifyAuditLog,
  verifyAuditLogs,
} from './verify-audit-log.js';
