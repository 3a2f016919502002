/**
 * @portcullis/pg — a PostgreSQL wire-protocol (3.0) proxy that any Node proxy can embed: every
 * statement is decided by @portcullis/core's engine before a byte of it reaches PostgreSQL,
 * denied statements get an ErrorResponse with SQLSTATE 42501, and result rows are masked as
 * the decision says. The protocol codec is exported for embedders that build their own.
 */

export { pgErrorClasses } from './errors.js';
export * from './protocol/backend-messages.js';
export * from './protocol/backend-writers.js';
export * from './protocol/frontend-messages.js';
export * from './protocol/frontend-writers.js';
export * from './protocol/message-codes.js';
export { type Frame, type FramerOptions, MessageFramer } from './protocol/message-framer.js';
export { MessageReader } from './protocol/message-reader.js';
export { MessageWriter } from './protocol/message-writer.js';
export { isPgProtocolError, PgProtocolError } from './protocol/protocol-error.js';
export { createPgProxy, DEFAULT_MAX_MESSAGE_SIZE, type PgProxy } from './proxy/create-pg-proxy.js';
export {
  DEFAULT_DECISION_CACHE,
  type DecisionCacheOptions,
  numericTemplate,
} from './proxy/decision-memo.js';
export type {
  Authenticate,
  AuthenticatedClient,
  ClientStartup,
  ClientTlsOptions,
  PgApprovalOptions,
  PgProxyOptions,
  ScramCredential,
  ScramLookup,
} from './proxy/pg-proxy-options.js';
export { createScramVerifier } from './proxy/scram-server.js';
export { DEFAULT_UNRESOLVED_COLUMNS, type UnresolvedColumnsMode } from './proxy/unresolved-columns.js';
export { md5PasswordResponse } from './upstream/md5-password.js';
export {
  createScramClient,
  SCRAM_SHA_256,
  type ScramClient,
  type ScramClientOptions,
} from './upstream/scram-client.js';
export { UpstreamError } from './upstream/upstream-error.js';
export type { UpstreamOptions } from './upstream/upstream-options.js';
