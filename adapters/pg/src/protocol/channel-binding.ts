/**
 * Channel binding data for SCRAM-SHA-256-PLUS, type `tls-server-end-point` (RFC 5929 §4.1),
 * the only type PostgreSQL offers: a hash of the server's certificate (DER) with the hash
 * function of the certificate's signature algorithm, SHA-256 in place of MD5 and SHA-1.
 * https://www.postgresql.org/docs/current/sasl-authentication.html#SASL-SCRAM-SHA-256
 */

import { createHash, X509Certificate } from 'node:crypto';

export const CHANNEL_BINDING_TYPE = 'tls-server-end-point';

/** Signature algorithm OIDs (their DER content bytes, in hex) and the hash RFC 5929 binds with. */
const BINDING_HASH_BY_SIGNATURE_OID: Readonly<Record<string, string>> = {
  '2a864886f70d010104': 'sha256', // md5WithRSAEncryption
  '2a864886f70d010105': 'sha256', // sha1WithRSAEncryption
  '2a864886f70d01010e': 'sha224', // sha224WithRSAEncryption
  '2a864886f70d01010b': 'sha256', // sha256WithRSAEncryption
  '2a864886f70d01010c': 'sha384', // sha384WithRSAEncryption
  '2a864886f70d01010d': 'sha512', // sha512WithRSAEncryption
  '2a8648ce3d0401': 'sha256', // ecdsa-with-SHA1
  '2a8648ce3d040301': 'sha224', // ecdsa-with-SHA224
  '2a8648ce3d040302': 'sha256', // ecdsa-with-SHA256
  '2a8648ce3d040303': 'sha384', // ecdsa-with-SHA384
  '2a8648ce3d040304': 'sha512', // ecdsa-with-SHA512
  '2a8648ce380403': 'sha256', // dsa-with-sha1
  '608648016503040302': 'sha256', // dsa-with-sha256
};

/**
 * The `tls-server-end-point` binding data of the first certificate in `certPem`, or undefined
 * when its signature algorithm names no single hash (Ed25519, RSASSA-PSS) or it cannot be
 * read: PLUS is then not offered, and clients authenticate with plain SCRAM-SHA-256.
 */
export function tlsServerEndPoint(certPem: string | Buffer): Buffer | undefined {
  let der: Buffer;
  try {
    der = new X509Certificate(certPem).raw;
  } catch {
    return undefined;
  }
  const oid = signatureAlgorithmOid(der);
  const hash = oid === undefined ? undefined : BINDING_HASH_BY_SIGNATURE_OID[oid];
  return hash === undefined ? undefined : createHash(hash).update(der).digest();
}

/** One DER element: where its content starts and ends. */
interface Element {
  tag: number;
  start: number;
  end: number;
}

function element(der: Buffer, at: number, limit: number): Element | undefined {
  if (at + 2 > limit) return undefined;
  const tag = der[at] as number;
  let length = der[at + 1] as number;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > limit) return undefined;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[start + i] as number);
    start += bytes;
  }
  const end = start + length;
  return end > limit ? undefined : { tag, start, end };
}

const SEQUENCE = 0x30;
const OBJECT_IDENTIFIER = 0x06;

/**
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, … };
 * AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, … } (RFC 5280 §4.1).
 */
function signatureAlgorithmOid(der: Buffer): string | undefined {
  const certificate = element(der, 0, der.length);
  if (certificate?.tag !== SEQUENCE) return undefined;
  const tbs = element(der, certificate.start, certificate.end);
  if (tbs?.tag !== SEQUENCE) return undefined;
  const algorithm = element(der, tbs.end, certificate.end);
  if (algorithm?.tag !== SEQUENCE) return undefined;
  const oid = element(der, algorithm.start, algorithm.end);
  if (oid?.tag !== OBJECT_IDENTIFIER) return undefined;
  return der.toString('hex', oid.start, oid.end);
}
