/**
 * The built-in secret detectors. Each is a regex in the syntax RE2 and JavaScript share, plus
 * a validator that runs after the match (Luhn, mod 97, SSN rules, neighbouring characters), so
 * a digit run that merely looks like a card or an IBAN is left alone. `detect` runs them over
 * a text; the masker runs the same scanners incrementally.
 */

import type { DetectorName } from '../contract.js';
import { ibanLength, ibanValid } from './iban.js';
import { ipv4Valid, ipv6Valid } from './ip-address.js';
import { jwtHeaderValid } from './jwt.js';
import { luhnValid } from './luhn.js';
import {
  isNbspReferenceAt,
  NBSP_REFERENCE_LENGTH,
  NBSP_REFERENCE_PATTERN,
  withNbspReferences,
} from './nbsp-reference.js';
import type { Prefilter } from './prefilter.js';
import type { RegexEngine } from './regex-engine.js';
import {
  type AcceptResult,
  compileScanners,
  type Hit,
  type ScannerSpec,
  ScanState,
  type Span,
} from './scan-engine.js';
import { foldForScan } from './scan-folding.js';
import { spanBound } from './span-bound.js';
import { REDACTED } from './strategies.js';
import { usSsnValid } from './us-ssn.js';

export const DETECTOR_NAMES: readonly DetectorName[] = [
  'email',
  'credit_card',
  'iban',
  'us_ssn',
  'phone',
  'ipv4',
  'ipv6',
  'jwt',
  'aws_access_key',
  'private_key',
  'api_token',
  'password',
];

/** One detected secret: which detector found it and where, end exclusive. */
export interface DetectorMatch {
  detector: DetectorName;
  start: number;
  end: number;
}

// ---------------------------------------------------------------------------------------
// Character helpers (validators look at most CONTEXT characters outside a match)
// ---------------------------------------------------------------------------------------

function isDigitCode(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isWordCode(code: number): boolean {
  return (
    (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95
  );
}

/** A test for membership in an ASCII character class written as regex class body. */
function asciiSet(classBody: string): (code: number) => boolean {
  const table = new Uint8Array(128);
  const re = new RegExp(`^[${classBody}]$`);
  for (let c = 0; c < 128; c++) if (re.test(String.fromCharCode(c))) table[c] = 1;
  return (code) => code < 128 && table[code] === 1;
}

/**
 * A URL writes a space as `%20` (or `+` in a query string or form body) and a plus sign as
 * `%2B`: `?phone=%2B14155552671`, `?card=4111%201111%201111%201111`. A web page keeps a
 * phone or card number on one line with a no-break space between its groups
 * (`+44&nbsp;20&nbsp;7946…`, or `&#160;`, `&#xA0;`). The card, IBAN and phone patterns accept
 * these as their separators (and the phone's leading plus), so an encoded number is found
 * where it is written; the validators read the digits without them.
 */
const URL_SPACE = `(?:[ +]|%20|${NBSP_REFERENCE_PATTERN})`;

/**
 * Where a number that must start a word may start: at a word boundary, or after a URL's
 * `%20`, which leaves none before a digit or a letter (`call%20415%20555%202671`). The
 * validator drops the `%20` from the span.
 */
const WORD_START = '(?:%20|\\b)';

/** `start`, or the offset after a `%20` the match begins with (see WORD_START). */
function afterLeadingSpace(text: string, start: number): number {
  return text.startsWith('%20', start) ? start + 3 : start;
}

/** The digits of [start, end), leaving out those of `%2B`, `%20` and `&#160;`. */
function digitsOf(text: string, start: number, end: number): string {
  let digits = '';
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 37) i += 2;
    else if (c === 38 && isNbspReferenceAt(text, i)) i += NBSP_REFERENCE_LENGTH - 1;
    else if (isDigitCode(c)) digits += text[i];
  }
  return digits;
}

/** True when [start, end) sits inside a longer dotted or dashed number (an IP, a date, an id). */
function insideLongerNumber(text: string, start: number, end: number): boolean {
  const before = text.charCodeAt(start - 1);
  const after = text.charCodeAt(end);
  if ((before === 46 || before === 45) && isDigitCode(text.charCodeAt(start - 2))) return true;
  return (after === 46 || after === 45) && isDigitCode(text.charCodeAt(end + 1));
}

/**
 * End of the run of `allowed` characters from `from`, or -1 when the run reaches the end of
 * the text before `limit` characters and more input might extend it.
 */
function runEnd(text: string, from: number, limit: number, allowed: (c: number) => boolean, final: boolean) {
  const stop = Math.min(text.length, from + limit + 1);
  let i = from;
  while (i < stop && allowed(text.charCodeAt(i))) i++;
  if (i === text.length && !final && i < from + limit + 1) return -1;
  return i;
}

/**
 * A built-in scanner. Its `prefilter` (see prefilter.ts) is derived from `source` (and
 * `accept`) and written beside them: it must say "maybe" whenever the scanner could report a
 * hit in the text.
 */
function spec(
  kind: DetectorName,
  source: string,
  extra: Omit<ScannerSpec, 'kind' | 'source' | 'maxSpan' | 'prefilter'> & { prefilter: Prefilter },
): ScannerSpec {
  const atWordStart = source.startsWith('\\b');
  const pattern = atWordStart ? WORD_START + source.slice(2) : source;
  const { max } = spanBound(pattern);
  if (!Number.isFinite(max)) throw new Error(`detector ${kind} has an unbounded pattern`);
  return { kind, source: pattern, maxSpan: max, ...(atWordStart ? afterUrlSpace(extra) : extra) };
}

/**
 * A pattern that starts at a word boundary also starts after a URL's `%20` (WORD_START): its
 * validator sees the match without it, and `%` joins the alphabet and each anchor gains a
 * `%20` form, since a match now may begin with one.
 */
function afterUrlSpace<T extends Pick<ScannerSpec, 'accept' | 'alphabet' | 'anchors'>>(extra: T): T {
  const { accept, alphabet, anchors } = extra;
  return {
    ...extra,
    ...(alphabet
      ? { alphabet: (code: number, previous: number) => code === 37 || alphabet(code, previous) }
      : {}),
    ...(anchors ? { anchors: [...anchors, ...anchors.map((a) => `%20${a}`)] } : {}),
    accept(text: string, start: number, end: number, final: boolean): AcceptResult {
      const from = afterLeadingSpace(text, start);
      return accept ? accept(text, from, end, final) : [{ start: from, end }];
    },
  };
}

const only = (ok: boolean, start: number, end: number): readonly Span[] => (ok ? [{ start, end }] : []);

// ---------------------------------------------------------------------------------------
// E-mail (RFC 5321 sizes: local part ≤ 64, labels ≤ 63)
// ---------------------------------------------------------------------------------------

const EMAIL_CHARS = asciiSet("A-Za-z0-9._%+@&;'-");
/** U+2019, the apostrophe word processors write (`o’brien`). */
const RIGHT_QUOTE = 0x2019;

/**
 * Letters (and combining marks) of other scripts an internationalised address may hold
 * (RFC 6531: `josé.garcía@example.com`, `ana@exämple.de`), as ranges of BMP characters: the
 * Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic and Devanagari letters in a local part;
 * also kana, CJK ideographs, Hangul and Thai in a domain (`例子.中国`). Those scripts are
 * written without spaces between words, so a local part of them is a run of its own
 * (`用户@例子.中国`, which takes in the words before it: there is no telling where it starts),
 * never joined to ASCII, where it would run on into the text before an ASCII address
 * (`请发邮件到ann@example.com`). Latin-1's, the general and CJK punctuation blocks are left
 * out, so an address ends at a `、`
 * or a `»`. Written as the characters themselves, which both regex engines read (RE2 as code
 * points, JavaScript as UTF-16 units: the same in the BMP).
 */
const LOCAL_INTL_RANGES: readonly (readonly [number, number])[] = [
  [0xc0, 0xd6],
  [0xd8, 0xf6],
  [0xf8, 0x2af],
  [0x300, 0x36f],
  [0x370, 0x3ff],
  [0x400, 0x52f],
  [0x531, 0x587],
  [0x5d0, 0x5ea],
  [0x620, 0x64a],
  [0x900, 0x97f],
  [0x1e00, 0x1fff],
];
const UNSPACED_RANGES: readonly (readonly [number, number])[] = [
  [0xe01, 0xe3a],
  [0x3041, 0x30ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xac00, 0xd7a3],
];
const DOMAIN_INTL_RANGES = [...LOCAL_INTL_RANGES, ...UNSPACED_RANGES];
const classOf = (ranges: readonly (readonly [number, number])[]) =>
  ranges.map(([from, to]) => `${String.fromCharCode(from)}-${String.fromCharCode(to)}`).join('');
const LOCAL_INTL = classOf(LOCAL_INTL_RANGES);
const UNSPACED = classOf(UNSPACED_RANGES);
const DOMAIN_INTL = classOf(DOMAIN_INTL_RANGES);
const inDomainIntl = (code: number) => DOMAIN_INTL_RANGES.some(([from, to]) => code >= from && code <= to);

/** An address's characters, and the `#` of a character reference (only after its `&`). */
const emailAlphabet = (code: number, previous: number) =>
  EMAIL_CHARS(code) ||
  (code >= 0xc0 && (inDomainIntl(code) || code === RIGHT_QUOTE)) ||
  (code === 35 && (previous === 38 || Number.isNaN(previous)));

// The '@' may come percent-encoded (`%40`), as in a URL's query (`?email=ann%40example.com`),
// or as an HTML or XML character reference (`ann&#64;example.com`, `&#x40;`, `&commat;`), as
// web pages write addresses to keep them from naive scrapers, which a reader decodes at once.
const EMAIL = spec(
  'email',
  // One apostrophe inside a local part, up to 32 characters from its end (`mary.o'connor`,
  // `o’brien`), never first: `'ann@example.com'` quoted in a log keeps its quotes. Placed
  // before the run instead, it cost JavaScript RegExp 14 % (benchmarks/masking).
  `(?:[A-Za-z0-9._%+${LOCAL_INTL}-]{1,64}(?:['\u2019][A-Za-z0-9._%+${LOCAL_INTL}-]{1,32})?|[${UNSPACED}]{1,64})` +
    '(?:@|%40|&(?:#(?:0{0,4}64|[xX]0{0,4}40)|commat);)' +
    // A label of ASCII as before; one with letters of other scripts up to 24 characters: the
    // wide class repeated 63 times made RE2 match at a third of its speed (benchmarks/masking).
    `(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?|[A-Za-z0-9${DOMAIN_INTL}-]{1,24})\\.){1,8}` +
    // An ASCII TLD ends where a word does; one in another script (`рф`, `中国`) at its last letter.
    `(?:[A-Za-z]{2,24}\\b|[${DOMAIN_INTL}]{2,24})`,
  {
    alphabet: emailAlphabet,
    // An '@' (or the '%' of `%40`, or the '&' of a character reference), then at least one
    // label ending in '.', then a TLD of two letters or more (of any script).
    prefilter: (f) =>
      (f.at > 0 || f.percents > 0 || f.ampersands > 0) && f.dots > 0 && f.letters + f.intl >= 2,
    accept(text, start, end) {
      // `.invalid` (RFC 2606) can never be delivered; it is what format-preserving masking emits.
      const tld = text.slice(text.lastIndexOf('.', end) + 1, end).toLowerCase();
      return only(tld !== 'invalid', start, end);
    },
    resume: (_text, _start, end) => end,
  },
);

// ---------------------------------------------------------------------------------------
// Payment cards: 13–19 digits in groups, an issuer digit 2–6, Luhn-valid
// ---------------------------------------------------------------------------------------

interface DigitGroup {
  start: number;
  end: number;
}

/**
 * The digit groups of [start, end), split at a separator (`%20` is one, of three characters,
 * and a no-break space reference one of six).
 */
function digitGroups(text: string, start: number, end: number): DigitGroup[] {
  const groups: DigitGroup[] = [];
  let groupStart = start;
  for (let i = start; i <= end; i++) {
    if (i === end || !isDigitCode(text.charCodeAt(i))) {
      groups.push({ start: groupStart, end: i });
      if (text.charCodeAt(i) === 37) i += 2;
      else if (isNbspReferenceAt(text, i)) i += NBSP_REFERENCE_LENGTH - 1;
      groupStart = i + 1;
    }
  }
  return groups;
}

const CARD = spec('credit_card', `\\b\\d(?:(?:${URL_SPACE}|-)?\\d){12,399}\\b`, {
  alphabet: withNbspReferences(asciiSet('0-9 +%-')),
  // \d then at least 12 more \d: 13 digits.
  prefilter: (f) => f.digits >= 13,
  accept(text, start, end) {
    // The regex finds a run of digit groups; a card is any group-aligned window of it, so a
    // card next to other numbers ("ref 12 4111 1111 1111 1111") is still found.
    const groups = digitGroups(text, start, end);
    const spans: Span[] = [];
    for (let i = 0; i < groups.length; i++) {
      let digits = '';
      for (let j = i; j < groups.length && j - i < 5; j++) {
        const group = groups[j] as DigitGroup;
        digits += text.slice(group.start, group.end);
        if (digits.length > 19) break;
        // Between separators a real card has groups of three or more digits.
        if (j > i && (groups[j - 1] as DigitGroup).end - (groups[j - 1] as DigitGroup).start < 3) break;
        if (digits.length < 13) continue;
        const issuer = digits.charCodeAt(0);
        if (issuer >= 50 && issuer <= 54 && luhnValid(digits)) {
          spans.push({ start: (groups[i] as DigitGroup).start, end: group.end });
        }
      }
    }
    return spans;
  },
  resume(text, start, end) {
    // A run longer than the pattern's bound was cut; rescan its last 18 digits so a card
    // straddling the cut is still seen whole.
    const continues =
      ((text[end] === ' ' || text[end] === '-' || text[end] === '+') &&
        isDigitCode(text.charCodeAt(end + 1))) ||
      (text.startsWith('%20', end) && isDigitCode(text.charCodeAt(end + 3))) ||
      (isNbspReferenceAt(text, end) && isDigitCode(text.charCodeAt(end + NBSP_REFERENCE_LENGTH)));
    if (!continues) return end;
    let digits = 0;
    for (let i = end - 1; i > start; i--) {
      // The `20` of a `%20` and the `160` of a `&#160;` are a separator, not digits.
      const escaped =
        text.charCodeAt(i - 2) === 37
          ? 2
          : isNbspReferenceAt(text, i - NBSP_REFERENCE_LENGTH + 1)
            ? NBSP_REFERENCE_LENGTH - 1
            : 0;
      if (escaped === 0 && isDigitCode(text.charCodeAt(i))) digits++;
      else if (digits >= 18) return i + 1;
      else i -= escaped;
    }
    return end;
  },
});

// ---------------------------------------------------------------------------------------
// IBAN: country length + mod 97, printed compact or in groups of four
// ---------------------------------------------------------------------------------------

const IBAN = spec(
  'iban',
  `\\b[A-Z]{2}\\d{2}(?:${URL_SPACE}?[A-Z0-9]{4}){2,7}(?:${URL_SPACE}?[A-Z0-9]{1,4})?\\b`,
  {
    alphabet: withNbspReferences(asciiSet('A-Z0-9 +%')),
    // [A-Z]{2}\d{2}, adjacent.
    prefilter: (f) => f.upperUpperDigitDigit,
    accept(text, start, end) {
      const length = ibanLength(text.slice(start, start + 2));
      if (length === undefined) return [];
      // The regex may run on into following groups; cut at the country's length.
      let seen = 0;
      let cut = start;
      let compact = '';
      while (cut < end && seen < length) {
        const ch = text[cut] as string;
        if (ch === '%') cut += 2;
        else if (ch === '&') cut += NBSP_REFERENCE_LENGTH - 1;
        else if (ch !== ' ' && ch !== '+') {
          compact += ch;
          seen++;
        }
        cut++;
      }
      const next = text[cut];
      if (seen < length || (cut < end && next !== ' ' && next !== '+' && next !== '%' && next !== '&'))
        return [];
      return only(ibanValid(compact), start, cut);
    },
  },
);

// ---------------------------------------------------------------------------------------
// US SSN: AAA-GG-SSSS with the SSA's area, group and serial rules
// ---------------------------------------------------------------------------------------

const US_SSN = spec('us_ssn', '\\b\\d{3}-\\d{2}-\\d{4}\\b', {
  alphabet: asciiSet('0-9-'),
  // 3 + 2 + 4 digits and two dashes.
  prefilter: (f) => f.digits >= 9 && f.dashes >= 2,
  accept(text, start, end) {
    if (insideLongerNumber(text, start, end)) return [];
    const ok = usSsnValid(
      text.slice(start, start + 3),
      text.slice(start + 4, start + 6),
      text.slice(start + 7, end),
    );
    return only(ok, start, end);
  },
});

// ---------------------------------------------------------------------------------------
// Phone numbers: international (+CC …, E.164 lengths) and NANP with separators
// ---------------------------------------------------------------------------------------

// The separators include a URL's spaces (`%20`, `+`), and the leading plus may be `%2B`.
const PHONE_SEPARATOR = `(?:[ .-]|${URL_SPACE})`;
const INTL_PHONE = `(?:%20)?(?:\\+|%2[Bb])[1-9]\\d{0,2}(?:${PHONE_SEPARATOR}?(?:\\(\\d{1,4}\\)|\\d{1,4})){2,7}`;
const NANP_PHONE = `(?:${WORD_START}1${PHONE_SEPARATOR})?(?:(?:%20)?\\(\\d{3}\\)${PHONE_SEPARATOR}?|${WORD_START}\\d{3}${PHONE_SEPARATOR})\\d{3}${PHONE_SEPARATOR}\\d{4}`;

function nanpValid(tenDigits: string): boolean {
  // Area code and exchange both start 2–9 (NANP numbering plan).
  return (
    tenDigits.length === 10 &&
    tenDigits[0] !== '0' &&
    tenDigits[0] !== '1' &&
    tenDigits[3] !== '0' &&
    tenDigits[3] !== '1'
  );
}

function phoneDigitsValid(digits: string, international: boolean): boolean {
  if (international) {
    if (digits.length < 8 || digits.length > 15) return false;
    return digits[0] === '1' ? digits.length === 11 && nanpValid(digits.slice(1)) : true;
  }
  if (digits.length === 11) return digits[0] === '1' && nanpValid(digits.slice(1));
  return nanpValid(digits);
}

function phoneEndOk(text: string, end: number): boolean {
  const after = text.charCodeAt(end);
  if (isWordCode(after)) return false;
  return !((after === 46 || after === 45) && isDigitCode(text.charCodeAt(end + 1)));
}

const PHONE = spec('phone', `(?:${INTL_PHONE}|${NANP_PHONE})`, {
  alphabet: withNbspReferences(asciiSet('0-9 .()+%Bb-')),
  // INTL_PHONE: '+' (or '%2B'), a digit, then at least two groups of one digit or more (3 digits).
  // NANP_PHONE: 3 + 3 + 4 digits (10).
  prefilter: (f) => f.digits >= 10 || ((f.plus > 0 || f.percents > 0) && f.digits >= 3),
  accept(text, matchStart, end) {
    // A number the match found after a `%20` (which it took in) follows a space, whatever the
    // `0` before it.
    const start = afterLeadingSpace(text, matchStart);
    const before = text.charCodeAt(start - 1);
    if ((isWordCode(before) && start === matchStart) || before === 43) return [];
    if ((before === 46 || before === 45) && isDigitCode(text.charCodeAt(start - 2))) return [];
    const international = text[start] === '+' || text[start] === '%';
    if (!international) {
      return only(phoneEndOk(text, end) && phoneDigitsValid(digitsOf(text, start, end), false), start, end);
    }
    // Greedy groups may take a following number ("+44 20 7946 0958 2023"); try shorter ends.
    for (let cut = end; cut > start + 1; cut--) {
      if (!isDigitCode(text.charCodeAt(cut - 1)) && text[cut - 1] !== ')') continue;
      const digits = digitsOf(text, start, cut);
      if (digits.length < 8) break;
      if (phoneEndOk(text, cut) && phoneDigitsValid(digits, true)) return [{ start, end: cut }];
    }
    return [];
  },
});

// ---------------------------------------------------------------------------------------
// IP addresses
// ---------------------------------------------------------------------------------------

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';

const IPV4 = spec('ipv4', `\\b${OCTET}(?:\\.${OCTET}){3}\\b`, {
  alphabet: asciiSet('0-9.'),
  // Four octets of one digit or more, three dots.
  prefilter: (f) => f.digits >= 4 && f.dots >= 3,
  accept(text, start, end) {
    // 1.2.3.4.5 and 10.0.0.1.2 are version strings or OIDs, not addresses.
    return only(!insideLongerNumber(text, start, end) && ipv4Valid(text.slice(start, end)), start, end);
  },
});

const isHexOrColon = asciiSet('0-9A-Fa-f:');

const HEX4 = '[0-9A-Fa-f]{1,4}';
const DOTTED = '\\d{1,3}(?:\\.\\d{1,3}){3}';
// Eight groups, six groups and a dotted quad, or a `::` form: times (12:30:45) and MAC
// addresses never match, so they cost no validation.
const IPV6_SOURCE = [
  `(?:${HEX4}:){6}${DOTTED}`,
  `(?:${HEX4}:){7}${HEX4}`,
  `(?:${HEX4}(?::${HEX4}){0,6})?::(?:(?:${HEX4}:){0,5}(?:${DOTTED}|${HEX4}))?`,
].join('|');

const IPV6 = spec('ipv6', `(?:${IPV6_SOURCE})`, {
  alphabet: asciiSet('0-9A-Fa-f:.'),
  // Six or seven ':' in the full forms, the literal '::' in the compressed one; and `accept`
  // wants two written groups, so some hex digit.
  prefilter: (f) => f.colons >= 2 && f.digits + f.letters > 0,
  accept(text, start, end) {
    const before = text.charCodeAt(start - 1);
    const after = text.charCodeAt(end);
    if (isWordCode(before) || before === 58 || before === 46) return [];
    if (isWordCode(after) || after === 58 || (after === 46 && isDigitCode(text.charCodeAt(end + 1))))
      return [];
    const candidate = text.slice(start, end);
    // Two written groups at least: "::" and "::1" carry nothing worth hiding, and code like
    // `x[::2]` would otherwise match.
    const groups = candidate.split(':').filter((g) => g !== '').length;
    return only(groups >= 2 && ipv6Valid(candidate), start, end);
  },
  resume(text, start, end, spans) {
    if (spans.length > 0) return end;
    // Skip past the rest of a hex-and-colon word in one step rather than one offset at a time.
    let i = start + 1;
    while (i < end && isHexOrColon(text.charCodeAt(i)) && text[i] !== ':') i++;
    return i;
  },
});

// ---------------------------------------------------------------------------------------
// JWT (header.payload.signature, base64url)
// ---------------------------------------------------------------------------------------

// Validators that read past a token wait for one character after it, so the token is whole.
const CONTEXT_AFTER = 1;

const isBase64Url = asciiSet('A-Za-z0-9_-');
const JWT_HEADER_MAX = 8192;
const JWT_PAYLOAD_MAX = 65536;
const JWT_SIGNATURE_MAX = 2048;

const JWT = spec('jwt', '\\beyJ', {
  // Every match starts so: the stream need hold back only a tail that may begin one.
  anchors: ['eyJ'],
  // A hit is header.payload.signature: two dots. Counts first, as they cost nothing more.
  prefilter: (f, text) => f.dots >= 2 && text.includes('eyJ'),
  accept(text, start, _end, final): AcceptResult {
    const headerEnd = runEnd(text, start, JWT_HEADER_MAX, isBase64Url, final);
    if (headerEnd === -1) return 'more';
    if (text[headerEnd] !== '.' || headerEnd - start > JWT_HEADER_MAX) return [];
    if (!final && headerEnd + 4 > text.length) return 'more';
    if (!text.startsWith('eyJ', headerEnd + 1)) return [];
    const payloadEnd = runEnd(text, headerEnd + 1, JWT_PAYLOAD_MAX, isBase64Url, final);
    if (payloadEnd === -1) return 'more';
    if (text[payloadEnd] !== '.' || payloadEnd - headerEnd - 1 > JWT_PAYLOAD_MAX) return [];
    const signatureEnd = runEnd(text, payloadEnd + 1, JWT_SIGNATURE_MAX, isBase64Url, final);
    if (signatureEnd === -1) return 'more';
    if (signatureEnd - payloadEnd - 1 > JWT_SIGNATURE_MAX) return [];
    if (!final && signatureEnd + CONTEXT_AFTER > text.length) return 'more';
    return only(jwtHeaderValid(text.slice(start, headerEnd)), start, signatureEnd);
  },
});

// ---------------------------------------------------------------------------------------
// AWS access key ids
// ---------------------------------------------------------------------------------------

const AWS_ACCESS_KEY = spec('aws_access_key', '\\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\\b', {
  alphabet: asciiSet('A-Z0-9'),
  // Twenty characters of [A-Z0-9] in a row, starting with one of the prefixes.
  prefilter: (f, text) =>
    f.longestUpperDigitRun >= 20 &&
    (text.includes('AKIA') ||
      text.includes('ASIA') ||
      text.includes('ABIA') ||
      text.includes('ACCA') ||
      text.includes('A3T')),
});

/** A secret access key's or session token's characters (base64). */
const isAwsSecret = asciiSet('A-Za-z0-9/+=');
/** Session tokens run to several hundred characters; secret access keys are 40. */
const AWS_SECRET_MAX = 2048;
const AWS_SECRET_MIN = 16;

/**
 * The secret that goes with an access key id, which no pattern can tell from other base64 on
 * its own: found by its name, as the AWS CLI's files and environment (`aws_secret_access_key
 * = …`, `AWS_SECRET_ACCESS_KEY=…`, `AWS_SESSION_TOKEN=…`) and STS's JSON (`"SecretAccessKey":
 * "…"`, `"SessionToken": "…"`) write it. Only the value is masked.
 */
const AWS_SECRET = spec(
  'aws_access_key',
  `(?:aws_secret_access_key|AWS_SECRET_ACCESS_KEY|aws_session_token|AWS_SESSION_TOKEN|SecretAccessKey|secretAccessKey|SessionToken|sessionToken)["']?[ \t]{0,8}[=:][ \t]{0,8}["']?`,
  {
    anchors: ['aws_', 'AWS_', 'Secret', 'secret', 'Session', 'session'],
    alphabet: asciiSet(`A-Za-z_"' \\t=:`),
    prefilter: (f, text) =>
      f.letters >= 12 &&
      (f.colons > 0 || text.includes('=')) &&
      (text.includes('ecret') ||
        text.includes('ECRET') ||
        text.includes('ession') ||
        text.includes('ESSION')),
    accept(text, _start, end, final): AcceptResult {
      const stop = runEnd(text, end, AWS_SECRET_MAX, isAwsSecret, final);
      if (stop === -1) return 'more';
      if (!final && stop + CONTEXT_AFTER > text.length) return 'more';
      return only(stop - end >= AWS_SECRET_MIN && stop - end <= AWS_SECRET_MAX, end, stop);
    },
  },
);

// ---------------------------------------------------------------------------------------
// PEM private keys: the whole block, BEGIN line to END line
// ---------------------------------------------------------------------------------------

const PEM_BODY_MAX = 16384;
const PEM_END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----/y;
const PEM_END_MARKER_MAX = 66;
const isPemBody = asciiSet('A-Za-z0-9+/=\\r\\n\\t :,.-');

const PRIVATE_KEY = spec('private_key', '-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----', {
  anchors: ['-----BEGIN '],
  prefilter: (f, text) => f.dashes >= 5 && text.includes('-----BEGIN '),
  accept(text, start, end, final): AcceptResult {
    const limit = end + PEM_BODY_MAX;
    let from = end;
    for (;;) {
      const at = text.indexOf('-----END ', from);
      if (at === -1 || at > limit) break;
      PEM_END.lastIndex = at;
      const marker = PEM_END.exec(text);
      if (marker) return [{ start, end: at + marker[0].length }];
      if (!final && at + PEM_END_MARKER_MAX > text.length) return 'more';
      from = at + 1;
    }
    if (!final && limit + PEM_END_MARKER_MAX > text.length) return 'more';
    // No END line within the limit: a truncated key still hides its body.
    let bodyEnd = end;
    while (bodyEnd < limit && bodyEnd < text.length && isPemBody(text.charCodeAt(bodyEnd))) bodyEnd++;
    return [{ start, end: bodyEnd }];
  },
});

// ---------------------------------------------------------------------------------------
// API tokens: GitHub, Slack, Stripe, OpenAI, Anthropic, Google and HTTP bearer credentials
// ---------------------------------------------------------------------------------------

const GITHUB_TOKEN = spec(
  'api_token',
  '\\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})\\b',
  {
    alphabet: asciiSet('A-Za-z0-9_'),
    // 'gh[pousr]_' or 'github_pat_'; the shortest match is github_pat_ + 22 (33 characters).
    prefilter: (f, text) =>
      f.underscores > 0 && text.length >= 33 && (text.includes('gh') || text.includes('github_pat_')),
  },
);

const SLACK_TOKEN = spec('api_token', '\\bxox[baprs]-[A-Za-z0-9-]{10,250}', {
  alphabet: asciiSet('A-Za-z0-9-'),
  prefilter: (f, text) => f.dashes > 0 && text.includes('xox'),
});

const STRIPE_KEY = spec('api_token', '\\b[spr]k_live_[A-Za-z0-9]{10,247}\\b', {
  alphabet: asciiSet('A-Za-z0-9_'),
  prefilter: (f, text) => f.underscores >= 2 && text.includes('k_live_'),
});

// AI providers' keys, which agents' environments hold: OpenAI's (`sk-` and 48 letters or
// digits; project, service-account and admin keys `sk-proj-…`, `sk-svcacct-…`, `sk-admin-…`)
// and Anthropic's (`sk-ant-api03-…`, `sk-ant-admin01-…`).
const AI_PROVIDER_KEY = spec(
  'api_token',
  '\\bsk-(?:(?:proj|svcacct|admin|ant-(?:api|admin)[0-9]{2})-[A-Za-z0-9_-]{20,400}|[A-Za-z0-9]{48}\\b)',
  {
    alphabet: asciiSet('A-Za-z0-9_-'),
    // 'sk-', then at least twenty more characters.
    prefilter: (f, text) => f.dashes > 0 && text.length >= 23 && text.includes('sk-'),
  },
);

// Google API keys: `AIza` and 35 more.
const GOOGLE_API_KEY = spec('api_token', '\\bAIza[0-9A-Za-z_-]{35}', {
  alphabet: asciiSet('A-Za-z0-9_-'),
  prefilter: (f, text) => f.letters >= 4 && text.length >= 39 && text.includes('AIza'),
});

const isToken68 = asciiSet('A-Za-z0-9._~+/-');
const BEARER_TOKEN_MIN = 16;
const BEARER_TOKEN_MAX = 4096;

const BEARER = spec('api_token', '\\b(?:Bearer|bearer|BEARER)[ \\t]{1,8}', {
  anchors: ['Bearer', 'bearer', 'BEARER'],
  // 'Bearer', 'bearer' or 'BEARER'.
  prefilter: (f, text) => f.letters >= 6 && (text.includes('earer') || text.includes('EARER')),
  accept(text, _start, end, final): AcceptResult {
    // RFC 6750 token68: mask the credential, keep the scheme name readable.
    const tokenEnd = runEnd(text, end, BEARER_TOKEN_MAX, isToken68, final);
    if (tokenEnd === -1) return 'more';
    let stop = tokenEnd;
    while (stop < text.length && stop < tokenEnd + 2 && text[stop] === '=') stop++;
    if (!final && stop + CONTEXT_AFTER > text.length) return 'more';
    const length = tokenEnd - end;
    return only(length >= BEARER_TOKEN_MIN && length <= BEARER_TOKEN_MAX, end, stop);
  },
});

// ---------------------------------------------------------------------------------------
// Passwords written into connection strings, URLs and settings
// ---------------------------------------------------------------------------------------

/** Characters of a password past which a value is not read (the rest stays unmasked). */
const PASSWORD_MAX = 256;
/** A URL's authority (userinfo and host) is read this far for its `@`. */
const AUTHORITY_MAX = 512;

/**
 * A test for a character that is neither a space, a control character nor one of `stops`
 * (ASCII): what a value runs over until one of them ends it. Non-ASCII characters belong.
 */
function anyBut(stops: string): (code: number) => boolean {
  const stop = new Uint8Array(128);
  for (let c = 0; c <= 32; c++) stop[c] = 1;
  stop[127] = 1;
  for (const ch of stops) stop[ch.charCodeAt(0)] = 1;
  return (code) => code >= 128 || stop[code] === 0;
}

/** What a URL's authority runs over: not `/`, `?`, `#`, a quote or an angle bracket. */
const isAuthority = anyBut('/?#"\'`<>');
/** What an unquoted `key=value` runs over: not `;`, `&`, `,` or a quote. */
const isBareValue = anyBut(';&,"\'`');
/** An unquoted value that starts with a doubled quote holds quotes. */
const isQuotedBareValue = anyBut(';&,`');

const notLineEnd = (code: number) => code !== 10 && code !== 13;

/**
 * A value that starts with the redaction was masked already (with whatever followed it on its
 * line, when that was read as the value too): reporting it again would mask a mask.
 */
function isRedaction(text: string, start: number, end: number): boolean {
  return end - start >= REDACTED.length && text.startsWith(REDACTED, start);
}

/**
 * A URL's password: `postgres://app:s3cret@db:5432/x`, `https://user:pw@host/`. The userinfo is
 * what comes before the authority's last `@`; its password, what follows the userinfo's first
 * `:`. Only the password is masked, so the URL still names its user and host.
 */
const URL_PASSWORD = spec('password', '://', {
  anchors: ['://'],
  prefilter: (f, text) => f.colons >= 2 && (f.at > 0 || f.percents > 0) && text.includes('://'),
  accept(text, _start, end, final): AcceptResult {
    const stop = runEnd(text, end, AUTHORITY_MAX, isAuthority, final);
    if (stop === -1) return 'more';
    if (!final && stop + CONTEXT_AFTER > text.length) return 'more';
    const at = text.lastIndexOf('@', stop - 1);
    if (at < end) return [];
    const colon = text.indexOf(':', end);
    if (colon === -1 || colon + 1 >= at || isRedaction(text, colon + 1, at)) return [];
    return [{ start: colon + 1, end: at }];
  },
});

const PASSWORD_KEY = /^(?:[Pp]ass(?:word|wd)|PASS(?:WORD|WD))/;

/**
 * A password given by name: a libpq, JDBC, ODBC or ADO.NET connection string
 * (`host=db password=s3cret`, `Password=s3cret;`, `PWD={s3;cret}`), a URL's query or a form
 * (`?user=a&password=s3cret`), an environment file or a shell (`DB_PASSWORD="s3cret"`,
 * `PGPASSWORD=s3cret`, `MYSQL_PWD=s3cret`, `DB_PASS=s3cret`), YAML or JSON text
 * (`password: s3cret`, `"password": "s3cret"`). The key is `password` or `passwd`, also ending
 * a longer name, with `=` or `:`; or `pass` or `pwd` at the start of a name part, with `=`
 * only (`bypass=`, `OLDPWD=` are not passwords); each lower-case, capitalised or upper-case.
 * The value is what the quotes, ODBC's braces or the first space, `;`, `&` or `,` enclose;
 * after a `:` without quotes, the rest of the line.
 */
const KEYED_PASSWORD = spec(
  'password',
  `(?:(?:[Pp]ass(?:word|wd)|PASS(?:WORD|WD))["']?[ \t]{0,8}[=:]|(?:[Pp]ass|PASS|[Pp]wd|PWD)[ \t]{0,8}=)[ \t]{0,8}`,
  {
    // Names are written lower-case, capitalised (`Password`, `dbPassword`) or upper-case.
    anchors: ['pass', 'Pass', 'PASS', 'pwd', 'Pwd', 'PWD'],
    alphabet: asciiSet(`A-Za-z"' \\t=:`),
    prefilter: (f, text) => f.letters >= 3 && (f.colons > 0 || text.includes('=')) && /pass|pwd/i.test(text),
    accept(text, start, end, final): AcceptResult {
      const named = PASSWORD_KEY.test(text.slice(start, start + 8));
      if (!named) {
        // `pass` or `pwd` alone: the start of the name or of one of its parts.
        const before = text.charCodeAt(start - 1);
        if ((before >= 65 && before <= 90) || (before >= 97 && before <= 122)) return [];
      }
      if (end >= text.length) return final ? [] : 'more';
      const open = text.charCodeAt(end);
      if (end + 1 >= text.length && !final) return 'more';
      // A doubled quote first is an escaped one (`password=''s3cret''` in a quoted setting):
      // the value is read as unquoted.
      const quoted = (open === 34 || open === 39 || open === 123) && text.charCodeAt(end + 1) !== open;
      if (quoted) {
        // Quoted, or an ODBC value in braces: to the closing quote or brace, past a backslash
        // escape, or in braces a doubled closing brace (ODBC's escape). A doubled quote closes
        // the value: read as an escape, it would run the value into the next key's.
        const close = open === 123 ? 125 : open;
        const limit = Math.min(text.length, end + 1 + PASSWORD_MAX);
        let i = end + 1;
        for (; i < limit; i++) {
          const c = text.charCodeAt(i);
          if (c === 92) i++;
          else if (c === close) {
            if (close !== 125) break;
            if (i + 1 >= text.length && !final) return 'more';
            if (text.charCodeAt(i + 1) !== close) break;
            i++;
          }
        }
        if (i >= text.length && !final) return 'more';
        let stop = Math.min(i, limit);
        if (stop >= limit) {
          // Unclosed within reach: the rest of its line is masked.
          stop = end + 1;
          while (stop < limit && notLineEnd(text.charCodeAt(stop))) stop++;
        }
        if (stop <= end + 1 || isRedaction(text, end + 1, stop)) return [];
        return [{ start: end + 1, end: stop }];
      }
      const colon = text.slice(start, end).trimEnd().endsWith(':');
      const stop = colon
        ? runEnd(text, end, PASSWORD_MAX, notLineEnd, final)
        : runEnd(
            text,
            end,
            PASSWORD_MAX,
            open === 34 || open === 39 ? isQuotedBareValue : isBareValue,
            final,
          );
      if (stop === -1) return 'more';
      if (!final && stop + CONTEXT_AFTER > text.length) return 'more';
      let valueEnd = Math.min(stop, end + PASSWORD_MAX);
      while (valueEnd > end && /\s/.test(text[valueEnd - 1] as string)) valueEnd--;
      if (valueEnd <= end || isRedaction(text, end, valueEnd)) return [];
      // `password=""`: an empty quoted value.
      if (/^["']+$/.test(text.slice(end, valueEnd))) return [];
      return [{ start: end, end: valueEnd }];
    },
    // From the value on, not past it: a value read to its line's end (or cut at PASSWORD_MAX)
    // may hold the next key, whose own value may run further.
    resume: (_text, _start, end) => end,
  },
);

// ---------------------------------------------------------------------------------------
// Tokens and keys given by a name that says so
// ---------------------------------------------------------------------------------------

/** Characters of a named token past which a value is not read. */
const NAMED_TOKEN_MAX = 4096;
/** Shorter values are taken for settings (`token: none`, `secret: false`), not secrets. */
const NAMED_TOKEN_MIN = 8;

/**
 * Words before `token` that make it no credential: a pagination cursor (`nextPageToken`,
 * `NextToken`, `continuation_token`) or a form's CSRF token. Matched as part of the name
 * (`NOT_A_CREDENTIAL`), not looked for behind it: a validator may read only CONTEXT
 * characters before its match, as a stream keeps no more.
 */
const NOT_A_CREDENTIAL_WORDS = [
  'page',
  'next',
  'continuation',
  'pagination',
  'sync',
  'resume',
  'cursor',
  'csrf',
  'xsrf',
];
const cased = (word: string) => [word, word[0]?.toUpperCase() + word.slice(1), word.toUpperCase()];
const NOT_A_CREDENTIAL_SOURCE = `(?:(?:${NOT_A_CREDENTIAL_WORDS.map(
  (w) => `[${w[0]}${w[0]?.toUpperCase()}]${w.slice(1)}|${w.toUpperCase()}`,
).join('|')})[_.-]?){1,2}(?:[Tt]oken|TOKEN)["']?[ \t]{0,8}[=:]`;
const NOT_A_CREDENTIAL = new RegExp(`^(?:${NOT_A_CREDENTIAL_WORDS.join('|')})`, 'i');

/**
 * An unquoted value that is code, not a secret: a call or a subscript (`os.getenv(`,
 * `os.environ[`, where the value read stops at the quote), a dotted name
 * (`process.env.JWT_SECRET`, `settings.SECRET_KEY`), or a literal of no value.
 */
const CODE_VALUE =
  /^[A-Za-z_$][\w$.]*[([]|^(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*$|^(?:None|null|NULL|nil|true|false|True|False|undefined)$/;

const isUpperOrDigit = asciiSet('A-Z0-9');

/** A value that refers to a secret kept elsewhere: a shell, template or format placeholder. */
const PLACEHOLDER = /^(?:\$[{(]|\{\{|<%|%\(|\*+$)/;

/**
 * A secret assigned to a name that ends in `secret`, `secret_key`, `token`, `api_key` or
 * `access_key` (with `_`, `-` or nothing inside; lower-case, capitalised or upper-case, so
 * `JWT_SECRET`, `DJANGO_SECRET_KEY`, `clientSecret`, `GITHUB_TOKEN`, `X-Api-Key`,
 * `"access_token"`), with `=` or `:`, or an upper-case name ending in `_KEY` with `=`
 * (`APP_KEY=`, `STRIPE_KEY=`: environment variables), as
 * environment files, shells, YAML, JSON, URL queries and HTTP headers written as text give
 * them: the format of such a value is the issuer's, so the name is what tells. Only the value
 * is masked: what quotes enclose (a quote left open, to the end of its line), or unquoted, up
 * to a space, `;`, `&`, `,` or a quote; at least 8 characters, at most the first 4096. Not taken: pagination and CSRF tokens (`nextPageToken`, `NextToken`,
 * `csrf_token`), unquoted code (`os.environ[…]`, `process.env.X`, `None`), placeholders
 * (`${X}`, `{{ x }}`), and a name that does not end there (`TOKEN_TTL=`, `max_tokens:`).
 */
const NAMED_TOKEN = spec(
  'api_token',
  `${NOT_A_CREDENTIAL_SOURCE}|(?:(?:[Ss]ecret|SECRET)(?:[_-]?(?:[Kk]ey|KEY))?|[Tt]oken|TOKEN|(?:[Aa]pi|API|[Aa]ccess|ACCESS)[_-]?(?:[Kk]ey|KEY))["']?[ \t]{0,8}[=:][ \t]{0,8}|_KEY[ \t]{0,8}=[ \t]{0,8}`,
  {
    anchors: [
      'secret',
      'Secret',
      'SECRET',
      'token',
      'Token',
      'TOKEN',
      'api',
      'Api',
      'API',
      'access',
      'Access',
      'ACCESS',
      '_KEY',
      ...NOT_A_CREDENTIAL_WORDS.flatMap(cased),
    ],
    alphabet: asciiSet(`A-Za-z_"' \\t=:.-`),
    prefilter: (f, text) =>
      f.letters >= 3 &&
      (f.colons > 0 || text.includes('=')) &&
      /secret|token|api[_-]?key|access[_-]?key|_KEY/i.test(text),
    accept(text, start, end, final): AcceptResult {
      if (NOT_A_CREDENTIAL.test(text.slice(start, start + 12))) return [];
      // `_KEY=`: an environment variable's upper-case name (`APP_KEY`, `STRIPE_KEY`).
      if (text.charCodeAt(start) === 95 && !isUpperOrDigit(text.charCodeAt(start - 1))) return [];
      if (end >= text.length) return final ? [] : 'more';
      const open = text.charCodeAt(end);
      let from = end;
      let to: number;
      if (open === 34 || open === 39 || open === 96) {
        // Quoted: to the closing quote, past backslash escapes. A quote left open (a line
        // cut short, a truncated output) runs to its line's end, the text's end or the limit.
        from = end + 1;
        const limit = from + NAMED_TOKEN_MAX;
        let i = from;
        for (; i < limit && i < text.length; i++) {
          const c = text.charCodeAt(i);
          if (c === 92) i++;
          else if (c === open || c === 10 || c === 13) break;
        }
        if (i >= text.length && i < limit && !final) return 'more';
        to = Math.min(i, text.length, limit);
      } else {
        const stop = runEnd(text, end, NAMED_TOKEN_MAX, isBareValue, final);
        if (stop === -1) return 'more';
        if (!final && stop + CONTEXT_AFTER > text.length) return 'more';
        // A longer value is masked for as far as it is read: its tail is what stays.
        to = Math.min(stop, end + NAMED_TOKEN_MAX);
        if (CODE_VALUE.test(text.slice(from, to))) return [];
      }
      if (to - from < NAMED_TOKEN_MIN || isRedaction(text, from, to)) return [];
      if (PLACEHOLDER.test(text.slice(from, to))) return [];
      return [{ start: from, end: to }];
    },
    resume: (_text, _start, end) => end,
  },
);

// ---------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------

/** The scanners behind each detector, in the order they are tried. */
export const DETECTOR_SCANNERS: Readonly<Record<DetectorName, readonly ScannerSpec[]>> = {
  email: [EMAIL],
  credit_card: [CARD],
  iban: [IBAN],
  us_ssn: [US_SSN],
  phone: [PHONE],
  ipv4: [IPV4],
  ipv6: [IPV6],
  jwt: [JWT],
  aws_access_key: [AWS_ACCESS_KEY, AWS_SECRET],
  private_key: [PRIVATE_KEY],
  api_token: [GITHUB_TOKEN, SLACK_TOKEN, STRIPE_KEY, AI_PROVIDER_KEY, GOOGLE_API_KEY, BEARER, NAMED_TOKEN],
  password: [URL_PASSWORD, KEYED_PASSWORD],
};

export function isDetectorName(value: unknown): value is DetectorName {
  return typeof value === 'string' && (DETECTOR_NAMES as readonly string[]).includes(value);
}

export interface DetectOptions {
  /** Detectors to run; all of them when absent. */
  detectors?: readonly DetectorName[];
  /** Engine for the built-in patterns (default `re2`); exposed for benchmarking. */
  regexEngine?: RegexEngine;
}

/** Every secret the chosen detectors find in `text`, sorted by start (overlaps are kept). */
export function detect(text: string, options: DetectOptions = {}): DetectorMatch[] {
  const names = options.detectors ?? DETECTOR_NAMES;
  const specs = names.flatMap((name) => DETECTOR_SCANNERS[name]);
  const scanners = compileScanners(specs, options.regexEngine ?? 're2');
  const hits: Hit[] = [];
  new ScanState(scanners).scan(foldForScan(text), 0, true, hits);
  // A scanner that rescans the end of a cut run (see CARD's resume) can find a hit twice, and
  // two scanners of one detector the same one (a key by its format and by its name).
  const seen = new Set<string>();
  return hits
    .filter((hit) => {
      const key = `${(specs[hit.scanner] as ScannerSpec).kind}:${hit.start}:${hit.end}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map((hit) => ({
      detector: (specs[hit.scanner] as ScannerSpec).kind as DetectorName,
      start: hit.start,
      end: hit.end,
    }))
    .sort((a, b) => a.start - b.start || b.end - a.end);
}

/** A single detector, for direct use. */
export interface Detector {
  readonly name: DetectorName;
  detect(text: string): DetectorMatch[];
}

export const detectors: Readonly<Record<DetectorName, Detector>> = Object.freeze(
  Object.fromEntries(
    DETECTOR_NAMES.map((name) => [
      name,
      { name, detect: (text: string) => detect(text, { detectors: [name] }) },
    ]),
  ) as Record<DetectorName, Detector>,
);
