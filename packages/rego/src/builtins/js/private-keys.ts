/**
 * Private keys as crypto/x509 parses them (ParsePKCS1PrivateKey, ParsePKCS8PrivateKey,
 * ParseECPrivateKey), with node:crypto doing the arithmetic, and the two JSON shapes OPA
 * returns them in:
 *
 * - Go's encoding/json of the key value (`crypto.parse_private_keys`, the `PrivateKey` of
 *   `crypto.x509.parse_keypair`): *rsa.PrivateKey as `{N, E, D, Primes, Precomputed}`,
 *   *ecdsa.PrivateKey as `{Curve, X, Y, D}`, ed25519.PrivateKey as base64 of seed and public
 *   key, an X25519 *ecdh.PrivateKey as `{}` (it has only unexported fields);
 * - the JWK OPA's internal jwk.New marshals (`crypto.x509.parse_rsa_private_key`): all RSA
 *   parameters base64url, but an EC key only as `{"kty": "EC"}`, since OPA's EC JWK type
 *   carries no exported parameters.
 */
import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import type { Json, JsonObject } from './args.js';
import { Asn1Error, Der, readInt, readInteger, readOid, TAG } from './der.js';
import { OID } from './x509-algorithms.js';
import { CURVES } from './x509-public-key.js';

export type PrivateKey =
  | { readonly kind: 'rsa'; readonly n: bigint; readonly jwk: JsonWebKey }
  | { readonly kind: 'ecdsa'; readonly x: bigint; readonly y: bigint; readonly jwk: JsonWebKey }
  | { readonly kind: 'ed25519'; readonly publicKey: Buffer; readonly jwk: JsonWebKey }
  | { readonly kind: 'x25519'; readonly jwk: JsonWebKey };

const fail = (msg: string): never => {
  throw new Asn1Error(msg);
};

const big = (b64url: string | undefined): bigint =>
  b64url === undefined || b64url === ''
    ? 0n
    : BigInt(`0x${Buffer.from(b64url, 'base64url').toString('hex')}`);

/** The shapes encoding/asn1 would accept, to pick Go's "use ParseXxx instead" hints. */
function shape(der: Buffer): 'pkcs1' | 'pkcs8' | 'ec' | undefined {
  const outer = new Der(der);
  const seq = outer.read(TAG.SEQUENCE);
  if (seq === undefined) return undefined;
  const d = new Der(seq);
  if (readInteger(d) === undefined) return undefined;
  if (d.peek(TAG.OCTET_STRING)) return 'ec';
  if (d.peek(TAG.SEQUENCE)) {
    d.read(TAG.SEQUENCE);
    return d.peek(TAG.OCTET_STRING) ? 'pkcs8' : undefined;
  }
  for (let i = 0; i < 5; i++) if (readInteger(d) === undefined) return undefined;
  return 'pkcs1';
}

const HINT = {
  ec: 'x509: failed to parse private key (use ParseECPrivateKey instead for this key format)',
  pkcs8: 'x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)',
  pkcs1: 'x509: failed to parse private key (use ParsePKCS1PrivateKey instead for this key format)',
} as const;

const STRUCTURE = "asn1: structure error: tags don't match";

function nodeKey(der: Buffer, type: 'pkcs1' | 'pkcs8' | 'sec1', error: string): JsonWebKey {
  try {
    return createPrivateKey({ key: der, format: 'der', type }).export({ format: 'jwk' });
  } catch {
    return fail(error);
  }
}

export function parsePkcs1PrivateKey(der: Buffer): PrivateKey {
  const s = shape(der);
  if (s !== 'pkcs1') return fail(s === 'ec' ? HINT.ec : s === 'pkcs8' ? HINT.pkcs8 : STRUCTURE);
  const outer = new Der(der);
  const d = new Der(outer.read(TAG.SEQUENCE)!);
  if (!outer.empty) fail('asn1: syntax error: trailing data');
  const version = readInteger(d)!;
  if (version > 1n) fail('x509: unsupported private key version');
  const n = readInteger(d)!;
  readInteger(d);
  const priv = readInteger(d)!;
  const p = readInteger(d)!;
  const q = readInteger(d)!;
  if (n <= 0n || priv <= 0n || p <= 0n || q <= 0n) fail('x509: private key contains zero or negative value');
  const jwk = nodeKey(der, 'pkcs1', 'crypto/rsa: invalid private key');
  return { kind: 'rsa', n, jwk };
}

/**
 * ParseECPrivateKey; inside PKCS #8 the wrapper's curve wins over the key's own, and
 * node:crypto reads the whole wrapper.
 */
export function parseEcPrivateKey(der: Buffer, wrapper?: { curveOid: string; pkcs8: Buffer }): PrivateKey {
  const s = shape(der);
  if (s !== 'ec') {
    return fail(
      s === 'pkcs8'
        ? HINT.pkcs8
        : s === 'pkcs1'
          ? HINT.pkcs1
          : `x509: failed to parse EC private key: ${STRUCTURE}`,
    );
  }
  const d = new Der(new Der(der).read(TAG.SEQUENCE)!);
  const version = readInt(d);
  if (version !== 1) fail(`x509: unknown EC private key version ${version}`);
  d.read(TAG.OCTET_STRING);
  let oid = wrapper?.curveOid;
  if (oid === undefined && d.peek(0xa0)) {
    const named = readOid(
      new Der(d.read(0xa0) ?? fail(`x509: failed to parse EC private key: ${STRUCTURE}`)),
    );
    if (named !== undefined) oid = named.join('.');
  }
  if (oid === undefined || !CURVES.has(oid)) fail('x509: unknown elliptic curve');
  const jwk =
    wrapper === undefined
      ? nodeKey(der, 'sec1', 'x509: failed to parse EC private key')
      : nodeKey(wrapper.pkcs8, 'pkcs8', 'x509: failed to parse EC private key');
  return { kind: 'ecdsa', x: big(jwk.x), y: big(jwk.y), jwk };
}

export function parsePkcs8PrivateKey(der: Buffer): PrivateKey {
  const s = shape(der);
  if (s !== 'pkcs8') return fail(s === 'ec' ? HINT.ec : s === 'pkcs1' ? HINT.pkcs1 : STRUCTURE);
  const d = new Der(new Der(der).read(TAG.SEQUENCE)!);
  readInteger(d);
  const algo = new Der(d.read(TAG.SEQUENCE)!);
  const oid = readOid(algo)?.join('.');
  const inner = d.read(TAG.OCTET_STRING)!;
  switch (oid) {
    case OID.RSA:
      try {
        return parsePkcs1PrivateKey(inner);
      } catch (err) {
        if (err instanceof Asn1Error)
          fail(`x509: failed to parse RSA private key embedded in PKCS#8: ${err.message}`);
        throw err;
      }
    case OID.ECDSA: {
      const curve = algo.empty ? undefined : readOid(algo);
      if (curve === undefined) return fail('x509: failed to parse ECDSA parameters as named curve');
      try {
        return parseEcPrivateKey(inner, { curveOid: curve.join('.'), pkcs8: der });
      } catch (err) {
        if (err instanceof Asn1Error)
          fail(`x509: failed to parse EC private key embedded in PKCS#8: ${err.message}`);
        throw err;
      }
    }
    case OID.Ed25519: {
      if (!algo.empty) return fail('x509: invalid Ed25519 private key parameters');
      const jwk = nodeKey(der, 'pkcs8', 'x509: invalid Ed25519 private key');
      return { kind: 'ed25519', publicKey: Buffer.from(jwk.x ?? '', 'base64url'), jwk };
    }
    case OID.X25519: {
      if (!algo.empty) return fail('x509: invalid X25519 private key parameters');
      return { kind: 'x25519', jwk: nodeKey(der, 'pkcs8', 'x509: invalid X25519 private key') };
    }
    default:
      return fail(`x509: PKCS#8 wrapping contained private key with unknown algorithm: ${oid ?? ''}`);
  }
}

/** Go's encoding/json of the key value crypto/x509 returns. */
export function privateKeyGoJson(k: PrivateKey): Json {
  const j = k.jwk;
  switch (k.kind) {
    case 'rsa':
      return {
        N: k.n,
        E: Number(big(j.e)),
        D: big(j.d),
        Primes: [big(j.p), big(j.q)],
        Precomputed: { Dp: big(j.dp), Dq: big(j.dq), Qinv: big(j.qi), CRTValues: [] },
      };
    case 'ecdsa':
      return { Curve: {}, X: k.x, Y: k.y, D: big(j.d) };
    case 'ed25519':
      return Buffer.concat([Buffer.from(j.d ?? '', 'base64url'), k.publicKey]).toString('base64');
    case 'x25519':
      return {};
  }
}

/** The JWK of OPA's jwk.New, or jwk.New's complaint about the key type. */
export function privateKeyOpaJwk(k: PrivateKey): JsonObject | { error: string } {
  const j = k.jwk;
  switch (k.kind) {
    case 'rsa':
      return {
        kty: 'RSA',
        n: j.n ?? '',
        e: j.e ?? '',
        d: j.d ?? '',
        p: j.p ?? '',
        q: j.q ?? '',
        dp: j.dp ?? '',
        dq: j.dq ?? '',
        qi: j.qi ?? '',
      };
    case 'ecdsa':
      return { kty: 'EC' };
    case 'ed25519':
      return { error: 'invalid key type ed25519.PrivateKey' };
    case 'x25519':
      return { error: 'invalid key type *ecdh.PrivateKey' };
  }
}
