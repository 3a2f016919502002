/**
 * crypto/x509's algorithm enums and the OIDs that map to them (x509.go's
 * signatureAlgorithmDetails and getPublicKeyAlgorithmFromOID). The numbers are what Go's JSON
 * of a Certificate holds in SignatureAlgorithm and PublicKeyAlgorithm.
 */
import { Der, readInt, readOid, TAG } from './der.js';

/** x509.SignatureAlgorithm (iota order). */
export const SIG = {
  Unknown: 0,
  MD2WithRSA: 1,
  MD5WithRSA: 2,
  SHA1WithRSA: 3,
  SHA256WithRSA: 4,
  SHA384WithRSA: 5,
  SHA512WithRSA: 6,
  DSAWithSHA1: 7,
  DSAWithSHA256: 8,
  ECDSAWithSHA1: 9,
  ECDSAWithSHA256: 10,
  ECDSAWithSHA384: 11,
  ECDSAWithSHA512: 12,
  SHA256WithRSAPSS: 13,
  SHA384WithRSAPSS: 14,
  SHA512WithRSAPSS: 15,
  PureEd25519: 16,
} as const;

/** x509.PublicKeyAlgorithm (iota order). */
export const PK = { Unknown: 0, RSA: 1, DSA: 2, ECDSA: 3, Ed25519: 4 } as const;

export interface SignatureDetails {
  readonly pk: number;
  /** node:crypto's digest name; null for Ed25519, which hashes internally. */
  readonly hash: 'md2' | 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512' | null;
  readonly pss: boolean;
}

export const SIGNATURE_DETAILS: ReadonlyMap<number, SignatureDetails> = new Map([
  [SIG.MD2WithRSA, { pk: PK.RSA, hash: 'md2', pss: false }],
  [SIG.MD5WithRSA, { pk: PK.RSA, hash: 'md5', pss: false }],
  [SIG.SHA1WithRSA, { pk: PK.RSA, hash: 'sha1', pss: false }],
  [SIG.SHA256WithRSA, { pk: PK.RSA, hash: 'sha256', pss: false }],
  [SIG.SHA384WithRSA, { pk: PK.RSA, hash: 'sha384', pss: false }],
  [SIG.SHA512WithRSA, { pk: PK.RSA, hash: 'sha512', pss: false }],
  [SIG.DSAWithSHA1, { pk: PK.DSA, hash: 'sha1', pss: false }],
  [SIG.DSAWithSHA256, { pk: PK.DSA, hash: 'sha256', pss: false }],
  [SIG.ECDSAWithSHA1, { pk: PK.ECDSA, hash: 'sha1', pss: false }],
  [SIG.ECDSAWithSHA256, { pk: PK.ECDSA, hash: 'sha256', pss: false }],
  [SIG.ECDSAWithSHA384, { pk: PK.ECDSA, hash: 'sha384', pss: false }],
  [SIG.ECDSAWithSHA512, { pk: PK.ECDSA, hash: 'sha512', pss: false }],
  [SIG.SHA256WithRSAPSS, { pk: PK.RSA, hash: 'sha256', pss: true }],
  [SIG.SHA384WithRSAPSS, { pk: PK.RSA, hash: 'sha384', pss: true }],
  [SIG.SHA512WithRSAPSS, { pk: PK.RSA, hash: 'sha512', pss: true }],
  [SIG.PureEd25519, { pk: PK.Ed25519, hash: null, pss: false }],
]);

const SIGNATURE_OIDS: ReadonlyMap<string, number> = new Map([
  ['1.2.840.113549.1.1.2', SIG.MD2WithRSA],
  ['1.2.840.113549.1.1.4', SIG.MD5WithRSA],
  ['1.2.840.113549.1.1.5', SIG.SHA1WithRSA],
  ['1.3.14.3.2.29', SIG.SHA1WithRSA],
  ['1.2.840.113549.1.1.11', SIG.SHA256WithRSA],
  ['1.2.840.113549.1.1.12', SIG.SHA384WithRSA],
  ['1.2.840.113549.1.1.13', SIG.SHA512WithRSA],
  ['1.2.840.10040.4.3', SIG.DSAWithSHA1],
  ['2.16.840.1.101.3.4.3.2', SIG.DSAWithSHA256],
  ['1.2.840.10045.4.1', SIG.ECDSAWithSHA1],
  ['1.2.840.10045.4.3.2', SIG.ECDSAWithSHA256],
  ['1.2.840.10045.4.3.3', SIG.ECDSAWithSHA384],
  ['1.2.840.10045.4.3.4', SIG.ECDSAWithSHA512],
  ['1.3.101.112', SIG.PureEd25519],
]);

export const OID = {
  RSA: '1.2.840.113549.1.1.1',
  RSA_PSS: '1.2.840.113549.1.1.10',
  DSA: '1.2.840.10040.4.1',
  ECDSA: '1.2.840.10045.2.1',
  Ed25519: '1.3.101.112',
  X25519: '1.3.101.110',
  MGF1: '1.2.840.113549.1.1.8',
  SHA256: '2.16.840.1.101.3.4.2.1',
  SHA384: '2.16.840.1.101.3.4.2.2',
  SHA512: '2.16.840.1.101.3.4.2.3',
} as const;

export function publicKeyAlgorithmFromOid(oid: string): number {
  switch (oid) {
    case OID.RSA:
      return PK.RSA;
    case OID.DSA:
      return PK.DSA;
    case OID.ECDSA:
      return PK.ECDSA;
    case OID.Ed25519:
      return PK.Ed25519;
    default:
      return PK.Unknown;
  }
}

/** A pkix.AlgorithmIdentifier: the OID, and the parameters' whole element when present. */
export interface AlgorithmIdentifier {
  readonly oid: string;
  readonly params: Buffer | undefined;
}

/** The contents of an AlgorithmIdentifier SEQUENCE (crypto/x509's parseAI). */
export function parseAlgorithmIdentifier(content: Buffer): AlgorithmIdentifier | { error: string } {
  const d = new Der(content);
  const oid = readOid(d);
  if (oid === undefined) return { error: 'x509: malformed OID' };
  if (d.empty) return { oid: oid.join('.'), params: undefined };
  const params = d.readAny();
  if (params === undefined) return { error: 'x509: malformed parameters' };
  return { oid: oid.join('.'), params: params.full };
}

const NULL_BYTES = Buffer.from([0x05, 0x00]);
const isAbsentOrNull = (b: Buffer | undefined) => b === undefined || b.length === 0 || b.equals(NULL_BYTES);

function explicit(d: Der, n: number): Der | undefined {
  const c = d.read(0xa0 | n);
  return c === undefined ? undefined : new Der(c);
}

function innerAlgorithm(d: Der | undefined): AlgorithmIdentifier | undefined {
  const seq = d?.read(TAG.SEQUENCE);
  if (seq === undefined) return undefined;
  const ai = parseAlgorithmIdentifier(seq);
  return 'error' in ai ? undefined : ai;
}

/**
 * getSignatureAlgorithmFromAI: RSA-PSS is only recognised in the three shapes Go accepts
 * (MGF1 with the message hash, salt as long as the hash, the default trailer).
 */
export function signatureAlgorithmFromAI(ai: AlgorithmIdentifier): number {
  if (ai.oid === OID.Ed25519 && ai.params !== undefined && ai.params.length !== 0) return SIG.Unknown;
  if (ai.oid !== OID.RSA_PSS) return SIGNATURE_OIDS.get(ai.oid) ?? SIG.Unknown;
  if (ai.params === undefined) return SIG.Unknown;
  const seq = new Der(ai.params).read(TAG.SEQUENCE);
  if (seq === undefined) return SIG.Unknown;
  const d = new Der(seq);
  const hash = innerAlgorithm(explicit(d, 0));
  const mgf = innerAlgorithm(explicit(d, 1));
  const saltDer = explicit(d, 2);
  const salt = saltDer === undefined ? undefined : readInt(saltDer);
  let trailer = 1;
  if (d.peek(0xa3)) {
    const t = explicit(d, 3);
    const v = t === undefined ? undefined : readInt(t);
    if (v === undefined) return SIG.Unknown;
    trailer = v;
  }
  if (hash === undefined || mgf === undefined || salt === undefined || mgf.params === undefined) {
    return SIG.Unknown;
  }
  const mgfHash = innerAlgorithm(new Der(mgf.params));
  if (
    mgfHash === undefined ||
    !isAbsentOrNull(hash.params) ||
    mgf.oid !== OID.MGF1 ||
    mgfHash.oid !== hash.oid ||
    !isAbsentOrNull(mgfHash.params) ||
    trailer !== 1
  ) {
    return SIG.Unknown;
  }
  if (hash.oid === OID.SHA256 && salt === 32) return SIG.SHA256WithRSAPSS;
  if (hash.oid === OID.SHA384 && salt === 48) return SIG.SHA384WithRSAPSS;
  if (hash.oid === OID.SHA512 && salt === 64) return SIG.SHA512WithRSAPSS;
  return SIG.Unknown;
}
