/**
 * SubjectPublicKeyInfo as crypto/x509's parsePublicKey reads it, returning the key the way
 * Go's encoding/json writes the key type Go parsed it into: *rsa.PublicKey as `{N, E}`,
 * *ecdsa.PublicKey as `{Curve, X, Y}` (the curve value has only unexported fields, so `{}`),
 * *dsa.PublicKey as `{P, Q, G, Y}`, ed25519.PublicKey as base64 bytes.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Json } from './args.js';
import { type BitString, Der, decodeInteger, readInteger, readOid, TAG } from './der.js';
import { type AlgorithmIdentifier, OID } from './x509-algorithms.js';

/** Named curves crypto/x509 knows, by OID: Go's name and the coordinate size in bytes. */
export const CURVES: ReadonlyMap<string, { readonly name: string; readonly size: number }> = new Map([
  ['1.3.132.0.33', { name: 'P-224', size: 28 }],
  ['1.2.840.10045.3.1.7', { name: 'P-256', size: 32 }],
  ['1.3.132.0.34', { name: 'P-384', size: 48 }],
  ['1.3.132.0.35', { name: 'P-521', size: 66 }],
]);

export type PublicKey =
  | { readonly kind: 'rsa'; readonly n: bigint; readonly e: number }
  | { readonly kind: 'ecdsa'; readonly curve: string; readonly x: bigint; readonly y: bigint }
  | { readonly kind: 'ed25519'; readonly bytes: Buffer }
  | { readonly kind: 'dsa' };

export interface ParsedPublicKey {
  readonly key: PublicKey;
  readonly json: Json;
}

/** asn1.BitString.RightAlign: the bits shifted so padding sits at the front. */
export function rightAlign(b: BitString): Buffer {
  const shift = 8 - (b.bitLength % 8);
  if (shift === 8 || b.bytes.length === 0) return b.bytes;
  const out = Buffer.alloc(b.bytes.length);
  out[0] = b.bytes[0]! >> shift;
  for (let i = 1; i < b.bytes.length; i++) {
    out[i] = ((b.bytes[i - 1]! << (8 - shift)) | (b.bytes[i]! >> shift)) & 0xff;
  }
  return out;
}

const NULL_BYTES = Buffer.from([0x05, 0x00]);
const big = (b: Buffer): bigint => (b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`));

function fail(error: string): { error: string } {
  return { error };
}

/**
 * Parse the key of a known algorithm; `spki` is the whole SubjectPublicKeyInfo element, which
 * node:crypto needs to check an EC point is on its curve.
 */
export function parsePublicKey(
  ai: AlgorithmIdentifier,
  bits: BitString,
  spki: Buffer,
): ParsedPublicKey | { error: string } {
  const der = new Der(rightAlign(bits));
  switch (ai.oid) {
    case OID.RSA: {
      if (ai.params === undefined || !ai.params.equals(NULL_BYTES)) {
        return fail('x509: RSA key missing NULL parameters');
      }
      const seq = der.read(TAG.SEQUENCE);
      if (seq === undefined) return fail('x509: invalid RSA public key');
      const d = new Der(seq);
      const n = readInteger(d);
      if (n === undefined) return fail('x509: invalid RSA modulus');
      const e = readInteger(d);
      if (e === undefined || e > 0x7fffffffffffffffn || e < -0x8000000000000000n) {
        return fail('x509: invalid RSA public exponent');
      }
      if (n <= 0n) return fail('x509: RSA modulus is not a positive number');
      if (e <= 0n) return fail('x509: RSA public exponent is not a positive number');
      // E is a Go int: exact as a JSON number up to 2^53, a bigint past it.
      const eJson = e <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(e) : e;
      return { key: { kind: 'rsa', n, e: Number(e) }, json: { N: n, E: eJson } };
    }
    case OID.ECDSA: {
      const params = ai.params === undefined ? undefined : readOid(new Der(ai.params));
      if (params === undefined) return fail('x509: invalid ECDSA parameters');
      const curve = CURVES.get(params.join('.'));
      if (curve === undefined) return fail('x509: unsupported elliptic curve');
      const point = der.rest;
      if (point.length !== 1 + 2 * curve.size || point[0] !== 4 || !onCurve(spki)) {
        return fail('x509: failed to unmarshal elliptic curve point');
      }
      const x = big(point.subarray(1, 1 + curve.size));
      const y = big(point.subarray(1 + curve.size));
      return { key: { kind: 'ecdsa', curve: curve.name, x, y }, json: { Curve: {}, X: x, Y: y } };
    }
    case OID.Ed25519: {
      if (ai.params !== undefined && ai.params.length !== 0) {
        return fail('x509: Ed25519 key encoded with illegal parameters');
      }
      const bytes = der.rest;
      if (bytes.length !== 32) return fail('x509: wrong Ed25519 public key size');
      return { key: { kind: 'ed25519', bytes }, json: bytes.toString('base64') };
    }
    case OID.DSA: {
      const yContent = der.read(TAG.INTEGER);
      const y = yContent === undefined ? undefined : decodeInteger(yContent);
      if (y === undefined) return fail('x509: invalid DSA public key');
      const seq = ai.params === undefined ? undefined : new Der(ai.params).read(TAG.SEQUENCE);
      const pd = seq === undefined ? undefined : new Der(seq);
      const p = pd === undefined ? undefined : readInteger(pd);
      const q = pd === undefined ? undefined : readInteger(pd);
      const g = pd === undefined ? undefined : readInteger(pd);
      if (p === undefined || q === undefined || g === undefined) return fail('x509: invalid DSA parameters');
      if (y <= 0n || p <= 0n || q <= 0n || g <= 0n) return fail('x509: zero or negative DSA parameter');
      return { key: { kind: 'dsa' }, json: { P: p, Q: q, G: g, Y: y } };
    }
    default:
      return fail('x509: unknown public key algorithm');
  }
}

function onCurve(spki: Buffer): boolean {
  try {
    createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return true;
  } catch {
    return false;
  }
}

/** node:crypto's view of a SubjectPublicKeyInfo, for signature checks; undefined if refused. */
export function keyObject(spki: Buffer): KeyObject | undefined {
  try {
    return createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}
