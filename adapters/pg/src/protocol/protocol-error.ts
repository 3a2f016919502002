import { PortcullisError, type PortcullisErrorOptions } from '@portcullis/core';
import { SqlState } from './message-codes.js';

/**
 * Bytes on the wire that do not follow the protocol: a length out of range, a field that runs
 * past the end of its message, an unknown message type. The only error the framer and the
 * readers throw; the proxy answers it with ErrorResponse `sqlstate` and closes the connection.
 */
export class PgProtocolError extends PortcullisError {
  override readonly code = 'PC_PG_PROTOCOL';
  readonly sqlstate: string;
  constructor(
    message: string,
    sqlstate: string = SqlState.ProtocolViolation,
    options?: PortcullisErrorOptions,
  ) {
    super(message, options);
    this.sqlstate = sqlstate;
  }
}

export function isPgProtocolError(err: unknown): err is PgProtocolError {
  return err instanceof PgProtocolError;
}
