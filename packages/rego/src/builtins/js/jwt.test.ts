import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BuiltinError } from '../builtin-error.js';
import { JS_BUILTINS } from './index.js';

const call = (name: string, ...args: unknown[]) => JS_BUILTINS.get(name)!(...args);

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const secretJwk = (secret: string) => ({ kty: 'oct', k: b64(secret) });

function pair(kind: 'rsa' | 'ec-256' | 'ec-384' | 'ec-521'): { priv: KeyObject; pub: KeyObject } {
  const { privateKey, publicKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', {
          namedCurve: { 'ec-256': 'P-256', 'ec-384': 'P-384', 'ec-521': 'P-521' }[kind],
        });
  return { priv: privateKey, pub: publicKey };
}

const rsa = pair('rsa');
const otherRsa = pair('rsa');
const ec = { ES256: pair('ec-256'), ES384: pair('ec-384'), ES512: pair('ec-521') };

const pemOf = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
const jwkOf = (k: KeyObject) => k.export({ format: 'jwk' });

function sign(header: object, payload: object, key: object): string {
  return call('io.jwt.encode_sign', header, payload, key) as string;
}

function errorOf(f: () => unknown): BuiltinError {
  try {
    f();
  } catch (err) {
    if (err instanceof BuiltinError) return err;
    throw err;
  }
  throw new Error('no error raised');
}

describe('io.jwt builtins', () => {
  it('signs and verifies HS256/384/512 round trips, and refuses a wrong secret', () => {
    for (const bits of ['256', '384', '512']) {
      const token = sign({ alg: `HS${bits}`, typ: 'JWT' }, { sub: 'me' }, secretJwk('s3cret'));
      expect(call(`io.jwt.verify_hs${bits}`, token, 's3cret')).toBe(true);
      expect(call(`io.jwt.verify_hs${bits}`, token, 'other')).toBe(false);
    }
  });

  it('signs RS*/PS* with a private JWK and verifies with PEM, JWK and JWKS public keys', () => {
    for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']) {
      const token = sign({ alg }, { iss: 'x' }, jwkOf(rsa.priv));
      const verify = `io.jwt.verify_${alg.toLowerCase()}`;
      expect(call(verify, token, pemOf(rsa.pub))).toBe(true);
      expect(call(verify, token, JSON.stringify(jwkOf(rsa.pub)))).toBe(true);
      expect(call(verify, token, JSON.stringify({ keys: [jwkOf(otherRsa.pub), jwkOf(rsa.pub)] }))).toBe(true);
      expect(call(verify, token, pemOf(otherRsa.pub))).toBe(false);
    }
  });

  it('signs and verifies ES256/384/512', () => {
    for (const [alg, keys] of Object.entries(ec)) {
      const token = sign({ alg }, { iss: 'x' }, jwkOf(keys.priv));
      expect(call(`io.jwt.verify_${alg.toLowerCase()}`, token, pemOf(keys.pub))).toBe(true);
      expect(call(`io.jwt.verify_${alg.toLowerCase()}`, token, JSON.stringify(jwkOf(keys.pub)))).toBe(true);
    }
    // A signature of the other curve, or an RSA key, never verifies.
    const token = sign({ alg: 'ES256' }, {}, jwkOf(ec.ES256.priv));
    expect(call('io.jwt.verify_es256', token, pemOf(ec.ES384.pub))).toBe(false);
    expect(call('io.jwt.verify_es256', token, pemOf(rsa.pub))).toBe(false);
  });

  it('rejects a tampered signature or payload', () => {
    const token = sign({ alg: 'RS256' }, { admin: false }, jwkOf(rsa.priv));
    const [h, p, s] = token.split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    expect(call('io.jwt.verify_rs256', flipped, pemOf(rsa.pub))).toBe(false);
    const forged = `${h}.${b64('{"admin":true}')}.${s}`;
    expect(call('io.jwt.verify_rs256', forged, pemOf(rsa.pub))).toBe(false);
    expect(call('io.jwt.decode_verify', forged, { cert: pemOf(rsa.pub) })).toEqual([false, {}, {}]);
  });

  it('never verifies alg none', () => {
    const none = `${b64('{"alg":"none"}')}.${b64('{"sub":"me"}')}.`;
    expect(call('io.jwt.decode_verify', none, { secret: 'x' })).toEqual([false, {}, {}]);
    expect(call('io.jwt.decode_verify', none, { cert: pemOf(rsa.pub) })).toEqual([false, {}, {}]);
    expect(call('io.jwt.verify_hs256', none, '')).toBe(false);
    expect(call('io.jwt.verify_rs256', none, pemOf(rsa.pub))).toBe(false);
    expect(errorOf(() => sign({ alg: 'none' }, {}, secretJwk('x'))).message).toContain(
      'unknown signature algorithm',
    );
  });

  it('decode_verify checks the key, the algorithm and the claims', () => {
    const token = sign({ alg: 'RS256', typ: 'JWT' }, { iss: 'opa', aud: ['a', 'b'] }, jwkOf(rsa.priv));
    const cert = pemOf(rsa.pub);
    expect(call('io.jwt.decode_verify', token, { cert, aud: 'a' })).toEqual([
      true,
      { alg: 'RS256', typ: 'JWT' },
      { iss: 'opa', aud: ['a', 'b'] },
    ]);
    expect(call('io.jwt.decode_verify', token, { cert, aud: 'c' })).toEqual([false, {}, {}]);
    // A token with an audience needs a matching aud constraint.
    expect(call('io.jwt.decode_verify', token, { cert })).toEqual([false, {}, {}]);
    expect(call('io.jwt.decode_verify', token, { cert, aud: 'a', iss: 'other' })).toEqual([false, {}, {}]);
    expect(call('io.jwt.decode_verify', token, { cert, aud: 'a', alg: 'PS256' })).toEqual([false, {}, {}]);
    expect(call('io.jwt.decode_verify', token, { cert: pemOf(otherRsa.pub), aud: 'a' })).toEqual([
      false,
      {},
      {},
    ]);
    // An RS256 token never verifies against a secret (no algorithm confusion).
    expect(call('io.jwt.decode_verify', token, { secret: cert, aud: 'a' })).toEqual([false, {}, {}]);
  });

  it('decode_verify honours exp and nbf against the time constraint or now', () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = sign({ alg: 'HS256' }, { exp: now - 10 }, secretJwk('k'));
    expect(call('io.jwt.decode_verify', expired, { secret: 'k' })).toEqual([false, {}, {}]);
    expect(
      (call('io.jwt.decode_verify', expired, { secret: 'k', time: (now - 20) * 1e9 }) as unknown[])[0],
    ).toBe(true);
    const early = sign({ alg: 'HS256' }, { nbf: now + 100 }, secretJwk('k'));
    expect(call('io.jwt.decode_verify', early, { secret: 'k' })).toEqual([false, {}, {}]);
    expect(
      (call('io.jwt.decode_verify', early, { secret: 'k', time: (now + 100) * 1e9 }) as unknown[])[0],
    ).toBe(true);
    const bad = sign({ alg: 'HS256' }, { exp: 'soon' }, secretJwk('k'));
    expect(errorOf(() => call('io.jwt.decode_verify', bad, { secret: 'k' })).message).toContain(
      'exp value must be a number',
    );
  });

  it('decode_verify rejects malformed constraints', () => {
    const token = sign({ alg: 'HS256' }, {}, secretJwk('k'));
    expect(errorOf(() => call('io.jwt.decode_verify', token, {})).message).toContain('no key constraint');
    expect(
      errorOf(() => call('io.jwt.decode_verify', token, { secret: 'k', cert: pemOf(rsa.pub) })).message,
    ).toContain('duplicate key constraints');
    expect(errorOf(() => call('io.jwt.decode_verify', token, { secret: 'k', foo: 1 })).message).toContain(
      'unknown token validation constraint: foo',
    );
  });

  it('decodes without verifying, and reports malformed tokens as OPA does', () => {
    const token = sign({ alg: 'HS256', typ: 'JWT' }, { sub: 'me' }, secretJwk('k'));
    const [header, payload, sig] = call('io.jwt.decode', token) as [unknown, unknown, string];
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual({ sub: 'me' });
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    expect(errorOf(() => call('io.jwt.decode', 'abc')).message).toBe(
      'io.jwt.decode: encoded JWT had no period separators',
    );
    expect(errorOf(() => call('io.jwt.verify_hs256', 'a.b', 'k')).message).toContain(
      'encoded JWT must have 3 sections, found 2',
    );
    expect(errorOf(() => call('io.jwt.decode', 1)).code).toBe('eval_type_error');
  });

  it('encodes headers and payloads as Go marshals them (sorted keys)', () => {
    expect(sign({ typ: 'JWT', alg: 'HS256' }, { b: 1, a: 2 }, secretJwk('k')).split('.').slice(0, 2)).toEqual(
      [b64('{"alg":"HS256","typ":"JWT"}'), b64('{"a":2,"b":1}')],
    );
    expect(
      errorOf(() =>
        call('io.jwt.encode_sign_raw', '{"alg":"HS256"}', 'not json', JSON.stringify(secretJwk('k'))),
      ).message,
    ).toContain('type is JWT but payload is not JSON');
  });
});
