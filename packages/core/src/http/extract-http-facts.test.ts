import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import { extractHttpFacts, resolveHttpFactsOptions } from './index.js';

describe('extractHttpFacts', () => {
  it('upper-cases the method and splits an absolute URL', () => {
    const facts = extractHttpFacts({
      method: 'get',
      url: 'https://API.example.com:8443/v1/users%20x?a=1&b=2&a=3',
    });
    expect(facts).toMatchObject({
      method: 'GET',
      scheme: 'https',
      host: 'api.example.com',
      port: 8443,
      path: '/v1/users x',
      query: { a: ['1', '3'], b: '2' },
      body: null,
      content_type: null,
      body_size: 0,
    });
    expect(facts.url).toBe('https://api.example.com:8443/v1/users%20x?a=1&b=2&a=3');
  });

  it('gives the default port for the scheme and decodes + and % in the query', () => {
    const facts = extractHttpFacts({ method: 'GET', url: 'http://h/p?q=a+b%26c&empty=' });
    expect(facts.port).toBe(80);
    expect(facts.query).toEqual({ q: 'a b&c', empty: '' });
  });

  it('normalises dot segments and percent-encoded letters before a policy matches the path', () => {
    expect(extractHttpFacts({ method: 'GET', url: 'https://h/a/../%61dmin/./x' }).path).toBe('/admin/x');
  });

  it('resolves a request-target against the Host header', () => {
    const facts = extractHttpFacts({
      method: 'POST',
      url: '/v1/x?y=1',
      headers: { Host: 'svc.internal:9000' },
    });
    expect(facts).toMatchObject({
      scheme: '',
      host: 'svc.internal',
      port: 9000,
      path: '/v1/x',
      url: '/v1/x?y=1',
    });
  });

  it('leaves host empty for a request-target without a Host header', () => {
    expect(extractHttpFacts({ method: 'GET', url: '/x' })).toMatchObject({
      host: '',
      port: null,
      path: '/x',
    });
  });

  it('keeps a stray percent sign as sent', () => {
    expect(extractHttpFacts({ method: 'GET', url: 'https://h/100%/x' }).path).toBe('/100%/x');
  });

  it('removes a userinfo password from the URL', () => {
    expect(extractHttpFacts({ method: 'GET', url: 'https://bob:hunter2@h/' }).url).not.toContain('hunter2');
  });

  it('lower-cases header names and joins repeated headers', () => {
    const facts = extractHttpFacts({
      method: 'GET',
      url: 'https://h/',
      headers: {
        Accept: ['text/html', 'application/json'],
        'X-Trace': 'abc',
        'x-num': 3 as unknown as string,
      },
    });
    expect(facts.headers).toEqual({ accept: 'text/html, application/json', 'x-trace': 'abc', 'x-num': '3' });
  });

  it('accepts header pairs and fetch Headers', () => {
    const pairs = extractHttpFacts({
      method: 'GET',
      url: 'https://h/',
      headers: [
        ['A', '1'],
        ['a', '2'],
      ],
    });
    expect(pairs.headers).toEqual({ a: '1, 2' });
    const h = new Headers({ 'Content-Type': 'application/json' });
    expect(extractHttpFacts({ method: 'GET', url: 'https://h/', headers: h }).content_type).toBe(
      'application/json',
    );
  });

  it('does not let a __proto__ header or query key touch the prototype', () => {
    const facts = extractHttpFacts({
      method: 'GET',
      url: 'https://h/?__proto__=x',
      headers: [['__proto__', 'y']],
    });
    expect(Object.getPrototypeOf(facts.query)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(facts.query, '__proto__')?.value).toBe('x');
    expect(Object.hasOwn(facts.headers, '__proto__')).toBe(true);
  });
});

describe('credential redaction', () => {
  const headers = {
    Authorization: 'Bearer eyJhbGciOi.secret.sig',
    'Proxy-Authorization': 'Basic dXNlcjpwYXNz',
    Cookie: 'sid=abc123; theme=dark',
    'Set-Cookie': 'sid=abc; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly',
    'X-Api-Key': 'k-123',
    'X-Auth-Token': 't-123',
    'Private-Token': 'gl-123',
    Accept: 'application/json',
  };

  it('redacts credentials by default, keeping the auth scheme and cookie names', () => {
    const facts = extractHttpFacts({ method: 'GET', url: 'https://h/', headers });
    expect(facts.headers).toEqual({
      authorization: 'Bearer [REDACTED]',
      'proxy-authorization': 'Basic [REDACTED]',
      cookie: 'sid=[REDACTED]; theme=[REDACTED]',
      'set-cookie': 'sid=[REDACTED]; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly',
      'x-api-key': '[REDACTED]',
      'x-auth-token': '[REDACTED]',
      'private-token': '[REDACTED]',
      accept: 'application/json',
    });
    expect(JSON.stringify(facts)).not.toMatch(/secret|dXNlcjpwYXNz|abc123|k-123|t-123|gl-123/);
  });

  it('redacts a scheme-less Authorization value entirely', () => {
    expect(
      extractHttpFacts({ method: 'GET', url: 'https://h/', headers: { authorization: 'tok' } }).headers,
    ).toEqual({
      authorization: '[REDACTED]',
    });
  });

  it('redacts each of several joined Set-Cookie values', () => {
    const facts = extractHttpFacts({
      method: 'GET',
      url: 'https://h/',
      headers: { 'set-cookie': ['a=1; Path=/', 'b=2'] },
    });
    expect(facts.headers['set-cookie']).toBe('a=[REDACTED]; Path=/, b=[REDACTED]');
  });

  it('reveals everything when the operator opts in', () => {
    const facts = extractHttpFacts(
      { method: 'GET', url: 'https://h/', headers },
      { revealCredentials: true },
    );
    expect(facts.headers.authorization).toBe('Bearer eyJhbGciOi.secret.sig');
    expect(facts.headers['x-api-key']).toBe('k-123');
  });

  it('reveals only the listed headers', () => {
    const facts = extractHttpFacts(
      { method: 'GET', url: 'https://h/', headers },
      { revealCredentials: ['X-API-KEY'] },
    );
    expect(facts.headers['x-api-key']).toBe('k-123');
    expect(facts.headers.authorization).toBe('Bearer [REDACTED]');
  });

  it('redacts operator-named headers too', () => {
    const facts = extractHttpFacts(
      { method: 'GET', url: 'https://h/', headers: { 'X-Signature': 'sig' } },
      { credentialHeaders: ['x-signature'] },
    );
    expect(facts.headers['x-signature']).toBe('[REDACTED]');
  });
});

describe('bodies', () => {
  const json = { 'content-type': 'application/json; charset=utf-8' };

  it('parses a JSON string body', () => {
    const facts = extractHttpFacts({ method: 'POST', url: 'https://h/', headers: json, body: '{"a":[1,2]}' });
    expect(facts).toMatchObject({
      body: { a: [1, 2] },
      body_size: 11,
      content_type: 'application/json; charset=utf-8',
    });
    expect(facts.body_parse_error).toBeUndefined();
  });

  it('parses a byte body with a +json content type', () => {
    const body = new TextEncoder().encode('{"é":true}');
    const facts = extractHttpFacts({
      method: 'POST',
      url: 'https://h/',
      headers: { 'content-type': 'application/problem+json' },
      body,
    });
    expect(facts.body).toEqual({ é: true });
    expect(facts.body_size).toBe(body.byteLength);
  });

  it('takes an already-parsed object body as JSON', () => {
    const facts = extractHttpFacts({ method: 'POST', url: 'https://h/', body: { x: 1 } });
    expect(facts).toMatchObject({ body: { x: 1 }, body_size: 7 });
  });

  it('sniffs JSON when no content type is given, and can be told not to', () => {
    expect(extractHttpFacts({ method: 'POST', url: 'https://h/', body: ' [1]' }).body).toEqual([1]);
    expect(
      extractHttpFacts({ method: 'POST', url: 'https://h/', body: '[1]' }, { sniffJson: false }).body,
    ).toBeNull();
  });

  it('does not report a failed sniff as an error', () => {
    const facts = extractHttpFacts({ method: 'POST', url: 'https://h/', body: '{not json' });
    expect(facts.body).toBeNull();
    expect(facts.body_parse_error).toBeUndefined();
  });

  it('leaves non-JSON bodies unparsed', () => {
    const facts = extractHttpFacts({
      method: 'POST',
      url: 'https://h/',
      headers: { 'content-type': 'text/plain' },
      body: '{"a":1}',
    });
    expect(facts.body).toBeNull();
    expect(facts.body_size).toBe(7);
  });

  it('reports malformed JSON that claimed to be JSON', () => {
    const facts = extractHttpFacts({ method: 'POST', url: 'https://h/', headers: json, body: '{"a":' });
    expect(facts.body).toBeNull();
    expect(facts.body_parse_error).toEqual(expect.any(String));
  });

  it('does not parse a body over the size limit, and flags it', () => {
    const body = JSON.stringify({ big: 'x'.repeat(100) });
    const facts = extractHttpFacts(
      { method: 'POST', url: 'https://h/', headers: json, body },
      { maxBodyBytes: 64 },
    );
    expect(facts).toMatchObject({ body: null, body_too_large: true, body_size: body.length });
    const obj = extractHttpFacts(
      { method: 'POST', url: 'https://h/', body: { big: 'x'.repeat(100) } },
      { maxBodyBytes: 64 },
    );
    expect(obj.body_too_large).toBe(true);
  });

  describe('with a Content-Encoding', () => {
    const doc = { role: 'admin', note: 'é' };
    const text = JSON.stringify(doc);
    const post = (body: Uint8Array, encoding: string, maxBodyBytes = 1024) =>
      extractHttpFacts(
        { method: 'POST', url: 'https://h/', headers: { ...json, 'content-encoding': encoding }, body },
        { maxBodyBytes },
      );

    it('judges the body the server will read: gzip, deflate (zlib or raw), br, and codings stacked', () => {
      const plain = Buffer.from(text);
      for (const [encoding, bytes] of [
        ['gzip', gzipSync(plain)],
        ['X-GZIP', gzipSync(plain)],
        ['deflate', deflateSync(plain)],
        ['deflate', deflateRawSync(plain)],
        ['br', brotliCompressSync(plain)],
        // Listed in the order applied: gzip first, then br; undone br first.
        ['gzip, br', brotliCompressSync(gzipSync(plain))],
        ['identity', plain],
      ] as const) {
        const facts = post(bytes, encoding);
        expect(facts.body, encoding).toEqual(doc);
        expect(facts.body_size, encoding).toBe(plain.byteLength);
        expect(facts.body_parse_error, encoding).toBeUndefined();
      }
    });

    it('never inflates past maxBodyBytes: a small body that decodes large is too large', () => {
      const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
      expect(bomb.byteLength).toBeLessThan(100 * 1024);
      const facts = post(bomb, 'gzip', 1024 * 1024);
      expect(facts).toMatchObject({ body: null, body_too_large: true, body_size: bomb.byteLength });
    });

    it('tells the policy of a coding it does not undo, and does not read the body', () => {
      const facts = post(Buffer.from(text), 'zstd');
      expect(facts.body).toBeNull();
      expect(facts.body_parse_error).toBe('content-encoding zstd is not decoded');
    });

    it('reads a truncated stream as far as it goes, and bytes a body parser already decoded as they are', () => {
      const long = JSON.stringify({ rows: Array.from({ length: 200 }, (_, i) => ({ i })) });
      const gz = gzipSync(Buffer.from(long));
      const truncated = post(gz.subarray(0, gz.byteLength - 40), 'gzip', 1 << 20);
      expect(truncated.body).toBeNull();
      expect(truncated.body_parse_error).toEqual(expect.any(String));
      expect(truncated.body_size).toBeGreaterThan(100);
      expect(post(Buffer.from(text), 'gzip').body).toEqual(doc);
    });
  });

  it('validates options, naming the option', () => {
    expect(() => resolveHttpFactsOptions({ maxBodyBytes: -1 })).toThrow(InvalidOptionError);
    expect(() => resolveHttpFactsOptions({ maxBodyBytes: -1 })).toThrow(/http\.maxBodyBytes/);
    expect(() => resolveHttpFactsOptions({ revealCredentials: 'yes' as unknown as boolean })).toThrow(
      /revealCredentials/,
    );
  });
});
