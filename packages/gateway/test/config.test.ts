import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/validate-config.js';
import { ConfigError } from '../src/errors.js';
import { hashApiKey } from '../src/identity/api-key-hash.js';
import { repoRoot, runCli } from './cli-helpers.js';

const resource = {
  name: 'prod-db',
  labels: { env: 'prod' },
  listen: { port: 6432 },
  upstream: { host: 'db.internal', port: 5432, user: 'portcullis', password: 'env:PROD_DB_PASSWORD' },
};

function issues(doc: unknown): string[] {
  try {
    validateConfig(doc, '/etc/portcullis');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('PC_GATEWAY_CONFIG');
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('validateConfig', () => {
  it('fills in defaults and resolves paths against the config directory', () => {
    const config = validateConfig({ resources: [resource] }, '/etc/portcullis');
    expect(config).toMatchObject({
      server: { host: '127.0.0.1', port: 8080 },
      policy: { kind: 'rego', path: '/etc/portcullis/rego', entrypoint: 'portcullis/decision' },
      state: { path: '/etc/portcullis/.portcullis/state.db' },
      audit: { path: '/etc/portcullis/.portcullis/audit.jsonl', fsync: false },
      approvals: { wait: '5m', waitMs: 300_000, ttl: '1h' },
      recordings: { path: '/etc/portcullis/.portcullis/recordings' },
      log: { level: 'info' },
      resources: [
        {
          name: 'prod-db',
          listen: { host: '127.0.0.1', port: 6432 },
          upstream: { password: { from: 'env', name: 'PROD_DB_PASSWORD' } },
        },
      ],
    });
  });

  it('takes a log level and refuses one pino does not know', () => {
    expect(validateConfig({ resources: [resource], log: { level: 'debug' } }, '/etc/portcullis').log).toEqual(
      {
        level: 'debug',
      },
    );
    expect(issues({ resources: [resource], log: { level: 'verbose' } })).toEqual([
      'log.level: expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
    ]);
  });

  it('names the field and what it expects', () => {
    expect(issues({ resources: [{ ...resource, upstream: { ...resource.upstream, port: 'abc' } }] })).toEqual(
      ['resources[0].upstream.port: expected an integer 1-65535, got "abc"'],
    );
  });

  it('takes a Unix-domain socket directory as upstream.host, and refuses TLS toward it', () => {
    const socket = { ...resource, upstream: { ...resource.upstream, host: '/var/run/postgresql' } };
    expect(issues({ resources: [socket] })).toEqual([]);
    expect(issues({ resources: [{ ...socket, upstream: { ...socket.upstream, tls: true } }] })).toEqual([
      'resources[0].upstream.tls: must be off when upstream.host is the directory of a Unix-domain socket: PostgreSQL offers no TLS there',
    ]);
  });

  it('refuses inline secrets without echoing them', () => {
    const found = issues({
      resources: [{ ...resource, upstream: { ...resource.upstream, password: 'hunter2' } }],
    });
    expect(found).toEqual([
      'resources[0].upstream.password: inline secrets are not accepted; use env:VARIABLE or file:/path/to/secret',
    ]);
    expect(found.join()).not.toContain('hunter2');
  });

  it('collects every problem in one pass', () => {
    const found = issues({
      resources: [resource, { ...resource, listen: { port: 70000 } }],
      policy: { rego: 'rego', wasm: 'p.wasm' },
      approvals: { wait: 'soon', webhook: 'ftp://x' },
      identity: { api_keys: [{ id: 'bot', hash: 'plaintext-key' }] },
      stat: {},
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'stat: unknown field; expected one of version, server, resources, policy, identity, state, audit, approvals, credentials, recordings, log',
        'resources[1].listen.port: expected an integer 1-65535 (0 picks a free port), got 70000',
        'policy: give exactly one of rego (a directory), wasm (a .wasm file) or bundle (a .tar.gz)',
        'approvals.wait: expected a duration such as 30s, 15m or 1h30m, got "soon"',
        'approvals.webhook: "ftp://x" is not an http:// or https:// URL',
        'identity.api_keys[0].hash: expected scrypt$… or sha256$… as printed by `portcullis keys generate` (never the key itself)',
      ]),
    );
  });

  it('refuses two resources with one name or one listener', () => {
    expect(issues({ resources: [resource, resource] })).toEqual([
      'resources[1].name: "prod-db" is already used by resources[0]; names must be unique',
      'resources.prod-db.listen: 127.0.0.1:6432 is also the listener of prod-db; give each resource its own port',
    ]);
  });

  it('requires at least one resource', () => {
    expect(issues({})).toEqual([
      'resources: expected a list with at least one resource ({ name, labels, listen, upstream })',
    ]);
  });

  it('accepts hashed API keys and OIDC settings', () => {
    const config = validateConfig(
      {
        resources: [resource],
        identity: {
          oidc: { issuer: 'https://id.example.com', audience: 'portcullis' },
          api_keys: [{ id: 'dana', kind: 'human', groups: ['dba'], hash: hashApiKey('k', 'sha256') }],
        },
      },
      '/x',
    );
    expect(config.identity.oidc?.claims).toEqual({
      subject: 'sub',
      groups: 'groups',
      kind: { claim: 'portcullis_kind', agentValues: ['agent'] },
    });
    expect(config.identity.apiKeys[0]).toMatchObject({ id: 'dana', kind: 'human', groups: ['dba'] });
  });
});

describe('portcullis start --check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-config-'));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const good = `
resources:
  - name: prod-db
    labels: { env: prod }
    listen: { port: 6432 }
    upstream: { host: 127.0.0.1, user: portcullis, password: "env:PC_TEST_DB_PASSWORD" }
policy:
  rego: ${join(repoRoot, 'rego')}
`;

  it('exits 0 for a valid file whose secrets and policy load', async () => {
    process.env.PC_TEST_DB_PASSWORD = 'secret-value';
    const result = await runCli(['start', '--config', write('good.yaml', good), '--check']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ok \(1 resource: prod-db\)/);
    expect(result.stdout + result.stderr).not.toContain('secret-value');
  });

  it('exits 1 naming the unset variable', async () => {
    delete process.env.PC_TEST_DB_PASSWORD;
    const result = await runCli(['start', '--config', write('good2.yaml', good), '--check']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'resources[0].upstream.password: environment variable PC_TEST_DB_PASSWORD is not set',
    );
  });

  it('exits 1 listing field errors, and for YAML that does not parse', async () => {
    const bad = await runCli([
      'start',
      '-c',
      write('bad.yaml', good.replace('listen: { port: 6432 }', 'listen: { port: "abc" }')),
      '--check',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'resources[0].listen.port: expected an integer 1-65535 (0 picks a free port), got "abc"',
    );
    const broken = await runCli(['start', '-c', write('broken.yaml', 'resources: [\n'), '--check']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/not valid YAML/);
    const missing = await runCli(['start', '-c', join(dir, 'nope.yaml'), '--check']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read config file .*ENOENT/);
  });

  it('validates the example in examples/', async () => {
    process.env.PROD_DB_PASSWORD = 'x';
    const result = await runCli(['start', '--config', join(repoRoot, 'examples/portcullis.yaml'), '--check']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
