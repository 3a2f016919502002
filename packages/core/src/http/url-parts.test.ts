import { describe, expect, it } from 'vitest';
import { parseUrlParts, parseUrlPartsWhatwg } from './url-parts.js';

describe('parseUrlParts', () => {
  it('splits a plain origin-form target by hand, as the WHATWG parser would', () => {
    const parts = parseUrlParts('/v1/orders/17?page=2&tag=a&tag=b&q=a+b%26c&e=', 'api.example.com:8443');
    expect(parts).toEqual({
      url: '/v1/orders/17?page=2&tag=a&tag=b&q=a+b%26c&e=',
      scheme: '',
      host: 'api.example.com',
      port: 8443,
      path: '/v1/orders/17',
      query: { page: '2', tag: ['a', 'b'], q: 'a b&c', e: '' },
    });
  });

  it('decodes the path after removing dot segments, in every spelling', () => {
    for (const target of ['/a/../%61dmin', '/a/%2e%2E/admin', '/a/.%2e/admin', '/./admin', '/x/../admin?']) {
      expect(parseUrlParts(target, undefined).path).toBe('/admin');
    }
  });

  it('drops an empty query and keeps a stray percent sign as sent', () => {
    expect(parseUrlParts('/x?', undefined).url).toBe('/x');
    expect(parseUrlParts('/100%/x', undefined).path).toBe('/100%/x');
    expect(parseUrlParts('/%E2%82%AC/%FF', undefined).path).toBe('/%E2%82%AC/%FF');
    expect(parseUrlParts('/%E2%82%AC', undefined).path).toBe('/€');
  });

  it('reads backslashes, spaces and non-ASCII as the WHATWG parser does', () => {
    expect(parseUrlParts('/a\\..\\admin', undefined).path).toBe('/admin');
    expect(parseUrlParts('/a b/é', undefined)).toMatchObject({ url: '/a%20b/%C3%A9', path: '/a b/é' });
    expect(parseUrlParts('/x#frag', undefined).url).toBe('/x');
  });

  it('takes the host and port from the Host header, and none from a bad one', () => {
    expect(parseUrlParts('/x', '[::1]:9000')).toMatchObject({ host: '::1', port: 9000 });
    expect(parseUrlParts('/x', 'Svc.Internal')).toMatchObject({ host: 'svc.internal', port: null });
    expect(parseUrlParts('/x', 'a/b')).toMatchObject({ host: '' });
    expect(parseUrlParts('/x', 'u@h')).toMatchObject({ host: '' });
    expect(parseUrlParts('/x', 'bad host:1')).toMatchObject({ host: '', port: null });
  });

  it('parses an absolute-form target whole, with its password removed', () => {
    expect(parseUrlParts('https://bob:hunter2@API.example.com/a/../b?x=1', 'ignored')).toEqual({
      url: 'https://bob:REDACTED@api.example.com/b?x=1',
      scheme: 'https',
      host: 'api.example.com',
      port: 443,
      path: '/b',
      query: { x: '1' },
    });
  });

  it('keeps the forms it has no hand parse for as the WHATWG parser reads them', () => {
    // authority-form (CONNECT) and asterisk-form (OPTIONS *): no path a policy could mistake
    // for one of its routes.
    expect(parseUrlParts('*', 'h')).toMatchObject({ url: '/*', path: '/*', host: 'h' });
    expect(parseUrlParts('//evil.example/x', 'h').host).toBe('h');
    expect(parseUrlParts('//evil.example/x', 'h').path).toBe('/x');
  });

  it('never lets a __proto__ query key reach the prototype', () => {
    const parts = parseUrlParts('/x?__proto__=1&constructor=2', undefined);
    expect(Object.getPrototypeOf(parts.query)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(parts.query, '__proto__')?.value).toBe('1');
  });

  it('answers exactly as the WHATWG parse for every target of a tricky alphabet', () => {
    // Deterministic pseudo-random targets over the characters that matter to the fast path.
    const alphabet = [
      ...'/a/b/c/../.%2e%2E%41%zz%25%%20?&=+#;:@!$\'()*,~-_\\ "<>`{}[]^|é\t',
      '%C3%A9',
      '%FF',
      '/..',
      '/.',
      '//',
      '??',
    ];
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 20_000; i++) {
      let target = '/';
      const length = next() % 14;
      for (let j = 0; j < length; j++) target += alphabet[next() % alphabet.length];
      const host = ['h:1', undefined, '[::1]', 'x y'][next() % 4];
      expect(parseUrlParts(target, host), target).toEqual(parseUrlPartsWhatwg(target, host));
    }
  });
});
