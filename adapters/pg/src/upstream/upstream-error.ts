import { PortcullisError, type PortcullisErrorOptions } from '@portcullis/core';

/**
 * The upstream PostgreSQL could not be reached, authenticated to, or reported an error
 * during startup. `fields` holds the server's ErrorResponse, when there was one.
 */
export class UpstreamError extends PortcullisError {
  override readonly code = 'PC_PG_UPSTREAM';
  readonly fields: ReadonlyMap<number, string> | undefined;
  constructor(
    message: string,
    options: PortcullisErrorOptions & { fields?: ReadonlyMap<number, string> } = {},
  ) {
    super(message, options);
    this.fields = options.fields;
  }
}
