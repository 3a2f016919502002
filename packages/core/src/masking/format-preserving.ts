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
 *   (never valid: check digits run 02–98), and no group starting with a card's issuer digit.
 * - anything else: each letter or digit replaced by one of its own kind, punctuation kept.
 * - a card, IBAN or phone number written as in a URL (`%20`, `+`, `%2B`) or a web page
 *   (`&nbsp;`, `&#160;`, `&#xA0;`) keeps those escapes;
 *   an e-mail keeps its at-sign as written (`%40`, `&#64;`);
 * - a value written with look-alike characters (scan-folding.ts) is formatted as the detectors
 *   read it, its separators kept as written (a no-break space stays one).
 *
 * The replacement characters come from the keyed hash, so equal values format equally.
 */

import type { DetectorName } from '../contract.js';
import { KeyedBytes } from './keyed-hash.js';
import { luhnCheckDigit } from './luhn.js';
import { isNbspReferenceAt, NBSP_REFERENCE_LENGTH } from './nbsp-reference.js';
import { foldForScan } from './scan-folding.js';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const LOWER_ALNUM = LOWER + DIGITS;

type FormatKind = 'email' | 'credit_card' | 'phone' | 'us_ssn' | 'iban' | 'other';

export function formatPreserve(value: string, kind: DetectorName | undefined, key: Uint8Array): string {
  // Formatted as the detectors read it (a no-break space as a space, fullwidth digits as
  // digits), then with the separators put back as written, so `4111 1111…` grouped with
  // U+00A0 keeps its no-break spaces and still gets a card's fake shape.
  const folded = foldForScan(value);
  const formatted = formatFolded(folded, kind, key, value);
  if (folded === value || formatted.length !== value.length) return formatted;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const kept = value[i] !== folded[i] && !/[A-Za-z0-9]/.test(folded[i] as string);
    out += kept ? value[i] : formatted[i];
  }
  return out;
}

/** `value` (folded) formatted; keyed on `written`, so equal values as written format equally. */
function formatFolded(
  value: string,
  kind: DetectorName | undefined,
  key: Uint8Array,
  written: string,
): string {
  const escaped = urlEscaped(value);
  if (escaped) {
    const shape = formatKind(escaped.plain, kind);
    if (shape === 'credit_card' || shape === 'phone' || shape === 'iban')
      return escaped.restore(formatAs(shape, escaped.plain, new KeyedBytes(key, `format:${shape}`, written)));
  }
  const shape = formatKind(value, kind);
  return formatAs(shape, value, new KeyedBytes(key, `format:${shape}`, written));
}

/**
 * A number as a URL writes it (`%20` or `+` for a space, `%2B` for a plus sign; an HTML page
 * `&nbsp;`, `&#160;` or `&#xA0;` for a space; the detectors
 * find cards, IBANs and phone numbers written so) is formatted as its plain form, and the
 * escapes are put back where they were: every format keeps its separators in place. Undefined
 * when the value has no such escape.
 */
function urlEscaped(value: string): { plain: string; restore: (formatted: string) => string } | undefined {
  if (!value.includes('%2') && value.lastIndexOf('+') <= 0 && !value.includes('&')) return undefined;
  let plain = '';
  const escapes = new Map<number, string>();
  for (let i = 0; i < value.length; i++) {
    const token = value.slice(i, i + 3);
    if (token === '%20' || token === '%2B' || token === '%2b') {
      escapes.set(plain.length, token);
      plain += token === '%20' ? ' ' : '+';
      i += 2;
    } else if (isNbspReferenceAt(value, i)) {
      escapes.set(plain.length, value.slice(i, i + NBSP_REFERENCE_LENGTH));
      plain += ' ';
      i += NBSP_REFERENCE_LENGTH - 1;
    } else if (value[i] === '+' && i > 0) {
      escapes.set(plain.length, '+');
      plain += ' ';
    } else {
      plain += value[i];
    }
  }
  if (escapes.size === 0) return undefined;
  return {
    plain,
    restore(formatted) {
      let out = '';
      for (let i = 0; i < formatted.length; i++) out += escapes.get(i) ?? formatted[i];
      return out;
    },
  };
}

function formatAs(shape: FormatKind, value: string, bytes: KeyedBytes): string {
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
  if (/^[^@\s&]+(?:@|%40|&#0{0,4}64;|&#[xX]0{0,4}40;|&commat;)[^@\s&]+\.[^@\s.&]+$/.test(value))
    return 'email';
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
/** An at-sign as the e-mail detector reads one: itself, `%40`, or a character reference. */
const AT_SIGN = /@|%40|&#0{0,4}64;|&#[xX]0{0,4}40;|&commat;/g;

/** Local part, at-sign as written (kept in place), domain. */
function emailParts(value: string): [string, string, string] {
  let last: RegExpExecArray | undefined;
  for (const m of value.matchAll(AT_SIGN)) last = m;
  if (last === undefined) return [value, '', ''];
  return [value.slice(0, last.index), last[0], value.slice(last.index + last[0].length)];
}

function formatEmail(value: string, bytes: KeyedBytes): string {
  const [localPart, sign, domain] = emailParts(value);
  let local = '';
  // Letters and digits of any script are replaced (an address may be `josé@…`).
  for (const ch of localPart) local += /[\p{L}\p{M}\p{N}]/u.test(ch) ? pick(LOWER_ALNUM, bytes) : ch;
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
  // A group that starts with 2–6 could start a card (its detector takes group-aligned runs of
  // 13 or more digits), so such a leading digit moves to 7–9, 0 or 1.
  const groups = replaceChars(value.slice(4), bytes).replace(
    /(^|\s)([2-6])/g,
    (_, space: string, digit: string) => space + String((Number(digit) + 5) % 10),
  );
  return `${value.slice(0, 2)}00${groups}`;
}
