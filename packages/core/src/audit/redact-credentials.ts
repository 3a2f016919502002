/**
 * Credentials written into what a subject attempts, taken out of what is kept about it: an
 * audit record's summary and an approval request's, which reach log files, the audit index,
 * reviewers' pages and chat webhooks. SQL sets a password with `PASSWORD '…'` (CREATE or
 * ALTER ROLE, a user mapping's options) and passes connection strings in literals
 * (`dblink_connect('… password=…')`, `CREATE SUBSCRIPTION … CONNECTION '…'`); a command line
 * sets `PGPASSWORD=…` or names a URL with its password; a URL's query carries `password=…`.
 * The password detector (detectors.ts) finds the last three.
 */

import { createMasker, type Masker } from '../masking/masker.js';
import { REDACTED } from '../masking/strategies.js';

/**
 * `PASSWORD` and the SQL string literal after it: standard ('' doubles a quote), escape
 * (E'…', backslash escapes) or dollar-quoted. A literal the text leaves open runs to its end.
 */
const PASSWORD_LITERAL =
  /\b(password\s+)(?:([Ee]')(?:[^'\\]|\\[\s\S]|'')*(?:'|$)|(')(?:[^']|'')*(?:'|$)|(\$[A-Za-z_0-9]*\$)[\s\S]*?(?:\4|$))/gi;

/** Only texts that may hold a credential are scanned. */
const MAY_HOLD = /pass|pwd|:\/\//i;

let passwords: Masker | undefined;

/** `text` with the passwords it writes replaced by `[REDACTED]`; unchanged when it has none. */
export function redactCredentials(text: string): string {
  if (!MAY_HOLD.test(text)) return text;
  const literals = text.replace(
    PASSWORD_LITERAL,
    (whole, keyword: string, escaped?: string, quote?: string, dollar?: string) => {
      const open = escaped ?? quote ?? dollar ?? '';
      const close = dollar ?? "'";
      const closed = whole.length > keyword.length + open.length && whole.endsWith(close);
      return `${keyword}${open}${REDACTED}${closed ? close : ''}`;
    },
  );
  passwords ??= createMasker({ rules: [{ detector: 'password', strategy: 'redact' }] });
  return passwords.maskText(literals);
}
