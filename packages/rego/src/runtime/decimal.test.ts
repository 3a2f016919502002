import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Harness, newHarness } from './runtime-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await newHarness();
}, 180_000);

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

/** An exact decimal as coefficient × 10^-scale. */
interface Dec {
  c: bigint;
  s: number;
}

/** The runtime's canonical text: plain unless the point is 6+ places left of the first digit. */
function text(d: Dec): string {
  if (d.c === 0n) return '0';
  const neg = d.c < 0n;
  let digits = (neg ? -d.c : d.c).toString();
  let e = -d.s;
  while (digits.length > 1 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    e++;
  }
  const point = digits.length + e;
  let out: string;
  if (e >= 0) out = digits + '0'.repeat(e);
  else if (point > 0) out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  else if (point > -6) out = `0.${'0'.repeat(-point)}${digits}`;
  else out = `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${point - 1}`;
  return (neg ? '-' : '') + out;
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const s = Math.max(a.s, b.s);
  return [a.c * 10n ** BigInt(s - a.s), b.c * 10n ** BigInt(s - b.s), s];
}

const dec = fc
  .record({ c: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), s: fc.integer({ min: 0, max: 8 }) })
  .map((d): Dec => d);

describe('exact decimal arithmetic', () => {
  it.each<[Op, string, string, string | undefined]>([
    ['plus', '0.1', '0.2', '0.3'],
    ['minus', '0.3', '0.1', '0.2'],
    ['multiply', '1.1', '3', '3.3'],
    ['plus', '0.5', '0.5', '1'],
    ['plus', '1.10', '0', '1.1'],
    ['minus', '1', '1.000', '0'],
    ['plus', '9223372036854775807', '1', '9223372036854775808'],
    ['minus', '-9223372036854775808', '1', '-9223372036854775809'],
    ['multiply', '-9223372036854775808', '-1', '9223372036854775808'],
    ['multiply', '18446744073709551616', '18446744073709551616', '340282366920938463463374607431768211456'],
    ['minus', '123456789012345678901234567890', '123456789012345678901234567889', '1'],
    ['multiply', '1e200', '1e200', '1e+400'],
    ['plus', '1e21', '0.5', '1000000000000000000000.5'],
    ['multiply', '0.000001', '0.1', '1e-7'],
    ['multiply', '0.001', '0.1', '0.0001'],
    ['plus', '1.5e-3', '2.5e-3', '0.004'],
    ['divide', '10', '4', '2.5'],
    ['divide', '4', '2', '2'],
    ['divide', '1', '3', '0.3333333333333333'],
    ['divide', '2', '3', '0.6666666666666666'],
    ['divide', '1', '8', '0.125'],
    ['divide', '0.3', '0.1', '3'],
    ['divide', '1', '0.0', undefined],
    ['divide', '-9223372036854775808', '-1', '9223372036854775808'],
    ['divide', '340282366920938463463374607431768211456', '18446744073709551616', '18446744073709551616'],
    ['rem', '18446744073709551617', '10', '7'],
    ['rem', '-18446744073709551617', '10', '-7'],
    ['rem', '7.5', '2', undefined],
    ['rem', '1e20', '0', undefined],
  ])('%s(%s, %s) = %s', (op, a, b, expected) => {
    expect(arith(op, a, b)).toBe(expected);
  });

  it('compares and hashes decimals exactly', () => {
    const eq = (a: string, b: string) => h.x.opa_value_equal(h.num(a), h.num(b));
    expect(h.x.opa_value_equal(h.x.opa_arith_plus(h.num('0.1'), h.num('0.2')), h.num('0.3'))).toBe(1);
    expect(eq('1', '1.0')).toBe(1);
    expect(eq('1.10', '1.1')).toBe(1);
    expect(eq('100', '1e2')).toBe(1);
    expect(eq('1.00000000000000000001', '1')).toBe(0);
    expect(h.x.opa_value_compare(h.num('1.00000000000000000001'), h.num('1'))).toBe(1);
    expect(h.x.opa_value_compare(h.num('-0.1'), h.num('-0.10000000000000000001'))).toBe(1);
    expect(h.x.opa_value_hash(h.num('1.0'))).toBe(h.x.opa_value_hash(h.num('1')));
    expect(h.x.opa_value_hash(h.num('2.50'))).toBe(h.x.opa_value_hash(h.num('2.5')));
    const o = h.x.opa_object();
    h.x.opa_object_insert(o, h.num('1.0'), h.of('x'));
    h.x.opa_object_insert(o, h.x.opa_arith_plus(h.num('0.1'), h.num('0.2')), h.of('y'));
    expect(h.dump(h.x.opa_object_get(o, h.num('1')))).toBe('"x"');
    expect(h.dump(h.x.opa_object_get(o, h.num('0.30')))).toBe('"y"');
    expect(h.x.opa_number_is_int(h.num('1.00000000000000000001'))).toBe(0);
    // An f64 counts as the decimal of its shortest text.
    expect(h.x.opa_value_equal(h.x.opa_number_float(0.1), h.num('0.1'))).toBe(1);
    expect(h.x.opa_value_hash(h.x.opa_number_float(0.1))).toBe(h.x.opa_value_hash(h.num('0.10')));
    expect(h.dump(h.x.opa_arith_plus(h.x.opa_number_float(0.1), h.num('0.2')))).toBe('0.3');
    const s = h.x.opa_set();
    for (const t of ['1', '1.0', '1e0', '0.3', '0.30', '3e-1']) h.x.opa_set_add(s, h.num(t));
    expect(h.x.opa_value_length(s)).toBe(2);
    // Beyond ±1000 decimal places the runtime falls back to f64.
    expect(h.x.opa_value_compare(h.num('1e5000'), h.num('1'))).toBe(1);
    // Non-terminating quotients are rounded through f64 (printed by Grisu2: round-trips).
    expect(Number(arith('divide', '1', '7'))).toBe(1 / 7);
  });

  it('matches BigInt arithmetic on random decimals', () => {
    fc.assert(
      fc.property(dec, dec, (a, b) => {
        const [x, y, s] = align(a, b);
        expect(arith('plus', text(a), text(b))).toBe(text({ c: x + y, s }));
        expect(arith('minus', text(a), text(b))).toBe(text({ c: x - y, s }));
        expect(arith('multiply', text(a), text(b))).toBe(text({ c: a.c * b.c, s: a.s + b.s }));
        const cmp = x < y ? -1 : x > y ? 1 : 0;
        expect(h.x.opa_value_compare(h.num(text(a)), h.num(text(b)))).toBe(cmp);
        expect(h.x.opa_value_equal(h.num(text(a)), h.num(text(b)))).toBe(cmp === 0 ? 1 : 0);
      }),
      { numRuns: 500 },
    );
  });
});
