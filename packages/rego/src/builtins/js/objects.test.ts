import { describe, expect, it } from 'vitest';
import { JS_BUILTINS } from './index.js';

const call = (name: string, ...args: unknown[]) => JS_BUILTINS.get(name)!(...args);

describe('object and array builtins (reference versions)', () => {
  it('gets by key or path, with a default', () => {
    const o = { a: { b: [10, 20] }, 'x.y': 1 };
    expect(call('object.get', o, 'x.y', 0)).toBe(1);
    expect(call('object.get', o, ['a', 'b', 1], 0)).toBe(20);
    expect(call('object.get', o, ['a', 'c'], 'none')).toBe('none');
    expect(call('object.get', o, [], 'none')).toEqual(o);
  });

  it('unions recursively, right side winning', () => {
    expect(call('object.union', { a: { b: 1, c: 2 }, d: 1 }, { a: { b: 3 }, d: { e: 1 } })).toEqual({
      a: { b: 3, c: 2 },
      d: { e: 1 },
    });
    expect(call('object.union_n', [{ a: 1 }, { b: 2 }, { a: 3 }])).toEqual({ a: 3, b: 2 });
  });

  it('never lets a __proto__ key replace a prototype', () => {
    const evil = JSON.parse('{"__proto__": {"polluted": true}}');
    const out = call('object.union', {}, evil) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
  });

  it('filters, removes and tests subsets', () => {
    expect(call('object.filter', { a: 1, b: 2 }, ['a'])).toEqual({ a: 1 });
    expect(call('object.remove', { a: 1, b: 2 }, { a: true })).toEqual({ b: 2 });
    expect(call('object.keys', { b: 1, a: 2 })).toEqual(['a', 'b']);
    expect(call('object.subset', { a: { b: 1, c: 2 }, d: 3 }, { a: { b: 1 } })).toBe(true);
    expect(call('object.subset', [1, 2, 3, 4], [2, 3])).toBe(true);
    expect(call('object.subset', [1, 2, 3], [3, 2])).toBe(false);
  });

  it('filters and removes JSON paths', () => {
    const doc = { a: { b: { c: 7, d: 8 } }, e: 9, f: [0, { g: 1 }] };
    expect(call('json.filter', doc, ['a/b/c', 'e'])).toEqual({ a: { b: { c: 7 } }, e: 9 });
    expect(call('json.filter', doc, [['f', '1', 'g']])).toEqual({ f: [{ g: 1 }] });
    expect(call('json.remove', doc, ['/a/b/d', 'f'])).toEqual({ a: { b: { c: 7 } }, e: 9 });
    // OPA's wording and code for paths of the wrong type.
    expect(() => call('json.remove', doc, 7)).toThrow('operand 2 must be one of {set, array} but got number');
    expect(() => call('json.remove', doc, [1])).toThrow(
      'operand 2 must be one of {set, array} containing string paths or array of path segments but got number',
    );
  });

  it('patches with RFC 6902, undefined when an operation fails', () => {
    const doc = { a: [1, 2], b: { c: 1 } };
    expect(
      call('json.patch', doc, [
        { op: 'add', path: '/a/-', value: 3 },
        { op: 'replace', path: '/b/c', value: 2 },
        { op: 'move', from: '/b', path: '/d' },
        { op: 'test', path: '/d/c', value: 2 },
      ]),
    ).toEqual({ a: [1, 2, 3], d: { c: 2 } });
    expect(doc).toEqual({ a: [1, 2], b: { c: 1 } });
    expect(call('json.patch', doc, [{ op: 'test', path: '/b/c', value: 9 }])).toBeUndefined();
    expect(call('json.patch', doc, [{ op: 'remove', path: '/nope' }])).toBeUndefined();
  });

  it('concatenates, slices (clamped) and reverses arrays', () => {
    expect(call('array.concat', [1], [2, 3])).toEqual([1, 2, 3]);
    expect(call('array.slice', [1, 2, 3, 4], 1, 3)).toEqual([2, 3]);
    expect(call('array.slice', [1, 2, 3], -5, 10)).toEqual([1, 2, 3]);
    expect(call('array.slice', [1, 2, 3], 2, 1)).toEqual([]);
    expect(call('array.reverse', [1, 2, 3])).toEqual([3, 2, 1]);
  });
});
