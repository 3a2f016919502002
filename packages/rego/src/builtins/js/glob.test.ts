import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BuiltinError } from '../builtin-error.js';
import { JS_BUILTINS } from './index.js';

const call = (name: string, ...args: unknown[]) => JS_BUILTINS.get(name)!(...args);

describe('glob.match', () => {
  it.each([
    ['*.github.com', ['.'], 'api.github.com', true],
    ['*.github.com', ['.'], 'api.cdn.github.com', false],
    ['*.github.com', [], 'api.cdn.github.com', false],
    ['*.github.com', null, 'api.cdn.github.com', true],
    ['**.github.com', ['.'], 'api.cdn.github.com', true],
    ['*:github:com', [':'], 'api:github:com', true],
    ['api.*.com', ['.'], 'api.github.com', true],
    ['?at', [], 'cat', true],
    ['?at', [], 'at', false],
    ['[abc]at', [], 'bat', true],
    ['[!abc]at', [], 'bat', false],
    ['[a-c]at', [], 'cat', true],
    ['{cat,bat,[fr]at}', [], 'rat', true],
    ['{cat,bat}', [], 'hat', false],
    ['\\*x', [], '*x', true],
    ['/users/*/orders', ['/'], '/users/42/orders', true],
    ['/users/*/orders', ['/'], '/users/42/x/orders', false],
  ])('glob.match(%j, %j, %j) is %j', (pattern, delimiters, value, want) => {
    expect(call('glob.match', pattern, delimiters, value)).toBe(want);
  });

  it('rejects malformed patterns with a builtin error', () => {
    expect(() => call('glob.match', '[abc', [], 'a')).toThrow(BuiltinError);
    expect(() => call('glob.match', '{a,b', [], 'a')).toThrow(BuiltinError);
  });

  it('matches any quoted literal exactly, and only it', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (literal, other) => {
        const quoted = call('glob.quote_meta', literal) as string;
        expect(call('glob.match', quoted, [], literal)).toBe(true);
        if (other !== literal) expect(call('glob.match', quoted, [], other)).toBe(false);
      }),
    );
  });

  it('quotes metacharacters', () => {
    expect(call('glob.quote_meta', '*.github.com')).toBe('\\*.github.com');
  });
});
