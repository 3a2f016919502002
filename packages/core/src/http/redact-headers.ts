import type { ResolvedHttpFactsOptions } from './http-options.js';

export const REDACTED = '[REDACTED]';

// Names whose whole value is a secret. The pattern catches the vendor spellings
// (x-api-key, x-auth-token, x-amz-security-token, private-token, x-goog-api-key …) that a
// fixed list would miss.
const CREDENTIAL_NAME = /(^|[-_])(api[-_]?key|apikey|token|secret|password|passwd|auth|session)([-_]|$)/;
const AUTHORIZATION_HEADERS = new Set(['authorization', 'proxy-authorization']);

export function isCredentialHeader(name: string, options: ResolvedHttpFactsOptions): boolean {
  return (
    AUTHORIZATION_HEADERS.has(name) ||
    name === 'cookie' ||
    name === 'set-cookie' ||
    CREDENTIAL_NAME.test(name) ||
    options.extraCredentialHeaders.has(name)
  );
}

/**
 * Redact one header value, keeping what a policy may reasonably decide on: the auth scheme
 * (Bearer vs Basic) and cookie names, never the secret parts.
 */
export function redactHeaderValue(name: string, value: string): string {
  if (AUTHORIZATION_HEADERS.has(name)) {
    const scheme = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s+\S/.exec(value);
    return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
  }
  if (name === 'cookie') {
    return value
      .split(';')
      .map((pair) => pair.trim())
      .filter((pair) => pair !== '')
      .map((pair) => {
        const eq = pair.indexOf('=');
        return eq === -1 ? REDACTED : `${pair.slice(0, eq).trim()}=${REDACTED}`;
      })
      .join('; ');
  }
  if (name === 'set-cookie') {
    // Several Set-Cookie values were joined with ", ", which also appears inside Expires
    // dates; redacting each "name=value" that starts a cookie keeps the attributes readable.
    return value.replace(/(^|,\s*)([^=;,\s]+)=[^;]*/g, (match, lead: string, cookieName: string) =>
      /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)$/.test(cookieName) ? match : `${lead}${cookieName}=${REDACTED}`,
    );
  }
  return REDACTED;
}

export function shouldRedact(name: string, options: ResolvedHttpFactsOptions): boolean {
  if (!isCredentialHeader(name, options)) return false;
  return options.reveal !== 'all' && !options.reveal.has(name);
}
