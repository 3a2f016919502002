/**
 * X.509 certificates as crypto/x509's ParseCertificates reads them (parser.go), and the JSON
 * Go's encoding/json writes for a *x509.Certificate: every exported field under its Go name,
 * []byte as base64, *big.Int as an exact number, time.Time as RFC 3339, nil slices as null.
 */
import type { Json, JsonObject } from './args.js';
import {
  Asn1Error,
  Der,
  decodeGeneralizedTime,
  decodeUtcTime,
  type GoTime,
  readBitString,
  readBoolean,
  readInteger,
  readOid,
  TAG,
} from './der.js';
import { goUrlJson, goUrlString } from './go-url.js';
import { formatIp } from './ip.js';
import { nameJson, parseRdnSequence } from './pkix-name.js';
import {
  type AlgorithmIdentifier,
  PK,
  parseAlgorithmIdentifier,
  publicKeyAlgorithmFromOid,
  signatureAlgorithmFromAI,
} from './x509-algorithms.js';
import {
  type Extension,
  type ExtensionFields,
  emptyExtensionFields,
  extensionJson,
  type IpNet,
  processExtensions,
} from './x509-extensions.js';
import { type ParsedPublicKey, parsePublicKey, rightAlign } from './x509-public-key.js';

export interface Certificate {
  readonly raw: Buffer;
  readonly rawTbs: Buffer;
  readonly rawSpki: Buffer;
  readonly rawSubject: Buffer;
  readonly rawIssuer: Buffer;
  readonly signature: Buffer;
  readonly signatureAlgorithm: number;
  readonly publicKeyAlgorithm: number;
  /** Undefined when the algorithm is one Go does not parse (PublicKey is then nil). */
  readonly publicKey: ParsedPublicKey | undefined;
  readonly version: number;
  readonly serialNumber: bigint;
  readonly issuer: JsonObject;
  readonly subject: JsonObject;
  readonly notBefore: GoTime;
  readonly notAfter: GoTime;
  readonly extensions: Extension[] | null;
  readonly ext: ExtensionFields;
}

const fail = (msg: string): never => {
  throw new Asn1Error(msg);
};

function algorithm(content: Buffer): AlgorithmIdentifier {
  const ai = parseAlgorithmIdentifier(content);
  if ('error' in ai) return fail(ai.error);
  return ai;
}

function name(raw: Buffer): JsonObject {
  const rdns = parseRdnSequence(raw);
  if ('error' in rdns) return fail(rdns.error);
  return nameJson(rdns);
}

function time(d: Der): GoTime {
  if (d.peek(TAG.UTC_TIME)) {
    const t = decodeUtcTime(d.read(TAG.UTC_TIME) ?? fail('x509: malformed UTCTime'));
    return t ?? fail('x509: malformed UTCTime');
  }
  if (d.peek(TAG.GENERALIZED_TIME)) {
    const t = decodeGeneralizedTime(d.read(TAG.GENERALIZED_TIME) ?? fail('x509: malformed GeneralizedTime'));
    return t ?? fail('x509: malformed GeneralizedTime');
  }
  return fail('x509: unsupported time format');
}

function parseExtension(content: Buffer): Extension {
  const d = new Der(content);
  const id = readOid(d) ?? fail('x509: malformed extension OID field');
  let critical = false;
  if (d.peek(TAG.BOOLEAN)) critical = readBoolean(d) ?? fail('x509: malformed extension critical field');
  const value = d.read(TAG.OCTET_STRING) ?? fail('x509: malformed extension value field');
  return { id, critical, value };
}

/** parseCertificate: the first certificate in `der` (which may hold more after it). */
export function parseCertificate(der: Buffer): Certificate {
  const outer = new Der(der);
  const rawEl = outer.readElement(TAG.SEQUENCE) ?? fail('x509: malformed certificate');
  const input = new Der(rawEl.content);
  const tbsEl = input.readElement(TAG.SEQUENCE) ?? fail('x509: malformed tbs certificate');
  const tbs = new Der(tbsEl.content);

  let version = 0;
  if (tbs.peek(0xa0)) {
    const v = new Der(tbs.read(0xa0) ?? fail('x509: malformed version'));
    const n = readInteger(v);
    if (n === undefined || !v.empty || n > 0x7fffffffn) fail('x509: malformed version');
    version = Number(n);
  }
  if (version < 0) fail('x509: malformed version');
  // Go's Version is one-based, where the encoding is zero-based.
  version++;
  if (version > 3) fail('x509: invalid version');

  const serialNumber = readInteger(tbs) ?? fail('x509: malformed serial number');
  if (serialNumber < 0n) fail('x509: negative serial number');

  const sigAI = tbs.read(TAG.SEQUENCE) ?? fail('x509: malformed signature algorithm identifier');
  const outerSigAI = input.read(TAG.SEQUENCE) ?? fail('x509: malformed algorithm identifier');
  if (!outerSigAI.equals(sigAI)) fail("x509: inner and outer signature algorithm identifiers don't match");
  const signatureAlgorithm = signatureAlgorithmFromAI(algorithm(sigAI));

  const rawIssuer = tbs.readElement(TAG.SEQUENCE)?.full ?? fail('x509: malformed issuer');
  const issuer = name(rawIssuer);
  const validity = new Der(tbs.read(TAG.SEQUENCE) ?? fail('x509: malformed validity'));
  const notBefore = time(validity);
  const notAfter = time(validity);
  // Go's message for a malformed subject says issuer too.
  const rawSubject = tbs.readElement(TAG.SEQUENCE)?.full ?? fail('x509: malformed issuer');
  const subject = name(rawSubject);

  const spkiEl = tbs.readElement(TAG.SEQUENCE) ?? fail('x509: malformed spki');
  const spki = new Der(spkiEl.content);
  const pkAI = algorithm(spki.read(TAG.SEQUENCE) ?? fail('x509: malformed public key algorithm identifier'));
  const publicKeyAlgorithm = publicKeyAlgorithmFromOid(pkAI.oid);
  const spk = readBitString(spki) ?? fail('x509: malformed subjectPublicKey');
  let publicKey: ParsedPublicKey | undefined;
  if (publicKeyAlgorithm !== PK.Unknown) {
    const parsed = parsePublicKey(pkAI, spk, spkiEl.full);
    if ('error' in parsed) fail(parsed.error);
    publicKey = parsed as ParsedPublicKey;
  }

  let extensions: Extension[] | null = null;
  const ext = emptyExtensionFields();
  if (version > 1) {
    if (tbs.peek(0x81) && tbs.read(0x81) === undefined) fail('x509: malformed issuerUniqueID');
    if (tbs.peek(0x82) && tbs.read(0x82) === undefined) fail('x509: malformed subjectUniqueID');
    if (version === 3) {
      const present = tbs.readOptional(0xa3);
      if (present === undefined) fail('x509: malformed extensions');
      if (present !== null) {
        const seq = new Der(present!).read(TAG.SEQUENCE) ?? fail('x509: malformed extensions');
        const d = new Der(seq);
        const seen = new Set<string>();
        extensions = [];
        while (!d.empty) {
          const e = parseExtension(d.read(TAG.SEQUENCE) ?? fail('x509: malformed extension'));
          const key = e.id.join('.');
          if (seen.has(key))
            fail(`x509: certificate contains duplicate extension with OID ${JSON.stringify(key)}`);
          seen.add(key);
          extensions.push(e);
        }
        if (extensions.length === 0) extensions = null;
        processExtensions(ext, extensions ?? []);
      }
    }
  }

  const sig = readBitString(input) ?? fail('x509: malformed signature');
  return {
    raw: rawEl.full,
    rawTbs: tbsEl.full,
    rawSpki: spkiEl.full,
    rawSubject,
    rawIssuer,
    signature: rightAlign(sig),
    signatureAlgorithm,
    publicKeyAlgorithm,
    publicKey,
    version,
    serialNumber,
    issuer,
    subject,
    notBefore,
    notAfter,
    extensions,
    ext,
  };
}

/** x509.ParseCertificates: DER certificates concatenated with nothing between them. */
export function parseCertificates(der: Buffer): Certificate[] {
  const out: Certificate[] = [];
  let rest = der;
  while (rest.length > 0) {
    const c = parseCertificate(rest);
    out.push(c);
    rest = rest.subarray(c.raw.length);
  }
  return out;
}

/** x509.ParseCertificate: exactly one certificate. */
export function parseOneCertificate(der: Buffer): Certificate {
  const c = parseCertificate(der);
  if (c.raw.length !== der.length) fail('x509: trailing data');
  return c;
}

const b64 = (b: Buffer | null): Json => (b === null ? null : b.toString('base64'));
/** net.IP's text form, as its MarshalText gives it. */
export const ipText = (ip: Buffer): string =>
  ip.length === 0 ? '' : formatIp(ip.length === 16, BigInt(`0x${ip.toString('hex')}`));
const ipNets = (nets: IpNet[] | null): Json =>
  nets === null ? null : nets.map((n) => ({ IP: ipText(n.ip), Mask: n.mask.toString('base64') }));

/**
 * Go's JSON of the certificate; `uriStrings` adds the `URIStrings` field OPA's
 * extendedCert carries (null when the certificate has no URIs, as OPA leaves it nil).
 */
export function certificateJson(c: Certificate, options: { uriStrings: boolean }): JsonObject {
  const e = c.ext;
  const out: JsonObject = {
    Raw: b64(c.raw),
    RawTBSCertificate: b64(c.rawTbs),
    RawSubjectPublicKeyInfo: b64(c.rawSpki),
    RawSubject: b64(c.rawSubject),
    RawIssuer: b64(c.rawIssuer),
    Signature: b64(c.signature),
    SignatureAlgorithm: c.signatureAlgorithm,
    PublicKeyAlgorithm: c.publicKeyAlgorithm,
    PublicKey: c.publicKey?.json ?? null,
    Version: c.version,
    SerialNumber: c.serialNumber,
    Issuer: c.issuer,
    Subject: c.subject,
    NotBefore: c.notBefore.json,
    NotAfter: c.notAfter.json,
    KeyUsage: e.keyUsage,
    Extensions: c.extensions === null ? null : c.extensions.map(extensionJson),
    ExtraExtensions: null,
    UnhandledCriticalExtensions: e.unhandledCriticalExtensions,
    ExtKeyUsage: e.extKeyUsage,
    UnknownExtKeyUsage: e.unknownExtKeyUsage,
    BasicConstraintsValid: e.basicConstraintsValid,
    IsCA: e.isCA,
    MaxPathLen: e.maxPathLen,
    MaxPathLenZero: e.maxPathLenZero,
    SubjectKeyId: b64(e.subjectKeyId),
    AuthorityKeyId: b64(e.authorityKeyId),
    OCSPServer: e.ocspServer,
    IssuingCertificateURL: e.issuingCertificateUrl,
    DNSNames: e.dnsNames,
    EmailAddresses: e.emailAddresses,
    IPAddresses: e.ipAddresses === null ? null : e.ipAddresses.map(ipText),
    URIs: e.uris === null ? null : e.uris.map(goUrlJson),
    PermittedDNSDomainsCritical: e.permittedDnsDomainsCritical,
    PermittedDNSDomains: e.permittedDnsDomains,
    ExcludedDNSDomains: e.excludedDnsDomains,
    PermittedIPRanges: ipNets(e.permittedIpRanges),
    ExcludedIPRanges: ipNets(e.excludedIpRanges),
    PermittedEmailAddresses: e.permittedEmailAddresses,
    ExcludedEmailAddresses: e.excludedEmailAddresses,
    PermittedURIDomains: e.permittedUriDomains,
    ExcludedURIDomains: e.excludedUriDomains,
    CRLDistributionPoints: e.crlDistributionPoints,
    PolicyIdentifiers: e.policyIdentifiers,
    Policies: e.policies,
    InhibitAnyPolicy: e.inhibitAnyPolicy,
    InhibitAnyPolicyZero: e.inhibitAnyPolicyZero,
    InhibitPolicyMapping: e.inhibitPolicyMapping,
    InhibitPolicyMappingZero: e.inhibitPolicyMappingZero,
    RequireExplicitPolicy: e.requireExplicitPolicy,
    RequireExplicitPolicyZero: e.requireExplicitPolicyZero,
    PolicyMappings:
      e.policyMappings === null
        ? null
        : e.policyMappings.map((m) => ({ IssuerDomainPolicy: m.issuer, SubjectDomainPolicy: m.subject })),
  };
  if (options.uriStrings) out.URIStrings = e.uris === null ? null : e.uris.map(goUrlString);
  return out;
}
