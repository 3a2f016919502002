import { InvalidOptionError } from '../errors.js';

/** How HTTP requests become facts. Every field is optional; the defaults are the safe ones. */
export interface HttpFactsOptions {
  /**
   * Let the policy and the audit see credential headers as sent. `true` reveals all of them; a
   * list reveals only the named headers (case-insensitive). Off by default: a credential that
   * reaches the input document reaches every decision log and audit record too.
   */
  revealCredentials?: boolean | readonly string[];
  /** Further header names to treat as credentials, beyond the built-in list. */
  credentialHeaders?: readonly string[];
  /** Bodies larger than this many bytes are not parsed: `body` is null and `body_too_large` set. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Parse a body that starts with `{` or `[` when no content-type says what it is. Default true. */
  sniffJson?: boolean;
}

export interface ResolvedHttpFactsOptions {
  reveal: 'all' | ReadonlySet<string>;
  extraCredentialHeaders: ReadonlySet<string>;
  maxBodyBytes: number;
  sniffJson: boolean;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function resolveHttpFactsOptions(options: HttpFactsOptions = {}): ResolvedHttpFactsOptions {
  const {
    revealCredentials = false,
    credentialHeaders = [],
    maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
  } = options;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) {
    throw new InvalidOptionError('http.maxBodyBytes', 'must be a non-negative integer');
  }
  let reveal: ResolvedHttpFactsOptions['reveal'];
  if (revealCredentials === true) reveal = 'all';
  else if (revealCredentials === false) reveal = new Set();
  else if (Array.isArray(revealCredentials) && revealCredentials.every((h) => typeof h === 'string')) {
    reveal = new Set(revealCredentials.map((h) => h.toLowerCase()));
  } else {
    throw new InvalidOptionError('http.revealCredentials', 'must be a boolean or a list of header names');
  }
  if (!Array.isArray(credentialHeaders) || !credentialHeaders.every((h) => typeof h === 'string')) {
    throw new InvalidOptionError('http.credentialHeaders', 'must be a list of header names');
  }
  return {
    reveal,
    extraCredentialHeaders: new Set(credentialHeaders.map((h) => h.toLowerCase())),
    maxBodyBytes,
    sniffJson: options.sniffJson ?? true,
  };
}
