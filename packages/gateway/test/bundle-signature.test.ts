/**
 * Signed policy bundles (`policy.signing`): `portcullis build --signing-key` writes OPA's
 * `.signatures.json`; the gateway refuses, at start and when polling, any bundle whose
 * signature is missing, made with another key or algorithm, scoped differently, or not over
 * exactly the bundle's files.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readTar } from '@portcullis/rego';
import { CompactSign } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTar } from '../src/cli/tar-writer.js';
import type { BundleSigningConfig, PolicyConfig } from '../src/config/gateway-config.js';
import { validateConfig } from '../src/config/validate-config.js';
import { BundleSignatureError, ConfigError } from '../src/errors.js';
import {
  type BundleVerification,
  canonicalJson,
  fileDigest,
  verifyBundleSignature,
} from '../src/policy/bundle-signature.js';
import { loadPolicyEngine } from '../src/policy/load-policy-engine.js';
import { runCli } from './cli-helpers.js';

const POLICY = `package portcullis
import rego.v1
decision := {"effect": "allow", "reasons": [], "masks": []}
`;

const dir = mkdtempSync(join(tmpdir(), 'pc-signed-'));
const release = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (k: { export(o: object): string | Buffer }, type: 'spki' | 'pkcs8') =>
  k.export({ type, format: 'pem' }).toString();
const releasePublic = pem(release.publicKey, 'spki');
writeFileSync(join(dir, 'release.key'), pem(release.privateKey, 'pkcs8'));
writeFileSync(join(dir, 'other.key'), pem(other.privateKey, 'pkcs8'));
writeFileSync(join(dir, 'release.pub'), releasePublic);

const verification: BundleVerification = { keys: { release: { algorithm: 'ES256', key: releasePublic } } };
const signing: BundleSigningConfig = {
  keys: { release: { algorithm: 'ES256', key: { from: 'file', path: join(dir, 'release.pub') } } },
};

async function build(name: string, extra: string[] = []): Promise<Buffer> {
  const src = join(dir, `src-${name}`);
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'policy.rego'), POLICY);
  writeFileSync(join(src, 'data.json'), JSON.stringify({ limits: { rows: 1000, ratio: 1.5 } }));
  const out = join(dir, `${name}.tar.gz`);
  const result = await runCli(['build', src, '-o', out, ...extra]);
  expect(result.code, result.stderr).toBe(0);
  return readFileSync(out);
}

/** The bundle's files, changed by `edit`, packed again (the signature file travels as it was). */
function repack(bundle: Uint8Array, edit: (files: { name: string; data: Uint8Array }[]) => void): Uint8Array {
  const files = readTar(bundle).map((e) => ({ name: e.path, data: e.data }));
  edit(files);
  return gzipSync(writeTar(files));
}

/** `portcullis build` flags signing with `<file>.key` (ES256) under key id `id`. */
const signedBy = (file: string, id: string, ...extra: string[]): string[] => [
  '--signing-key',
  join(dir, `${file}.key`),
  '--signing-alg',
  'ES256',
  '--signing-keyid',
  id,
  ...extra,
];

const refusal = async (bundle: Uint8Array, v: BundleVerification = verification): Promise<string> => {
  const err = await verifyBundleSignature(bundle, v).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BundleSignatureError);
  expect((err as BundleSignatureError).code).toBe('PC_GATEWAY_BUNDLE_SIGNATURE');
  return (err as Error).message;
};

let signed: Buffer;
let unsigned: Buffer;

beforeAll(async () => {
  signed = await build('signed', signedBy('release', 'release'));
  unsigned = await build('unsigned', ['--bundle']);
}, 120_000);

describe('canonical form of structured bundle files', () => {
  it('sorts keys by bytes, drops whitespace and keeps number literals as written', () => {
    // The shape of OPA's own hash test: the canonical form equals Go's compact, sorted encoding.
    const text = `{ "key2": {"c": 123.45678911111111111111111111111111111111111111111111111, "b": 1, "a": 0},
      "key1": ["element1", "element2"] }`;
    expect(canonicalJson(text)).toBe(
      '{"key1":["element1","element2"],"key2":{"a":0,"b":1,"c":123.45678911111111111111111111111111111111111111111111111}}',
    );
  });

  it('escapes strings as Go does with HTML escaping off', () => {
    expect(canonicalJson('["<a>&", "\\u2028", "\\u0001\\b", "é\\/"]')).toBe(
      '["<a>&","\\u2028","\\u0001\\b","é/"]',
    );
  });

  it('hashes data.json and .manifest by their canonical form, anything else by its bytes', () => {
    const a = new TextEncoder().encode('{"b":1,"a":[1.0]}');
    const b = new TextEncoder().encode('{ "a" : [1.0],\n "b": 1 }');
    expect(fileDigest('x/data.json', a, 'SHA-256')).toBe(fileDigest('x/data.json', b, 'SHA-256'));
    expect(fileDigest('.manifest', a, 'SHA-256')).toBe(fileDigest('.manifest', b, 'SHA-256'));
    expect(fileDigest('policy.wasm', a, 'SHA-256')).not.toBe(fileDigest('policy.wasm', b, 'SHA-256'));
    expect(() => fileDigest('data.json', new TextEncoder().encode('{"a":'), 'SHA-256')).toThrow(
      /not valid JSON/,
    );
    expect(() => fileDigest('policy.wasm', a, 'MD5')).toThrow(/unsupported digest/);
  });
});

describe('verifying a bundle signature', () => {
  it('accepts a bundle signed by the configured key, and one whose data.json was only reformatted', async () => {
    await verifyBundleSignature(signed, verification);
    const reformatted = repack(signed, (files) => {
      const data = files.find((f) => f.name.endsWith('data.json'))!;
      const value = JSON.parse(new TextDecoder().decode(data.data)) as object;
      data.data = new TextEncoder().encode(JSON.stringify(value, null, 2));
    });
    await verifyBundleSignature(reformatted, verification);
  });

  it('refuses an unsigned bundle', async () => {
    expect(await refusal(unsigned)).toMatch(/not signed/);
  });

  it('refuses a changed, an added and a removed file', async () => {
    const changed = repack(signed, (files) => {
      const data = files.find((f) => f.name.endsWith('data.json'))!;
      data.data = new TextEncoder().encode('{"limits":{"rows":1000000,"ratio":1.5}}');
    });
    expect(await refusal(changed)).toMatch(/data\.json: digest mismatch/);
    const added = repack(signed, (files) => {
      files.push({ name: '/extra/data.json', data: new TextEncoder().encode('{"allow_all":true}') });
    });
    expect(await refusal(added)).toMatch(/extra\/data\.json is in the bundle but not in its signature/);
    const removed = repack(signed, (files) => {
      files.splice(
        files.findIndex((f) => f.name.endsWith('data.json')),
        1,
      );
    });
    expect(await refusal(removed)).toMatch(/lists files the bundle does not hold: data\.json/);
    const wasm = repack(signed, (files) => {
      const w = files.find((f) => f.name.endsWith('policy.wasm'))!;
      const copy = new Uint8Array(w.data);
      copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 1;
      w.data = copy;
    });
    expect(await refusal(wasm)).toMatch(/policy\.wasm: digest mismatch/);
  });

  it('refuses a signature by another key, an unknown key id and a different scope', async () => {
    const forged = await build('forged', signedBy('other', 'release'));
    expect(await refusal(forged)).toMatch(/does not verify with key "release"/);
    const stranger = await build('stranger', signedBy('other', 'ci'));
    expect(await refusal(stranger)).toMatch(/key "ci" is not configured/);
    const scoped = await build('scoped', signedBy('release', 'release', '--signing-scope', 'write'));
    expect(await refusal(scoped)).toMatch(/scope mismatch/);
    await verifyBundleSignature(scoped, { ...verification, scope: 'write' });
  });

  it('refuses a token that switches to HMAC with the public key as the secret', async () => {
    const sig = readTar(signed).find((e) => e.path.endsWith('.signatures.json'))!;
    const token = (JSON.parse(new TextDecoder().decode(sig.data)) as { signatures: string[] }).signatures[0]!;
    const hmac = await new CompactSign(Buffer.from(token.split('.')[1]!, 'base64url'))
      .setProtectedHeader({ alg: 'HS256', kid: 'release' })
      .sign(new TextEncoder().encode(releasePublic));
    const swapped = repack(signed, (files) => {
      const s = files.find((f) => f.name.endsWith('.signatures.json'))!;
      s.data = new TextEncoder().encode(JSON.stringify({ signatures: [hmac] }));
    });
    expect(await refusal(swapped)).toMatch(/does not verify/);
  });

  it('refuses two signatures, or a signatures file that is not JSON', async () => {
    const two = repack(signed, (files) => {
      const s = files.find((f) => f.name.endsWith('.signatures.json'))!;
      const doc = JSON.parse(new TextDecoder().decode(s.data)) as { signatures: string[] };
      s.data = new TextEncoder().encode(
        JSON.stringify({ signatures: [doc.signatures[0], doc.signatures[0]] }),
      );
    });
    expect(await refusal(two)).toMatch(/exactly one signature/);
    const junk = repack(signed, (files) => {
      files.find((f) => f.name.endsWith('.signatures.json'))!.data = new TextEncoder().encode('{');
    });
    expect(await refusal(junk)).toMatch(/not valid JSON/);
  });
});

describe('policy.signing in the gateway', () => {
  it('is validated: only for bundles, known algorithms, keys by reference', () => {
    const check = (policy: object): string => {
      try {
        validateConfig({ resources: [], policy }, dir);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      return '';
    };
    expect(check({ rego: 'rego', signing: { keys: { a: { key: 'file:/k.pem' } } } })).toMatch(
      /policy\.signing: applies only to a bundle/,
    );
    expect(
      check({ bundle: 'b.tar.gz', signing: { keys: { a: { algorithm: 'none', key: 'file:/k' } } } }),
    ).toMatch(/policy\.signing\.keys\.a\.algorithm: expected one of/);
    expect(
      check({ bundle: 'b.tar.gz', signing: { keys: { a: { key: '-----BEGIN PUBLIC KEY-----' } } } }),
    ).toMatch(/policy\.signing\.keys\.a\.key: inline secrets are not accepted/);
    expect(check({ bundle: 'b.tar.gz', signing: { keyid: 'b', keys: { a: { key: 'file:/k' } } } })).toMatch(
      /policy\.signing\.keyid: "b" is not one of/,
    );
  });

  it('loads a signed bundle file and refuses an unsigned one at start', async () => {
    const good: PolicyConfig = {
      kind: 'bundle',
      path: join(dir, 'signed.tar.gz'),
      entrypoint: 'portcullis/decision',
      signing,
    };
    const engine = await loadPolicyEngine(good);
    await engine.close();
    await expect(loadPolicyEngine({ ...good, path: join(dir, 'unsigned.tar.gz') })).rejects.toThrow(
      /cannot load the bundle policy .*not signed/,
    );
  });

  describe('polling a signed bundle URL', () => {
    let server: Server;
    let serving: Uint8Array;
    let etag = '"1"';
    let url = '';
    const warnings: string[] = [];

    beforeAll(async () => {
      serving = signed;
      server = createServer((req, res) => {
        if (req.headers['if-none-match'] === etag) res.writeHead(304, { etag }).end();
        else res.writeHead(200, { etag }).end(serving);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/b.tar.gz`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('keeps the last good policy when a new bundle is unsigned, and takes the next signed one', async () => {
      const engine = await loadPolicyEngine(
        {
          kind: 'remote-bundle',
          url,
          entrypoint: 'portcullis/decision',
          polling: { minDelayMs: 30, maxDelayMs: 40 },
          signing,
        },
        {
          warn: (obj: unknown) => warnings.push(String((obj as { err?: Error }).err?.message)),
          info: () => {},
        },
      );
      try {
        const first = engine.generation ?? 0;
        serving = unsigned;
        etag = '"2"';
        for (let i = 0; i < 200 && warnings.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        expect(warnings[0]).toMatch(/not signed/);
        expect(engine.generation).toBe(first);
        serving = await build('signed-2', signedBy('release', 'release'));
        etag = '"3"';
        for (let i = 0; i < 300 && engine.generation === first; i++)
          await new Promise((r) => setTimeout(r, 10));
        expect(engine.generation ?? 0).toBeGreaterThan(first);
      } finally {
        await engine.close();
      }
    });
  });
});
