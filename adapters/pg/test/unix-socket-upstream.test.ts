/**
 * A proxy beside its server reaches it over the server's Unix-domain socket (`upstream.host`
 * a directory, as libpq's `host=/var/run/postgresql`): sessions, the catalog lookups that
 * column masks need, and cancel requests all go there, with Debian's server and psql.
 */

import { InvalidOptionError } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPgProxy, MessageWriter } from '../src/index.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { psql } from './support/psql.js';
import { query, RawClient, sqlstate } from './support/raw-client.js';

let f: ProxyFixture;
let port: number;

beforeAll(async () => {
  f = await startProxyFixture();
  ({ port } = await f.anotherProxy({ upstream: { ...f.upstream, host: `${f.server.socketDir}/` } }));
}, 120_000);
afterAll(async () => {
  await f?.stop();
});

describe('upstream over a Unix-domain socket', () => {
  test('psql through the proxy: rows, a denied DROP, and column masks resolved through the catalog', async () => {
    const alice = { port, user: 'alice', password: 'alice-pw' };
    expect((await psql(alice, ['SELECT name, email FROM users ORDER BY id'])).stdout.trim()).toBe(
      'Ada|ada@example.com\nGrace|grace@example.org',
    );
    // The connection is the socket's: a Unix-socket session has no client address.
    expect((await psql(alice, ['SELECT inet_client_addr() IS NULL'])).stdout.trim()).toBe('t');
    await expect(psql(alice, ['DROP TABLE victim'])).rejects.toThrow(/DROP is not allowed on production/);
    const agent = await psql({ port, user: 'agent', password: 'agent-pw' }, [
      'SELECT id, email FROM users ORDER BY id',
    ]);
    expect(agent.stdout).not.toContain('ada@example.com');
    expect(agent.stdout).not.toContain('grace@example.org');
    expect(agent.stdout.trim().split('\n')).toHaveLength(2);
  });

  test('a CancelRequest reaches the server over the socket too (57014)', async () => {
    const raw = await RawClient.connect(port, 'alice', 'alice-pw');
    raw.write(query(new MessageWriter(), 'SELECT pg_sleep(10)').flush());
    await new Promise((r) => setTimeout(r, 300));
    await RawClient.cancel(port, raw.backendKey.processId, raw.backendKey.secretKey);
    const err = await raw.waitFor((m) => m.type === 'E', 5000);
    expect(sqlstate(err)).toBe('57014');
    raw.end();
  });

  test('a socket directory with no server: the client gets 08006, the log names the socket', async () => {
    const warned: unknown[] = [];
    const { port: lost } = await f.anotherProxy({
      upstream: { ...f.upstream, host: '/nonexistent/pg' },
      logger: { warn: (fields: unknown) => warned.push(fields) },
    });
    const raw = await RawClient.connect(lost, 'alice', 'alice-pw');
    const fatal = raw.startupMessages.find((m) => m.type === 'E');
    expect(fatal && sqlstate(fatal)).toBe('08006');
    expect(JSON.stringify(warned.map((w) => String((w as { err?: unknown }).err)))).toContain(
      `cannot connect to /nonexistent/pg/.s.PGSQL.${f.upstream.port}`,
    );
    raw.end();
  });

  test('TLS toward a socket is refused when the proxy is created', () => {
    expect(() =>
      createPgProxy({
        engine: { decide: async () => ({}) } as never,
        upstream: { ...f.upstream, host: f.server.socketDir, ssl: true },
        resource: { name: 'db' },
      }),
    ).toThrow(InvalidOptionError);
  });
});
