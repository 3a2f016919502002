/**
 * The `format` checks gojsonschema enforces, each with the Go standard-library rule it leans
 * on (time.Parse layouts, net.ParseIP, net/mail.ParseAddress, net/url.Parse), written out
 * here as small scanners. Unknown formats pass, as there, and so does any non-string value.
 * Nothing here hands policy input to a backtracking regex: the checks are hand-written, and
 * the one that compiles a pattern (`regex`) uses RE2.
 */
import { parseIp } from './ip.js';
import { compileRe2 } from './re2.js';

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);
const isAlnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c);

/** A cursor over the text, for the scanners below. */
class Scan {
  i = 0;
  constructor(readonly s: string) {}
  peek(): string | undefined {
    return this.s[this.i];
  }
  eat(c: string): boolean {
    if (this.s.startsWith(c, this.i)) {
      this.i += c.length;
      return true;
    }
    return false;
  }
  /** Exactly n digits, as a number. */
  digits(n: number): number | undefined {
    for (let k = 0; k < n; k++) if (!isDigit(this.s[this.i + k])) return undefined;
    const v = Number(this.s.slice(this.i, this.i + n));
    this.i += n;
    return v;
  }
  get done(): boolean {
    return this.i >= this.s.length;
  }
}

// ---- time.Parse with the layouts gojsonschema tries -------------------------------------

const daysIn = (month: number, year: number): number => {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
};

/** `2006-01-02`: four-digit year, two-digit month and day, the day checked against the month. */
function scanDate(p: Scan): boolean {
  const year = p.digits(4);
  if (year === undefined || !p.eat('-')) return false;
  const month = p.digits(2);
  if (month === undefined || month < 1 || month > 12 || !p.eat('-')) return false;
  const day = p.digits(2);
  return day !== undefined && day >= 1 && day <= daysIn(month, year);
}

/**
 * `15:04:05`: Go reads the hour as one or two digits, minutes and seconds as exactly two,
 * and accepts a fractional second (after `.` or `,`) even when the layout has none.
 */
function scanTime(p: Scan): boolean {
  let hour = p.digits(2);
  if (hour === undefined) hour = p.digits(1);
  if (hour === undefined || hour > 23 || !p.eat(':')) return false;
  const min = p.digits(2);
  if (min === undefined || min > 59 || !p.eat(':')) return false;
  const sec = p.digits(2);
  if (sec === undefined || sec > 59) return false;
  if ((p.peek() === '.' || p.peek() === ',') && isDigit(p.s[p.i + 1])) {
    p.i++;
    while (isDigit(p.peek())) p.i++;
  }
  return true;
}

/** `Z07:00`: `Z`, or a sign and hh:mm (Go allows up to 24 hours and 60 minutes). */
function scanZone(p: Scan): boolean {
  if (p.eat('Z')) return true;
  const sign = p.peek();
  if (sign !== '+' && sign !== '-') return false;
  p.i++;
  const h = p.digits(2);
  if (h === undefined || h > 24 || !p.eat(':')) return false;
  const m = p.digits(2);
  return m !== undefined && m <= 60;
}

function layout(s: string, steps: readonly ((p: Scan) => boolean)[]): boolean {
  const p = new Scan(s);
  return steps.every((step) => step(p)) && p.done;
}

const literal =
  (c: string) =>
  (p: Scan): boolean =>
    p.eat(c);

function isDateTime(s: string): boolean {
  return (
    layout(s, [scanTime]) ||
    layout(s, [scanTime, scanZone]) ||
    layout(s, [scanDate]) ||
    layout(s, [scanDate, literal('T'), scanTime, scanZone])
  );
}

// ---- net/mail.ParseAddress ---------------------------------------------------------------

const SPECIALS = new Set(['(', ')', '<', '>', '[', ']', ':', ';', '@', '\\', ',', '"']);

/** RFC 5322 atext as Go reads it: any visible ASCII but the specials, and any non-ASCII. */
function isAtext(c: string, dot: boolean): boolean {
  if (c === '.') return dot;
  if (SPECIALS.has(c)) return false;
  const cp = c.codePointAt(0)!;
  return (cp >= 0x21 && cp <= 0x7e) || cp >= 0x80;
}

function isQtext(c: string): boolean {
  const cp = c.codePointAt(0)!;
  return cp === 0x21 || (cp >= 0x23 && cp <= 0x5b) || (cp >= 0x5d && cp <= 0x7e) || cp >= 0x80;
}

function skipSpace(p: Scan): void {
  while (p.peek() === ' ' || p.peek() === '\t') p.i++;
}

/** Spaces and (possibly nested) comments; false for an unclosed comment. */
function skipCfws(p: Scan): boolean {
  for (;;) {
    skipSpace(p);
    if (p.peek() !== '(') return true;
    let depth = 0;
    while (!p.done) {
      const c = p.s[p.i++]!;
      if (c === '\\') p.i++;
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) break;
    }
    if (depth !== 0) return false;
  }
}

function atom(p: Scan, permissive: boolean): string | undefined {
  const start = p.i;
  while (!p.done) {
    const c = String.fromCodePoint(p.s.codePointAt(p.i)!);
    if (!isAtext(c, true)) break;
    p.i += c.length;
  }
  const a = p.s.slice(start, p.i);
  if (a === '') return undefined;
  if (!permissive && (a.startsWith('.') || a.endsWith('.') || a.includes('..'))) return undefined;
  return a;
}

function quotedString(p: Scan): string | undefined {
  if (!p.eat('"')) return undefined;
  let out = '';
  while (!p.done) {
    const c = String.fromCodePoint(p.s.codePointAt(p.i)!);
    p.i += c.length;
    if (c === '"') return out;
    if (c === '\\') {
      // A quoted pair escapes a visible character or a space.
      const cp = p.s.codePointAt(p.i);
      if (cp === undefined) return undefined;
      const pair = String.fromCodePoint(cp);
      if (cp < 0x20 || cp === 0x7f) {
        if (pair !== '\t') return undefined;
      }
      p.i += pair.length;
      out += pair;
    } else if (isQtext(c) || c === ' ' || c === '\t') out += c;
    else return undefined;
  }
  return undefined;
}

function addrSpec(p: Scan): boolean {
  const start = p.i;
  const fail = () => {
    p.i = start;
    return false;
  };
  skipSpace(p);
  if (p.done) return fail();
  const local = p.peek() === '"' ? quotedString(p) : atom(p, false);
  if (local === undefined || local === '' || !p.eat('@')) return fail();
  skipSpace(p);
  if (p.peek() === '[') {
    // A domain literal, which Go accepts only when it holds an IP address.
    const close = p.s.indexOf(']', p.i);
    if (close < 0 || parseIp(p.s.slice(p.i + 1, close)) === undefined) return fail();
    p.i = close + 1;
    return true;
  }
  return atom(p, false) !== undefined || fail();
}

function isEmail(s: string): boolean {
  const p = new Scan(s);
  skipSpace(p);
  if (p.done) return false;
  if (addrSpec(p)) {
    skipSpace(p);
  } else {
    // name-addr: an optional phrase of words, then <addr-spec>.
    while (p.peek() !== '<') {
      if (!skipCfws(p)) return false;
      if (p.done || p.peek() === '<') break;
      const word = p.peek() === '"' ? quotedString(p) : atom(p, true);
      if (word === undefined) return false;
    }
    skipSpace(p);
    if (!p.eat('<') || !addrSpec(p) || !p.eat('>')) return false;
  }
  return skipCfws(p) && p.done;
}

// ---- net/url.Parse -----------------------------------------------------------------------

interface ParsedUrl {
  readonly scheme: string;
  readonly path: string;
}

/** Go's unescape: every `%` must start a two-digit hex escape. */
function goUnescape(s: string): string | undefined {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '%') {
      out += s[i];
      continue;
    }
    if (!isHex(s[i + 1]) || !isHex(s[i + 2])) return undefined;
    out += String.fromCharCode(Number.parseInt(s.slice(i + 1, i + 3), 16));
    i += 2;
  }
  return out;
}

const HOST_OK = '-_.~!$&\'()*+,;=:[]<>"';
const USERINFO_OK = "-._:~!$&'()*+,;=%@";

function validPort(p: string): boolean {
  return p === '' || /^:[0-9]*$/.test(p);
}

function validHost(host: string): boolean {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0 || !validPort(host.slice(close + 1))) return false;
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0 && !validPort(host.slice(colon))) return false;
  }
  for (let i = 0; i < host.length; i++) {
    const c = host[i]!;
    if (c === '%') {
      // Only escapes of non-ASCII bytes (and %25) may appear in a host.
      if (!isHex(host[i + 1]) || !isHex(host[i + 2])) return false;
      if (Number.parseInt(host[i + 1]!, 16) < 8 && host.slice(i, i + 3) !== '%25') return false;
      i += 2;
    } else if (c.charCodeAt(0) < 0x80 && !isAlnum(c) && !HOST_OK.includes(c)) return false;
  }
  return true;
}

function validAuthority(authority: string): boolean {
  const at = authority.lastIndexOf('@');
  if (!validHost(authority.slice(at + 1))) return false;
  if (at < 0) return true;
  const userinfo = authority.slice(0, at);
  for (const c of userinfo) if (!isAlnum(c) && !USERINFO_OK.includes(c)) return false;
  return userinfo.split(':').every((part) => goUnescape(part) !== undefined);
}

/** net/url.Parse, reduced to whether it fails, the scheme, and the unescaped path. */
function parseUrl(raw: string): ParsedUrl | undefined {
  // 1. Control characters are refused outright.
  if (/[\x00-\x1f\x7f]/.test(raw)) return undefined;
  const hash = raw.indexOf('#');
  const [body, fragment] = hash < 0 ? [raw, ''] : [raw.slice(0, hash), raw.slice(hash + 1)];
  if (goUnescape(fragment) === undefined) return undefined;
  if (body === '*') return { scheme: '', path: '' };
  // 2. The scheme: letters first, then letters, digits, + - .; anything else means none.
  let scheme = '';
  let rest = body;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) break;
      continue;
    }
    if (c === ':') {
      if (i === 0) return undefined;
      scheme = body.slice(0, i).toLowerCase();
      rest = body.slice(i + 1);
    }
    break;
  }
  // 3. The query is kept raw; an opaque URL (scheme, no leading slash) is not looked into.
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { scheme, path: '' };
    if (rest.split('/')[0]!.includes(':')) return undefined;
  }
  // 4. Authority, then the path, whose escapes must be well formed.
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash < 0 ? '' : rest.slice(slash);
    if (!validAuthority(authority)) return undefined;
  }
  const path = goUnescape(rest);
  return path === undefined ? undefined : { scheme, path };
}

function isUri(s: string): boolean {
  const u = parseUrl(s);
  return u !== undefined && u.scheme !== '' && !s.includes('\\');
}

function isUriReference(s: string): boolean {
  return parseUrl(s) !== undefined && !s.includes('\\');
}

/** Every `{` opens an expression closed by the next `}` (gojsonschema's brace check). */
function isUriTemplate(s: string): boolean {
  const u = parseUrl(s);
  if (u === undefined || s.includes('\\')) return false;
  for (let i = u.path.indexOf('{'); i >= 0; i = u.path.indexOf('{', i)) {
    const close = u.path.indexOf('}', i + 1);
    if (close < 0) return false;
    i = close + 1;
  }
  return true;
}

// ---- the rest ----------------------------------------------------------------------------

function isHostname(s: string): boolean {
  if (s.length >= 256) return false;
  return s
    .split('.')
    .every(
      (label) =>
        label.length >= 1 &&
        label.length <= 63 &&
        /^[A-Za-z0-9-]*$/.test(label) &&
        isAlnum(label[0]!) &&
        isAlnum(label[label.length - 1]!),
    );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isJsonPointer(s: string): boolean {
  if (s !== '' && !s.startsWith('/')) return false;
  for (let i = s.indexOf('~'); i >= 0; i = s.indexOf('~', i + 1)) {
    if (s[i + 1] !== '0' && s[i + 1] !== '1') return false;
  }
  return true;
}

function isRelativeJsonPointer(s: string): boolean {
  const m = /^(0|[1-9][0-9]*)/.exec(s);
  if (m === null) return false;
  const rest = s.slice(m[0].length);
  return rest === '#' || isJsonPointer(rest);
}

function isRegex(s: string): boolean {
  if (s === '') return true;
  try {
    compileRe2(s);
    return true;
  } catch {
    return false;
  }
}

const CHECKERS: ReadonlyMap<string, (s: string) => boolean> = new Map([
  ['date', (s: string) => layout(s, [scanDate])],
  ['time', (s: string) => layout(s, [scanTime, scanZone]) || layout(s, [scanTime])],
  ['date-time', isDateTime],
  ['hostname', isHostname],
  ['email', isEmail],
  ['idn-email', isEmail],
  ['ipv4', (s: string) => parseIp(s) !== undefined && s.includes('.')],
  ['ipv6', (s: string) => parseIp(s) !== undefined && s.includes(':')],
  ['uri', isUri],
  ['uri-reference', isUriReference],
  ['iri', isUri],
  ['iri-reference', isUriReference],
  ['uri-template', isUriTemplate],
  ['uuid', (s: string) => UUID.test(s)],
  ['regex', isRegex],
  ['json-pointer', isJsonPointer],
  ['relative-json-pointer', isRelativeJsonPointer],
]);

/** Whether `value` passes `format`; unknown formats and non-strings always do. */
export function matchesFormat(format: string, value: unknown): boolean {
  if (typeof value !== 'string') return true;
  const check = CHECKERS.get(format);
  return check === undefined || check(value);
}
