import { describe, expect, it } from 'vitest';
import { BuiltinError } from '../builtin-error.js';
import { JS_BUILTINS } from './index.js';

const call = (name: string, ...args: unknown[]) => JS_BUILTINS.get(name)!(...args);

describe('sprintf', () => {
  it.each([
    ['%v %d %s', [1, 2, 'x'], '1 2 x'],
    ['%.2f', [1.23456], '1.23'],
    ['%.0f', [2.5], '2'],
    ['%.0f', [3.5], '4'],
    ['%f', [1.5], '1.500000'],
    ['%x', [255], 'ff'],
    ['%X', ['hi'], '6869'],
    ['%q', ['a"b'], '"a\\"b"'],
    ['%5d|%-5d|%05d', [42, 42, 42], '   42|42   |00042'],
    ['%v', [1.5e21], '1.5e+21'],
    ['%v', [0.000001], '1e-06'],
    ['%v', [123456.5], '123456.5'],
    ['%e', [1234.5678], '1.234568e+03'],
    ['%g', [0.00001234], '1.234e-05'],
    ['100%%', [], '100%'],
    ['%v', [[1, 'a', { b: true }]], '[1, "a", {"b": true}]'],
    ['%v', [null], 'null'],
  ])('sprintf(%j, %j) = %j', (f, args, want) => {
    expect(call('sprintf', f, args)).toBe(want);
  });

  it('reports verbs that do not fit their argument the way Go does', () => {
    expect(call('sprintf', '%d', ['x'])).toBe('%!d(string=x)');
    expect(call('sprintf', '%.2f', [5])).toBe('%!f(int=5)');
    expect(call('sprintf', '%t', [true])).toBe('%!t(string=true)');
    expect(call('sprintf', '%d %d', [1])).toBe('1 %!d(MISSING)');
    expect(call('sprintf', '%d', [1, 'a'])).toBe('1%!(EXTRA string=a)');
  });

  it('keeps big integers exact', () => {
    expect(call('sprintf', '%d', [12345678901234567890n])).toBe('12345678901234567890');
  });
});

describe('string builtins', () => {
  it('index and slice by code point', () => {
    expect(call('indexof', 'a😀b', 'b')).toBe(2);
    expect(call('substring', 'a😀bc', 1, 2)).toBe('😀b');
    expect(call('substring', 'abc', 1, -1)).toBe('bc');
    expect(call('substring', 'abc', 5, 1)).toBe('');
    expect(call('indexof_n', 'aaa', 'aa')).toEqual([0, 1]);
    expect(call('strings.reverse', 'a😀b')).toBe('b😀a');
    expect(call('split', 'a😀', '')).toEqual(['a', '😀']);
  });

  it('trims as Go does', () => {
    expect(call('trim', '  xhellox ', ' x')).toBe('hello');
    expect(call('trim_left', 'xxa', 'x')).toBe('a');
    expect(call('trim_prefix', 'prefix-a', 'prefix-')).toBe('a');
    expect(call('trim_suffix', 'a.txt', '.txt')).toBe('a');
    expect(call('trim_space', '\u0085 a \t')).toBe('a');
    expect(call('trim_space', '\ufeffa')).toBe('\ufeffa');
  });

  it('formats integers in the four bases, truncating floats', () => {
    expect(call('format_int', 255, 16)).toBe('ff');
    expect(call('format_int', -5.9, 2)).toBe('-101');
    expect(() => call('format_int', 1, 3)).toThrow(BuiltinError);
  });

  it('replaces with the first matching pattern in key order', () => {
    expect(call('strings.replace_n', { '<': '&lt;', '>': '&gt;' }, '<a>')).toBe('&lt;a&gt;');
    expect(call('strings.replace_n', { a: '1', ab: '2' }, 'ab')).toBe('1b');
    expect(() => call('strings.replace_n', { f: 100 }, 'foo')).toThrow(
      'operand 1 non-string value found in pattern object',
    );
    expect(call('replace', 'ab', '', '-')).toBe('-a-b-');
  });

  it('counts, concatenates and matches affixes', () => {
    expect(call('strings.count', 'cheese', 'e')).toBe(3);
    expect(call('strings.count', 'five', '')).toBe(5);
    expect(call('concat', ', ', ['a', 'b'])).toBe('a, b');
    expect(call('strings.any_prefix_match', ['a/b'], ['x/', 'a/'])).toBe(true);
    expect(call('strings.any_suffix_match', 'file.txt', '.md')).toBe(false);
  });

  it('raises OPA-worded type errors', () => {
    expect(() => call('upper', 1)).toThrow('upper: operand 1 must be string but got number');
    try {
      call('concat', ',', [1]);
    } catch (err) {
      expect((err as BuiltinError).code).toBe('eval_type_error');
    }
  });
});
