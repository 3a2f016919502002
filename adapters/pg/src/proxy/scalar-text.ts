/**
 * The text the server would write for a binary value of one of its scalar types (floats,
 * dates and times, UUIDs, MAC addresses, bytea, bit strings, geometry …), so that detector
 * and operator pattern masks see in binary format what they see in text format. A pattern
 * for a customer's UUID or a birth date masks the text a psql user reads; without this, the
 * same value went out unread to a client that asked for binary (pgjdbc's binary transfer,
 * psycopg 3's binary cursors). Such a value a mask would change becomes NULL: no mask's text
 * is a value of these types.
 *
 * Where the server's text depends on a session setting it reports (DateStyle, IntervalStyle,
 * TimeZone; see `TextSettings`), the setting is followed; a style not written here gives
 * null, which the caller sends as NULL (fail closed). Settings the server does not report are
 * taken at their defaults: `extra_float_digits` above 0 (shortest exact digits),
 * `bytea_output` hex, `lc_monetary` C. The output formats are PostgreSQL 15's
 * (src/backend/utils/adt: float.c, date.c, timestamp.c, datetime.c, uuid.c, mac.c, varbit.c,
 * geo_ops.c, cash.c), checked against the server in scalar-text e2e tests.
 * https://www.postgresql.org/docs/current/datatype.html
 */

import { type ClientEncoding, clientEncoding, UTF8_ENCODING } from './text-encoding.js';

/** Which reading a scalar type's binary value needs, named by its send function. */
export const Scalar = {
  Bool: 0,
  Bytea: 1,
  Char: 2,
  Int2: 3,
  Int4: 4,
  Uint32: 5,
  Uint64: 6,
  Tid: 7,
  Float4: 8,
  Float8: 9,
  Money: 10,
  Date: 11,
  Time: 12,
  TimeTz: 13,
  Timestamp: 14,
  TimestampTz: 15,
  Interval: 16,
  Uuid: 17,
  Macaddr: 18,
  Macaddr8: 19,
  Bits: 20,
  Lsn: 21,
  Point: 22,
  Lseg: 23,
  Path: 24,
  Box: 25,
  Polygon: 26,
  Line: 27,
  Circle: 28,
  Snapshot: 29,
  IntVector: 30,
} as const;
export type Scalar = (typeof Scalar)[keyof typeof Scalar];

/** Send functions (pg_proc.prosrc) whose values are read here. */
export const SCALAR_SENDS: ReadonlyMap<string, Scalar> = new Map<string, Scalar>([
  ['boolsend', Scalar.Bool],
  ['byteasend', Scalar.Bytea],
  ['charsend', Scalar.Char],
  ['int2send', Scalar.Int2],
  ['int4send', Scalar.Int4],
  ['oidsend', Scalar.Uint32],
  ['xidsend', Scalar.Uint32],
  ['cidsend', Scalar.Uint32],
  ['xid8send', Scalar.Uint64],
  ['tidsend', Scalar.Tid],
  ['float4send', Scalar.Float4],
  ['float8send', Scalar.Float8],
  ['cash_send', Scalar.Money],
  ['date_send', Scalar.Date],
  ['time_send', Scalar.Time],
  ['timetz_send', Scalar.TimeTz],
  ['timestamp_send', Scalar.Timestamp],
  ['timestamptz_send', Scalar.TimestampTz],
  ['interval_send', Scalar.Interval],
  ['uuid_send', Scalar.Uuid],
  ['macaddr_send', Scalar.Macaddr],
  ['macaddr8_send', Scalar.Macaddr8],
  ['bit_send', Scalar.Bits],
  ['varbit_send', Scalar.Bits],
  ['pg_lsn_send', Scalar.Lsn],
  ['point_send', Scalar.Point],
  ['lseg_send', Scalar.Lseg],
  ['path_send', Scalar.Path],
  ['box_send', Scalar.Box],
  ['poly_send', Scalar.Polygon],
  ['line_send', Scalar.Line],
  ['circle_send', Scalar.Circle],
  ['txid_snapshot_send', Scalar.Snapshot],
  ['pg_snapshot_send', Scalar.Snapshot],
  ['int2vectorsend', Scalar.IntVector],
  ['oidvectorsend', Scalar.IntVector],
]);

/** Time zones whose offsets are worked out, by name; cleared past this many. */
const MAX_ZONES = 256;
/** Offsets remembered per zone, by quarter hour; cleared past this many. */
const MAX_QUARTERS = 4096;
const QUARTER_MS = 15 * 60 * 1000;

/**
 * A time zone as the server names it in TimeZone: an IANA name (the offset at each instant
 * from the runtime's time zone data), or the fixed offset `SET TIME ZONE -5` reports
 * (`<-05>+05`, POSIX: hours west of UTC).
 */
class Zone {
  private readonly format: Intl.DateTimeFormat | undefined;
  private readonly fixed: number | undefined;
  private readonly quarters = new Map<number, number>();

  constructor(name: string) {
    const posix = /^<[^<>]*>([+-]?)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?$/.exec(name);
    if (posix) {
      const west = Number(posix[2]) * 3600 + Number(posix[3] ?? 0) * 60 + Number(posix[4] ?? 0);
      this.fixed = posix[1] === '-' ? west : -west;
      return;
    }
    try {
      this.format = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset' });
    } catch {
      this.format = undefined;
    }
  }

  /** Seconds east of UTC at this instant; null when the zone is not known here. */
  offsetAt(epochMs: number): number | null {
    if (this.fixed !== undefined) return this.fixed;
    if (!this.format || !Number.isFinite(epochMs) || Math.abs(epochMs) > 8.64e15 - QUARTER_MS) return null;
    const quarter = Math.floor(epochMs / QUARTER_MS);
    const known = this.quarters.get(quarter);
    if (known !== undefined) return known;
    // Kept for the quarter hour only when it holds at both ends (no change of offset inside).
    const first = this.exact(quarter * QUARTER_MS);
    if (first === null || first !== this.exact((quarter + 1) * QUARTER_MS - 1)) return this.exact(epochMs);
    if (this.quarters.size >= MAX_QUARTERS) this.quarters.clear();
    this.quarters.set(quarter, first);
    return first;
  }

  private exact(epochMs: number): number | null {
    const part = this.format?.formatToParts(epochMs).find((p) => p.type === 'timeZoneName')?.value;
    if (part === 'GMT') return 0;
    const m = part ? /^GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(part) : null;
    if (!m) return null;
    const east = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
    return m[1] === '-' ? -east : east;
  }
}

const zones = new Map<string, Zone>();

function zoneNamed(name: string): Zone {
  let zone = zones.get(name);
  if (!zone) {
    if (zones.size >= MAX_ZONES) zones.clear();
    zone = new Zone(name);
    zones.set(name, zone);
  }
  return zone;
}

/**
 * The settings a session's text output depends on, as the server last reported them
 * (ParameterStatus). One per session, updated in place.
 */
export class TextSettings {
  dateStyle = 'ISO, MDY';
  intervalStyle = 'postgres';
  /** The reported client_encoding: how text values are read for masks and written masked. */
  encoding: ClientEncoding = UTF8_ENCODING;
  private zone: Zone = zoneNamed('UTC');
  private zoneName = 'UTC';

  /** Take in a reported parameter; the others are ignored. */
  note(name: string, value: string): void {
    if (name === 'client_encoding') this.encoding = clientEncoding(value);
    else if (name === 'DateStyle') this.dateStyle = value;
    else if (name === 'IntervalStyle') this.intervalStyle = value;
    else if (name === 'TimeZone' && value !== this.zoneName) {
      this.zoneName = value;
      this.zone = zoneNamed(value);
    }
  }

  /** Dates are written as ISO 8601 (`DateStyle` ISO, whatever the field order). */
  get isoDates(): boolean {
    return this.dateStyle.trimStart().slice(0, 3).toUpperCase() === 'ISO';
  }

  offsetAt(epochMs: number): number | null {
    return this.zone.offsetAt(epochMs);
  }
}

/** For values read with no session (tests, a one-off plan): the server's defaults, in UTC. */
export const DEFAULT_TEXT_SETTINGS = new TextSettings();

/**
 * The text of a binary value of this reading, as the server would write it under these
 * settings; null when the bytes do not match the type or the setting's style is not written
 * here.
 */
export function scalarText(
  scalar: Scalar,
  body: Buffer,
  start: number,
  length: number,
  settings: TextSettings,
): string | null {
  try {
    return read(scalar, body, start, length, settings);
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
}

function read(scalar: Scalar, b: Buffer, at: number, length: number, settings: TextSettings): string | null {
  const size = (n: number) => length === n;
  switch (scalar) {
    case Scalar.Bool:
      return size(1) ? (b[at] ? 't' : 'f') : null;
    case Scalar.Bytea:
      return `\\x${b.toString('hex', at, at + length)}`;
    case Scalar.Char:
      return size(1) ? charText(b[at] as number) : null;
    case Scalar.Int2:
      return size(2) ? String(b.readInt16BE(at)) : null;
    case Scalar.Int4:
      return size(4) ? String(b.readInt32BE(at)) : null;
    case Scalar.Uint32:
      return size(4) ? String(b.readUInt32BE(at)) : null;
    case Scalar.Uint64:
      return size(8) ? b.readBigUInt64BE(at).toString() : null;
    case Scalar.Tid:
      return size(6) ? `(${b.readUInt32BE(at)},${b.readUInt16BE(at + 4)})` : null;
    case Scalar.Float4:
      return size(4) ? float4Text(b.readFloatBE(at)) : null;
    case Scalar.Float8:
      return size(8) ? float8Text(b.readDoubleBE(at)) : null;
    case Scalar.Money:
      return size(8) ? moneyText(b.readBigInt64BE(at)) : null;
    case Scalar.Date:
      return size(4) && settings.isoDates ? dateText(b.readInt32BE(at)) : null;
    case Scalar.Time:
      return size(8) ? timeText(b.readBigInt64BE(at)) : null;
    case Scalar.TimeTz:
      return size(12) ? timeText(b.readBigInt64BE(at)) + offsetText(-b.readInt32BE(at + 8)) : null;
    case Scalar.Timestamp:
      return size(8) && settings.isoDates ? timestampText(b.readBigInt64BE(at), null) : null;
    case Scalar.TimestampTz:
      return size(8) && settings.isoDates ? timestampText(b.readBigInt64BE(at), settings) : null;
    case Scalar.Interval:
      return size(16) && settings.intervalStyle === 'postgres' ? intervalText(b, at) : null;
    case Scalar.Uuid:
      return size(16) ? uuidText(b.toString('hex', at, at + 16)) : null;
    case Scalar.Macaddr:
      return size(6) ? macText(b, at, 6) : null;
    case Scalar.Macaddr8:
      return size(8) ? macText(b, at, 8) : null;
    case Scalar.Bits:
      return bitsText(b, at, length);
    case Scalar.Lsn:
      return size(8)
        ? `${b.readUInt32BE(at).toString(16).toUpperCase()}/${b
            .readUInt32BE(at + 4)
            .toString(16)
            .toUpperCase()}`
        : null;
    case Scalar.Point:
      return size(16) ? pointText(b, at) : null;
    case Scalar.Lseg:
      return size(32) ? `[${pointText(b, at)},${pointText(b, at + 16)}]` : null;
    case Scalar.Box:
      return size(32) ? `${pointText(b, at)},${pointText(b, at + 16)}` : null;
    case Scalar.Path: {
      if (length < 5) return null;
      const closed = b[at] !== 0;
      const points = pointsText(b, at + 1, length - 1);
      return points === null ? null : closed ? `(${points})` : `[${points}]`;
    }
    case Scalar.Polygon: {
      const points = pointsText(b, at, length);
      return points === null ? null : `(${points})`;
    }
    case Scalar.Line:
      return size(24)
        ? `{${float8Text(b.readDoubleBE(at))},${float8Text(b.readDoubleBE(at + 8))},${float8Text(b.readDoubleBE(at + 16))}}`
        : null;
    case Scalar.Circle:
      return size(24) ? `<${pointText(b, at)},${float8Text(b.readDoubleBE(at + 16))}>` : null;
    case Scalar.Snapshot:
      return snapshotText(b, at, length);
    case Scalar.IntVector:
      return intVectorText(b, at, length);
    default:
      return null;
  }
}

/** A `"char"` byte: none for 0, a backslash and three octal digits past ASCII (charout). */
function charText(c: number): string {
  if (c === 0) return '';
  return c < 0x80 ? String.fromCharCode(c) : `\\${c.toString(8).padStart(3, '0')}`;
}

/** A decimal as its significant digits (no leading or trailing zeros) and the first one's exponent. */
interface Decimal {
  readonly negative: boolean;
  readonly digits: string;
  readonly exponent: number;
}

/** Read a finite, non-zero number's text as JavaScript writes it (`toPrecision`, `toExponential`). */
function decimalOf(text: string): Decimal {
  const negative = text[0] === '-';
  const e = text.indexOf('e');
  const mantissa = text.slice(negative ? 1 : 0, e < 0 ? undefined : e);
  const point = mantissa.indexOf('.');
  const whole = point < 0 ? mantissa : mantissa.slice(0, point) + mantissa.slice(point + 1);
  const lead = whole.length - whole.replace(/^0+/, '').length;
  const digits = whole.slice(lead).replace(/0+$/, '');
  const pointAt = point < 0 ? mantissa.length : point;
  return { negative, digits, exponent: pointAt - lead - 1 + (e < 0 ? 0 : Number(text.slice(e + 1))) };
}

const ZEROS = '0'.repeat(24);
const NINES = '9'.repeat(25);

/** A digit string less one in its last digit (`1000` → `0999`); never all zeros here. */
function lessOne(digits: string): string {
  let i = digits.length - 1;
  while (digits[i] === '0') i--;
  return `${digits.slice(0, i)}${Number(digits[i]) - 1}${'9'.repeat(digits.length - 1 - i)}`;
}

/**
 * The decimal as text JavaScript parses, or a unit in its 25th further digit above (`1`) or
 * below (`-1`) it.
 */
function nudged(d: Decimal, direction: 1 | 0 | -1): string {
  const e = d.exponent - (d.digits.length - 1);
  if (direction === 0) return `${d.digits}e${e}`;
  return direction > 0 ? `${d.digits}${ZEROS}1e${e - 25}` : `${lessOne(d.digits)}${NINES}e${e - 25}`;
}

/**
 * PostgreSQL's float output (its Ryu, built without STRICTLY_SHORTEST) takes the shortest
 * decimal strictly inside the interval of values that read back as this one: a decimal on
 * its edge, which JavaScript's shortest form may be for a value with an even significand, is
 * refused, and a longer one taken. A decimal is inside when it reads back as the value and so
 * do the decimals a unit away in its 25th further digit, on either side. `magnitude` and the
 * decimal are taken without their signs.
 */
function onEdge(magnitude: number, d: Decimal, back: (x: number) => number): boolean {
  return (
    back(Number(nudged(d, 0))) !== magnitude ||
    back(Number(nudged(d, 1))) !== magnitude ||
    back(Number(nudged(d, -1))) !== magnitude
  );
}

/**
 * The `precision`-digit decimal nearest `value`, a tie going to the even digit (as Ryu
 * rounds; JavaScript's toPrecision rounds a tie away from zero).
 */
function nearest(value: number, precision: number): Decimal {
  const rounded = decimalOf(value.toPrecision(precision));
  // Only a tie rounded up to an odd digit is rounded otherwise: the exact digits are read then.
  if (Number(rounded.digits[precision - 1] ?? '0') % 2 === 0) return rounded;
  const exact = decimalOf(value.toPrecision(Math.min(100, precision + 30)));
  const rest = exact.digits.slice(precision);
  if (rest === '5' && exact.exponent === rounded.exponent) {
    // An exact tie rounded up to an odd digit: the other neighbour, the digits cut, is even.
    return { ...exact, digits: exact.digits.slice(0, precision).replace(/0+$/, '') };
  }
  return rounded;
}

/** The digits PostgreSQL writes for a float (`back` rounds to the float's own precision). */
function shortest(value: number, from: number, most: number, back: (x: number) => number): Decimal {
  const magnitude = Math.abs(value);
  for (let p = from; p < most; p++) {
    const d = nearest(magnitude, p);
    if (!onEdge(magnitude, d, back)) return { ...d, negative: value < 0 };
  }
  return { ...nearest(magnitude, most), negative: value < 0 };
}

/**
 * float8out and float4out with extra_float_digits above 0: the shortest digits that read back
 * as the same value, in positional notation for decimal exponents from -4 up to (not
 * including) 15 for float8 and 6 for float4, else as `d.ddde±XX`.
 */
function floatText(value: number, d: Decimal | undefined, positionalBelow: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (value === 0 || d === undefined) return Object.is(value, -0) ? '-0' : '0';
  const { digits, exponent } = d;
  const sign = d.negative ? '-' : '';
  if (exponent < -4 || exponent >= positionalBelow) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return sign + digits + '0'.repeat(exponent + 1 - digits.length);
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

const same = (x: number) => x;

export function float8Text(value: number): string {
  if (!Number.isFinite(value) || value === 0) return floatText(value, undefined, 15);
  // JavaScript's shortest (toExponential with no argument) is the nearest of its length, and
  // no shorter decimal reads back: it is PostgreSQL's unless it lies on the edge.
  const js = decimalOf(value.toExponential());
  if (!onEdge(Math.abs(value), { ...js, negative: false }, same)) return floatText(value, js, 15);
  return floatText(value, shortest(value, js.digits.length + 1, 17, same), 15);
}

export function float4Text(value: number): string {
  if (!Number.isFinite(value) || value === 0) return floatText(value, undefined, 6);
  return floatText(value, shortest(value, 1, 9, Math.fround), 6);
}

/** cash_out under lc_monetary C: `$`, thousands by `,`, two decimals, a leading `-`. */
function moneyText(cents: bigint): string {
  const negative = cents < 0n;
  const digits = (negative ? -cents : cents).toString().padStart(3, '0');
  const whole = digits.slice(0, -2).replace(/\B(?=(\d{3})+$)/g, ',');
  return `${negative ? '-' : ''}$${whole}.${digits.slice(-2)}`;
}

/** Days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01. */
const EPOCH_DAYS = 10_957;
const DAY_US = 86_400_000_000n;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The proleptic Gregorian date of a day counted from 1970-01-01, through 400-year eras of
 * 146,097 days counted from 0000-03-01 (so that a leap day ends its year).
 */
function civilDate(days: number): { year: number; month: number; day: number } {
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const m = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * m + 2) / 5) + 1;
  const month = m < 10 ? m + 3 : m - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `YYYY-MM-DD`, and ` BC` for years before 1 (year 0 is 1 BC). */
function isoDate(days: number): { text: string; bc: boolean } {
  const { year, month, day } = civilDate(days + EPOCH_DAYS);
  const bc = year <= 0;
  return { text: `${String(bc ? 1 - year : year).padStart(4, '0')}-${two(month)}-${two(day)}`, bc };
}

function dateText(days: number): string {
  if (days === INT32_MIN) return '-infinity';
  if (days === INT32_MAX) return 'infinity';
  const { text, bc } = isoDate(days);
  return bc ? `${text} BC` : text;
}

/** `HH:MM:SS`, and the fraction of a second without its trailing zeros. */
function clockText(us: number): string {
  const seconds = Math.floor(us / 1e6);
  const fraction = us - seconds * 1e6;
  const hms = `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
  return fraction === 0 ? hms : `${hms}.${String(fraction).padStart(6, '0').replace(/0+$/, '')}`;
}

function timeText(us: bigint): string {
  return clockText(Number(us));
}

/** `+HH`, `+HH:MM` or `+HH:MM:SS`, seconds east of UTC. */
function offsetText(east: number): string {
  const a = Math.abs(east);
  const h = Math.floor(a / 3600);
  const m = Math.floor(a / 60) % 60;
  const s = a % 60;
  const tail = s !== 0 ? `:${two(m)}:${two(s)}` : m !== 0 ? `:${two(m)}` : '';
  return `${east < 0 ? '-' : '+'}${two(h)}${tail}`;
}

function timestampText(us: bigint, zone: TextSettings | null): string | null {
  if (us === INT64_MIN) return '-infinity';
  if (us === INT64_MAX) return 'infinity';
  let offset = 0;
  if (zone) {
    const epochMs = Number(us / 1000n) + EPOCH_DAYS * 86_400_000;
    const east = zone.offsetAt(epochMs);
    if (east === null) return null;
    offset = east;
  }
  const local = us + BigInt(offset) * 1_000_000n;
  let days = local / DAY_US;
  let rest = local % DAY_US;
  if (rest < 0n) {
    rest += DAY_US;
    days -= 1n;
  }
  const { text, bc } = isoDate(Number(days));
  const stamp = `${text} ${clockText(Number(rest))}${zone ? offsetText(offset) : ''}`;
  return bc ? `${stamp} BC` : stamp;
}

/**
 * interval_out with IntervalStyle postgres: years, months and days each when not zero
 * (`1 year 2 mons -3 days`), a `+` on a positive part after a negative one, then the time
 * unless it is zero and something came before.
 */
function intervalText(b: Buffer, at: number): string {
  const time = b.readBigInt64BE(at);
  const days = b.readInt32BE(at + 8);
  const months = b.readInt32BE(at + 12);
  const parts: string[] = [];
  let negativeBefore = false;
  const part = (value: number, unit: string) => {
    if (value === 0) return;
    parts.push(`${negativeBefore && value > 0 ? '+' : ''}${value} ${unit}${value !== 1 ? 's' : ''}`);
    negativeBefore = value < 0;
  };
  part(Math.trunc(months / 12), 'year');
  part(months % 12, 'mon');
  part(days, 'day');
  if (parts.length === 0 || time !== 0n) {
    const negative = time < 0n;
    const a = negative ? -time : time;
    const hours = a / 3_600_000_000n;
    const rest = Number(a % 3_600_000_000n);
    const clock = clockText(rest);
    const sign = negative ? '-' : negativeBefore ? '+' : '';
    parts.push(`${sign}${hours < 10n ? '0' : ''}${hours}${clock.slice(2)}`);
  }
  return parts.join(' ');
}

function uuidText(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function macText(b: Buffer, at: number, n: number): string {
  const pairs: string[] = [];
  for (let i = 0; i < n; i++) pairs.push((b[at + i] as number).toString(16).padStart(2, '0'));
  return pairs.join(':');
}

/** bit_send and varbit_send: int32 bit count, then the bits, first bit highest, padded to bytes. */
function bitsText(b: Buffer, at: number, length: number): string | null {
  if (length < 4) return null;
  const count = b.readInt32BE(at);
  if (count < 0 || length !== 4 + Math.ceil(count / 8)) return null;
  let text = '';
  for (let i = 0; i < count; i++) text += ((b[at + 4 + (i >> 3)] as number) >> (7 - (i & 7))) & 1 ? '1' : '0';
  return text;
}

function pointText(b: Buffer, at: number): string {
  return `(${float8Text(b.readDoubleBE(at))},${float8Text(b.readDoubleBE(at + 8))})`;
}

/** path_send's and poly_send's points: int32 count, then each point's two float8s. */
function pointsText(b: Buffer, at: number, length: number): string | null {
  if (length < 4) return null;
  const count = b.readInt32BE(at);
  if (count < 0 || length !== 4 + 16 * count) return null;
  const points: string[] = [];
  for (let i = 0; i < count; i++) points.push(pointText(b, at + 4 + 16 * i));
  return points.join(',');
}

/** pg_snapshot_send: int32 count of in-progress ids, int64 xmin, int64 xmax, then the ids. */
function snapshotText(b: Buffer, at: number, length: number): string | null {
  if (length < 20) return null;
  const count = b.readInt32BE(at);
  if (count < 0 || length !== 20 + 8 * count) return null;
  const xip: string[] = [];
  for (let i = 0; i < count; i++) xip.push(b.readBigUInt64BE(at + 20 + 8 * i).toString());
  return `${b.readBigUInt64BE(at + 4)}:${b.readBigUInt64BE(at + 12)}:${xip.join(',')}`;
}

/**
 * int2vector and oidvector send as a one-dimensional array (array_send) of int2 or oid; their
 * text is the elements with spaces between.
 */
function intVectorText(b: Buffer, at: number, length: number): string | null {
  if (length < 12) return null;
  const dimensions = b.readInt32BE(at);
  const element = b.readUInt32BE(at + 8);
  if (dimensions === 0) return length === 12 ? '' : null;
  if (dimensions !== 1 || (element !== 21 && element !== 26) || length < 20) return null;
  const count = b.readInt32BE(at + 12);
  let p = at + 20;
  const end = at + length;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (p + 4 > end) return null;
    const size = b.readInt32BE(p);
    p += 4;
    if (size !== (element === 21 ? 2 : 4) || p + size > end) return null;
    out.push(String(element === 21 ? b.readInt16BE(p) : b.readUInt32BE(p)));
    p += size;
  }
  return p === end ? out.join(' ') : null;
}
