/**
 * OPA's X.509 and private-key builtins (topdown/crypto.go), answering with the JSON Go's
 * encoding/json writes for crypto/x509's types, on node:crypto and our own DER reader:
 *
 * - `crypto.x509.parse_certificates(certs)`: PEM, or base64 of PEM or of concatenated DER →
 *   the certificates, each with OPA's extra `URIStrings`.
 * - `crypto.x509.parse_and_verify_certificates(certs)` (and `_with_options(certs, opts)`):
 *   `[true, chain]` when the certificates (root first, leaf last, as OPA documents) verify,
 *   the chain listed leaf first; `[false, []]` otherwise, including when they do not parse.
 * - `crypto.x509.parse_certificate_request(csr)`: a PEM or base64 CSR → the request.
 * - `crypto.x509.parse_keypair(cert, key)`: PEM or base64 (of PEM or DER) → a
 *   tls.Certificate: DER certificates as base64, the private key, the parsed leaf.
 * - `crypto.x509.parse_rsa_private_key(pem)`: the first key as OPA's JWK.
 * - `crypto.parse_private_keys(keys)`: every private key block → Go's JSON of each key.
 */
import { BuiltinError, builtinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { type Json, type JsonObject, object, str, typeName } from './args.js';
import { Asn1Error } from './der.js';
import { base64ErrorText, goBase64Decode, type PemBlock, pemBlocks, pemDecode } from './pem.js';
import {
  type PrivateKey,
  parseEcPrivateKey,
  parsePkcs1PrivateKey,
  parsePkcs8PrivateKey,
  privateKeyGoJson,
  privateKeyOpaJwk,
} from './private-keys.js';
import {
  type Certificate,
  certificateJson,
  parseCertificates,
  parseOneCertificate,
} from './x509-certificate.js';
import { parseCertificateRequest } from './x509-csr.js';
import { type VerifyOptions, verifyCertificateChain } from './x509-verify.js';

/** A failure Go reports as an error value; the builtin's name is added when it is raised. */
class CryptoError extends Error {}

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const BEGIN = utf8('-----BEGIN');

function base64(s: string): Buffer {
  const r = goBase64Decode(utf8(s));
  if (!Buffer.isBuffer(r)) throw new CryptoError(base64ErrorText(r));
  return r;
}

/** Run `f`, turning Go-side failures into this builtin's eval_builtin_error. */
function guarded<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof Asn1Error || err instanceof CryptoError) throw builtinError(name, err.message, err);
    throw err;
  }
}

/** getX509CertsFromPem: CERTIFICATE blocks only, their DER concatenated and parsed. */
function certsFromPem(data: Buffer): Certificate[] {
  const ders: Buffer[] = [];
  let rest = data;
  while (rest.length > 0) {
    const r = pemDecode(rest);
    if (r === undefined) break;
    if (r.block.type !== 'CERTIFICATE') {
      throw new CryptoError(`PEM block type is '${r.block.type}', expected CERTIFICATE`);
    }
    ders.push(r.block.bytes);
    rest = r.rest;
  }
  return parseCertificates(Buffer.concat(ders));
}

/** getX509CertsFromString: PEM text, or base64 of PEM or of DER. */
function certsFromString(s: string): Certificate[] {
  if (s.startsWith('-----BEGIN')) return certsFromPem(utf8(s));
  const bytes = base64(s);
  if (bytes.subarray(0, BEGIN.length).equals(BEGIN)) return certsFromPem(bytes);
  return parseCertificates(bytes);
}

const withUris = (certs: readonly Certificate[]): Json[] =>
  certs.map((c) => certificateJson(c, { uriStrings: true }));

function parseCertificatesBuiltin(certs: unknown): Json {
  const name = 'crypto.x509.parse_certificates';
  const input = str(name, certs, 1);
  return guarded(name, () => withUris(certsFromString(input)));
}

const INVALID: Json = [false, []];

/** The certificates, or undefined when they do not parse: the verifying builtins answer INVALID. */
function certsOrNothing(input: string): Certificate[] | undefined {
  try {
    return certsFromString(input);
  } catch (err) {
    if (err instanceof Asn1Error || err instanceof CryptoError) return undefined;
    throw err;
  }
}

function parseAndVerify(certs: unknown): Json {
  const parsed = certsOrNothing(str('crypto.x509.parse_and_verify_certificates', certs, 1));
  if (parsed === undefined) return INVALID;
  const chain = verifyCertificateChain(parsed);
  return chain === undefined ? INVALID : [true, withUris(chain)];
}

/** x509.ExtKeyUsage values OPA accepts by name in `KeyUsages`. */
const KEY_USAGES: ReadonlyMap<string, number> = new Map([
  ['KeyUsageAny', 0],
  ['KeyUsageServerAuth', 1],
  ['KeyUsageClientAuth', 2],
  ['KeyUsageCodeSigning', 3],
  ['KeyUsageEmailProtection', 4],
  ['KeyUsageIPSECEndSystem', 5],
  ['KeyUsageIPSECTunnel', 6],
  ['KeyUsageIPSECUser', 7],
  ['KeyUsageTimeStamping', 8],
  ['KeyUsageOCSPSigning', 9],
  ['KeyUsageMicrosoftServerGatedCrypto', 10],
  ['KeyUsageNetscapeServerGatedCrypto', 11],
  ['KeyUsageMicrosoftCommercialCodeSigning', 12],
  ['KeyUsageMicrosoftKernelCodeSigning', 13],
]);

const INT64_MAX = 0x7fffffffffffffffn;
const INT64_MIN = -0x8000000000000000n;

function integral(v: number | bigint): bigint | undefined {
  if (typeof v === 'bigint') return v;
  return Number.isInteger(v) ? BigInt(v) : undefined;
}

const trimQuotes = (s: string) => s.replace(/^"+|"+$/g, '');

/** extractVerifyOpts, with OPA's messages (keys visited in sorted order, as OPA's objects are). */
function verifyOptions(o: JsonObject): VerifyOptions {
  const opts: { -readonly [K in keyof VerifyOptions]: VerifyOptions[K] } = {};
  for (const key of Object.keys(o).sort()) {
    const v = o[key];
    switch (key) {
      case 'DNSName':
        if (typeof v !== 'string') throw new CryptoError("'DNSName' should be a string");
        opts.dnsName = trimQuotes(v);
        break;
      case 'CurrentTime': {
        if (typeof v !== 'number' && typeof v !== 'bigint')
          throw new CryptoError("'CurrentTime' should be a number");
        const ns = integral(v);
        if (ns === undefined || ns > INT64_MAX || ns < INT64_MIN) {
          throw new CryptoError("'CurrentTime' should be a valid int64 number");
        }
        opts.currentTimeNs = ns;
        break;
      }
      case 'MaxConstraintComparisons': {
        if (typeof v !== 'number' && typeof v !== 'bigint') {
          throw new CryptoError("'MaxConstraintComparisons' should be a number");
        }
        const n = integral(v);
        if (n === undefined || n > INT64_MAX || n < INT64_MIN) {
          throw new CryptoError("'MaxConstraintComparisons' should be a valid number");
        }
        opts.maxConstraintComparisons = Number(n);
        break;
      }
      case 'KeyUsages': {
        if (!Array.isArray(v)) throw new CryptoError("'KeyUsages' should be an Array or Set");
        const usages: number[] = [];
        const invalid: string[] = [];
        for (const item of v) {
          if (typeof item !== 'string') continue;
          const name = trimQuotes(item);
          const eku = KEY_USAGES.get(name);
          if (eku === undefined) invalid.push(name);
          else usages.push(eku);
        }
        if (invalid.length > 0) {
          throw new CryptoError(`invalid entries for 'KeyUsages' found: [${invalid.join(' ')}]`);
        }
        opts.keyUsages = usages;
        break;
      }
      default:
        throw new CryptoError('invalid key option');
    }
  }
  return opts;
}

function parseAndVerifyWithOptions(certs: unknown, options: unknown): Json {
  const name = 'crypto.x509.parse_and_verify_certificates_with_options';
  const input = str(name, certs, 1);
  const o = object(name, options, 2);
  const parsed = certsOrNothing(input);
  if (parsed === undefined) return INVALID;
  const opts = guarded(name, () => verifyOptions(o));
  const chain = verifyCertificateChain(parsed, opts);
  // OPA returns these as plain x509.Certificates, without the URIStrings field.
  return chain === undefined ? INVALID : [true, chain.map((c) => certificateJson(c, { uriStrings: false }))];
}

function parseCertificateRequestBuiltin(csr: unknown): Json {
  const name = 'crypto.x509.parse_certificate_request';
  const input = str(name, csr, 1);
  return guarded(name, () => {
    let bytes = input.startsWith('-----BEGIN CERTIFICATE REQUEST-----') ? utf8(input) : base64(input);
    const r = pemDecode(bytes);
    if (r !== undefined && r.block.type !== 'CERTIFICATE REQUEST') {
      throw new CryptoError('invalid PEM-encoded certificate signing request');
    }
    if (r !== undefined) bytes = r.block.bytes;
    return parseCertificateRequest(bytes);
  });
}

/** getPrivateKeysFromPEMData: base64 is decoded when it decodes; unknown block types skipped. */
function privateKeysFromPem(input: Buffer): PrivateKey[] {
  const decoded = goBase64Decode(input);
  let bs = Buffer.isBuffer(decoded) ? decoded : input;
  const keys: PrivateKey[] = [];
  while (bs.length > 0) {
    // Go stops once Decode finds no block in what is left.
    const r = pemDecode(bs);
    if (r === undefined) break;
    bs = r.rest;
    const block: PemBlock = r.block;
    if (block.type === 'RSA PRIVATE KEY') keys.push(parsePkcs1PrivateKey(block.bytes));
    else if (block.type === 'PRIVATE KEY') keys.push(parsePkcs8PrivateKey(block.bytes));
    else if (block.type === 'EC PRIVATE KEY') keys.push(parseEcPrivateKey(block.bytes));
  }
  return keys;
}

function parsePrivateKeys(keys: unknown): Json {
  const name = 'crypto.parse_private_keys';
  const input = str(name, keys, 1);
  if (input === '') return null;
  return guarded(name, () => privateKeysFromPem(utf8(input)).map(privateKeyGoJson));
}

function parseRsaPrivateKey(pem: unknown): Json {
  const name = 'crypto.x509.parse_rsa_private_key';
  const input = str(name, pem, 1);
  if (input === '') throw builtinError(name, 'input PEM data was empty');
  return guarded(name, () => {
    const keys = privateKeysFromPem(input.startsWith('-----BEGIN') ? utf8(input) : base64(input));
    const first = keys[0];
    if (first === undefined) return null;
    const jwk = privateKeyOpaJwk(first);
    if ('error' in jwk && typeof jwk.error === 'string') throw new CryptoError(jwk.error);
    return jwk;
  });
}

/** tls's parsePrivateKey: PKCS #1, then PKCS #8 (RSA, ECDSA, Ed25519 only), then SEC 1. */
function tlsPrivateKey(der: Buffer): PrivateKey {
  const attempt = (f: () => PrivateKey): PrivateKey | undefined => {
    try {
      return f();
    } catch (err) {
      if (err instanceof Asn1Error) return undefined;
      throw err;
    }
  };
  const pkcs1 = attempt(() => parsePkcs1PrivateKey(der));
  if (pkcs1 !== undefined) return pkcs1;
  const pkcs8 = attempt(() => parsePkcs8PrivateKey(der));
  if (pkcs8 !== undefined) {
    if (pkcs8.kind === 'x25519')
      throw new CryptoError('tls: found unknown private key type in PKCS#8 wrapping');
    return pkcs8;
  }
  const ec = attempt(() => parseEcPrivateKey(der));
  if (ec !== undefined) return ec;
  throw new CryptoError('tls: failed to parse private key');
}

/** tls.X509KeyPair. */
function x509KeyPair(certPem: Buffer, keyPem: Buffer): JsonObject {
  const certs: Buffer[] = [];
  let skipped: string[] = [];
  for (const block of pemBlocks(certPem)) {
    if (block.type === 'CERTIFICATE') certs.push(block.bytes);
    else skipped.push(block.type);
  }
  if (certs.length === 0) {
    if (skipped.length === 0) throw new CryptoError('tls: failed to find any PEM data in certificate input');
    if (skipped.length === 1 && skipped[0]!.endsWith('PRIVATE KEY')) {
      throw new CryptoError(
        'tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched',
      );
    }
    throw new CryptoError(
      `tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of the following types: [${skipped.join(' ')}]`,
    );
  }
  skipped = [];
  let keyBlock: PemBlock | undefined;
  let rest = keyPem;
  for (;;) {
    const r = pemDecode(rest);
    if (r === undefined) {
      if (skipped.length === 0) throw new CryptoError('tls: failed to find any PEM data in key input');
      if (skipped.length === 1 && skipped[0] === 'CERTIFICATE') {
        throw new CryptoError('tls: found a certificate rather than a key in the PEM for the private key');
      }
      throw new CryptoError(
        `tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM blocks of the following types: [${skipped.join(' ')}]`,
      );
    }
    rest = r.rest;
    if (r.block.type === 'PRIVATE KEY' || r.block.type.endsWith(' PRIVATE KEY')) {
      keyBlock = r.block;
      break;
    }
    skipped.push(r.block.type);
  }
  const leaf = parseOneCertificate(certs[0]!);
  const key = tlsPrivateKey(keyBlock.bytes);
  const pub = leaf.publicKey?.key;
  if (pub === undefined || pub.kind === 'dsa') throw new CryptoError('tls: unknown public key algorithm');
  if (pub.kind !== key.kind) throw new CryptoError('tls: private key type does not match public key type');
  const matches =
    (pub.kind === 'rsa' && key.kind === 'rsa' && pub.n === key.n) ||
    (pub.kind === 'ecdsa' && key.kind === 'ecdsa' && pub.x === key.x && pub.y === key.y) ||
    (pub.kind === 'ed25519' && key.kind === 'ed25519' && pub.bytes.equals(key.publicKey));
  if (!matches) throw new CryptoError('tls: private key does not match public key');
  return {
    Certificate: certs.map((c) => c.toString('base64')),
    PrivateKey: privateKeyGoJson(key),
    SupportedSignatureAlgorithms: null,
    OCSPStaple: null,
    SignedCertificateTimestamps: null,
    Leaf: certificateJson(leaf, { uriStrings: false }),
  };
}

const PEM_BEGIN = utf8('-----BEGIN ');

function parseKeyPair(cert: unknown, key: unknown): Json {
  const name = 'crypto.x509.parse_keypair';
  const certText = str(name, cert, 1);
  // OPA names the key operand 1 as well when it is not a string.
  if (typeof key !== 'string') {
    throw new BuiltinError(name, 'eval_type_error', `operand 1 must be string but got ${typeName(key)}`);
  }
  return guarded(name, () => {
    let certPem: Buffer = utf8(certText);
    let keyPem: Buffer = utf8(key);
    if (!certPem.subarray(0, PEM_BEGIN.length).equals(PEM_BEGIN)) certPem = base64(certText);
    if (!keyPem.subarray(0, PEM_BEGIN.length).equals(PEM_BEGIN)) keyPem = base64(key);
    // What is still not PEM is taken for DER, and wrapped as Go's pem.Encode would.
    if (!certPem.subarray(0, PEM_BEGIN.length).equals(PEM_BEGIN)) certPem = pemEncode('CERTIFICATE', certPem);
    if (!keyPem.subarray(0, BEGIN.length).equals(BEGIN)) keyPem = pemEncode('PRIVATE KEY', keyPem);
    return x509KeyPair(certPem, keyPem);
  });
}

function pemEncode(type: string, der: Buffer): Buffer {
  const body = der.toString('base64').replace(/.{64}/g, '$&\n');
  return utf8(
    `-----BEGIN ${type}-----\n${body}${body.endsWith('\n') || body === '' ? '' : '\n'}-----END ${type}-----\n`,
  );
}

export const X509_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['crypto.x509.parse_certificates', parseCertificatesBuiltin],
  ['crypto.x509.parse_and_verify_certificates', parseAndVerify],
  ['crypto.x509.parse_and_verify_certificates_with_options', parseAndVerifyWithOptions],
  ['crypto.x509.parse_certificate_request', parseCertificateRequestBuiltin],
  ['crypto.x509.parse_keypair', parseKeyPair],
  ['crypto.x509.parse_rsa_private_key', parseRsaPrivateKey],
  ['crypto.parse_private_keys', parsePrivateKeys],
]);
