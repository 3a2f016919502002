import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, staticEvaluator } from '@portcullis/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPgProxy, type PgProxy } from '../src/index.js';
import { type ProxyFixture, startProxyFixture, testPolicy } from './support/proxy-fixture.js';
import { makeTestCerts, type TestCerts } from './support/test-certs.js';

let certs: TestCerts;
let f: ProxyFixture;

beforeAll(async () => {
  certs = await makeTestCerts();
  f = await startProxyFixture({
    postgres: { ssl: { certFile: certs.certFile, keyFile: certs.keyFile } },
    upstreamSsl: { ca: certs.ca, servername: 'localhost' },
  });
});
afterAll(async () => {
  await f?.stop();
  certs?.remove();
});

describe('TLS toward PostgreSQL (verify-full)', () => {
  test('connects with the test CA and the session runs over TLS', async () => {
    const c = await f.through('alice');
    const r = await c.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    expect(r.rows).toEqual([{ ssl: true }]);
    await c.end();
  });

  test('verifies the IP address when no servername is given', async () => {
    const proxy = other({ ca: certs.ca });
    const { port } = await proxy.listen();
    const c = client(port);
    await c.connect();
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await c.end();
    await proxy.close();
  });

  test('a wrong CA fails with a clear error to the client, naming no secret', async () => {
    const wrong = await makeTestCerts('Not The Server CA');
    const proxy = other({ ca: wrong.ca, servername: 'localhost' });
    const { port } = await proxy.listen();
    try {
      const c = client(port);
      const err = await c.connect().catch((e) => e);
      expect(err).toMatchObject({
        code: '08006',
        message: 'could not connect to the upstream server',
        detail: expect.stringContaining('TLS verification of the upstream server failed'),
      });
      expect(String(err.message)).not.toContain(f.server.password);
    } finally {
      await proxy.close();
      wrong.remove();
    }
  });

  test('a wrong host name fails verification', async () => {
    const proxy = other({ ca: certs.ca, servername: 'db.example.com' });
    const { port } = await proxy.listen();
    const err = await client(port)
      .connect()
      .catch((e) => e);
    expect(err).toMatchObject({
      code: '08006',
      detail: expect.stringContaining('ERR_TLS_CERT_ALTNAME_INVALID'),
    });
    await proxy.close();
  });
});

function other(ssl: { ca: string; servername?: string }): PgProxy {
  return createPgProxy({
    engine: createEngine({ evaluator: staticEvaluator(testPolicy, 'test-policy') }),
    upstream: {
      host: '127.0.0.1',
      port: f.server.port,
      user: f.server.user,
      password: f.server.password,
      ssl,
    },
    resource: { name: 'prod-db', labels: { env: 'prod' } },
    authenticate: async () => ({ subject: { id: 'alice@example.com', kind: 'human' } }),
  });
}

function client(port: number): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port, user: 'alice', password: 'x', database: 'app' });
}

describe('SCRAM channel binding toward PostgreSQL (upstream.channelBinding)', () => {
  /** A proxy logging in upstream as `user`, over verify-full TLS, binding as `mode` says. */
  function binding(
    mode: 'prefer' | 'require' | 'disable',
    user = f.server.user,
    password = f.server.password,
  ) {
    return createPgProxy({
      engine: createEngine({ evaluator: staticEvaluator(testPolicy, 'test-policy') }),
      upstream: {
        host: '127.0.0.1',
        port: f.server.port,
        user,
        password,
        database: 'app',
        ssl: { ca: certs.ca, servername: 'localhost' },
        channelBinding: mode,
      },
      resource: { name: 'prod-db', labels: { env: 'prod' } },
      authenticate: async () => ({ subject: { id: 'alice@example.com', kind: 'human' } }),
    });
  }

  /** Connect through `proxy` and run one query; the error if that fails. */
  async function tryProxy(proxy: PgProxy): Promise<unknown> {
    const { port } = await proxy.listen(0, '127.0.0.1');
    try {
      const c = client(port);
      const err = await c.connect().then(
        () => undefined,
        (e: unknown) => e,
      );
      if (err) return err;
      const r = await c.query('SELECT current_user AS u');
      await c.end();
      return r.rows[0].u;
    } finally {
      await proxy.close();
    }
  }

  /** Roles the server authenticates otherwise over TLS: by cleartext password, or not at all. */
  beforeAll(async () => {
    const d = await f.direct();
    try {
      await d.query(`CREATE ROLE plain_pw LOGIN PASSWORD 'plain-secret'; CREATE ROLE trusted LOGIN;
                     GRANT CONNECT ON DATABASE app TO plain_pw, trusted`);
      const hba = (await d.query('SHOW hba_file')).rows[0].hba_file as string;
      const lines = readFileSync(hba, 'utf8');
      writeFileSync(
        hba,
        `hostssl all plain_pw 127.0.0.1/32 password\nhostssl all trusted 127.0.0.1/32 trust\n${lines}`,
      );
      await d.query('SELECT pg_reload_conf()');
    } finally {
      await d.end();
    }
  });

  test("'require' logs in with SCRAM-SHA-256-PLUS, the proof bound to the server's certificate", async () => {
    // The server checks the binding data against its own certificate: a wrong hash fails.
    expect(await tryProxy(binding('require'))).toBe(f.server.user);
  });

  test("'prefer' and 'disable' log in too", async () => {
    expect(await tryProxy(binding('prefer'))).toBe(f.server.user);
    expect(await tryProxy(binding('disable'))).toBe(f.server.user);
  });

  test("'require' sends no password to a server that asks for it in clear, nor logs in under trust", async () => {
    const log = join(f.server.socketDir, 'server.log');
    const before = readFileSync(log, 'utf8').length;
    for (const [user, password] of [
      ['plain_pw', 'wrong-on-purpose'],
      ['trusted', 'unused'],
    ] as const) {
      expect(await tryProxy(binding('require', user, password))).toMatchObject({
        code: '08006',
        detail: expect.stringContaining('did not authenticate with channel binding'),
      });
    }
    // Had the password gone out, the server would have logged its failure.
    expect(readFileSync(log, 'utf8').slice(before)).not.toContain('password authentication failed');
    // Under 'prefer' the same servers let the proxy in, and a wrong password is sent and logged.
    expect(await tryProxy(binding('prefer', 'plain_pw', 'plain-secret'))).toBe('plain_pw');
    expect(await tryProxy(binding('prefer', 'trusted', 'unused'))).toBe('trusted');
    await tryProxy(binding('prefer', 'plain_pw', 'wrong-on-purpose'));
    expect(readFileSync(log, 'utf8').slice(before)).toContain(
      'password authentication failed for user "plain_pw"',
    );
  });

  test("'require' without upstream TLS is refused when the proxy is created", () => {
    expect(() =>
      createPgProxy({
        engine: createEngine({ evaluator: staticEvaluator(testPolicy, 'test-policy') }),
        upstream: { host: '127.0.0.1', port: 5432, user: 'u', password: 'p', channelBinding: 'require' },
        resource: { name: 'prod-db' },
      }),
    ).toThrow(/channelBinding.*needs upstream.ssl/);
  });
});
