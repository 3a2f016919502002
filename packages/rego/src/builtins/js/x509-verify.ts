/**
 * Chain verification as Go's (*x509.Certificate).Verify does it (crypto/x509/verify.go), for
 * the pools OPA builds: the first certificate is the only root, the last the leaf, the rest
 * intermediates. Go gives reasons; OPA only asks whether some chain verified, so this answers
 * with the first chain found or undefined.
 *
 * Checked as Go checks them: validity periods, signatures (SHA-1 and MD5 refused, RSA keys
 * under 1024 bits refused), CA basic constraints and certSign key usage of issuers, path
 * length, unhandled critical extensions, DNS/IP/email/URI name constraints, the hostname,
 * and extended key usage (serverAuth unless told otherwise). Certificate policies are
 * checked only as far as requireExplicitPolicy needs a policy in common; policy mappings
 * and inhibitAnyPolicy are not applied.
 */
import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { parseGoUrl } from './go-url.js';
import { ipSpan, parseIp } from './ip.js';
import { PK, SIGNATURE_DETAILS } from './x509-algorithms.js';
import type { Certificate } from './x509-certificate.js';
import { domainToReverseLabels, forEachSan, type IpNet, parseMailbox } from './x509-extensions.js';
import { keyObject } from './x509-public-key.js';

export interface VerifyOptions {
  readonly dnsName?: string;
  /** Nanoseconds since the epoch; now when absent. */
  readonly currentTimeNs?: bigint;
  /** x509.ExtKeyUsage values; serverAuth when empty. */
  readonly keyUsages?: readonly number[];
  readonly maxConstraintComparisons?: number;
}

const KEY_USAGE_CERT_SIGN = 1 << 5;
const EKU_ANY = 0;
const EKU_SERVER_AUTH = 1;
const MAX_CHAIN_SIGNATURE_CHECKS = 100;
const ANY_POLICY = '2.5.29.32.0';

type CertType = 'leaf' | 'intermediate' | 'root';

class Pool {
  private readonly byName = new Map<string, Certificate[]>();
  private readonly all: Certificate[] = [];

  add(c: Certificate): void {
    if (this.contains(c)) return;
    this.all.push(c);
    const key = c.rawSubject.toString('hex');
    const list = this.byName.get(key) ?? [];
    list.push(c);
    this.byName.set(key, list);
  }

  contains(c: Certificate): boolean {
    return this.all.some((x) => x.raw.equals(c.raw));
  }

  /** Issuers by name, the likeliest first: key ids matching, then one missing, then not. */
  potentialParents(c: Certificate): Certificate[] {
    const match: Certificate[] = [];
    const one: Certificate[] = [];
    const mismatch: Certificate[] = [];
    const akid = c.ext.authorityKeyId ?? Buffer.alloc(0);
    for (const cand of this.byName.get(c.rawIssuer.toString('hex')) ?? []) {
      const skid = cand.ext.subjectKeyId ?? Buffer.alloc(0);
      if (skid.equals(akid)) match.push(cand);
      else if ((skid.length === 0 && akid.length > 0) || (skid.length > 0 && akid.length === 0))
        one.push(cand);
      else mismatch.push(cand);
    }
    return [...match, ...one, ...mismatch];
  }
}

const keys = new WeakMap<Certificate, KeyObject | undefined>();

function keyOf(c: Certificate): KeyObject | undefined {
  if (!keys.has(c)) keys.set(c, keyObject(c.rawSpki));
  return keys.get(c);
}

/** checkSignature with allowSHA1 false, as chain building calls it. */
function signatureValid(child: Certificate, parent: Certificate): boolean {
  const details = SIGNATURE_DETAILS.get(child.signatureAlgorithm);
  const pub = parent.publicKey?.key;
  if (details === undefined || pub === undefined) return false;
  if (details.hash === 'md2' || details.hash === 'md5' || details.hash === 'sha1') return false;
  const key = keyOf(parent);
  if (key === undefined) return false;
  try {
    switch (pub.kind) {
      case 'rsa':
        if (details.pk !== PK.RSA || pub.n.toString(2).length < 1024) return false;
        return cryptoVerify(
          details.hash,
          child.rawTbs,
          details.pss
            ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
            : { key, padding: constants.RSA_PKCS1_PADDING },
          child.signature,
        );
      case 'ecdsa':
        if (details.pk !== PK.ECDSA) return false;
        return cryptoVerify(details.hash, child.rawTbs, { key, dsaEncoding: 'der' }, child.signature);
      case 'ed25519':
        if (details.pk !== PK.Ed25519) return false;
        return cryptoVerify(null, child.rawTbs, key, child.signature);
      default:
        // Go no longer verifies DSA signatures.
        return false;
    }
  } catch {
    return false;
  }
}

/** CheckSignatureFrom: the parent must be allowed to sign certificates. */
function checkSignatureFrom(child: Certificate, parent: Certificate): boolean {
  const p = parent.ext;
  if ((parent.version === 3 && !p.basicConstraintsValid) || (p.basicConstraintsValid && !p.isCA))
    return false;
  if (p.keyUsage !== 0 && (p.keyUsage & KEY_USAGE_CERT_SIGN) === 0) return false;
  if (parent.publicKeyAlgorithm === PK.Unknown) return false;
  return signatureValid(child, parent);
}

function matchDomainConstraint(domain: string, constraint: string): boolean {
  // NSS, and Go after it, read an empty constraint as matching everything.
  if (constraint.length === 0) return true;
  const domainLabels = domainToReverseLabels(domain);
  if (domainLabels === undefined) throw new Error('cannot parse domain');
  let c = constraint;
  const mustHaveSubdomains = c.startsWith('.');
  if (mustHaveSubdomains) c = c.slice(1);
  const constraintLabels = domainToReverseLabels(c);
  if (constraintLabels === undefined) throw new Error('cannot parse constraint');
  if (
    domainLabels.length < constraintLabels.length ||
    (mustHaveSubdomains && domainLabels.length === constraintLabels.length)
  ) {
    return false;
  }
  return constraintLabels.every((l, i) => l.toLowerCase() === domainLabels[i]!.toLowerCase());
}

function matchIpConstraint(ip: Buffer, net: IpNet): boolean {
  if (ip.length !== net.ip.length) return false;
  for (let i = 0; i < ip.length; i++)
    if ((ip[i]! & net.mask[i]!) !== (net.ip[i]! & net.mask[i]!)) return false;
  return true;
}

/** checkNameConstraints: none excluded may match, and one permitted must if any are given. */
function constrained<T>(
  counter: { n: number; max: number },
  value: T,
  permitted: readonly unknown[] | null,
  excluded: readonly unknown[] | null,
  match: (value: T, constraint: never) => boolean,
): boolean {
  const ex = excluded ?? [];
  counter.n += ex.length;
  if (counter.n > counter.max) return false;
  for (const c of ex) if (match(value, c as never)) return false;
  const perm = permitted ?? [];
  counter.n += perm.length;
  if (counter.n > counter.max) return false;
  return perm.length === 0 || perm.some((c) => match(value, c as never));
}

function uriHost(raw: string): string {
  const host = parseGoUrl(raw).host;
  if (host.length === 0) throw new Error('URI with empty host');
  let h = host;
  if (h.includes(':') && !h.endsWith(']')) {
    const i = h.lastIndexOf(':');
    h = h.slice(0, i);
  }
  if (parseIp(h) !== undefined || (h.startsWith('[') && h.endsWith(']'))) throw new Error('URI with IP');
  return h;
}

/** The name-constraint part of isValid for a CA certificate `ca` over the chain so far. */
function nameConstraintsHold(ca: Certificate, chain: readonly Certificate[], opts: VerifyOptions): boolean {
  const e = ca.ext;
  const counter = { n: 0, max: opts.maxConstraintComparisons || 250_000 };
  try {
    for (const cert of chain) {
      if (cert.ext.san === undefined) continue;
      let ok = true;
      forEachSan(cert.ext.san, (tag, data) => {
        if (!ok) return;
        const name = data.toString('latin1');
        switch (tag) {
          case 1: {
            const mailbox = parseMailbox(name);
            if (mailbox === undefined) throw new Error('cannot parse rfc822Name');
            ok = constrained(
              counter,
              mailbox,
              e.permittedEmailAddresses,
              e.excludedEmailAddresses,
              (m, c: string) => {
                if (c.includes('@')) {
                  const cm = parseMailbox(c);
                  if (cm === undefined) throw new Error('cannot parse constraint');
                  return m.local === cm.local && m.domain.toLowerCase() === cm.domain.toLowerCase();
                }
                return matchDomainConstraint(m.domain, c);
              },
            );
            break;
          }
          case 2:
            if (domainToReverseLabels(name) === undefined) throw new Error('cannot parse dnsName');
            ok = constrained(
              counter,
              name,
              e.permittedDnsDomains,
              e.excludedDnsDomains,
              matchDomainConstraint,
            );
            break;
          case 6:
            ok = constrained(
              counter,
              name,
              e.permittedUriDomains,
              e.excludedUriDomains,
              (u: string, c: string) => matchDomainConstraint(uriHost(u), c),
            );
            break;
          case 7:
            if (data.length !== 4 && data.length !== 16) throw new Error('IP SAN failed to parse');
            ok = constrained(counter, data, e.permittedIpRanges, e.excludedIpRanges, matchIpConstraint);
            break;
        }
      });
      if (!ok) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function nowNs(opts: VerifyOptions): bigint {
  return opts.currentTimeNs ?? BigInt(Date.now()) * 1_000_000n;
}

/** isValid. */
function isValid(
  c: Certificate,
  type: CertType,
  chain: readonly Certificate[],
  opts: VerifyOptions,
): boolean {
  if (c.ext.unhandledCriticalExtensions !== null) return false;
  const child = chain[chain.length - 1];
  if (child !== undefined && !child.rawIssuer.equals(c.rawSubject)) return false;
  const now = nowNs(opts);
  if (now < c.notBefore.ns || now > c.notAfter.ns) return false;
  if (type !== 'leaf') {
    if (chain.length === 0) return false;
    if (c.ext.hasNameConstraints && !nameConstraintsHold(c, chain, opts)) return false;
  }
  if (type === 'intermediate' && (!c.ext.basicConstraintsValid || !c.ext.isCA)) return false;
  if (c.ext.basicConstraintsValid && c.ext.maxPathLen >= 0 && chain.length - 1 > c.ext.maxPathLen)
    return false;
  return true;
}

function alreadyInChain(candidate: Certificate, chain: readonly Certificate[]): boolean {
  for (const cert of chain) {
    if (!candidate.rawSubject.equals(cert.rawSubject)) continue;
    if (!candidate.rawSpki.equals(cert.rawSpki)) continue;
    const a = candidate.ext.san;
    const b = cert.ext.san;
    if (a === undefined && b === undefined) return true;
    if (a === undefined || b === undefined) return false;
    if (a.equals(b)) return true;
  }
  return false;
}

interface Pools {
  readonly roots: Pool;
  readonly intermediates: Pool;
}

function buildChains(
  chain: readonly Certificate[],
  pools: Pools,
  checks: { n: number },
  opts: VerifyOptions,
): Certificate[][] {
  const c = chain[chain.length - 1]!;
  const chains: Certificate[][] = [];
  const consider = (type: 'root' | 'intermediate', cand: Certificate) => {
    if (cand.publicKey === undefined || alreadyInChain(cand, chain)) return;
    if (++checks.n > MAX_CHAIN_SIGNATURE_CHECKS) return;
    if (!checkSignatureFrom(c, cand)) return;
    if (!isValid(cand, type, chain, opts)) return;
    if (type === 'root') chains.push([...chain, cand]);
    else chains.push(...buildChains([...chain, cand], pools, checks, opts));
  };
  for (const root of pools.roots.potentialParents(c)) consider('root', root);
  for (const mid of pools.intermediates.potentialParents(c)) consider('intermediate', mid);
  return chains;
}

function validHostname(host: string, isPattern: boolean): boolean {
  const h = isPattern ? host : host.replace(/\.$/, '');
  if (h.length === 0 || h === '*') return false;
  return h.split('.').every((part, i) => {
    if (part === '') return false;
    if (isPattern && i === 0 && part === '*') return true;
    return [...part].every((ch, j) => /[a-zA-Z0-9_]/.test(ch) || (ch === '-' && j !== 0));
  });
}

function matchHostnames(pattern: string, host: string): boolean {
  const p = lowerAscii(pattern);
  const h = lowerAscii(host.replace(/\.$/, ''));
  if (p.length === 0 || h.length === 0) return false;
  const pp = p.split('.');
  const hp = h.split('.');
  if (pp.length !== hp.length) return false;
  return pp.every((part, i) => (i === 0 && part === '*') || part === hp[i]);
}

const lowerAscii = (s: string) => s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());

/** VerifyHostname: IPs against IP SANs, names against DNS SANs (no CommonName fallback). */
function hostnameMatches(c: Certificate, h: string): boolean {
  const candidateIp = h.length >= 3 && h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  const ip = parseIp(candidateIp);
  if (ip !== undefined) {
    const want = ipSpan(ip);
    return (c.ext.ipAddresses ?? []).some((a) => {
      const v = BigInt(`0x${a.toString('hex')}`);
      return ipSpan({ v6: a.length === 16, value: v }) === want;
    });
  }
  const name = lowerAscii(h);
  const validName = validHostname(name, false);
  return (c.ext.dnsNames ?? []).some((match) => {
    if (validName && validHostname(match, true)) return matchHostnames(match, name);
    if (match === '' || match === '.' || name === '' || name === '.') return false;
    return lowerAscii(match) === name;
  });
}

/** checkChainForKeyUsage: walking down from the root, each restricting cert narrows the set. */
function chainAllowsKeyUsage(chain: readonly Certificate[], wanted: readonly number[]): boolean {
  const usages: (number | undefined)[] = [...wanted];
  let remaining = usages.length;
  for (let i = chain.length - 1; i >= 0; i--) {
    const cert = chain[i]!;
    const eku = cert.ext.extKeyUsage ?? [];
    if (eku.length === 0 && cert.ext.unknownExtKeyUsage === null) continue;
    if (eku.includes(EKU_ANY)) continue;
    for (let j = 0; j < usages.length; j++) {
      const u = usages[j];
      if (u === undefined || eku.includes(u)) continue;
      usages[j] = undefined;
      if (--remaining === 0) return false;
    }
  }
  return true;
}

/** A simplified RFC 5280 6.1 policy check: see the module comment. */
function policiesValid(chain: readonly Certificate[]): boolean {
  if (chain.length === 1) return true;
  const n = chain.length - 1;
  let explicitPolicy = n + 1;
  let valid: Set<string> | 'any' | null = 'any';
  for (let i = n - 1; i >= 0; i--) {
    const cert = chain[i]!;
    const policies = cert.ext.policies;
    if (policies === null) valid = null;
    else if (valid !== null) {
      const own = new Set(policies);
      if (valid === 'any') valid = own.has(ANY_POLICY) ? 'any' : own;
      else if (!own.has(ANY_POLICY)) {
        const prev: Set<string> = valid;
        valid = new Set([...prev].filter((p) => own.has(p)));
      }
    }
    if (explicitPolicy === 0 && valid === null) return false;
    if (i !== 0) {
      const selfIssued = cert.rawIssuer.equals(cert.rawSubject);
      if (!selfIssued && explicitPolicy > 0) explicitPolicy--;
      const req = cert.ext.requireExplicitPolicy;
      if ((req > 0 || cert.ext.requireExplicitPolicyZero) && req < explicitPolicy) explicitPolicy = req;
    }
  }
  if (explicitPolicy > 0) explicitPolicy--;
  if (chain[0]!.ext.requireExplicitPolicyZero) explicitPolicy = 0;
  return !(explicitPolicy === 0 && (valid === null || (valid !== 'any' && valid.size === 0)));
}

/**
 * OPA's verifyX509CertificateChain: the verified chain (leaf first, root last), or undefined
 * when there are fewer than two certificates or no chain verifies.
 */
export function verifyCertificateChain(
  certs: readonly Certificate[],
  opts: VerifyOptions = {},
): Certificate[] | undefined {
  if (certs.length < 2) return undefined;
  const roots = new Pool();
  roots.add(certs[0]!);
  const intermediates = new Pool();
  for (let i = 1; i < certs.length - 1; i++) intermediates.add(certs[i]!);
  const leaf = certs[certs.length - 1]!;

  if (!isValid(leaf, 'leaf', [], opts)) return undefined;
  if (opts.dnsName !== undefined && opts.dnsName.length > 0 && !hostnameMatches(leaf, opts.dnsName)) {
    return undefined;
  }
  const candidates = roots.contains(leaf)
    ? [[leaf]]
    : buildChains([leaf], { roots, intermediates }, { n: 0 }, opts);
  const chains = candidates.filter(policiesValid);
  if (chains.length === 0) return undefined;
  const wanted =
    opts.keyUsages !== undefined && opts.keyUsages.length > 0 ? opts.keyUsages : [EKU_SERVER_AUTH];
  if (wanted.includes(EKU_ANY)) return chains[0];
  return chains.find((chain) => chainAllowsKeyUsage(chain, wanted));
}
