import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { looksLikeJwt } from '../src/identity/bearer-authenticator.js';
import { claimAt, identityFromClaims } from '../src/identity/claims-mapping.js';
import { assertTrustedUrl } from '../src/identity/oidc-discovery.js';
import { OidcVerifier } from '../src/identity/oidc-verifier.js';

/**
 * The verifier against a small issuer of our own (discovery document and JWKS over HTTP on
 * loopback), so keys can be rotated and tokens minted with any header: the end-to-end test in
 * oidc-login.test.ts runs the same checks against oidc-provider.
 */
const AUD = 'https://gateway.example.test';
let server: Server;
let issuer = '';
let served: JWK[] = [];
let jwksFetches = 0;
let discoveryIssuer: string | undefined;

type Key = { kid: string; privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']; jwk: JWK };
async function makeKey(kid: string, alg: 'RS256' | 'ES256' = 'ES256'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const sign = (
  key: Key,
  claims: Record<string, unknown> = {},
  opts: { exp?: number | string; nbf?: number; iss?: string; aud?: string } = {},
) =>
  new SignJWT({ sub: 'alice', groups: ['dba'], ...claims })
    .setProtectedHeader({ alg: key.jwk.alg!, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(opts.iss ?? issuer)
    .setAudience(opts.aud ?? AUD)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .setNotBefore(opts.nbf ?? Math.floor(Date.now() / 1000) - 1)
    .sign(key.privateKey);

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

let k1: Key;
let k2: Key;

beforeAll(async () => {
  k1 = await makeKey('k1');
  k2 = await makeKey('k2', 'RS256');
  served = [k1.jwk];
  server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer: discoveryIssuer ?? issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (req.url === '/jwks') {
      jwksFetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: served }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const verifier = (extra: Partial<ConstructorParameters<typeof OidcVerifier>[0]> = {}) =>
  new OidcVerifier({ issuer, audience: AUD, jwksCooldownMs: 0, ...extra });

async function refusal(v: OidcVerifier, token: string) {
  try {
    await v.verify(token);
  } catch (err) {
    return err as Error & { code: string; reason?: string };
  }
  throw new Error('token was accepted');
}

describe('OidcVerifier', () => {
  it('accepts a token signed by the issuer and maps its claims', async () => {
    const v = verifier();
    const { identity, expiresAt } = await v.verify(await sign(k1, { portcullis_kind: 'agent' }));
    expect(identity).toEqual({ id: 'alice', kind: 'agent', groups: ['dba'], via: 'oidc' });
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it('follows key rotation: an unknown kid refetches the JWKS', async () => {
    const v = verifier();
    await v.verify(await sign(k1));
    const before = jwksFetches;
    served = [k2.jwk];
    expect((await v.verify(await sign(k2))).identity.id).toBe('alice');
    expect(jwksFetches).toBe(before + 1);
    served = [k1.jwk];
  });

  it('refuses a token signed with a key the issuer does not publish', async () => {
    const forger = await makeKey('k1');
    const err = await refusal(verifier(), await sign(forger));
    expect(err).toMatchObject({ code: 'PC_GATEWAY_TOKEN', reason: 'signature' });
    const stranger = await makeKey('stranger');
    expect(await refusal(verifier(), await sign(stranger))).toMatchObject({ reason: 'unknown_key' });
  });

  it('refuses alg=none and HS256 (even keyed with the public key) before any key lookup', async () => {
    const payload = { sub: 'alice', iss: issuer, aud: AUD, exp: Math.floor(Date.now() / 1000) + 300 };
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
    const before = jwksFetches;
    const err = await refusal(verifier(), none);
    expect(err).toMatchObject({ code: 'PC_GATEWAY_TOKEN', reason: 'algorithm' });
    expect(err.message).toMatch(/"none"/);
    const secret = new TextEncoder().encode(JSON.stringify(k1.jwk));
    const hs = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(secret);
    expect(await refusal(verifier(), hs)).toMatchObject({ reason: 'algorithm' });
    expect(jwksFetches).toBe(before);
  });

  it('refuses the wrong audience and issuer, naming both values', async () => {
    const aud = await refusal(verifier(), await sign(k1, {}, { aud: 'https://other.example' }));
    expect(aud).toMatchObject({ reason: 'audience' });
    expect(aud.message).toContain('https://other.example');
    const iss = await refusal(verifier(), await sign(k1, {}, { iss: 'https://evil.example' }));
    expect(iss).toMatchObject({ reason: 'issuer' });
  });

  it('applies the clock tolerance to exp and nbf', async () => {
    const now = Math.floor(Date.now() / 1000);
    const justExpired = await sign(k1, {}, { exp: now - 10 });
    expect((await verifier({ clockToleranceMs: 30_000 }).verify(justExpired)).identity.id).toBe('alice');
    expect(await refusal(verifier({ clockToleranceMs: 5_000 }), justExpired)).toMatchObject({
      reason: 'expired',
    });
    const future = await sign(k1, {}, { nbf: now + 120 });
    expect(await refusal(verifier(), future)).toMatchObject({ reason: 'not_yet_valid' });
  });

  it('refuses tokens without a subject or with unreadable groups', async () => {
    expect(await refusal(verifier(), await sign(k1, { sub: '' }))).toMatchObject({ reason: 'claims' });
    expect(await refusal(verifier(), await sign(k1, { groups: [1, 2] }))).toMatchObject({ reason: 'claims' });
    expect(await refusal(verifier(), 'eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln')).toMatchObject({
      reason: 'malformed',
    });
  });

  it('refuses a discovery document naming another issuer (PC_GATEWAY_IDP)', async () => {
    discoveryIssuer = 'https://someone-else.example';
    try {
      const err = await refusal(verifier(), await sign(k1));
      expect(err.code).toBe('PC_GATEWAY_IDP');
      expect(err.message).toMatch(/names issuer "https:\/\/someone-else.example"/);
    } finally {
      discoveryIssuer = undefined;
    }
  });

  it('refuses plain-http identity providers off loopback, and HS algorithms in its options', () => {
    expect(() => assertTrustedUrl('http://idp.example.com/jwks', 'jwks_uri')).toThrow(/must use https/);
    expect(assertTrustedUrl('http://127.0.0.1:9/jwks', 'jwks_uri').port).toBe('9');
    expect(() => new OidcVerifier({ issuer, audience: AUD, algorithms: ['HS256'] })).toThrow(/HS256 is not/);
  });
});

describe('claims mapping', () => {
  it('reads dotted claims (Keycloak roles) and agent values', () => {
    const claims = { preferred_username: 'bot-1', realm_access: { roles: ['dba', 'ops'] }, typ: ['svc'] };
    expect(
      identityFromClaims(claims, {
        subject: 'preferred_username',
        groups: 'realm_access.roles',
        kind: { claim: 'typ', agentValues: ['svc'] },
      }),
    ).toEqual({ id: 'bot-1', kind: 'agent', groups: ['dba', 'ops'], via: 'oidc' });
    expect(claimAt({ 'a.b': 1, a: { b: 2 } }, 'a.b')).toBe(1);
    expect(looksLikeJwt('pck_abc')).toBe(false);
  });
});
