import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Harness, newHarness } from './runtime-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await newHarness();
}, 180_000);

// Increasing in OPA's order; values within one inner list are equal.
const ORDER: string[][] = [
  ['null'],
  ['false'],
  ['true'],
  ['-9223372036854775808'],
  ['-1.5', '-15e-1'],
  ['-1', '-1.0'],
  ['0', '-0', '0.0', '0e10'],
  ['0.5'],
  ['1', '1.0', '1e0', '100e-2', '0.1e1'],
  ['2'],
  ['9007199254740993'],
  ['9223372036854775807'],
  ['9223372036854775808', '9.223372036854775808e18'],
  ['1e300'],
  ['""'],
  ['"A"'],
  ['"a"'],
  ['"aa"'],
  ['"b"'],
  ['"é"'],
  ['"\uffff"'],
  ['"😀"'],
  ['[]'],
  ['[null]'],
  ['[1]', '[1.0]'],
  ['[1,2]'],
  ['[1,"a"]'],
  ['[2]'],
  ['["a"]'],
  ['{}'],
  ['{1:0}'],
  ['{"a":1}', '{"a":1.0}'],
  ['{"a":1,"b":0}', '{"b":0,"a":1}'],
  ['{"a":2}'],
  ['{"b":0}'],
  ['set()'],
  ['{1}', '{1.0}'],
  ['{1,2}', '{2,1}'],
  ['{2}'],
  ['{"a"}'],
];

describe('opa_value_compare', () => {
  it('orders values by type, then within each type, as OPA does', () => {
    const values = ORDER.map((group) => group.map((text) => h.parseValue(text)));
    for (const v of values.flat()) expect(v).not.toBe(0);
    for (let i = 0; i < values.length; i++) {
      for (let j = 0; j < values.length; j++) {
        for (const a of values[i]!) {
          for (const b of values[j]!) {
            const expected = Math.sign(i - j);
            expect([ORDER[i], ORDER[j], h.x.opa_value_compare(a, b)]).toEqual([ORDER[i], ORDER[j], expected]);
            expect(h.x.opa_value_equal(a, b)).toBe(expected === 0 ? 1 : 0);
            if (expected === 0) expect(h.x.opa_value_hash(a)).toBe(h.x.opa_value_hash(b));
          }
        }
      }
    }
  });

  it('treats 0 (undefined) as smaller than any value', () => {
    expect(h.x.opa_value_compare(0, h.x.opa_null())).toBe(-1);
    expect(h.x.opa_value_compare(h.x.opa_null(), 0)).toBe(1);
    expect(h.x.opa_value_compare(0, 0)).toBe(0);
  });

  it('is an antisymmetric total order agreeing with equality and hashing', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }), (x, y) => {
        const a = h.of(x);
        const b = h.of(y);
        const c = h.x.opa_value_compare(a, b);
        expect(h.x.opa_value_compare(b, a)).toBe(c === 0 ? 0 : -c);
        expect(h.x.opa_value_equal(a, b)).toBe(c === 0 ? 1 : 0);
        const copy = h.of(x);
        expect(h.x.opa_value_compare(a, copy)).toBe(0);
        expect(h.x.opa_value_hash(a)).toBe(h.x.opa_value_hash(copy));
      }),
      { numRuns: 500 },
    );
  });

  it('sorts like OPA when used as set order', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null))), (xs) => {
        const s = h.x.opa_set();
        for (const x of xs) h.x.opa_set_add(s, h.of(x));
        const out = h.js(s) as unknown[];
        for (let i = 1; i < out.length; i++) {
          expect(h.x.opa_value_compare(h.of(out[i - 1]), h.of(out[i]))).toBe(-1);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('opa_cmp_*', () => {
  it('returns boolean values for any pair of operands', () => {
    const one = h.of(1);
    const oneFloat = h.num('1.0');
    const str = h.of('1');
    const t = (v: number) => h.js(v);
    expect(t(h.x.opa_cmp_eq(one, oneFloat))).toBe(true);
    expect(t(h.x.opa_cmp_eq(one, str))).toBe(false);
    expect(t(h.x.opa_cmp_lt(one, str))).toBe(true);
    expect(t(h.x.opa_cmp_lt(str, one))).toBe(false);
  });
});
