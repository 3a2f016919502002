/**
 * Format-preserving replacement: the masked value keeps the original's shape so downstream
 * parsers and UIs still work, but is recognisably fake and is not found again by the detectors.
 *
 * - e-mail: `local@domain` with the same lengths and punctuation; the TLD becomes `invalid`
 *   (RFC 2606), so the address can never be delivered and the e-mail detector skips it.
 * - card: the same digit count and grouping, Luhn-valid, first digit `0` (no issuer uses it,
 *   and the card detector requires 2–6).
 * - phone: `+`, spaces, dots, dashes and parentheses kept; every digit group starts with `0`,
 *   which no country code, NANP area code or exchange does.
 * - US SSN: `000-GG-SSSS` (area 000 is never issued). IBAN: country kept, check digits `00`
 *   (never valid: check digits run 02–98).
 * - anything else: each letter or digit replaced by one of its own kind, punctuation kept.
 *
 * The replacement characters come from the keyed hash, so equal values format equally.
 */

import type { DetectorName } from '../contract.js';
import { KeyedBytes } from './keyed-hash.js';
import { luhnCheckDigit } from './luhn.js';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const LOWER_ALNUM = LOWER + DIGITS;

type FormatKind = 'email' | 'credit_card' | 'phone' | 'us_ssn' | 'iban' | 'other';

export function formatPreserve(value: string, kind: DetectorName | undefined, key: Uint8Array): string {
  const shape = formatKind(value, kind);
  const bytes = new KeyedBytes(key, `format:${shape}`, value);
  switch (shape) {
    case 'email':
      return formatEmail(value, bytes);
    case 'credit_card':
      return formatCard(value, bytes);
    case 'phone':
      return formatPhone(value, bytes);
    case 'us_ssn':
      return `000${replaceChars(value.slice(3), bytes)}`;
    case 'iban':
      return formatIban(value, bytes);
    default:
      return replaceChars(value, bytes);
  }
}

function digitCount(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

function formatKind(value: string, kind: DetectorName | undefined): FormatKind {
  // A detector's own kind wins only when the value still has that shape.
  const inferred = inferKind(value);
  if (kind === undefined) return inferred;
  if (
    kind === 'email' ||
    kind === 'credit_card' ||
    kind === 'phone' ||
    kind === 'us_ssn' ||
    kind === 'iban'
  ) {
    return inferred === kind || (kind === 'phone' && inferred === 'credit_card') ? kind : 'other';
  }
  return 'other';
}

function inferKind(value: string): FormatKind {
  if (/^[^@\s]+(?:@|%40)[^@\s]+\.[^@\s.]+$/.test(value)) return 'email';
  if (/^\d{3}-\d{2}-\d{4}$/.test(value)) return 'us_ssn';
  if (/^[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}$/.test(value)) return 'iban';
  const digits = digitCount(value);
  if (/^\d[\d -]*\d$/.test(value) && digits >= 13 && digits <= 19) return 'credit_card';
  if (/^\+?[\d ().-]+$/.test(value) && digits >= 7 && digits <= 15) return 'phone';
  return 'other';
}

function pick(alphabet: string, bytes: KeyedBytes): string {
  return alphabet[bytes.next(alphabet.length)] as string;
}

/** Letters stay letters of the same case, digits stay digits, everything else is kept. */
function replaceChars(value: string, bytes: KeyedBytes): string {
  let out = '';
  for (const ch of value) {
    if (ch >= '0' && ch <= '9') out += pick(DIGITS, bytes);
    else if (ch >= 'a' && ch <= 'z') out += pick(LOWER, bytes);
    else if (ch >= 'A' && ch <= 'Z') out += pick(UPPER, bytes);
    else if (/[\p{L}\p{N}]/u.test(ch)) out += pick(LOWER, bytes);
    else out += ch;
  }
  return out;
}

/** The local part, the at-sign as written (`@`, or `%40` in a URL) and the domain. */
function emailParts(value: string): [string, string, string] {
  const at = value.lastIndexOf('@');
  if (at >= 0) return [value.slice(0, at), '@', value.slice(at + 1)];
  const encoded = value.lastIndexOf('%40');
  return [value.slice(0, encoded), '%40', value.slice(encoded + 3)];
}

function formatEmail(value: string, bytes: KeyedBytes): string {
  const [localPart, sign, domain] = emailParts(value);
  let local = '';
  for (const ch of localPart) local += /[A-Za-z0-9]/.test(ch) ? pick(LOWER_ALNUM, bytes) : ch;
  const masked = domain
    .split('.')
    .slice(0, -1)
    .map((label) => label.replace(/[^-]/g, () => pick(LOWER, bytes)))
    .concat('invalid');
  return `${local}${sign}${masked.join('.')}`;
}

function formatCard(value: string, bytes: KeyedBytes): string {
  const total = digitCount(value);
  let digits = '0';
  while (digits.length < total - 1) digits += pick(DIGITS, bytes);
  digits += luhnCheckDigit(digits);
  let i = 0;
  return value.replace(/\d/g, () => digits[i++] as string);
}

function formatPhone(value: string, bytes: KeyedBytes): string {
  return value.replace(/\d+/g, (run) => '0' + Array.from(run.slice(1), () => pick(DIGITS, bytes)).join(''));
}

function formatIban(value: string, bytes: KeyedBytes): string {
  return value.slice(0, 2) + '00' + replaceChars(value.slice(4), bytes);
}
