import { describe, expect, it } from 'vitest';
import { formatFloat } from './go-float.js';

describe('formatFloat, as Go strconv.FormatFloat', () => {
  it.each([
    [0, 'g', 10, '0'],
    [0, 'g', -1, '0'],
    [0, 'G', 3, '0'],
    [-0, 'g', -1, '-0'],
    [0, 'e', 2, '0.00e+00'],
    [100000, 'g', -1, '100000'],
    [1e21, 'g', -1, '1e+21'],
    [0.00001, 'g', -1, '1e-05'],
    [123456, 'g', 3, '1.23e+05'],
  ] as const)('%d %s precision %d is %s', (x, verb, prec, want) => {
    expect(formatFloat(x, verb, prec)).toBe(want);
  });
});
