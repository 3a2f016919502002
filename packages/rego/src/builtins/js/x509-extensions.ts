/**
 * X.509 v3 extensions as crypto/x509's processExtensions reads them into a Certificate
 * (parser.go), with Go's error texts. Slices Go leaves nil stay null, as Go's JSON writes
 * them.
 */
import type { Json } from './args.js';
import {
  Asn1Error,
  bitAt,
  context,
  Der,
  decodeInteger,
  decodeOid,
  isIA5,
  oidString,
  readBitString,
  readBoolean,
  readInteger,
  readOid,
  TAG,
} from './der.js';
import { type GoUrl, parseGoUrl, UrlError } from './go-url.js';
import { parseIp } from './ip.js';

export interface Extension {
  readonly id: number[];
  readonly critical: boolean;
  readonly value: Buffer;
}

export interface IpNet {
  readonly ip: Buffer;
  readonly mask: Buffer;
}

/** The Certificate fields extensions fill in; null where Go leaves a slice nil. */
export interface ExtensionFields {
  keyUsage: number;
  basicConstraintsValid: boolean;
  isCA: boolean;
  maxPathLen: number;
  maxPathLenZero: boolean;
  subjectKeyId: Buffer | null;
  authorityKeyId: Buffer | null;
  ocspServer: string[] | null;
  issuingCertificateUrl: string[] | null;
  dnsNames: string[] | null;
  emailAddresses: string[] | null;
  ipAddresses: Buffer[] | null;
  uris: GoUrl[] | null;
  permittedDnsDomainsCritical: boolean;
  permittedDnsDomains: string[] | null;
  excludedDnsDomains: string[] | null;
  permittedIpRanges: IpNet[] | null;
  excludedIpRanges: IpNet[] | null;
  permittedEmailAddresses: string[] | null;
  excludedEmailAddresses: string[] | null;
  permittedUriDomains: string[] | null;
  excludedUriDomains: string[] | null;
  crlDistributionPoints: string[] | null;
  policyIdentifiers: number[][] | null;
  policies: string[] | null;
  inhibitAnyPolicy: number;
  inhibitAnyPolicyZero: boolean;
  inhibitPolicyMapping: number;
  inhibitPolicyMappingZero: boolean;
  requireExplicitPolicy: number;
  requireExplicitPolicyZero: boolean;
  policyMappings: { issuer: string; subject: string }[] | null;
  extKeyUsage: number[] | null;
  unknownExtKeyUsage: number[][] | null;
  unhandledCriticalExtensions: number[][] | null;
  /** The raw SubjectAltName extension value, which chain building compares. */
  san: Buffer | undefined;
  hasNameConstraints: boolean;
}

export function emptyExtensionFields(): ExtensionFields {
  return {
    keyUsage: 0,
    basicConstraintsValid: false,
    isCA: false,
    maxPathLen: 0,
    maxPathLenZero: false,
    subjectKeyId: null,
    authorityKeyId: null,
    ocspServer: null,
    issuingCertificateUrl: null,
    dnsNames: null,
    emailAddresses: null,
    ipAddresses: null,
    uris: null,
    permittedDnsDomainsCritical: false,
    permittedDnsDomains: null,
    excludedDnsDomains: null,
    permittedIpRanges: null,
    excludedIpRanges: null,
    permittedEmailAddresses: null,
    excludedEmailAddresses: null,
    permittedUriDomains: null,
    excludedUriDomains: null,
    crlDistributionPoints: null,
    policyIdentifiers: null,
    policies: null,
    inhibitAnyPolicy: 0,
    inhibitAnyPolicyZero: false,
    inhibitPolicyMapping: 0,
    inhibitPolicyMappingZero: false,
    requireExplicitPolicy: 0,
    requireExplicitPolicyZero: false,
    policyMappings: null,
    extKeyUsage: null,
    unknownExtKeyUsage: null,
    unhandledCriticalExtensions: null,
    san: undefined,
    hasNameConstraints: false,
  };
}

/** x509.ExtKeyUsage values by OID (x509.go's extKeyUsageOIDs). */
export const EXT_KEY_USAGE: ReadonlyMap<string, number> = new Map([
  ['2.5.29.37.0', 0],
  ['1.3.6.1.5.5.7.3.1', 1],
  ['1.3.6.1.5.5.7.3.2', 2],
  ['1.3.6.1.5.5.7.3.3', 3],
  ['1.3.6.1.5.5.7.3.4', 4],
  ['1.3.6.1.5.5.7.3.5', 5],
  ['1.3.6.1.5.5.7.3.6', 6],
  ['1.3.6.1.5.5.7.3.7', 7],
  ['1.3.6.1.5.5.7.3.8', 8],
  ['1.3.6.1.5.5.7.3.9', 9],
  ['1.3.6.1.4.1.311.10.3.3', 10],
  ['2.16.840.1.113730.4.1', 11],
  ['1.3.6.1.4.1.311.2.1.22', 12],
  ['1.3.6.1.4.1.311.61.1.1', 13],
]);

const fail = (msg: string): never => {
  throw new Asn1Error(msg);
};

const push = <T>(list: T[] | null, v: T): T[] => {
  const out = list ?? [];
  out.push(v);
  return out;
};

/** A Go %q of ASCII-ish text (close enough for error messages). */
const quote = (s: string) => JSON.stringify(s);

const notIA5 = (value: Buffer) =>
  `x509: invalid constraint value: x509: ${quote(value.toString())} cannot be encoded as an IA5String`;

/**
 * domainToReverseLabels from crypto/x509/verify.go: labels right to left, or undefined for
 * empty labels, a trailing dot, or bytes outside 33-126.
 */
export function domainToReverseLabels(domain: string): string[] | undefined {
  const labels: string[] = [];
  let rest = domain;
  while (rest.length > 0) {
    const i = rest.lastIndexOf('.');
    if (i < 0) {
      labels.push(rest);
      rest = '';
    } else {
      labels.push(rest.slice(i + 1));
      rest = rest.slice(0, i);
      if (i === 0) labels.push('');
    }
  }
  if (labels.length > 0 && labels[0]!.length === 0) return undefined;
  for (const label of labels) {
    if (label.length === 0) return undefined;
    for (const c of Buffer.from(label, 'utf8')) if (c < 33 || c > 126) return undefined;
  }
  return labels;
}

/** GeneralName tags (context-specific, primitive) crypto/x509 reads. */
const NAME_EMAIL = 1;
const NAME_DNS = 2;
const NAME_URI = 6;
const NAME_IP = 7;

/** forEachSAN: each GeneralName's tag number (for primitive context tags) and content. */
export function forEachSan(value: Buffer, f: (tag: number, data: Buffer) => void): void {
  const seq = new Der(value).read(TAG.SEQUENCE) ?? fail('x509: invalid subject alternative names');
  const d = new Der(seq);
  while (!d.empty) {
    const el = d.readAny() ?? fail('x509: invalid subject alternative name');
    f(el.tag ^ 0x80, el.content);
  }
}

export interface SanNames {
  dnsNames: string[] | null;
  emailAddresses: string[] | null;
  ipAddresses: Buffer[] | null;
  uris: GoUrl[] | null;
}

/** parseSANExtension. */
export function parseSan(value: Buffer): SanNames {
  const out: SanNames = { dnsNames: null, emailAddresses: null, ipAddresses: null, uris: null };
  forEachSan(value, (tag, data) => {
    switch (tag) {
      case NAME_EMAIL:
        if (!isIA5(data)) fail('x509: SAN rfc822Name is malformed');
        out.emailAddresses = push(out.emailAddresses, data.toString('latin1'));
        break;
      case NAME_DNS:
        if (!isIA5(data)) fail('x509: SAN dNSName is malformed');
        out.dnsNames = push(out.dnsNames, data.toString('latin1'));
        break;
      case NAME_URI: {
        if (!isIA5(data)) fail('x509: SAN uniformResourceIdentifier is malformed');
        const s = data.toString('latin1');
        let uri: GoUrl;
        try {
          uri = parseGoUrl(s);
        } catch (err) {
          if (err instanceof UrlError) fail(`x509: cannot parse URI ${quote(s)}: ${err.message}`);
          throw err;
        }
        if (uri.host.length > 0 && domainToReverseLabels(uri.host) === undefined) {
          fail(`x509: cannot parse URI ${quote(s)}: invalid domain`);
        }
        out.uris = push(out.uris, uri);
        break;
      }
      case NAME_IP:
        if (data.length !== 4 && data.length !== 16)
          fail(`x509: cannot parse IP address of length ${data.length}`);
        out.ipAddresses = push(out.ipAddresses, data);
        break;
    }
  });
  return out;
}

function isValidIpMask(mask: Buffer): boolean {
  let seenZero = false;
  for (const b of mask) {
    if (seenZero) {
      if (b !== 0) return false;
      continue;
    }
    if ([0x00, 0x80, 0xc0, 0xe0, 0xf0, 0xf8, 0xfc, 0xfe].includes(b)) seenZero = true;
    else if (b !== 0xff) return false;
  }
  return true;
}

/** RFC 5321 mailbox as far as crypto/x509 needs it: a local part and a domain. */
export function parseMailbox(s: string): { local: string; domain: string } | undefined {
  const at = s.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (local.length > 64 || domainToReverseLabels(domain) === undefined) return undefined;
  return { local, domain };
}

interface Subtrees {
  dns: string[] | null;
  ips: IpNet[] | null;
  emails: string[] | null;
  uriDomains: string[] | null;
}

/** parseNameConstraintsExtension; true when some constraint type went unread. */
function parseNameConstraints(out: ExtensionFields, e: Extension): boolean {
  const outer = new Der(e.value);
  const top = outer.read(TAG.SEQUENCE);
  if (top === undefined || !outer.empty) fail('x509: invalid NameConstraints extension');
  const t = new Der(top!);
  const permitted = t.readOptional(context(0, true));
  const excluded = t.readOptional(context(1, true));
  if (permitted === undefined || excluded === undefined || !t.empty)
    fail('x509: invalid NameConstraints extension');
  if (
    (permitted === null && excluded === null) ||
    ((permitted?.length ?? 0) === 0 && (excluded?.length ?? 0) === 0)
  ) {
    fail('x509: empty name constraints extension');
  }
  let unhandled = false;
  const values = (subtrees: Buffer | null | undefined): Subtrees => {
    const r: Subtrees = { dns: null, ips: null, emails: null, uriDomains: null };
    if (subtrees === null || subtrees === undefined) return r;
    const d = new Der(subtrees);
    while (!d.empty) {
      const seq = d.read(TAG.SEQUENCE);
      const el = seq === undefined ? undefined : new Der(seq).readAny();
      if (el === undefined) return fail('x509: invalid NameConstraints extension');
      const value = el.content;
      switch (el.tag) {
        case context(NAME_DNS): {
          if (!isIA5(value)) fail(notIA5(value));
          const domain = value.toString('latin1');
          const trimmed = domain.startsWith('.') ? domain.slice(1) : domain;
          if (domainToReverseLabels(trimmed) === undefined) {
            fail(`x509: failed to parse dnsName constraint ${quote(domain)}`);
          }
          r.dns = push(r.dns, domain);
          break;
        }
        case context(NAME_IP): {
          if (value.length !== 8 && value.length !== 32) {
            fail(`x509: IP constraint contained value of length ${value.length}`);
          }
          const half = value.length / 2;
          const mask = value.subarray(half);
          if (!isValidIpMask(mask))
            fail(`x509: IP constraint contained invalid mask ${mask.toString('hex')}`);
          r.ips = push(r.ips, { ip: value.subarray(0, half), mask });
          break;
        }
        case context(NAME_EMAIL): {
          if (!isIA5(value)) fail(notIA5(value));
          const constraint = value.toString('latin1');
          if (constraint.includes('@')) {
            if (parseMailbox(constraint) === undefined) {
              fail(`x509: failed to parse rfc822Name constraint ${quote(constraint)}`);
            }
          } else {
            const domain = constraint.startsWith('.') ? constraint.slice(1) : constraint;
            if (domainToReverseLabels(domain) === undefined) {
              fail(`x509: failed to parse rfc822Name constraint ${quote(constraint)}`);
            }
          }
          r.emails = push(r.emails, constraint);
          break;
        }
        case context(NAME_URI): {
          if (!isIA5(value)) fail(notIA5(value));
          const domain = value.toString('latin1');
          if (parseIp(domain) !== undefined) {
            fail(`x509: failed to parse URI constraint ${quote(domain)}: cannot be IP address`);
          }
          const trimmed = domain.startsWith('.') ? domain.slice(1) : domain;
          if (domainToReverseLabels(trimmed) === undefined)
            fail(`x509: failed to parse URI constraint ${quote(domain)}`);
          r.uriDomains = push(r.uriDomains, domain);
          break;
        }
        default:
          unhandled = true;
      }
    }
    return r;
  };
  const p = values(permitted);
  const x = values(excluded);
  out.permittedDnsDomains = p.dns;
  out.permittedIpRanges = p.ips;
  out.permittedEmailAddresses = p.emails;
  out.permittedUriDomains = p.uriDomains;
  out.excludedDnsDomains = x.dns;
  out.excludedIpRanges = x.ips;
  out.excludedEmailAddresses = x.emails;
  out.excludedUriDomains = x.uriDomains;
  out.permittedDnsDomainsCritical = e.critical;
  out.hasNameConstraints = true;
  return unhandled;
}

/** ReadASN1Int64WithTag for the implicitly tagged policy constraint counts. */
function readTaggedInt(d: Der, tag: number, what: string): number {
  const c = d.read(tag) ?? fail('x509: invalid policy constraints extension');
  const v = decodeInteger(c);
  if (v === undefined || v > 0x7fffffffffffffffn || v < -0x8000000000000000n) {
    return fail('x509: invalid policy constraints extension');
  }
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    return fail(`x509: policy constraints ${what} field overflows int`);
  }
  return Number(v);
}

function oidText(der: Buffer): string {
  const arcs = decodeOid(der);
  return arcs === undefined ? '' : oidString(arcs);
}

const OID_AIA = '1.3.6.1.5.5.7.1.1';
const OID_AIA_OCSP = '1.3.6.1.5.5.7.48.1';
const OID_AIA_ISSUERS = '1.3.6.1.5.5.7.48.2';

/** processExtensions. */
export function processExtensions(out: ExtensionFields, extensions: readonly Extension[]): void {
  for (const e of extensions) {
    let unhandled = false;
    const id = e.id;
    if (id.length === 4 && id[0] === 2 && id[1] === 5 && id[2] === 29) {
      switch (id[3]) {
        case 15: {
          const bits = readBitString(new Der(e.value)) ?? fail('x509: invalid key usage');
          let usage = 0;
          for (let i = 0; i < 9; i++) if (bitAt(bits, i)) usage |= 1 << i;
          out.keyUsage = usage;
          break;
        }
        case 19: {
          const seq = new Der(e.value).read(TAG.SEQUENCE) ?? fail('x509: invalid basic constraints');
          const d = new Der(seq);
          let isCA = false;
          if (d.peek(TAG.BOOLEAN)) isCA = readBoolean(d) ?? fail('x509: invalid basic constraints');
          let maxPathLen = -1;
          if (d.peek(TAG.INTEGER)) {
            const v = readInteger(d);
            if (v === undefined || v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) {
              fail('x509: invalid basic constraints');
            }
            maxPathLen = Number(v);
          }
          out.isCA = isCA;
          out.maxPathLen = maxPathLen;
          out.basicConstraintsValid = true;
          out.maxPathLenZero = maxPathLen === 0;
          break;
        }
        case 17: {
          const san = parseSan(e.value);
          out.dnsNames = san.dnsNames;
          out.emailAddresses = san.emailAddresses;
          out.ipAddresses = san.ipAddresses;
          out.uris = san.uris;
          out.san = e.value;
          // Nothing read: the critical check below applies.
          if (
            san.dnsNames === null &&
            san.emailAddresses === null &&
            san.ipAddresses === null &&
            san.uris === null
          ) {
            unhandled = true;
          }
          break;
        }
        case 30:
          unhandled = parseNameConstraints(out, e);
          break;
        case 31: {
          const seq = new Der(e.value).read(TAG.SEQUENCE) ?? fail('x509: invalid CRL distribution points');
          const d = new Der(seq);
          while (!d.empty) {
            const dp = d.read(TAG.SEQUENCE) ?? fail('x509: invalid CRL distribution point');
            const dpd = new Der(dp);
            const name = dpd.readOptional(context(0, true));
            if (name === undefined) fail('x509: invalid CRL distribution point');
            if (name === null) continue;
            const full =
              new Der(name!).read(context(0, true)) ?? fail('x509: invalid CRL distribution point');
            const names = new Der(full);
            while (!names.empty && names.peek(context(6))) {
              const uri = names.read(context(6)) ?? fail('x509: invalid CRL distribution point');
              out.crlDistributionPoints = push(out.crlDistributionPoints, uri.toString('latin1'));
            }
          }
          break;
        }
        case 35: {
          if (e.critical) fail('x509: authority key identifier incorrectly marked critical');
          const akid = new Der(e.value).read(TAG.SEQUENCE) ?? fail('x509: invalid authority key identifier');
          const d = new Der(akid);
          if (d.peek(context(0)))
            out.authorityKeyId = d.read(context(0)) ?? fail('x509: invalid authority key identifier');
          else out.authorityKeyId = null;
          break;
        }
        case 36: {
          const seq =
            new Der(e.value).read(TAG.SEQUENCE) ?? fail('x509: invalid policy constraints extension');
          const d = new Der(seq);
          if (d.peek(context(0))) {
            out.requireExplicitPolicy = readTaggedInt(d, context(0), 'requireExplicitPolicy');
            out.requireExplicitPolicyZero = out.requireExplicitPolicy === 0;
          }
          if (d.peek(context(1))) {
            out.inhibitPolicyMapping = readTaggedInt(d, context(1), 'inhibitPolicyMapping');
            out.inhibitPolicyMappingZero = out.inhibitPolicyMapping === 0;
          }
          break;
        }
        case 37: {
          const seq = new Der(e.value).read(TAG.SEQUENCE) ?? fail('x509: invalid extended key usages');
          const d = new Der(seq);
          let known: number[] | null = null;
          let unknown: number[][] | null = null;
          while (!d.empty) {
            const oid = readOid(d) ?? fail('x509: invalid extended key usages');
            const eku = EXT_KEY_USAGE.get(oid.join('.'));
            if (eku === undefined) unknown = push(unknown, oid);
            else known = push(known, eku);
          }
          out.extKeyUsage = known;
          out.unknownExtKeyUsage = unknown;
          break;
        }
        case 14: {
          if (e.critical) fail('x509: subject key identifier incorrectly marked critical');
          out.subjectKeyId =
            new Der(e.value).read(TAG.OCTET_STRING) ?? fail('x509: invalid subject key identifier');
          break;
        }
        case 32: {
          const seq = new Der(e.value).read(TAG.SEQUENCE) ?? fail('x509: invalid certificate policies');
          const d = new Der(seq);
          const seen = new Set<string>();
          const policies: string[] = [];
          const identifiers: number[][] = [];
          while (!d.empty) {
            const cp = d.read(TAG.SEQUENCE);
            const oidDer = cp === undefined ? undefined : new Der(cp).read(TAG.OID);
            if (oidDer === undefined) throw new Asn1Error('x509: invalid certificate policies');
            const key = oidDer.toString('hex');
            if (seen.has(key)) fail('x509: invalid certificate policies');
            seen.add(key);
            const arcs = decodeOid(oidDer) ?? fail('x509: invalid certificate policies');
            policies.push(oidString(arcs));
            // asn1.ObjectIdentifier arcs are ints; larger policy OIDs only appear in Policies.
            if (arcs.every((a) => a <= 0x7fffffffn)) identifiers.push(arcs.map(Number));
          }
          out.policies = policies.length === 0 ? null : policies;
          out.policyIdentifiers = identifiers;
          break;
        }
        case 33: {
          const seq = new Der(e.value).read(TAG.SEQUENCE) ?? fail('x509: invalid policy mappings extension');
          const d = new Der(seq);
          while (!d.empty) {
            const m = d.read(TAG.SEQUENCE);
            const md = m === undefined ? undefined : new Der(m);
            const issuer = md?.read(TAG.OID);
            const subject = md?.read(TAG.OID);
            if (issuer === undefined || subject === undefined) {
              throw new Asn1Error('x509: invalid policy mappings extension');
            }
            out.policyMappings = push(out.policyMappings, {
              issuer: oidText(issuer),
              subject: oidText(subject),
            });
          }
          break;
        }
        case 54: {
          const v = readInteger(new Der(e.value));
          if (v === undefined || v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
            fail('x509: invalid inhibit any policy extension');
          }
          out.inhibitAnyPolicy = Number(v);
          out.inhibitAnyPolicyZero = out.inhibitAnyPolicy === 0;
          break;
        }
        default:
          unhandled = true;
      }
    } else if (oidString(id) === OID_AIA) {
      if (e.critical) fail('x509: authority info access incorrectly marked critical');
      const seq = new Der(e.value).read(TAG.SEQUENCE) ?? fail('x509: invalid authority info access');
      const d = new Der(seq);
      while (!d.empty) {
        const aia = d.read(TAG.SEQUENCE) ?? fail('x509: invalid authority info access');
        const ad = new Der(aia);
        const method = readOid(ad) ?? fail('x509: invalid authority info access');
        if (!ad.peek(context(6))) continue;
        const loc = (ad.read(context(6)) ?? fail('x509: invalid authority info access')).toString('latin1');
        const m = oidString(method);
        if (m === OID_AIA_OCSP) out.ocspServer = push(out.ocspServer, loc);
        else if (m === OID_AIA_ISSUERS) out.issuingCertificateUrl = push(out.issuingCertificateUrl, loc);
      }
    } else {
      unhandled = true;
    }
    if (e.critical && unhandled) out.unhandledCriticalExtensions = push(out.unhandledCriticalExtensions, id);
  }
}

/** Go's JSON of a pkix.Extension. */
export const extensionJson = (e: Extension): Json => ({
  Id: e.id,
  Critical: e.critical,
  Value: e.value.toString('base64'),
});
