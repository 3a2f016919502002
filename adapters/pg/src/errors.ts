/**
 * Every error class of @portcullis/pg, by its stable code (documented in docs/errors.md).
 * Both extend @portcullis/core's PortcullisError.
 */
import { PgProtocolError } from './protocol/protocol-error.js';
import { UpstreamError } from './upstream/upstream-error.js';

export const pgErrorClasses = {
  PC_PG_PROTOCOL: PgProtocolError,
  PC_PG_UPSTREAM: UpstreamError,
} as const;
