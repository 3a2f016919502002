import { PortcullisError, type PortcullisErrorOptions } from '@portcullis/core';

/**
 * The upstream PostgreSQL could not be reached, authenticated to, or reported an error
 * during startup. `fields` holds the server's ErrorResponse, when there was one.
 */
export class UpstreamError extends PortcullisError {
  override readonly code = 'PC_PG_UPSTREAM';
  readonly fields: ReadonlyMap<number, string> | undefined;
  /** What may be told to the client (no host names, no credentials), as DETAIL. */
  readonly clientDetail: string | undefined;
  constructor(
    message: string,
    options: PortcullisErrorOptions & { fields?: ReadonlyMap<number, string>; clientDetail?: string } = {},
  ) {
    super(message, options);
    this.fields = options.fields;
    this.clientDetail = options.clientDetail;
  }
}
