import { describe, expect, it } from 'vitest';
import { BuiltinError } from '../builtin-error.js';
import { JS_BUILTINS } from './index.js';
import { MAX_CIDR_EXPAND } from './net.js';

const call = (name: string, ...args: unknown[]) => JS_BUILTINS.get(name)!(...args);

describe('net builtins', () => {
  it('checks containment of addresses and networks', () => {
    expect(call('net.cidr_contains', '10.0.0.0/8', '10.1.2.3')).toBe(true);
    expect(call('net.cidr_contains', '10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(call('net.cidr_contains', '10.0.0.0/8', '10.2.0.0/16')).toBe(true);
    expect(call('net.cidr_contains', '10.0.0.0/16', '10.0.0.0/8')).toBe(false);
    expect(call('net.cidr_contains', '2001:db8::/32', '2001:db8:1::1')).toBe(true);
    expect(call('net.cidr_contains', '10.0.0.0/8', '::ffff:10.0.0.1')).toBe(true);
    expect(() => call('net.cidr_contains', 'nope', '10.0.0.1')).toThrow(BuiltinError);
    expect(() => call('net.cidr_contains', '10.0.0.0/8', '010.0.0.1')).toThrow(BuiltinError);
  });

  it('intersects and validates', () => {
    expect(call('net.cidr_intersects', '192.168.0.0/16', '192.168.1.0/24')).toBe(true);
    expect(call('net.cidr_intersects', '192.168.0.0/24', '192.168.1.0/24')).toBe(false);
    expect(call('net.cidr_is_valid', '10.0.0.0/33')).toBe(false);
    expect(call('net.cidr_is_valid', 'fe80::/10')).toBe(true);
    expect(call('net.cidr_is_valid', 3)).toBe(false);
  });

  it('expands within a bound', () => {
    expect(call('net.cidr_expand', '192.168.0.0/30')).toEqual([
      '192.168.0.0',
      '192.168.0.1',
      '192.168.0.2',
      '192.168.0.3',
    ]);
    expect(call('net.cidr_expand', '2001:db8::/127')).toEqual(['2001:db8::', '2001:db8::1']);
    expect(() => call('net.cidr_expand', '10.0.0.0/8')).toThrow(`limit of ${MAX_CIDR_EXPAND}`);
  });

  it('merges into the fewest networks', () => {
    expect(call('net.cidr_merge', ['192.0.128.0/24', '192.0.129.0/24'])).toEqual(['192.0.128.0/23']);
    expect(call('net.cidr_merge', ['10.0.0.1', '10.0.0.0', '10.0.0.2/31'])).toEqual(['10.0.0.0/30']);
    expect(
      call('net.cidr_merge', ['10.0.0.0/8', '10.1.0.0/16', '2001:db8::/33', '2001:db8:8000::/33']),
    ).toEqual(['10.0.0.0/8', '2001:db8::/32']);
  });

  it('lists matches with their keys', () => {
    expect(call('net.cidr_contains_matches', { a: '10.0.0.0/8' }, ['10.1.1.1', '11.0.0.1'])).toEqual([
      ['a', 0],
    ]);
    expect(call('net.cidr_contains_matches', '10.0.0.0/8', { x: ['10.0.0.1', 'extra'] })).toEqual([
      ['10.0.0.0/8', 'x'],
    ]);
  });
});
