import { describe, expect, it } from 'vitest';
import { BuiltinError } from '../builtin-error.js';
import { JS_BUILTINS } from './index.js';
import { MAX_RANGE_LENGTH } from './numbers.js';

const call = (name: string, ...args: unknown[]) => JS_BUILTINS.get(name)!(...args);

describe('number builtins', () => {
  it('rounds half away from zero and keeps bigints exact', () => {
    expect(call('round', 2.5)).toBe(3);
    expect(call('round', -2.5)).toBe(-3);
    expect(call('ceil', -0.5)).toBe(0);
    expect(call('abs', -(2n ** 70n))).toBe(2n ** 70n);
  });

  it('builds ranges, bounded', () => {
    expect(call('numbers.range', 3, 0)).toEqual([3, 2, 1, 0]);
    expect(call('numbers.range_step', 0, 10, 4)).toEqual([0, 4, 8]);
    expect(call('numbers.range_step', 10, 0, 4)).toEqual([10, 6, 2]);
    expect(() => call('numbers.range', 1.5, 2)).toThrow('must be integer number');
    expect(() => call('numbers.range_step', 0, 1, 0)).toThrow(BuiltinError);
    expect(() => call('numbers.range', 0, MAX_RANGE_LENGTH)).toThrow('exceeds the limit');
  });

  it('does bit arithmetic on integers of any size', () => {
    expect(call('bits.and', 12, 10)).toBe(8);
    expect(call('bits.negate', 0)).toBe(-1);
    expect(call('bits.lsh', 1, 64)).toBe(2n ** 64n);
    expect(call('bits.rsh', -8, 1)).toBe(-4);
  });

  it('converts to numbers as OPA does', () => {
    expect(call('to_number', '10.5')).toBe(10.5);
    expect(call('to_number', true)).toBe(1);
    expect(call('to_number', null)).toBe(0);
    for (const special of ['nan', '-NaN', 'inf', 'iNf', '-Infinity', '+inf'])
      expect(() => call('to_number', special)).toThrow(/eval_type_error|valid number string/);
    expect(call('to_number', '123456789012345678901')).toBe(123456789012345678901n);
    expect(() => call('to_number', 'ten')).toThrow(BuiltinError);
    expect(() => call('to_number', 'Inf')).toThrow(BuiltinError);
  });

  it('aggregates (reference versions of the in-module builtins)', () => {
    expect(call('count', 'a😀')).toBe(2);
    expect(call('sum', [1, 2, 3.5])).toBe(6.5);
    expect(call('product', [2n ** 40n, 2n ** 40n])).toBe(2n ** 80n);
    expect(call('max', [1, 'a', null])).toBe('a');
    expect(call('min', [])).toBeUndefined();
    expect(call('sort', [3, 'b', 1, [0], null])).toEqual([null, 1, 3, 'b', [0]]);
    expect(() => call('count', 1)).toThrow(
      'count: operand 1 must be one of {array, object, set, string} but got number',
    );
  });
});
