import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { tlsServerEndPoint } from './channel-binding.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-cb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate made by the openssl CLI with these key and digest options. */
function certificate(name: string, options: string[]): string {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=x',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      ...options,
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  return readFileSync(join(dir, `${name}.crt`), 'utf8');
}

const der = (pem: string) => new X509Certificate(pem).raw;

describe('tls-server-end-point', () => {
  test('hashes the certificate with its signature hash: SHA-256 for sha256WithRSAEncryption', () => {
    const pem = certificate('rsa256', ['-newkey', 'rsa:2048', '-sha256']);
    const expected = Buffer.from(new X509Certificate(pem).fingerprint256.replaceAll(':', ''), 'hex');
    expect(tlsServerEndPoint(pem)).toEqual(expected);
  });

  test('SHA-384 for ecdsa-with-SHA384', () => {
    const pem = certificate('ec384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-sha384']);
    expect(tlsServerEndPoint(pem)).toEqual(createHash('sha384').update(der(pem)).digest());
  });

  test('SHA-256 in place of SHA-1 (RFC 5929 §4.1)', () => {
    const pem = certificate('rsa1', ['-newkey', 'rsa:2048', '-sha1']);
    expect(tlsServerEndPoint(pem)).toEqual(createHash('sha256').update(der(pem)).digest());
  });

  test('the first certificate of a chain', () => {
    const leaf = certificate('leaf', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-sha256']);
    const other = certificate('other', ['-newkey', 'rsa:2048', '-sha512']);
    expect(tlsServerEndPoint(`${leaf}${other}`)).toEqual(createHash('sha256').update(der(leaf)).digest());
  });

  test('none for a signature without one hash (Ed25519), or what is not a certificate', () => {
    expect(tlsServerEndPoint(certificate('ed', ['-newkey', 'ed25519']))).toBeUndefined();
    expect(tlsServerEndPoint('not a certificate')).toBeUndefined();
  });
});
