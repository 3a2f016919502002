import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareUtf8, type Harness, newHarness } from './runtime-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await newHarness();
}, 180_000);

function keysByIter(v: number): unknown[] {
  const keys: unknown[] = [];
  for (let k = h.x.opa_value_iter(v, 0); k !== 0; k = h.x.opa_value_iter(v, k)) keys.push(h.js(k));
  return keys;
}

describe('objects', () => {
  it('inserts, replaces, looks up and removes keys', () => {
    const o = h.x.opa_object();
    h.x.opa_object_insert(o, h.of('a'), h.of(1));
    h.x.opa_object_insert(o, h.of(1), h.of('one'));
    h.x.opa_object_insert(o, h.of('a'), h.of(2));
    expect(h.x.opa_value_length(o)).toBe(2);
    expect(h.js(h.x.opa_object_get(o, h.of('a')))).toBe(2);
    expect(h.js(h.x.opa_value_get(o, h.num('1.0')))).toBe('one');
    expect(h.x.opa_value_get(o, h.of('b'))).toBe(0);
    expect(h.x.opa_object_remove(o, h.of('a'))).toBe(1);
    expect(h.x.opa_object_remove(o, h.of('a'))).toBe(0);
    expect(h.x.opa_value_length(o)).toBe(1);
    expect(h.dump(o)).toBe('{"1":"one"}');
    h.x.opa_object_insert(o, h.of('a'), h.of(3));
    expect(h.dump(o)).toBe('{"1":"one","a":3}');
  });

  it('iterates keys in sorted order whatever the insertion order, with O(1) lookups', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { maxLength: 200 }), (keys) => {
        const o = h.x.opa_object();
        for (const [i, k] of keys.entries()) h.x.opa_object_insert(o, h.str(k), h.of(i));
        expect(h.x.opa_value_length(o)).toBe(keys.length);
        expect(keysByIter(o)).toEqual([...keys].sort(compareUtf8));
        for (const [i, k] of keys.entries()) expect(h.js(h.x.opa_value_get(o, h.str(k)))).toBe(i);
        const sorted = [...keys].sort(compareUtf8);
        for (const [i, k] of sorted.entries()) expect(h.js(h.x.opa_object_key_at(o, i))).toBe(k);
      }),
      { numRuns: 100 },
    );
  });

  it('stays consistent under interleaved inserts and removals', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 300 }),
        (ops) => {
          const o = h.x.opa_object();
          const model = new Map<number, number>();
          ops.forEach(([insert, k], i) => {
            if (insert) {
              h.x.opa_object_insert(o, h.of(k), h.of(i));
              model.set(k, i);
            } else {
              expect(h.x.opa_object_remove(o, h.of(k))).toBe(model.delete(k) ? 1 : 0);
            }
          });
          expect(h.x.opa_value_length(o)).toBe(model.size);
          expect(keysByIter(o)).toEqual([...model.keys()].sort((a, b) => a - b));
          for (const [k, v] of model) expect(h.js(h.x.opa_value_get(o, h.of(k)))).toBe(v);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('sets', () => {
  it('ignores duplicates (by value: 1 and 1.0 are one element) and iterates sorted', () => {
    const s = h.x.opa_set();
    for (const x of ['b', 2, 'a', 1, [1], 2, { k: 1 }, null]) h.x.opa_set_add(s, h.of(x));
    h.x.opa_set_add(s, h.num('1.0'));
    expect(h.x.opa_value_length(s)).toBe(7);
    expect(keysByIter(s)).toEqual([null, 1, 2, 'a', 'b', [1], { k: 1 }]);
    expect(h.js(h.x.opa_value_get(s, h.num('2.0')))).toBe(2);
    expect(h.x.opa_value_get(s, h.of(3))).toBe(0);
    expect(h.x.opa_set_remove(s, h.of('a'))).toBe(1);
    expect(h.valueDump(s)).toBe('{null,1,2,"b",[1],{"k":1}}');
  });

  it('holds thousands of elements', () => {
    const s = h.x.opa_set();
    for (let i = 4999; i >= 0; i--) h.x.opa_set_add(s, h.of(i % 2500));
    expect(h.x.opa_value_length(s)).toBe(2500);
    expect(h.js(s)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
  });
});

describe('arrays', () => {
  it('appends, indexes by integral numbers only, and iterates indices', () => {
    const a = h.x.opa_array();
    for (const x of ['x', 'y', 'z']) h.x.opa_array_append(a, h.of(x));
    expect(h.x.opa_value_length(a)).toBe(3);
    expect(h.js(h.x.opa_value_get(a, h.of(1)))).toBe('y');
    expect(h.js(h.x.opa_value_get(a, h.num('2.0')))).toBe('z');
    for (const key of [h.of(3), h.of(-1), h.num('1.5'), h.of('1')]) expect(h.x.opa_value_get(a, key)).toBe(0);
    expect(keysByIter(a)).toEqual([0, 1, 2]);
    expect(h.js(h.x.opa_array_get(a, 0))).toBe('x');
    expect(h.x.opa_array_get(a, 3)).toBe(0);
    const withCap = h.x.opa_array_with_cap(1);
    for (let i = 0; i < 100; i++) h.x.opa_array_append(withCap, h.of(i));
    expect(h.js(withCap)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('gives lengths only to collections and strings (bytes)', () => {
    expect(h.x.opa_value_length(h.of('héllo'))).toBe(6);
    expect(h.x.opa_value_length(h.of(5))).toBe(0);
    expect(h.x.opa_value_length(h.x.opa_null())).toBe(0);
    expect(h.x.opa_value_iter(h.of(5), 0)).toBe(0);
  });
});

describe('copy, merge and paths', () => {
  it('shallow-copies containers independently of the original', () => {
    const o = h.of({ a: [1], b: 2 });
    const copy = h.x.opa_value_shallow_copy(o);
    h.x.opa_object_insert(copy, h.of('c'), h.of(3));
    h.x.opa_object_remove(copy, h.of('b'));
    expect(h.js(o)).toEqual({ a: [1], b: 2 });
    expect(h.js(copy)).toEqual({ a: [1], c: 3 });
    const a = h.of([1, 2]);
    const arrayCopy = h.x.opa_value_shallow_copy(a);
    h.x.opa_array_append(arrayCopy, h.of(3));
    expect(h.js(a)).toEqual([1, 2]);
    expect(h.js(arrayCopy)).toEqual([1, 2, 3]);
    const s = h.parseValue('{1,2}');
    const setCopy = h.x.opa_value_shallow_copy(s);
    h.x.opa_set_add(setCopy, h.of(0));
    expect(h.valueDump(s)).toBe('{1,2}');
    expect(h.valueDump(setCopy)).toBe('{0,1,2}');
  });

  it('deep-merges objects, the first argument winning conflicts', () => {
    const merged = h.x.opa_value_merge(
      h.of({ a: { x: 1, y: { deep: true } }, b: 1, c: [1] }),
      h.of({ a: { y: { more: 2 }, z: 3 }, b: { no: 1 }, d: 4 }),
    );
    expect(h.js(merged)).toEqual({ a: { x: 1, y: { deep: true, more: 2 }, z: 3 }, b: 1, c: [1], d: 4 });
    const b = h.of({ k: 1 });
    expect(h.x.opa_value_merge(0, b)).toBe(b);
  });

  it('adds and removes values by path', () => {
    const data = h.of({ a: { b: 1 }, s: 'x' });
    expect(h.x.opa_value_add_path(data, h.of(['a', 'c', 'd']), h.of(true))).toBe(0);
    expect(h.x.opa_value_add_path(data, h.of(['a', 'b']), h.of(2))).toBe(0);
    expect(h.js(data)).toEqual({ a: { b: 2, c: { d: true } }, s: 'x' });
    expect(h.x.opa_value_add_path(data, h.of(['s', 'q']), h.of(1))).toBe(3);
    expect(h.x.opa_value_add_path(data, h.of([]), h.of(1))).toBe(3);
    expect(h.x.opa_value_add_path(h.of([1]), h.of(['a']), h.of(1))).toBe(2);
    expect(h.x.opa_value_remove_path(data, h.of(['a', 'c', 'd']))).toBe(0);
    expect(h.x.opa_value_remove_path(data, h.of(['a', 'nope']))).toBe(3);
    expect(h.x.opa_value_remove_path(data, h.of(['s']))).toBe(0);
    expect(h.js(data)).toEqual({ a: { b: 2, c: {} } });
  });
});
