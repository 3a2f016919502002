import { describe, expect, it } from 'vitest';
import { BuiltinError } from '../builtin-error.js';
import { JS_BUILTINS } from './index.js';

const call = (name: string, ...args: unknown[]) => JS_BUILTINS.get(name)!(...args);
const n = (v: unknown) => (typeof v === 'bigint' ? v : BigInt(v as number));

describe('time builtins', () => {
  it('parses RFC 3339 exactly to the nanosecond', () => {
    expect(n(call('time.parse_rfc3339_ns', '2017-06-02T19:00:00.123456789-07:00'))).toBe(
      1496455200123456789n,
    );
    expect(n(call('time.parse_rfc3339_ns', '1970-01-01T00:00:00Z'))).toBe(0n);
    expect(() => call('time.parse_rfc3339_ns', '2017-02-30T00:00:00Z')).toThrow(BuiltinError);
    expect(() => call('time.parse_rfc3339_ns', 'yesterday')).toThrow('cannot parse');
  });

  it('parses Go layouts, named ones too', () => {
    expect(n(call('time.parse_ns', '2006-01-02', '2022-03-04'))).toBe(1646352000000000000n);
    expect(n(call('time.parse_ns', 'Mon Jan _2 15:04:05 MST 2006', 'Fri Mar  4 10:20:30 UTC 2022'))).toBe(
      1646389230000000000n,
    );
    expect(n(call('time.parse_ns', 'RFC822Z', '04 Mar 22 10:20 +0100'))).toBe(1646385600000000000n);
    // Year 1 is beyond what an int64 of nanoseconds holds, so OPA refuses it.
    expect(() => call('time.parse_ns', '3:04PM', '1:30PM')).toThrow('time outside of valid range');
  });

  it('parses durations exactly', () => {
    expect(call('time.parse_duration_ns', '1h30m')).toBe(5_400_000_000_000);
    expect(call('time.parse_duration_ns', '1.5us')).toBe(1500);
    expect(call('time.parse_duration_ns', '-300ms')).toBe(-300_000_000);
    expect(() => call('time.parse_duration_ns', '1d')).toThrow(BuiltinError);
  });

  it('breaks times down in a zone', () => {
    const t = 1_646_352_000_000_000_000n; // 2022-03-04T00:00:00Z
    expect(call('time.date', t)).toEqual([2022, 3, 4]);
    expect(call('time.date', [t, 'America/New_York'])).toEqual([2022, 3, 3]);
    expect(call('time.clock', [t, 'America/New_York'])).toEqual([19, 0, 0]);
    expect(call('time.weekday', t)).toBe('Friday');
    expect(() => call('time.date', [t, 'Mars/Olympus'])).toThrow(BuiltinError);
  });

  it('adds dates with Go normalisation and diffs them', () => {
    const oct31 = call('time.parse_rfc3339_ns', '2021-10-31T00:00:00Z');
    expect(call('time.format', call('time.add_date', oct31, 0, 1, 0))).toBe('2021-12-01T00:00:00Z');
    const a = call('time.parse_rfc3339_ns', '2020-01-31T10:00:00Z');
    const b = call('time.parse_rfc3339_ns', '2021-03-01T09:30:15Z');
    expect(call('time.diff', b, a)).toEqual([1, 1, 0, 23, 30, 15]);
    expect(() => call('time.format', 1582977600 * 10e12)).toThrow('timestamp too big');
    expect(() => call('time.clock', [2n ** 63n, 'UTC'])).toThrow('timestamp too big');
    // Two zones: the second time is read in the first one's zone.
    const now = 1_700_000_000_000_000_000n;
    expect(call('time.diff', [now + 60_000_000_000n, 'UTC'], [now, 'Asia/Shanghai'])).toEqual([
      0, 0, 0, 0, 1, 0,
    ]);
  });

  it('formats with layouts and zones', () => {
    const t = 1_496_455_200_123_456_789n;
    expect(call('time.format', t)).toBe('2017-06-03T02:00:00.123456789Z');
    expect(call('time.format', [t, 'UTC', '2006-01-02 15:04'])).toBe('2017-06-03 02:00');
    expect(call('time.format', [t, 'America/Los_Angeles', 'RFC3339'])).toBe('2017-06-02T19:00:00-07:00');
    expect(call('time.format', [t, 'UTC', 'Kitchen'])).toBe('2:00AM');
  });

  it('gives the current time', () => {
    const now = n(call('time.now_ns'));
    expect(now > 1_700_000_000_000_000_000n).toBe(true);
  });
});
