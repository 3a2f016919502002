import { describe, expect, it } from 'vitest';
import { BuiltinError } from '../builtin-error.js';
import { JS_BUILTINS } from './index.js';

const call = (name: string, ...args: unknown[]) => JS_BUILTINS.get(name)!(...args);

describe('units, uuid, semver and crypto', () => {
  it('parses units exactly', () => {
    expect(call('units.parse', '10K')).toBe(10_000);
    expect(call('units.parse', '1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(call('units.parse', '100m')).toBe(0.1);
    expect(call('units.parse', '2M')).toBe(2_000_000);
    expect(() => call('units.parse', '1 K')).toThrow('spaces not allowed');
    expect(() => call('units.parse', '1Q')).toThrow(BuiltinError);
    expect(call('units.parse_bytes', '1KiB')).toBe(1024);
    expect(call('units.parse_bytes', '1.5kb')).toBe(1500);
    expect(call('units.parse_bytes', '10')).toBe(10);
    expect(call('units.parse_bytes', '2.5')).toBe(2);
    expect(() => call('units.parse_bytes', 'MB')).toThrow('no byte amount provided');
  });

  it('parses amounts in scientific notation, and an E with no digits after it as exa', () => {
    expect(call('units.parse', '2.5e3K')).toBe(2_500_000);
    expect(call('units.parse', '5e1Gi')).toBe(50 * 2 ** 30);
    expect(call('units.parse', '-3.5E2m')).toBe(-0.35);
    expect(call('units.parse', '1e-2')).toBe(0.01);
    expect(call('units.parse', '5E')).toBe(5_000_000_000_000_000_000n);
    expect(call('units.parse', '1Ei')).toBe(2n ** 60n);
    expect(call('units.parse_bytes', '1e-2KB')).toBe(10);
    expect(call('units.parse_bytes', '3.2E2MiB')).toBe(320 * 2 ** 20);
    // An exponent no resource amount has is refused, not computed digit by digit.
    expect(() => call('units.parse', '1e999999999')).toThrow('could not parse amount');
    expect(() => call('units.parse_bytes', '1e-999999999KB')).toThrow('could not parse byte amount');
  });

  it('parses UUIDs and makes random ones', () => {
    expect(call('uuid.parse', '{00000000-0000-4000-8000-000000000000}')).toEqual({
      version: 4,
      variant: 'RFC4122',
    });
    expect(call('uuid.parse', 'not-a-uuid')).toBeUndefined();
    const u = call('uuid.rfc4122', 'k') as string;
    expect(call('uuid.parse', u)).toEqual({ version: 4, variant: 'RFC4122' });
  });

  it('validates and compares semantic versions', () => {
    expect(call('semver.is_valid', '1.2.3-rc.1+build')).toBe(true);
    expect(call('semver.is_valid', 'v1.2.3')).toBe(false);
    expect(call('semver.is_valid', 1)).toBe(false);
    expect(call('semver.compare', '1.0.0-alpha', '1.0.0')).toBe(-1);
    expect(call('semver.compare', '1.0.0-alpha.10', '1.0.0-alpha.9')).toBe(1);
    expect(call('semver.compare', '2.0.0+a', '2.0.0+b')).toBe(0);
    expect(() => call('semver.compare', '1.0', '1.0.0')).toThrow(BuiltinError);
  });

  it('hashes and compares MACs', () => {
    expect(call('crypto.sha256', 'lorem ipsum')).toBe(
      '5e2bf57d3f40c4b6df69daf1936cb766f832374b4fc0259a7cbff06e2f70f269',
    );
    expect(call('crypto.md5', '')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(call('crypto.hmac.sha256', 'hello', 'key')).toBe(
      '9307b3b915efb5171ff14d8cb55fbcc798c6c0ef1456d66ded1a6aa723a58b7b',
    );
    expect(call('crypto.hmac.equal', 'abc', 'abc')).toBe(true);
    expect(call('crypto.hmac.equal', 'abc', 'abcd')).toBe(false);
  });
});
