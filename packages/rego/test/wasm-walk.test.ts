/**
 * `walk` as a relation on the wasm path: the planner scans the [path, value] pairs the runtime
 * builds, so sets and non-string keys keep their identity.
 */
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../src/load/index.js';

const POLICY = `package w

pairs contains [p, v] if walk(input.doc, [p, v])
leaves contains v if {
  walk(input.doc, [_, v])
  not is_object(v)
  not is_array(v)
}
ordered := [p | walk({"b": [1], "a": 2}, [p, _])]
set_paths contains p if walk({{1}}, [p, _])
matches contains k if {
  [k, _] := walk({"foo": 1, "bar": {"food": 2}})
  contains(k[count(k) - 1], "oo")
}
`;

const encoder = new TextEncoder();

describe('walk on wasm', () => {
  it('enumerates every node with its path, the node first', async () => {
    const policy = await loadPolicy(POLICY);
    expect(policy.evaluate({ doc: { a: [true] } }, 'w/pairs')).toEqual([
      {
        result: [
          [[], { a: [true] }],
          [['a'], [true]],
          [['a', 0], true],
        ],
      },
    ]);
    expect(policy.evaluate({ doc: { a: [1, 'x'], b: null } }, 'w/leaves')).toEqual([
      { result: [null, 1, 'x'] },
    ]);
    expect(policy.evaluate({}, 'w/ordered')).toEqual([{ result: [[], ['a'], ['b'], ['b', 0]] }]);
  });

  it('uses set members as path elements and works in the functional form', async () => {
    const policy = await loadPolicy(POLICY);
    expect(policy.evaluate({}, 'w/set_paths')).toEqual([{ result: [[], [[1]], [[1], 1]] }]);
    expect(policy.evaluate({}, 'w/matches')).toEqual([{ result: [['bar', 'food'], ['foo']] }]);
    // Input in value syntax: a set survives into walk (itself a leaf here, and its member).
    expect(policy.evaluate(encoder.encode('{"doc": {"s"}}').buffer, 'w/pairs')).toEqual([
      {
        result: [
          [[], ['s']],
          [['s'], 's'],
        ],
      },
    ]);
  });
});
