import { describe, expect, it } from 'vitest';
import { BuiltinError } from '../builtin-error.js';
import { JS_BUILTINS } from './index.js';

const call = (name: string, ...args: unknown[]) => JS_BUILTINS.get(name)!(...args);

describe('regex builtins', () => {
  it('matches unanchored with RE2 syntax', () => {
    expect(call('regex.match', '^[a-z]+$', 'abc')).toBe(true);
    expect(call('regex.match', 'b', 'abc')).toBe(true);
    expect(call('regex.match', '(?i)ABC', 'abc')).toBe(true);
    expect(call('regex.match', '\\pL+', 'é')).toBe(true);
  });

  it('rejects patterns RE2 cannot run in linear time', () => {
    expect(call('regex.is_valid', '(a)\\1')).toBe(false);
    expect(call('regex.is_valid', 'a(?=b)')).toBe(false);
    expect(call('regex.is_valid', 7)).toBe(false);
    expect(() => call('regex.match', '(', 'x')).toThrow(BuiltinError);
  });

  it('is linear on a pattern that makes backtracking engines explode', () => {
    const start = performance.now();
    expect(call('regex.match', '^(a+)+$', `${'a'.repeat(5000)}b`)).toBe(false);
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('splits, finds and replaces as Go does', () => {
    expect(call('regex.split', 'a', 'banana')).toEqual(['b', 'n', 'n', '']);
    expect(call('regex.split', '', 'abc')).toEqual(['a', 'b', 'c']);
    expect(call('regex.find_n', 'a.', 'paranormal', -1)).toEqual(['ar', 'an', 'al']);
    expect(call('regex.find_n', 'a.', 'paranormal', 2)).toEqual(['ar', 'an']);
    expect(call('regex.find_all_string_submatch_n', '([a-z]+)@(x)?', 'me@ you@x', -1)).toEqual([
      ['me@', 'me', ''],
      ['you@x', 'you', 'x'],
    ]);
    expect(call('regex.replace', 'ab-cd', '(\\w)(\\w)', '$2$1')).toBe('ba-dc');
    expect(call('regex.replace', 'ab', '(?P<x>a)', '[$' + '{x}]')).toBe('[a]b'); // Go's ${name} template, not JS's
    expect(call('regex.replace', 'ab', 'a', '$1x')).toBe('b');
  });

  it('matches templates with delimited patterns', () => {
    expect(call('regex.template_match', 'urn:foo:{.*}', 'urn:foo:bar:baz', '{', '}')).toBe(true);
    expect(call('regex.template_match', 'urn:foo.bar.com:{.*}', 'urn:foo.com:bar:baz', '{', '}')).toBe(false);
  });

  it('intersects glob-like patterns', () => {
    expect(call('regex.globs_match', 'a.a.', '.b.b')).toBe(true);
    expect(call('regex.globs_match', '[a-z]*', '[0-9]*')).toBe(true);
    expect(call('regex.globs_match', '[a-z]+', '[0-9]+')).toBe(false);
    expect(call('regex.globs_match', 'ab*c', 'a.+')).toBe(true);
    expect(call('regex.globs_match', 'abc', 'abd')).toBe(false);
    expect(() => call('regex.globs_match', 'pqrs]', 'a')).toThrow(
      "input:pqrs], pos:5, set-close ']' with no preceding '[': the input provided is invalid",
    );
  });
});
