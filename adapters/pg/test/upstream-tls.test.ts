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
