import { describe, expect, test } from 'vitest';
import { float4Text, float8Text, Scalar, scalarText, TextSettings } from './scalar-text.js';

/** An xorshift generator, so a failure can be run again. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function timestamptz(settings: TextSettings, iso: string): string | null {
  const us = (BigInt(Date.parse(iso)) - BigInt(Date.UTC(2000, 0, 1))) * 1000n;
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(us);
  return scalarText(Scalar.TimestampTz, b, 0, 8, settings);
}

describe('scalarText', () => {
  test('random bytes of every length, under every reading, never throw; wrong lengths read as nothing', () => {
    const next = random(0x5eed);
    const fixed: Partial<Record<Scalar, number>> = {
      [Scalar.Bool]: 1,
      [Scalar.Int4]: 4,
      [Scalar.Float8]: 8,
      [Scalar.Date]: 4,
      [Scalar.TimestampTz]: 8,
      [Scalar.Interval]: 16,
      [Scalar.Uuid]: 16,
      [Scalar.Point]: 16,
    };
    const settings = new TextSettings();
    settings.note('TimeZone', 'Europe/Paris');
    for (const scalar of Object.values(Scalar)) {
      for (let i = 0; i < 500; i++) {
        const length = Math.floor(next() * 40);
        const bytes = Buffer.from(Array.from({ length: length + 6 }, () => Math.floor(next() * 256)));
        const text = scalarText(scalar, bytes, 3, length, settings);
        expect(text === null || typeof text === 'string').toBe(true);
        const size = fixed[scalar];
        if (size !== undefined && length !== size) expect(text).toBeNull();
      }
    }
  });

  test("the session's TimeZone: IANA names, fixed offsets as the server reports them, and unknown names", () => {
    const s = new TextSettings();
    expect(timestamptz(s, '2024-07-01T12:00:00Z')).toBe('2024-07-01 12:00:00+00');
    s.note('TimeZone', 'Asia/Kolkata');
    expect(timestamptz(s, '2024-07-01T12:00:00Z')).toBe('2024-07-01 17:30:00+05:30');
    // SET TIME ZONE -5 reports <-05>+05 (POSIX: hours west of UTC).
    s.note('TimeZone', '<-05>+05');
    expect(timestamptz(s, '2024-07-01T12:00:00Z')).toBe('2024-07-01 07:00:00-05');
    s.note('TimeZone', '<+05:30>-05:30');
    expect(timestamptz(s, '2024-07-01T12:00:00.25Z')).toBe('2024-07-01 17:30:00.25+05:30');
    // A zone this runtime does not know: nothing (the caller sends NULL).
    s.note('TimeZone', 'Mars/Olympus_Mons');
    expect(timestamptz(s, '2024-07-01T12:00:00Z')).toBeNull();
  });

  test('an offset that changes inside a quarter hour is not taken for the whole of it', () => {
    const s = new TextSettings();
    s.note('TimeZone', 'America/Detroit');
    // Detroit left local mean time (-05:32:11) at 05:32:11 UTC on 1905-01-01 (the tz
    // database; the server writes the same): inside the quarter hour from 05:30.
    expect(timestamptz(s, '1905-01-01T05:31:00Z')).toBe('1904-12-31 23:58:49-05:32:11');
    expect(timestamptz(s, '1905-01-01T05:35:00Z')).toBe('1904-12-31 23:35:00-06');
    expect(timestamptz(s, '1905-01-01T05:31:30Z')).toBe('1904-12-31 23:59:19-05:32:11');
  });

  test('floats: the shortest digits strictly inside the value’s interval, ties to even', () => {
    // JavaScript writes 2.920643946147707e16 (on the interval's edge); PostgreSQL one digit more.
    expect(float8Text(29206439461477072)).toBe('2.9206439461477072e+16');
    expect(float8Text(-373571.1841271783)).toBe('-373571.1841271783');
    expect(float8Text(1e15)).toBe('1e+15');
    expect(float8Text(123456789012345)).toBe('123456789012345');
    expect(float8Text(1e-5)).toBe('1e-05');
    expect(float8Text(0.0001)).toBe('0.0001');
    expect(float8Text(-0)).toBe('-0');
    expect(float4Text(2438857.25)).toBe('2.4388572e+06');
    expect(float4Text(-443772.125)).toBe('-443772.12');
    expect(float4Text(Math.fround(0.1))).toBe('0.1');
    expect(float4Text(1e6)).toBe('1e+06');
  });
});
