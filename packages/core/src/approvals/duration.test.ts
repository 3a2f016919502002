import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import { parseDuration, tryParseDuration } from './duration.js';

describe('Go-style durations', () => {
  it.each([
    ['45s', 45_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['2h45m30s', 9_930_000],
    ['250ms', 250],
    ['1500us', 1.5],
    ['0', 0],
    ['0s', 0],
    ['.5s', 500],
  ])('%s is %d ms', (text, ms) => {
    expect(tryParseDuration(text)).toBe(ms);
  });

  it.each(['', '15', 'm', '15 m', '-5m', '+5m', '1d', '1h 30m', '15M', 'h1', '1.2.3s', 'abc', ' 15m'])(
    'rejects %j',
    (text) => {
      expect(tryParseDuration(text)).toBeUndefined();
    },
  );

  it('throws an error naming the option', () => {
    expect(() => parseDuration('soon', 'approval.ttl')).toThrow(InvalidOptionError);
    expect(() => parseDuration('soon', 'approval.ttl')).toThrow(/approval\.ttl/);
  });
});
