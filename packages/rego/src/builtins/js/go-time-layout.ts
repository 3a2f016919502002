/**
 * Go's reference-time layouts ("2006-01-02T15:04:05Z07:00"): tokenising, parsing and
 * formatting, as time.Parse and Time.Format do, over nanosecond bigints.
 */

export type Std =
  | 'January'
  | 'Jan'
  | '1'
  | '01'
  | 'Monday'
  | 'Mon'
  | '2'
  | '_2'
  | '02'
  | '002'
  | '__2'
  | '15'
  | '3'
  | '03'
  | '4'
  | '04'
  | '5'
  | '05'
  | '2006'
  | '06'
  | 'PM'
  | 'pm'
  | 'MST'
  | 'Z0700'
  | 'Z070000'
  | 'Z07'
  | 'Z07:00'
  | 'Z07:00:00'
  | '-0700'
  | '-070000'
  | '-07'
  | '-07:00'
  | '-07:00:00';

export type Token = { lit: string } | { std: Std } | { frac: number; optional: boolean; sep: string };

export const NAMED_LAYOUTS: Readonly<Record<string, string>> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
  Kitchen: '3:04PM',
  Stamp: 'Jan _2 15:04:05',
  StampMilli: 'Jan _2 15:04:05.000',
  StampMicro: 'Jan _2 15:04:05.000000',
  StampNano: 'Jan _2 15:04:05.000000000',
  DateTime: '2006-01-02 15:04:05',
  DateOnly: '2006-01-02',
  TimeOnly: '15:04:05',
};

// Longest first where one spelling is a prefix of another.
const STDS: readonly Std[] = [
  'January',
  'Jan',
  'Monday',
  'Mon',
  'MST',
  '2006',
  '002',
  '01',
  '02',
  '03',
  '04',
  '05',
  '06',
  '15',
  '1',
  '__2',
  '_2',
  '2',
  '3',
  '4',
  '5',
  'PM',
  'pm',
  '-07:00:00',
  '-070000',
  '-07:00',
  '-0700',
  '-07',
  'Z07:00:00',
  'Z070000',
  'Z07:00',
  'Z0700',
  'Z07',
];

export function tokenize(layout: string): Token[] {
  const out: Token[] = [];
  let lit = '';
  let i = 0;
  const flush = () => {
    if (lit !== '') out.push({ lit });
    lit = '';
  };
  while (i < layout.length) {
    const c = layout[i]!;
    if ((c === '.' || c === ',') && (layout[i + 1] === '0' || layout[i + 1] === '9')) {
      const d = layout[i + 1]!;
      let j = i + 1;
      while (layout[j] === d) j++;
      // A fraction only when not followed by another digit (else "05.000" stays literal-ish).
      if (!/\d/.test(layout[j] ?? '')) {
        flush();
        out.push({ frac: j - i - 1, optional: d === '9', sep: c });
        i = j;
        continue;
      }
    }
    const std = STDS.find((s) => layout.startsWith(s, i));
    // "Jan"/"Mon" must not be followed by a lowercase letter ("Janet" is literal).
    if (std !== undefined && !((std === 'Jan' || std === 'Mon') && /[a-z]/.test(layout[i + 3] ?? ''))) {
      flush();
      out.push({ std });
      i += std.length;
      continue;
    }
    lit += c;
    i++;
  }
  flush();
  return out;
}

export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
export const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Broken-down civil time in some zone. */
export interface Civil {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  weekday: number; // 0 = Sunday
  yday: number; // 1-366
  offsetSeconds: number;
  zoneName: string;
}

const pad = (n: number, w: number, c = '0') => String(n).padStart(w, c);

function formatOffset(off: number, std: Std): string {
  if (std.startsWith('Z') && off === 0) return 'Z';
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  const h = pad(Math.floor(a / 3600), 2);
  const m = pad(Math.floor((a % 3600) / 60), 2);
  const s = pad(a % 60, 2);
  switch (std.slice(1)) {
    case '07':
      return sign + h;
    case '0700':
      return sign + h + m;
    case '07:00':
      return sign + h + ':' + m;
    case '070000':
      return sign + h + m + s;
    default:
      return sign + h + ':' + m + ':' + s;
  }
}

export function format(c: Civil, tokens: readonly Token[]): string {
  let out = '';
  for (const t of tokens) {
    if ('lit' in t) {
      out += t.lit;
      continue;
    }
    if ('frac' in t) {
      let digits = pad(c.nanos, 9).slice(0, t.frac);
      if (t.optional) {
        digits = digits.replace(/0+$/, '');
        if (digits !== '') out += t.sep + digits;
      } else {
        out += t.sep + digits;
      }
      continue;
    }
    const h12 = c.hour % 12 === 0 ? 12 : c.hour % 12;
    switch (t.std) {
      case 'January':
        out += MONTHS[c.month - 1];
        break;
      case 'Jan':
        out += MONTHS[c.month - 1]!.slice(0, 3);
        break;
      case '1':
        out += c.month;
        break;
      case '01':
        out += pad(c.month, 2);
        break;
      case 'Monday':
        out += DAYS[c.weekday];
        break;
      case 'Mon':
        out += DAYS[c.weekday]!.slice(0, 3);
        break;
      case '2':
        out += c.day;
        break;
      case '_2':
        out += pad(c.day, 2, ' ');
        break;
      case '02':
        out += pad(c.day, 2);
        break;
      case '002':
        out += pad(c.yday, 3);
        break;
      case '__2':
        out += pad(c.yday, 3, ' ');
        break;
      case '15':
        out += pad(c.hour, 2);
        break;
      case '3':
        out += h12;
        break;
      case '03':
        out += pad(h12, 2);
        break;
      case '4':
        out += c.minute;
        break;
      case '04':
        out += pad(c.minute, 2);
        break;
      case '5':
        out += c.second;
        break;
      case '05':
        out += pad(c.second, 2);
        break;
      case '2006':
        out += pad(c.year, 4);
        break;
      case '06':
        out += pad(((c.year % 100) + 100) % 100, 2);
        break;
      case 'PM':
        out += c.hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += c.hour >= 12 ? 'pm' : 'am';
        break;
      case 'MST':
        out += c.zoneName;
        break;
      default:
        out += formatOffset(c.offsetSeconds, t.std);
    }
  }
  return out;
}

export interface Parsed {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  /** Seconds east of UTC when the value named an offset; undefined means "use UTC". */
  offsetSeconds: number | undefined;
  yday: number | undefined;
}

export class LayoutError extends Error {}

/** time.Parse(layout, value) into fields; throws LayoutError with Go-like wording. */
export function parse(layoutText: string, tokens: readonly Token[], value: string): Parsed {
  const r: Parsed = {
    year: 1,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
    nanos: 0,
    offsetSeconds: undefined,
    yday: undefined,
  };
  let pm: boolean | undefined;
  let v = value;
  const fail = (elem: string): never => {
    throw new LayoutError(
      `parsing time ${JSON.stringify(value)} as ${JSON.stringify(layoutText)}: cannot parse ${JSON.stringify(v)} as ${JSON.stringify(elem)}`,
    );
  };
  const num = (min: number, max: number, elem: string): number => {
    const m = new RegExp(`^\\d{${min},${max}}`).exec(v);
    if (!m) return fail(elem);
    v = v.slice(m[0].length);
    return Number(m[0]);
  };
  const range = (n: number, lo: number, hi: number, what: string) => {
    if (n < lo || n > hi) {
      throw new LayoutError(`parsing time ${JSON.stringify(value)}: ${what} out of range`);
    }
    return n;
  };
  const name = (list: readonly string[], short: boolean, elem: string): number => {
    for (let i = 0; i < list.length; i++) {
      const n = short ? list[i]!.slice(0, 3) : list[i]!;
      if (v.slice(0, n.length).toLowerCase() === n.toLowerCase()) {
        v = v.slice(n.length);
        return i;
      }
    }
    return fail(elem);
  };
  for (let ti = 0; ti < tokens.length; ti++) {
    const t = tokens[ti]!;
    if ('lit' in t) {
      if (!v.startsWith(t.lit)) fail(t.lit);
      v = v.slice(t.lit.length);
      continue;
    }
    if ('frac' in t) {
      if (t.optional) {
        if (v[0] === t.sep && /\d/.test(v[1] ?? '')) {
          v = v.slice(1);
          const m = /^\d+/.exec(v)!;
          r.nanos = Number(m[0].slice(0, 9).padEnd(9, '0'));
          v = v.slice(m[0].length);
        }
      } else {
        if (v[0] !== t.sep) fail(t.sep + '0'.repeat(t.frac));
        v = v.slice(1);
        const m = new RegExp(`^\\d{${t.frac}}`).exec(v);
        if (!m) fail('0'.repeat(t.frac));
        r.nanos = Number(m![0].slice(0, 9).padEnd(9, '0'));
        v = v.slice(t.frac);
      }
      continue;
    }
    switch (t.std) {
      case 'January':
        r.month = name(MONTHS, false, t.std) + 1;
        break;
      case 'Jan':
        r.month = name(MONTHS, true, t.std) + 1;
        break;
      case '1':
        r.month = range(num(1, 2, t.std), 1, 12, 'month');
        break;
      case '01':
        r.month = range(num(2, 2, t.std), 1, 12, 'month');
        break;
      case 'Monday':
        name(DAYS, false, t.std);
        break;
      case 'Mon':
        name(DAYS, true, t.std);
        break;
      case '2':
        r.day = num(1, 2, t.std);
        break;
      case '_2':
        if (v[0] === ' ') v = v.slice(1);
        r.day = num(1, 2, t.std);
        break;
      case '02':
        r.day = num(2, 2, t.std);
        break;
      case '002':
        r.yday = num(3, 3, t.std);
        break;
      case '__2':
        while (v[0] === ' ') v = v.slice(1);
        r.yday = num(1, 3, t.std);
        break;
      case '15':
        r.hour = range(num(1, 2, t.std), 0, 23, 'hour');
        break;
      case '3':
        r.hour = range(num(1, 2, t.std), 0, 12, 'hour');
        break;
      case '03':
        r.hour = range(num(2, 2, t.std), 0, 12, 'hour');
        break;
      case '4':
        r.minute = range(num(1, 2, t.std), 0, 59, 'minute');
        break;
      case '04':
        r.minute = range(num(2, 2, t.std), 0, 59, 'minute');
        break;
      case '5':
      case '05': {
        r.second = range(num(t.std === '5' ? 1 : 2, 2, t.std), 0, 59, 'second');
        // Go accepts a fractional second here even when the layout has none.
        const next = tokens[ti + 1];
        if ((next === undefined || !('frac' in next)) && /^[.,]\d/.test(v)) {
          const m = /^[.,](\d+)/.exec(v)!;
          r.nanos = Number(m[1]!.slice(0, 9).padEnd(9, '0'));
          v = v.slice(m[0].length);
        }
        break;
      }
      case '2006': {
        const m = /^\d{4}/.exec(v);
        if (!m) fail(t.std);
        r.year = Number(m![0]);
        v = v.slice(4);
        break;
      }
      case '06': {
        const y = num(2, 2, t.std);
        r.year = y >= 69 ? 1900 + y : 2000 + y;
        break;
      }
      case 'PM':
      case 'pm': {
        const ap = v.slice(0, 2).toUpperCase();
        if (ap !== 'AM' && ap !== 'PM') fail(t.std);
        pm = ap === 'PM';
        v = v.slice(2);
        break;
      }
      case 'MST': {
        const m = /^(?:UTC|GMT(?:[+-]\d{1,2})?|[A-Z]{3,5})/.exec(v);
        if (!m) fail(t.std);
        // Abbreviations are ambiguous; Go also treats unknown ones as UTC offset zero.
        if (r.offsetSeconds === undefined) r.offsetSeconds = 0;
        v = v.slice(m![0].length);
        break;
      }
      default: {
        if (t.std.startsWith('Z') && v[0] === 'Z') {
          v = v.slice(1);
          r.offsetSeconds = 0;
          break;
        }
        const shape = t.std.slice(1);
        const re =
          shape === '07'
            ? /^([+-])(\d\d)/
            : shape === '0700'
              ? /^([+-])(\d\d)(\d\d)/
              : shape === '07:00'
                ? /^([+-])(\d\d):(\d\d)/
                : shape === '070000'
                  ? /^([+-])(\d\d)(\d\d)(\d\d)/
                  : /^([+-])(\d\d):(\d\d):(\d\d)/;
        const m = re.exec(v);
        if (!m) fail(t.std);
        const secs = Number(m![2]) * 3600 + Number(m![3] ?? 0) * 60 + Number(m![4] ?? 0);
        r.offsetSeconds = m![1] === '-' ? -secs : secs;
        v = v.slice(m![0].length);
      }
    }
  }
  if (v !== '') {
    throw new LayoutError(`parsing time ${JSON.stringify(value)}: extra text: ${JSON.stringify(v)}`);
  }
  if (pm !== undefined) {
    if (pm && r.hour < 12) r.hour += 12;
    else if (!pm && r.hour === 12) r.hour = 0;
  }
  if (r.yday !== undefined) {
    const d = new Date(0);
    d.setUTCFullYear(r.year, 0, r.yday);
    if (d.getUTCFullYear() !== r.year)
      throw new LayoutError(`parsing time ${JSON.stringify(value)}: day-of-year out of range`);
    r.month = d.getUTCMonth() + 1;
    r.day = d.getUTCDate();
  }
  const dim = new Date(Date.UTC(2000, r.month, 0));
  dim.setUTCFullYear(r.year, r.month, 0);
  if (r.day < 1 || r.day > dim.getUTCDate()) {
    throw new LayoutError(`parsing time ${JSON.stringify(value)}: day out of range`);
  }
  return r;
}
