/**
 * time.* builtins over nanoseconds since the Unix epoch. Times are bigints internally (a
 * float64 cannot hold today's nanoseconds exactly) and come back as plain numbers only when
 * they fit. Zones are IANA names resolved through Intl; "" and "UTC" are UTC, "Local" the
 * process's zone.
 */
import { builtinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { int, num, str, typeError } from './args.js';
import { type Civil, DAYS, format, LayoutError, NAMED_LAYOUTS, parse, tokenize } from './go-time-layout.js';
import { fromBig } from './numbers.js';

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/** OPA refuses times a Go int64 of nanoseconds cannot hold. */
const MIN_YEAR = 1678;
const MAX_YEAR = 2261;

interface Zone {
  readonly name: string;
  /** Offset in seconds east of UTC at the given epoch millisecond, and the abbreviation. */
  at(ms: number): { offset: number; abbr: string };
}

const UTC: Zone = { name: 'UTC', at: () => ({ offset: 0, abbr: 'UTC' }) };
const zones = new Map<string, Zone>();

function zone(builtin: string, name: string): Zone {
  if (name === '' || name === 'UTC') return UTC;
  const cached = zones.get(name);
  if (cached) return cached;
  const tz = name === 'Local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : name;
  let dtf: Intl.DateTimeFormat;
  try {
    dtf = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
      timeZoneName: 'short',
    });
  } catch {
    throw builtinError(builtin, `unknown time zone ${name}`);
  }
  const z: Zone = {
    name,
    at(ms) {
      const parts = Object.fromEntries(dtf.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
      let year = Number(parts.year);
      if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
      const d = new Date(0);
      d.setUTCFullYear(year, Number(parts.month) - 1, Number(parts.day));
      d.setUTCHours(Number(parts.hour), Number(parts.minute), Number(parts.second), 0);
      const whole = Math.floor(ms / 1000) * 1000;
      return { offset: Math.round((d.getTime() - whole) / 1000), abbr: parts.timeZoneName ?? name };
    },
  };
  zones.set(name, z);
  return z;
}

const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));

export function civil(ns: bigint, z: Zone): Civil {
  const ms = Number(floorDiv(ns, NS_PER_MS));
  const { offset, abbr } = z.at(ms);
  const local = floorDiv(ns, NS_PER_S) + BigInt(offset);
  const d = new Date(Number(local) * 1000);
  const startOfYear = new Date(0);
  startOfYear.setUTCFullYear(d.getUTCFullYear(), 0, 1);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    nanos: Number(ns - floorDiv(ns, NS_PER_S) * NS_PER_S),
    weekday: d.getUTCDay(),
    yday: Math.floor((d.getTime() - startOfYear.getTime()) / 86_400_000) + 1,
    offsetSeconds: offset,
    zoneName: z === UTC ? 'UTC' : abbr,
  };
}

/** Seconds since the epoch of a civil time read in UTC (no zone applied). */
function utcSeconds(y: number, mo: number, d: number, h: number, mi: number, s: number): bigint {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return BigInt(date.getTime() / 1000);
}

function checkRange(builtin: string, ns: bigint): bigint {
  const y = new Date(Number(floorDiv(ns, NS_PER_MS))).getUTCFullYear();
  if (y < MIN_YEAR || y > MAX_YEAR) throw builtinError(builtin, 'time outside of valid range');
  return ns;
}

/** Nanoseconds as OPA holds them: an int64, or `timestamp too big`. */
function nsOperand(builtin: string, x: unknown, pos: number): bigint {
  const n = num(builtin, x, pos);
  // Fractional nanoseconds are dropped, as OPA's int64 conversion does.
  const ns = typeof n === 'bigint' ? n : Number.isFinite(n) ? BigInt(Math.trunc(n)) : undefined;
  if (ns === undefined || ns > 2n ** 63n - 1n || ns < -(2n ** 63n))
    throw builtinError(builtin, 'timestamp too big');
  return ns;
}

/** A time operand: ns, or [ns, zone] (and for time.format, [ns, zone, layout]). */
function timeOperand(
  builtin: string,
  x: unknown,
  pos: number,
  maxLen = 2,
): [bigint, Zone, string | undefined] {
  if (typeof x === 'number' || typeof x === 'bigint') return [nsOperand(builtin, x, pos), UTC, undefined];
  if (!Array.isArray(x)) throw typeError(builtin, pos, 'one of {number, array}', x);
  if (x.length < 1 || x.length > maxLen) {
    throw builtinError(builtin, `array should have ${maxLen === 2 ? '2' : '2 or 3'} elements`);
  }
  const ns = nsOperand(builtin, x[0], pos);
  const z = x.length > 1 ? zone(builtin, str(builtin, x[1], pos)) : UTC;
  const layout = x.length > 2 ? str(builtin, x[2], pos) : undefined;
  return [ns, z, layout];
}

function layoutOf(name: string): string {
  return NAMED_LAYOUTS[name] ?? name;
}

function parseNs(builtin: string, layout: string, value: string): number | bigint {
  const l = layoutOf(layout);
  let p: ReturnType<typeof parse>;
  try {
    p = parse(l, tokenize(l), value);
  } catch (err) {
    if (err instanceof LayoutError) throw builtinError(builtin, err.message, err);
    throw err;
  }
  const secs = utcSeconds(p.year, p.month, p.day, p.hour, p.minute, p.second) - BigInt(p.offsetSeconds ?? 0);
  return fromBig(checkRange(builtin, secs * NS_PER_S + BigInt(p.nanos)));
}

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  µs: 1000n,
  μs: 1000n,
  ms: 1_000_000n,
  s: NS_PER_S,
  m: 60n * NS_PER_S,
  h: 3600n * NS_PER_S,
};

/** Go's time.ParseDuration, exact. */
export function parseDuration(s: string): bigint | undefined {
  let rest = s;
  let neg = false;
  if (rest[0] === '-' || rest[0] === '+') {
    neg = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  while (rest !== '') {
    const m = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return undefined;
    const unit = DURATION_UNITS[m[3]!]!;
    const frac = m[2] ?? '';
    total += BigInt(m[1] || '0') * unit + (BigInt(frac || '0') * unit) / 10n ** BigInt(frac.length);
    rest = rest.slice(m[0].length);
  }
  if (total > 2n ** 63n - 1n) return undefined;
  return neg ? -total : total;
}

function addDate(t: unknown, y: unknown, m: unknown, d: unknown): number | bigint {
  const ns = nsOperand('time.add_date', t, 1);
  const years = int('time.add_date', y, 2);
  const months = int('time.add_date', m, 3);
  const days = int('time.add_date', d, 4);
  const c = civil(ns, UTC);
  // Date normalises overflow (Oct 31 + 1 month = Dec 1) exactly as Go's AddDate does.
  const secs = utcSeconds(c.year + years, c.month + months, c.day + days, c.hour, c.minute, c.second);
  return fromBig(checkRange('time.add_date', secs * NS_PER_S + BigInt(c.nanos)));
}

function diff(a: unknown, b: unknown): number[] {
  const [n1, z1] = timeOperand('time.diff', a, 1);
  const [n2] = timeOperand('time.diff', b, 2);
  // Both in the first operand's zone, as OPA reads them: counting calendar fields in two
  // zones made a one-minute difference between UTC and Shanghai come out as a year less a bit.
  let t1 = civil(n1, z1);
  let t2 = civil(n2, z1);
  if (n1 > n2) [t1, t2] = [t2, t1];
  let year = t2.year - t1.year;
  let month = t2.month - t1.month;
  let day = t2.day - t1.day;
  let hour = t2.hour - t1.hour;
  let min = t2.minute - t1.minute;
  let sec = t2.second - t1.second;
  if (sec < 0) {
    sec += 60;
    min--;
  }
  if (min < 0) {
    min += 60;
    hour--;
  }
  if (hour < 0) {
    hour += 24;
    day--;
  }
  if (day < 0) {
    // Days in t1's month: day 32 of it rolls into the next month by (32 - length).
    const probe = new Date(0);
    probe.setUTCFullYear(t1.year, t1.month - 1, 32);
    day += 32 - probe.getUTCDate();
    month--;
  }
  if (month < 0) {
    month += 12;
    year--;
  }
  return [year, month, day, hour, min, sec];
}

function formatTime(x: unknown): string {
  const [ns, z, layout] = timeOperand('time.format', x, 1, 3);
  const l = layoutOf(layout ?? 'RFC3339Nano');
  return format(civil(ns, z), tokenize(l));
}

export const TIME_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['time.now_ns', () => fromBig(BigInt(Date.now()) * NS_PER_MS)],
  [
    'time.parse_ns',
    (layout, value) =>
      parseNs('time.parse_ns', str('time.parse_ns', layout, 1), str('time.parse_ns', value, 2)),
  ],
  [
    'time.parse_rfc3339_ns',
    (value) => parseNs('time.parse_rfc3339_ns', 'RFC3339', str('time.parse_rfc3339_ns', value, 1)),
  ],
  [
    'time.parse_duration_ns',
    (value) => {
      const s = str('time.parse_duration_ns', value, 1);
      const d = parseDuration(s);
      if (d === undefined)
        throw builtinError('time.parse_duration_ns', `time: invalid duration ${JSON.stringify(s)}`);
      return fromBig(d);
    },
  ],
  [
    'time.date',
    (x) => {
      const [ns, z] = timeOperand('time.date', x, 1);
      const c = civil(ns, z);
      return [c.year, c.month, c.day];
    },
  ],
  [
    'time.clock',
    (x) => {
      const [ns, z] = timeOperand('time.clock', x, 1);
      const c = civil(ns, z);
      return [c.hour, c.minute, c.second];
    },
  ],
  [
    'time.weekday',
    (x) => {
      const [ns, z] = timeOperand('time.weekday', x, 1);
      return DAYS[civil(ns, z).weekday];
    },
  ],
  ['time.add_date', addDate],
  ['time.diff', diff],
  ['time.format', formatTime],
]);
