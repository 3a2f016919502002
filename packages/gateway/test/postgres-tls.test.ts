import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type PostgresServer, startPostgres } from '@portcullis/pg/test-support/postgres-server';
import { makeTestCerts, type TestCerts } from '@portcullis/pg/test-support/test-certs';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/validate-config.js';
import { type Gateway, startGateway } from '../src/gateway/start-gateway.js';
import { generateApiKey, hashApiKey } from '../src/identity/api-key-hash.js';
import { repoRoot } from './cli-helpers.js';

const exec = promisify(execFile);
const key = generateApiKey();

let certs: TestCerts;
let upstream: PostgresServer;
let gateway: Gateway;
let dir: string;

async function psql(conninfo: string, sql: string) {
  try {
    const { stdout, stderr } = await exec(
      'psql',
      ['-X', '-At', '-v', 'ON_ERROR_STOP=1', conninfo, '-c', sql],
      {
        env: { ...process.env, PGPASSWORD: key, PGCONNECT_TIMEOUT: '10' },
        timeout: 60_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  certs = await makeTestCerts();
  upstream = await startPostgres({ ssl: { certFile: certs.certFile, keyFile: certs.keyFile } });
  // A role the server asks a cleartext password of over TLS, which no binding covers.
  const admin = new pg.Client({
    host: upstream.host,
    port: upstream.port,
    user: upstream.user,
    password: upstream.password,
    database: 'postgres',
  });
  await admin.connect();
  try {
    await admin.query("CREATE ROLE plain_pw LOGIN PASSWORD 'plain-secret'");
    const hba = (await admin.query('SHOW hba_file')).rows[0].hba_file as string;
    writeFileSync(hba, `hostssl all plain_pw 127.0.0.1/32 password\n${readFileSync(hba, 'utf8')}`);
    await admin.query('SELECT pg_reload_conf()');
  } finally {
    await admin.end();
  }
  dir = mkdtempSync(join(tmpdir(), 'portcullis-gw-tls-'));
  const config = validateConfig(
    {
      server: { listen: { port: 0 } },
      policy: { rego: join(repoRoot, 'rego') },
      state: { path: join(dir, 'state.db') },
      audit: { path: join(dir, 'audit.jsonl') },
      recordings: { path: join(dir, 'recordings') },
      identity: { api_keys: [{ id: 'erin', kind: 'human', hash: hashApiKey(key, 'sha256') }] },
      resources: [
        {
          name: 'tls-db',
          labels: { env: 'prod' },
          listen: { port: 0 },
          tls: { cert: `file:${certs.certFile}`, key: `file:${certs.keyFile}` },
          upstream: {
            host: upstream.host,
            port: upstream.port,
            user: upstream.user,
            database: 'postgres',
            password: 'env:UPSTREAM_PASSWORD',
            // SCRAM-SHA-256-PLUS required: the proof bound to the server's certificate.
            tls: { ca: `file:${certs.caFile}`, server_name: 'localhost', channel_binding: 'require' },
          },
        },
        {
          name: 'plain-db',
          labels: { env: 'prod' },
          listen: { port: 0 },
          upstream: {
            host: upstream.host,
            port: upstream.port,
            user: 'plain_pw',
            database: 'postgres',
            password: 'env:PLAIN_PASSWORD',
            tls: { ca: `file:${certs.caFile}`, server_name: 'localhost', channel_binding: 'require' },
          },
        },
      ],
    },
    dir,
  );
  gateway = await startGateway({
    config,
    env: { UPSTREAM_PASSWORD: upstream.password, PLAIN_PASSWORD: 'plain-secret' },
    logger: pino({ level: 'silent' }),
  });
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await upstream?.stop();
  certs?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const conninfo = (extra: string) =>
  `host=localhost port=${gateway.resources.get('tls-db')!.port} user=erin dbname=postgres ${extra}`;

describe('TLS on a postgres resource', () => {
  it('serves psql with verify-full and reaches PostgreSQL over verified TLS', async () => {
    const result = await psql(
      conninfo(`sslmode=verify-full sslrootcert=${certs.caFile}`),
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    expect(result).toMatchObject({ code: 0, stdout: 't\n' });
  });

  it('with channel_binding require, refuses an upstream that asks for a cleartext password', async () => {
    const port = gateway.resources.get('plain-db')!.port;
    const result = await psql(
      `host=127.0.0.1 port=${port} user=erin dbname=postgres sslmode=disable`,
      'SELECT 1',
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('did not authenticate with channel binding');
  });

  it('rejects a channel_binding other than prefer, require or disable', () => {
    const bad = {
      server: { listen: { port: 0 } },
      policy: { rego: join(repoRoot, 'rego') },
      state: { path: join(dir, 'state3.db') },
      audit: { path: join(dir, 'audit3.jsonl') },
      resources: [
        {
          name: 'tls-db',
          listen: { port: 0 },
          upstream: { host: 'db', user: 'u', password: 'env:P', tls: { channel_binding: 'maybe' } },
        },
      ],
    };
    expect(() => validateConfig(bad, dir)).toThrow(/channel_binding: must be prefer, require or disable/);
  });

  it('refuses a client that does not upgrade to TLS', async () => {
    const result = await psql(conninfo('sslmode=disable'), 'SELECT 1');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/TLS|SSL|encrypt/i);
  });

  it('still enforces the policy over TLS', async () => {
    const result = await psql(
      conninfo(`sslmode=verify-full sslrootcert=${certs.caFile}`),
      'DROP TABLE pg_class',
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/sql\.drop_on_prod|denied/);
  });

  it('refuses an upstream whose certificate the configured CA did not sign', async () => {
    const other = await makeTestCerts('Another CA');
    const second = await startGateway({
      config: validateConfig(
        {
          server: { listen: { port: 0 } },
          policy: { rego: join(repoRoot, 'rego') },
          state: { path: join(dir, 'state2.db') },
          audit: { path: join(dir, 'audit2.jsonl') },
          recordings: { path: join(dir, 'recordings') },
          identity: { api_keys: [{ id: 'erin', kind: 'human', hash: hashApiKey(key, 'sha256') }] },
          resources: [
            {
              name: 'tls-db',
              listen: { port: 0 },
              upstream: {
                host: upstream.host,
                port: upstream.port,
                user: upstream.user,
                database: 'postgres',
                password: 'env:UPSTREAM_PASSWORD',
                tls: { ca: `file:${other.caFile}`, server_name: 'localhost' },
              },
            },
          ],
        },
        dir,
      ),
      env: { UPSTREAM_PASSWORD: upstream.password },
      logger: pino({ level: 'silent' }),
    });
    try {
      const port = second.resources.get('tls-db')!.port;
      const result = await psql(
        `host=127.0.0.1 port=${port} user=erin dbname=postgres sslmode=disable`,
        'SELECT 1',
      );
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
    } finally {
      await second.close();
      other.remove();
    }
  });

  it('names unreadable certificate secrets by field in start --check', async () => {
    const { checkSecrets } = await import('../src/config/load-config.js');
    const config = validateConfig(
      {
        resources: [
          {
            name: 'x',
            listen: { port: 0 },
            tls: { cert: 'file:/nonexistent/cert.pem', key: 'env:NO_SUCH_KEY' },
            upstream: { host: 'h', user: 'u', password: 'env:P', tls: { ca: 'file:/nonexistent/ca.pem' } },
          },
        ],
      },
      dir,
    );
    await expect(checkSecrets(config, { P: 'x' })).rejects.toThrow(
      /resources\[0\]\.tls\.cert[\s\S]*resources\[0\]\.tls\.key[\s\S]*resources\[0\]\.upstream\.tls\.ca/,
    );
  });
});
