import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BuiltinError } from '../builtin-error.js';
import { JS_BUILTINS } from './index.js';

const call = (name: string, ...args: unknown[]) => JS_BUILTINS.get(name)!(...args);

describe('encodings', () => {
  it('round-trips base64, base64url and hex for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(call('base64.decode', call('base64.encode', s))).toBe(s);
        expect(call('base64url.decode', call('base64url.encode', s))).toBe(s);
        expect(call('base64url.decode', call('base64url.encode_no_pad', s))).toBe(s);
        expect(call('hex.decode', call('hex.encode', s))).toBe(s);
        expect(call('base64.is_valid', call('base64.encode', s))).toBe(true);
      }),
    );
  });

  it('round-trips URL query escaping and objects', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(call('urlquery.decode', call('urlquery.encode', s))).toBe(s);
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.array(fc.string(), { minLength: 1 })), (o) => {
        const back = call('urlquery.decode_object', call('urlquery.encode_object', o)) as Record<
          string,
          string[]
        >;
        expect(back).toEqual(Object.fromEntries(Object.entries(o).filter(([k]) => k !== '' || true)));
      }),
    );
  });

  it('decodes strictly, as Go does', () => {
    expect(() => call('base64.decode', 'YWJj!')).toThrow(BuiltinError);
    expect(call('base64.is_valid', 'YWJ')).toBe(false);
    expect(call('base64url.decode', 'YWJjZA')).toBe('abcd');
    expect(() => call('hex.decode', 'zz')).toThrow('encoding/hex: invalid byte');
    expect(() => call('hex.decode', 'abc')).toThrow('odd length');
    expect(() => call('urlquery.decode', '%zz')).toThrow(BuiltinError);
    expect(call('urlquery.encode', 'a b&c=d/é')).toBe('a+b%26c%3Dd%2F%C3%A9');
    expect(call('urlquery.encode_object', { b: ['2', '1'], a: 'x y' })).toBe('a=x+y&b=2&b=1');
  });

  it('marshals JSON with sorted keys and HTML escapes', () => {
    expect(call('json.marshal', { b: 1, a: ['<x>'] })).toBe('{"a":["\\u003cx\\u003e"],"b":1}');
    expect(call('json.marshal_with_options', { a: 1 }, { pretty: true })).toBe('{\n\t"a": 1\n}');
    expect(call('json.marshal_with_options', [1], { indent: '  ', prefix: '>' })).toBe('>[\n>  1\n>]');
    expect(call('json.unmarshal', '{"a":[1,true,null]}')).toEqual({ a: [1, true, null] });
    expect(call('json.is_valid', '{')).toBe(false);
    expect(() => call('json.unmarshal', '{')).toThrow(BuiltinError);
  });

  it('reads and writes YAML', () => {
    expect(call('yaml.unmarshal', 'a: 1\nb: [p, q]\nc: yes\n')).toEqual({ a: 1, b: ['p', 'q'], c: true });
    expect(call('yaml.marshal', { b: ['x'], a: 1 })).toBe('a: 1\nb:\n- x\n');
    expect(call('yaml.is_valid', 'a: [')).toBe(false);
    expect(() => call('yaml.unmarshal', 'a: [')).toThrow(BuiltinError);
  });
});
