import { describe, expect, it } from 'vitest';
import { BuiltinError } from '../builtin-error.js';
import { JS_BUILTINS } from './index.js';

const call = (name: string, ...args: unknown[]) => JS_BUILTINS.get(name)!(...args);

describe('graph builtins', () => {
  const graph = { a: ['b', 'c'], b: ['d'], c: ['d'], d: [], e: ['f'], f: ['e'] };

  it('graph.reachable follows edges from the initial nodes, ignoring unknown nodes', () => {
    expect(call('graph.reachable', graph, ['b', 'e'])).toEqual(['b', 'd', 'e', 'f']);
    expect(call('graph.reachable', graph, ['zz'])).toEqual([]);
    expect(call('graph.reachable', { a: ['a'] }, ['a'])).toEqual(['a']);
  });

  it('graph.reachable_paths lists the paths, stopping at cycles and missing nodes', () => {
    expect(call('graph.reachable_paths', graph, ['a'])).toEqual([
      ['a', 'b', 'd'],
      ['a', 'c', 'd'],
    ]);
    expect(call('graph.reachable_paths', { a: ['b'], b: ['c'], c: ['a'] }, ['a'])).toEqual([['a', 'b', 'c']]);
    expect(call('graph.reachable_paths', { a: ['x'] }, ['a'])).toEqual([['a']]);
  });

  it('rejects operands of the wrong type', () => {
    expect(() => call('graph.reachable', [], ['a'])).toThrow(BuiltinError);
    expect(() => call('graph.reachable_paths', {}, 'a')).toThrow(BuiltinError);
  });
});
