import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalSnapshot, snapshotJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('is independent of insertion order', () => {
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });

  it('serialises primitives as JSON does', () => {
    expect(canonicalJson(['é\n', 1e21, -0, null, true, Number.NaN])).toBe('["é\\n",1e+21,0,null,true,null]');
    expect(canonicalJson(new Date(0))).toBe('"1970-01-01T00:00:00.000Z"');
  });

  it('rejects cycles and bigints rather than hashing something ambiguous', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(/cycle/);
    expect(() => canonicalJson({ n: 1n })).toThrow(/bigint/);
  });

  it('matches a sort-then-stringify reference on any JSON value, in any key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, presorted) => {
        const input = presorted ? sortedDeep(value) : value;
        expect(canonicalJson(input)).toBe(reference(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('takes the general path for what JSON.stringify alone would get wrong', () => {
    // Integer-like keys come first in property order, but sort as strings.
    expect(canonicalJson({ 10: 'a', 9: 'b' })).toBe('{"10":"a","9":"b"}');
    // A boxed string is a JSON string to JSON.stringify; canonically it is its indices.
    expect(canonicalJson({ a: Object('xy') })).toBe('{"a":{"0":"x","1":"y"}}');
    // toJSON below a sorted object, and a hole in an array.
    expect(canonicalJson({ a: { toJSON: () => ({ z: 1, y: 2 }) } })).toBe('{"a":{"y":2,"z":1}}');
    // biome-ignore lint/suspicious/noSparseArray: the hole is the case
    expect(canonicalJson([1, , 3])).toBe('[1,null,3]');
    expect(canonicalJson(JSON.parse('{"__proto__":{"b":1,"a":2}}'))).toBe('{"__proto__":{"a":2,"b":1}}');
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 100; i++) {
      const next: Record<string, unknown> = {};
      at.a = next;
      at = next;
    }
    expect(canonicalJson(deep)).toBe(`${'{"a":'.repeat(100)}{}${'}'.repeat(100)}`);
  });

  it('snapshots a JSON value as a deep-frozen copy whose kept JSON is its canonical JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const snapshot = canonicalSnapshot(value);
        expect(snapshot).toEqual(JSON.parse(JSON.stringify(value)));
        expect(canonicalJson(snapshot)).toBe(canonicalJson(value));
        expect(canonicalJson({ inside: [snapshot] })).toBe(canonicalJson({ inside: [value] }));
        if (snapshot !== null && typeof snapshot === 'object') {
          expect(snapshotJson(snapshot)).toBe(canonicalJson(value));
          expect(Object.isFrozen(snapshot)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
    const snapshot = canonicalSnapshot({ b: { list: [{ x: 1 }] }, a: 1 });
    expect(() => {
      (snapshot.b.list[0] as { x: number }).x = 2;
    }).toThrow(TypeError);
    expect(() => snapshot.b.list.push({ x: 3 })).toThrow(TypeError);
    expect(canonicalJson(snapshot)).toBe('{"a":1,"b":{"list":[{"x":1}]}}');
    // A copy of a snapshot is not one: its JSON is made anew.
    expect(snapshotJson({ ...snapshot })).toBeUndefined();
  });
});

/** Canonical JSON by the definition, sorting every object's keys: a reference, not fast. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const members = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${reference((value as Record<string, unknown>)[key])}`);
  return `{${members.join(',')}}`;
}

/** The value with every object's keys inserted in sorted order (integer-like keys aside). */
function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    Object.defineProperty(out, key, {
      value: sortedDeep((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
