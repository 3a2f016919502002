import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuiltinError } from '../builtin-error.js';
import { JS_BUILTINS } from './index.js';
import { goBase64Decode, pemBlocks } from './pem.js';

const call = (name: string, ...args: unknown[]) => JS_BUILTINS.get(name)!(...args);

// biome-ignore lint/suspicious/noExplicitAny: certificate objects are Go-shaped JSON, read loosely here.
type Obj = Record<string, any>;

function errorOf(f: () => unknown): BuiltinError {
  try {
    f();
  } catch (err) {
    if (err instanceof BuiltinError) return err;
    throw err;
  }
  throw new Error('no error raised');
}

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const EXTENSIONS = `
[req]
distinguished_name = dn
[dn]
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[inter]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[constrained]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
nameConstraints = critical,permitted;DNS:example.com
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[notca]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyCertSign
[leaf]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = DNS:www.example.com,DNS:*.api.example.com,IP:10.1.2.3,IP:2001:db8::1,email:me@example.com,URI:spiffe://example.com/ns/a%20b?x=1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
certificatePolicies = 2.23.140.1.2.1
crlDistributionPoints = URI:http://crl.example.com/a.crl
authorityInfoAccess = OCSP;URI:http://ocsp.example.com,caIssuers;URI:http://ca.example.com/ca.crt
[clientonly]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
subjectAltName = DNS:client.example.com
[outside]
basicConstraints = CA:FALSE
subjectAltName = DNS:www.example.org
`;

interface Issued {
  readonly pem: string;
  readonly der: Buffer;
  readonly key: KeyObject;
}

let dir = '';
let n = 0;

const keyPem = (k: KeyObject, type: 'pkcs8' | 'pkcs1' | 'sec1' = 'pkcs8') =>
  k.export({ type, format: 'pem' }).toString();

/** A certificate for `subject` with the extensions of `section`, signed by `issuer` or itself. */
function issue(subject: string, section: string, key: KeyObject, issuer?: Issued, days = 30): Issued {
  const id = `c${++n}`;
  writeFileSync(join(dir, `${id}.key`), keyPem(key));
  const ssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  ssl('req', '-new', '-key', `${id}.key`, '-subj', subject, '-config', 'ext.cnf', '-out', `${id}.csr`);
  const signer =
    issuer === undefined ? ['-signkey', `${id}.key`] : ['-CA', `${id}.ca.pem`, '-CAkey', `${id}.ca.key`];
  if (issuer !== undefined) {
    writeFileSync(join(dir, `${id}.ca.pem`), issuer.pem);
    writeFileSync(join(dir, `${id}.ca.key`), keyPem(issuer.key));
  }
  ssl(
    'x509',
    '-req',
    '-in',
    `${id}.csr`,
    ...signer,
    '-set_serial',
    String(1000 + n),
    '-days',
    String(days),
    '-sha256',
    '-extfile',
    'ext.cnf',
    '-extensions',
    section,
    '-out',
    `${id}.pem`,
  );
  const pem = readFileSync(join(dir, `${id}.pem`), 'utf8');
  return { pem, der: new X509Certificate(pem).raw, key };
}

const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

let root: Issued;
let inter: Issued;
let leaf: Issued;

beforeAll(() => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(join(tmpdir(), 'x509-test-'));
  writeFileSync(join(dir, 'ext.cnf'), EXTENSIONS);
  root = issue('/C=US/O=Test Org/OU=Unit A/OU=Unit B/CN=Test Root', 'root', ec(), undefined, 3650);
  inter = issue(
    '/CN=Test Inter/serialNumber=1234/street=Main St/postalCode=12345/L=Town/ST=State',
    'inter',
    ec(),
    root,
  );
  leaf = issue('/CN=www.example.com', 'leaf', rsaKey, inter);
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasOpenssl)('crypto.x509.parse_certificates', () => {
  it('reads a PEM chain, base64 of it, and base64 of the concatenated DER alike', () => {
    const pem = root.pem + inter.pem + leaf.pem;
    const fromPem = call('crypto.x509.parse_certificates', pem) as Obj[];
    expect(fromPem.map((c) => c.Subject.CommonName)).toEqual(['Test Root', 'Test Inter', 'www.example.com']);
    expect(call('crypto.x509.parse_certificates', Buffer.from(pem).toString('base64'))).toEqual(fromPem);
    const der = Buffer.concat([root.der, inter.der, leaf.der]).toString('base64');
    expect(call('crypto.x509.parse_certificates', der)).toEqual(fromPem);
    expect(fromPem.map((c) => c.Raw)).toEqual(
      [root.der, inter.der, leaf.der].map((d) => d.toString('base64')),
    );
  });

  it("fills Go's certificate fields", () => {
    const [r, i, l] = call('crypto.x509.parse_certificates', root.pem + inter.pem + leaf.pem) as Obj[];
    expect(r!.Subject).toEqual({
      Country: ['US'],
      Organization: ['Test Org'],
      OrganizationalUnit: ['Unit A', 'Unit B'],
      Locality: null,
      Province: null,
      StreetAddress: null,
      PostalCode: null,
      SerialNumber: '',
      CommonName: 'Test Root',
      Names: [
        { Type: [2, 5, 4, 6], Value: 'US' },
        { Type: [2, 5, 4, 10], Value: 'Test Org' },
        { Type: [2, 5, 4, 11], Value: 'Unit A' },
        { Type: [2, 5, 4, 11], Value: 'Unit B' },
        { Type: [2, 5, 4, 3], Value: 'Test Root' },
      ],
      ExtraNames: null,
    });
    expect(i!.Subject).toMatchObject({
      SerialNumber: '1234',
      StreetAddress: ['Main St'],
      PostalCode: ['12345'],
      Locality: ['Town'],
      Province: ['State'],
    });
    expect(r!).toMatchObject({
      IsCA: true,
      BasicConstraintsValid: true,
      MaxPathLen: -1,
      KeyUsage: 96,
      Version: 3,
    });
    expect(i!).toMatchObject({
      IsCA: true,
      MaxPathLen: 0,
      MaxPathLenZero: true,
      AuthorityKeyId: r!.SubjectKeyId,
    });
    expect(l!).toMatchObject({
      IsCA: false,
      BasicConstraintsValid: true,
      KeyUsage: 5,
      ExtKeyUsage: [1, 2],
      UnknownExtKeyUsage: null,
      DNSNames: ['www.example.com', '*.api.example.com'],
      EmailAddresses: ['me@example.com'],
      IPAddresses: ['10.1.2.3', '2001:db8::1'],
      URIStrings: ['spiffe://example.com/ns/a%20b?x=1'],
      OCSPServer: ['http://ocsp.example.com'],
      IssuingCertificateURL: ['http://ca.example.com/ca.crt'],
      CRLDistributionPoints: ['http://crl.example.com/a.crl'],
      PolicyIdentifiers: [[2, 23, 140, 1, 2, 1]],
      Policies: ['2.23.140.1.2.1'],
      AuthorityKeyId: i!.SubjectKeyId,
      SignatureAlgorithm: 10,
      PublicKeyAlgorithm: 1,
      ExtraExtensions: null,
      UnhandledCriticalExtensions: null,
    });
    expect(l!.URIs[0]).toMatchObject({
      Scheme: 'spiffe',
      Host: 'example.com',
      Path: '/ns/a b',
      RawQuery: 'x=1',
    });
    expect(l!.SerialNumber).toBe(BigInt(`0x${new X509Certificate(leaf.pem).serialNumber}`));
    expect(l!.PublicKey.E).toBe(65537);
    expect(l!.PublicKey.N).toBe(
      BigInt(`0x${Buffer.from(rsaKey.export({ format: 'jwk' }).n!, 'base64url').toString('hex')}`),
    );
    expect(r!.PublicKey).toMatchObject({ Curve: {} });
    const x = new X509Certificate(leaf.pem);
    expect(new Date(l!.NotBefore).getTime()).toBe(new Date(x.validFrom).getTime());
    expect(l!.NotAfter).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(l!.Extensions.map((e: Obj) => e.Id.join('.'))).toContain('2.5.29.17');
  });

  it('leaves URIStrings null without URI SANs, as OPA does', () => {
    const [r] = call('crypto.x509.parse_certificates', root.pem) as Obj[];
    expect(r!.URIs).toBeNull();
    expect(r!.URIStrings).toBeNull();
  });

  it('reads PEM with CRLF lines and text between blocks, but only when it starts as PEM', () => {
    const crlf = `${root.pem.replace(/\n/g, '\r\n')}subject=Test Inter\r\n${inter.pem}trailing words\n`;
    const certs = call('crypto.x509.parse_certificates', Buffer.from(crlf).toString('base64')) as Obj[];
    expect(certs.map((c) => c.Subject.CommonName)).toEqual(['Test Root', 'Test Inter']);
    // OPA reads decoded base64 as DER unless it begins with a PEM header.
    const leading = Buffer.from(`subject=Test Root\n${root.pem}`).toString('base64');
    expect(errorOf(() => call('crypto.x509.parse_certificates', leading)).message).toBe(
      'crypto.x509.parse_certificates: x509: malformed certificate',
    );
  });

  it("raises Go's errors", () => {
    const bad = errorOf(() =>
      call('crypto.x509.parse_certificates', Buffer.from('badstring').toString('base64')),
    );
    expect(bad.message).toBe('crypto.x509.parse_certificates: x509: malformed certificate');
    expect(bad.code).toBe('eval_builtin_error');
    expect(errorOf(() => call('crypto.x509.parse_certificates', 'foobar')).message).toBe(
      'crypto.x509.parse_certificates: illegal base64 data at input byte 4',
    );
    expect(errorOf(() => call('crypto.x509.parse_certificates', keyPem(rsaKey))).message).toBe(
      "crypto.x509.parse_certificates: PEM block type is 'PRIVATE KEY', expected CERTIFICATE",
    );
    const truncated = leaf.der.subarray(0, leaf.der.length - 10).toString('base64');
    expect(errorOf(() => call('crypto.x509.parse_certificates', truncated)).message).toMatch(
      /x509: malformed/,
    );
    expect(errorOf(() => call('crypto.x509.parse_certificates', 1)).code).toBe('eval_type_error');
  });
});

describe.skipIf(!hasOpenssl)('crypto.x509.parse_and_verify_certificates', () => {
  const verify = (pem: string) => call('crypto.x509.parse_and_verify_certificates', pem) as [boolean, Obj[]];
  const withOptions = (pem: string, opts: object) =>
    call('crypto.x509.parse_and_verify_certificates_with_options', pem, opts) as [boolean, Obj[]];

  it('verifies root, intermediates, leaf and answers with the chain leaf first', () => {
    const [ok, chain] = verify(root.pem + inter.pem + leaf.pem);
    expect(ok).toBe(true);
    expect(chain.map((c) => c.Subject.CommonName)).toEqual(['www.example.com', 'Test Inter', 'Test Root']);
    expect(chain[0]!.URIStrings).toEqual(['spiffe://example.com/ns/a%20b?x=1']);
    expect(verify(Buffer.from(root.pem + inter.pem + leaf.pem).toString('base64'))[0]).toBe(true);
  });

  it('refuses chains in the wrong order, short chains, garbage and missing links', () => {
    expect(verify(leaf.pem + inter.pem + root.pem)).toEqual([false, []]);
    expect(verify(root.pem)).toEqual([false, []]);
    expect(verify('not a certificate')).toEqual([false, []]);
    expect(verify(root.pem + leaf.pem)).toEqual([false, []]);
  });

  it('refuses a tampered signature', () => {
    const der = Buffer.from(leaf.der);
    der[der.length - 5]! ^= 0xff;
    const b64 = Buffer.concat([root.der, inter.der, der]).toString('base64');
    expect(verify(b64)).toEqual([false, []]);
  });

  it('refuses an issuer that is not a CA, and names outside a name constraint', () => {
    const notCa = issue('/CN=Not A CA', 'notca', ec(), root);
    const under = issue('/CN=under', 'leaf', ec(), notCa);
    expect(verify(root.pem + notCa.pem + under.pem)[0]).toBe(false);
    const constrained = issue('/CN=Constrained', 'constrained', ec(), root);
    const inside = issue('/CN=client', 'clientonly', ec(), constrained);
    const outside = issue('/CN=outside', 'outside', ec(), constrained);
    expect(withOptions(root.pem + constrained.pem + inside.pem, { KeyUsages: ['KeyUsageAny'] })[0]).toBe(
      true,
    );
    expect(verify(root.pem + constrained.pem + outside.pem)[0]).toBe(false);
  });

  it('checks extended key usage (serverAuth unless KeyUsages says otherwise)', () => {
    const client = issue('/CN=client', 'clientonly', ec(), inter);
    const chain = root.pem + inter.pem + client.pem;
    expect(verify(chain)[0]).toBe(false);
    expect(withOptions(chain, { KeyUsages: ['KeyUsageClientAuth'] })[0]).toBe(true);
    expect(withOptions(chain, { KeyUsages: ['KeyUsageAny'] })[0]).toBe(true);
  });

  it('applies DNSName and CurrentTime, and returns plain certificates', () => {
    const chain = root.pem + inter.pem + leaf.pem;
    const [ok, certs] = withOptions(chain, { DNSName: 'foo.api.example.com' });
    expect(ok).toBe(true);
    expect(certs[0]!.URIStrings).toBeUndefined();
    expect(withOptions(chain, { DNSName: 'www.example.com' })[0]).toBe(true);
    expect(withOptions(chain, { DNSName: '10.1.2.3' })[0]).toBe(true);
    expect(withOptions(chain, { DNSName: 'a.b.api.example.com' })[0]).toBe(false);
    expect(withOptions(chain, { DNSName: 'example.org' })[0]).toBe(false);
    const day = 86_400_000_000_000n;
    const now = BigInt(Date.now()) * 1_000_000n;
    expect(withOptions(chain, { CurrentTime: now + 60n * day })[0]).toBe(false);
    expect(withOptions(chain, { CurrentTime: now - 2n * day })[0]).toBe(false);
    expect(withOptions(chain, { CurrentTime: Number(now / 1_000_000n) * 1_000_000 })[0]).toBe(true);
  });

  it("raises OPA's errors for bad options", () => {
    const chain = root.pem + inter.pem + leaf.pem;
    const name = 'crypto.x509.parse_and_verify_certificates_with_options';
    expect(errorOf(() => withOptions(chain, { Nope: 1 })).message).toBe(`${name}: invalid key option`);
    expect(errorOf(() => withOptions(chain, { DNSName: 1 })).message).toBe(
      `${name}: 'DNSName' should be a string`,
    );
    expect(errorOf(() => withOptions(chain, { CurrentTime: 'x' })).message).toBe(
      `${name}: 'CurrentTime' should be a number`,
    );
    expect(errorOf(() => withOptions(chain, { KeyUsages: 'x' })).message).toBe(
      `${name}: 'KeyUsages' should be an Array or Set`,
    );
    expect(errorOf(() => withOptions(chain, { KeyUsages: ['KeyUsageA', 'KeyUsageAny', 'B'] })).message).toBe(
      `${name}: invalid entries for 'KeyUsages' found: [KeyUsageA B]`,
    );
    expect(errorOf(() => withOptions(chain, [] as unknown as object)).code).toBe('eval_type_error');
    // Input that does not parse answers before the options are looked at, as in OPA.
    expect(withOptions('garbage', { Nope: 1 })).toEqual([false, []]);
  });
});

describe.skipIf(!hasOpenssl)('crypto.x509.parse_certificate_request', () => {
  function csr(extra: string[]): string {
    writeFileSync(join(dir, 'csr.key'), keyPem(ec()));
    return execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-key',
        'csr.key',
        '-subj',
        '/C=DE/O=Org/CN=req.example.com',
        '-config',
        'ext.cnf',
        ...extra,
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    ).toString();
  }

  it('reads PEM and base64 DER requests', () => {
    const pem = csr(['-addext', 'subjectAltName=DNS:a.example.com,IP:192.0.2.1,URI:urn:x:y']);
    const r = call('crypto.x509.parse_certificate_request', pem) as Obj;
    expect(r.Subject.CommonName).toBe('req.example.com');
    expect(r.Subject.Country).toEqual(['DE']);
    expect(r).toMatchObject({
      Version: 0,
      SignatureAlgorithm: 10,
      PublicKeyAlgorithm: 3,
      DNSNames: ['a.example.com'],
      IPAddresses: ['192.0.2.1'],
      EmailAddresses: null,
      ExtraExtensions: null,
    });
    expect(r.URIs[0]).toMatchObject({ Scheme: 'urn', Opaque: 'x:y' });
    expect(r.Extensions).toEqual([{ Id: [2, 5, 29, 17], Critical: false, Value: expect.any(String) }]);
    expect(r.Attributes).toEqual([
      {
        Type: [1, 2, 840, 113549, 1, 9, 14],
        Value: [[{ Type: [2, 5, 29, 17], Value: r.Extensions[0].Value }]],
      },
    ]);
    const der = pemBlocks(Buffer.from(pem))[0]!.bytes.toString('base64');
    expect(call('crypto.x509.parse_certificate_request', der)).toEqual(r);
  });

  it('leaves Attributes and Extensions null for a request without them', () => {
    const r = call('crypto.x509.parse_certificate_request', csr([])) as Obj;
    expect(r.Attributes).toBeNull();
    expect(r.Extensions).toBeNull();
    expect(r.DNSNames).toBeNull();
  });

  it("raises OPA's errors", () => {
    const name = 'crypto.x509.parse_certificate_request';
    expect(errorOf(() => call(name, 'foobar')).message).toBe(`${name}: illegal base64 data at input byte 4`);
    expect(errorOf(() => call(name, Buffer.from(root.pem).toString('base64'))).message).toBe(
      `${name}: invalid PEM-encoded certificate signing request`,
    );
    expect(errorOf(() => call(name, Buffer.from('junk').toString('base64'))).message).toMatch(
      /^crypto.*asn1: /,
    );
  });
});

describe.skipIf(!hasOpenssl)('crypto.x509.parse_keypair', () => {
  const keypair = (c: string, k: string) => call('crypto.x509.parse_keypair', c, k) as Obj;

  it('reads PEM, base64 of PEM, and base64 of DER', () => {
    const r = keypair(leaf.pem, keyPem(rsaKey, 'pkcs1'));
    expect(r.Certificate).toEqual([leaf.der.toString('base64')]);
    expect(r.Leaf.Subject.CommonName).toBe('www.example.com');
    expect(r.Leaf.URIStrings).toBeUndefined();
    expect(r.PrivateKey.N).toBe(r.Leaf.PublicKey.N);
    expect(r.PrivateKey.Primes).toHaveLength(2);
    expect(r).toMatchObject({
      SupportedSignatureAlgorithms: null,
      OCSPStaple: null,
      SignedCertificateTimestamps: null,
    });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(keypair(b64(leaf.pem), b64(keyPem(rsaKey)))).toEqual(r);
    const keyDer = rsaKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
    expect(keypair(leaf.der.toString('base64'), keyDer)).toEqual(r);
    const chain = keypair(leaf.pem + inter.pem, keyPem(rsaKey));
    expect(chain.Certificate).toHaveLength(2);
  });

  it('reads EC keys', () => {
    const r = keypair(inter.pem, keyPem(inter.key, 'sec1'));
    expect(r.PrivateKey).toMatchObject({ Curve: {}, X: r.Leaf.PublicKey.X, Y: r.Leaf.PublicKey.Y });
  });

  it("raises Go's tls errors", () => {
    const name = 'crypto.x509.parse_keypair';
    expect(
      errorOf(() => keypair(leaf.pem, keyPem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey)))
        .message,
    ).toBe(`${name}: tls: private key does not match public key`);
    expect(errorOf(() => keypair(leaf.pem, keyPem(ec()))).message).toBe(
      `${name}: tls: private key type does not match public key type`,
    );
    expect(errorOf(() => keypair(keyPem(rsaKey), leaf.pem)).message).toBe(
      `${name}: tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched`,
    );
    expect(errorOf(() => keypair(leaf.pem, leaf.pem)).message).toBe(
      `${name}: tls: found a certificate rather than a key in the PEM for the private key`,
    );
    expect(errorOf(() => keypair('%%%', keyPem(rsaKey))).message).toBe(
      `${name}: illegal base64 data at input byte 0`,
    );
  });
});

describe('crypto.parse_private_keys and crypto.x509.parse_rsa_private_key', () => {
  const ed = generateKeyPairSync('ed25519').privateKey;
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

  it("answers with Go's JSON of each key", () => {
    const pem = keyPem(rsaKey, 'pkcs1') + keyPem(p256, 'sec1') + keyPem(p256) + keyPem(ed);
    const keys = call('crypto.parse_private_keys', pem) as Obj[];
    expect(keys).toHaveLength(4);
    const jwk = rsaKey.export({ format: 'jwk' });
    const big = (s: string | undefined) => BigInt(`0x${Buffer.from(s!, 'base64url').toString('hex')}`);
    expect(keys[0]).toEqual({
      N: big(jwk.n),
      E: 65537,
      D: big(jwk.d),
      Primes: [big(jwk.p), big(jwk.q)],
      Precomputed: { Dp: big(jwk.dp), Dq: big(jwk.dq), Qinv: big(jwk.qi), CRTValues: [] },
    });
    const ecJwk = p256.export({ format: 'jwk' });
    expect(keys[1]).toEqual({ Curve: {}, X: big(ecJwk.x), Y: big(ecJwk.y), D: big(ecJwk.d) });
    expect(keys[2]).toEqual(keys[1]);
    const edJwk = ed.export({ format: 'jwk' });
    expect(keys[3]).toBe(
      Buffer.concat([Buffer.from(edJwk.d!, 'base64url'), Buffer.from(edJwk.x!, 'base64url')]).toString(
        'base64',
      ),
    );
    expect(call('crypto.parse_private_keys', Buffer.from(pem).toString('base64'))).toEqual(keys);
  });

  it('answers null for empty input and [] when nothing is a key', () => {
    expect(call('crypto.parse_private_keys', '')).toBeNull();
    expect(call('crypto.parse_private_keys', 'nope')).toEqual([]);
    expect(call('crypto.parse_private_keys', '-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n')).toEqual([]);
  });

  it('raises parse errors', () => {
    expect(
      errorOf(() =>
        call(
          'crypto.parse_private_keys',
          '-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----\n',
        ),
      ).message,
    ).toMatch(/^crypto.parse_private_keys: /);
    const pkcs8AsPkcs1 = keyPem(rsaKey).replace(/PRIVATE KEY/g, 'RSA PRIVATE KEY');
    expect(errorOf(() => call('crypto.parse_private_keys', pkcs8AsPkcs1)).message).toBe(
      'crypto.parse_private_keys: x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)',
    );
  });

  it("gives the first key as OPA's JWK", () => {
    const name = 'crypto.x509.parse_rsa_private_key';
    expect(call(name, keyPem(rsaKey, 'pkcs1'))).toEqual({ kty: 'RSA', ...rsaKey.export({ format: 'jwk' }) });
    expect(call(name, Buffer.from(keyPem(rsaKey)).toString('base64'))).toEqual(
      call(name, keyPem(rsaKey, 'pkcs1')),
    );
    expect(call(name, keyPem(p256, 'sec1'))).toEqual({ kty: 'EC' });
    expect(call(name, '-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n')).toBeNull();
    expect(errorOf(() => call(name, '')).message).toBe(`${name}: input PEM data was empty`);
    expect(errorOf(() => call(name, keyPem(ed))).message).toBe(
      `${name}: invalid key type ed25519.PrivateKey`,
    );
    expect(errorOf(() => call(name, 'a')).message).toBe(`${name}: illegal base64 data at input byte 0`);
  });
});

describe("Go's base64 and PEM decoding", () => {
  it('reports CorruptInputError offsets as Go does', () => {
    const at = (s: string) => {
      const r = goBase64Decode(Buffer.from(s));
      return Buffer.isBuffer(r) ? r.toString('latin1') : r.errorAt;
    };
    expect(at('YQ==')).toBe('a');
    expect(at('YWJj')).toBe('abc');
    expect(at('YW\nJj\r\n')).toBe('abc');
    expect(at('foobar')).toBe(4);
    expect(at('YQ=')).toBe(3);
    expect(at('Y===')).toBe(1);
    expect(at('YQ==YQ==')).toBe(4);
    expect(at('YW*j')).toBe(2);
    expect(at('')).toBe('');
  });

  it('skips malformed blocks and reads headers', () => {
    const text = [
      'junk',
      '-----BEGIN A-----',
      'AAAA',
      '-----END B-----',
      '-----BEGIN C-----',
      'Proc-Type: 4,ENCRYPTED',
      '',
      'YWJj',
      '-----END C-----',
      '',
    ].join('\n');
    const blocks = pemBlocks(Buffer.from(text));
    expect(blocks.map((b) => b.type)).toEqual(['C']);
    expect(blocks[0]!.headers.get('Proc-Type')).toBe('4,ENCRYPTED');
    expect(blocks[0]!.bytes.toString()).toBe('abc');
  });
});

// Certificates come from requests (a client certificate in a header): whatever the bytes, the
// builtins answer or raise their own error, never another exception, and never hang.
describe.skipIf(!hasOpenssl)('mutated certificates', () => {
  it('parse and verify every mutation to a result or a builtin error', () => {
    let seed = 0x5eed;
    const pick = (n: number) => {
      seed ^= seed << 13;
      seed >>>= 0;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      seed >>>= 0;
      return seed % n;
    };
    const started = Date.now();
    let raised = 0;
    for (let i = 0; i < 600; i++) {
      const der = Buffer.from(leaf.der);
      for (let j = 0, n = 1 + pick(6); j < n; j++) der[pick(der.length)] = pick(256);
      const input = (pick(4) === 0 ? der.subarray(0, pick(der.length)) : der).toString('base64');
      for (const name of ['crypto.x509.parse_certificates', 'crypto.x509.parse_and_verify_certificates']) {
        try {
          call(name, input);
        } catch (err) {
          expect(err).toBeInstanceOf(BuiltinError);
          raised++;
        }
      }
    }
    expect(raised).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
