import { beforeAll, describe, expect, it } from 'vitest';
import { type Harness, newHarness } from './runtime-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await newHarness();
}, 180_000);

const MAX = '9223372036854775807';
const MIN = '-9223372036854775808';
// Results that leave i64 stay exact (arbitrary-precision decimals), as OPA's big.Int.
const TWO_63 = '9223372036854775808';

type Op = 'plus' | 'minus' | 'multiply' | 'divide' | 'rem';

function arith(op: Op, a: string, b: string): string | undefined {
  const fn = {
    plus: h.x.opa_arith_plus,
    minus: h.x.opa_arith_minus,
    multiply: h.x.opa_arith_multiply,
    divide: h.x.opa_arith_divide,
    rem: h.x.opa_arith_rem,
  }[op];
  const r = fn(h.num(a), h.num(b));
  return r === 0 ? undefined : h.dump(r);
}

describe('number arithmetic', () => {
  it.each<[Op, string, string, string | undefined]>([
    ['plus', '1', '2', '3'],
    ['plus', '-5', '3', '-2'],
    ['plus', MAX, '1', TWO_63],
    ['plus', MAX, '0', MAX],
    ['plus', MIN, '-1', '-9223372036854775809'],
    ['plus', '1.5', '1.5', '3'],
    ['plus', '1e2', '1', '101'],
    ['minus', '3', '5', '-2'],
    ['minus', MIN, '1', '-9223372036854775809'],
    ['minus', '0', MIN, TWO_63],
    ['minus', '2.5', '0.5', '2'],
    ['multiply', '6', '7', '42'],
    ['multiply', '-4', '5', '-20'],
    ['multiply', '4294967296', '4294967296', '18446744073709551616'],
    ['multiply', MIN, '-1', TWO_63],
    ['multiply', '-1', MIN, TWO_63],
    ['multiply', '3037000499', '3037000499', '9223372030926249001'],
    ['multiply', '1.5', '2', '3'],
    ['multiply', '1e200', '1e200', '1e+400'],
    ['divide', '6', '3', '2'],
    ['divide', '7', '2', '3.5'],
    ['divide', '-7', '2', '-3.5'],
    ['divide', '1', '3', '0.3333333333333333'],
    ['divide', '1', '0', undefined],
    ['divide', '1.5', '0.0', undefined],
    ['divide', MIN, '-1', TWO_63],
    ['divide', '1e-7', '1', '1e-7'],
    ['rem', '7', '3', '1'],
    ['rem', '-7', '3', '-1'],
    ['rem', '7', '-3', '1'],
    ['rem', MIN, '-1', '0'],
    ['rem', '4.0', '3', '1'],
    ['rem', '7.5', '2', undefined],
    ['rem', '7', '0', undefined],
  ])('%s(%s, %s) = %s', (op, a, b, expected) => {
    expect(arith(op, a, b)).toBe(expected);
  });

  it('computes non-integer results exactly, rounding only non-terminating quotients', () => {
    expect(arith('plus', '0.1', '0.2')).toBe('0.3');
    expect(arith('multiply', '0.1', '3')).toBe('0.3');
    expect(arith('minus', '1.5e-10', '2.5e-11')).toBe('1.25e-10');
    expect(arith('multiply', '123.456', '7.89')).toBe('974.06784');
    // Non-terminating quotients go through f64; Grisu2 output parses back to the same f64.
    expect(Number(arith('divide', '2', '3'))).toBe(2 / 3);
  });

  it('is undefined for non-number operands', () => {
    expect(h.x.opa_arith_plus(h.of('1'), h.of(1))).toBe(0);
    expect(h.x.opa_arith_minus(h.of(1), h.x.opa_null())).toBe(0);
    expect(h.x.opa_arith_multiply(0, h.of(1))).toBe(0);
  });

  it('keeps integers exact through i64 and reports them as integers', () => {
    const big = h.x.opa_number_int(9007199254740993n);
    expect(h.dump(big)).toBe('9007199254740993');
    expect(h.x.opa_number_as_int(h.x.opa_arith_plus(big, h.of(1)))).toBe(9007199254740994n);
    expect(h.x.opa_number_is_int(h.num('2.0'))).toBe(1);
    expect(h.x.opa_number_is_int(h.num('2.5'))).toBe(0);
    expect(h.dump(h.x.opa_number_float(0.5))).toBe('0.5');
    expect(h.dump(h.x.opa_number_float(2))).toBe('2');
    expect(h.dump(h.x.opa_number_float(1e21))).toBe('1e+21');
    expect(h.dump(h.x.opa_number_float(1e20))).toBe('100000000000000000000');
    expect(h.dump(h.x.opa_number_float(-1.25e-9))).toBe('-1.25e-9');
  });

  it('keeps literal text for non-integers and integers beyond i64', () => {
    for (const text of ['1.10', '2.50e3', '123456789012345678901234567890'])
      expect(h.dump(h.num(text))).toBe(text);
    expect(h.dump(h.num('42'))).toBe('42');
  });
});
