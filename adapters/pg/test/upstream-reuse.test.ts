/**
 * `upstream.reuse`: an ended session's upstream connection, reset with DISCARD ALL, serves the
 * next session with the same startup parameters, against Debian's PostgreSQL with the pg
 * driver. Which backend a session runs on is its `pg_backend_pid()`.
 */

import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PgProxy, PgProxyOptions } from '../src/index.js';
import { FrontendCode, MessageWriter } from '../src/index.js';
import { clientOn, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { query, RawClient, sqlstate } from './support/raw-client.js';
import { until } from './support/until.js';

let f: ProxyFixture;
let direct: pg.Client;

beforeAll(async () => {
  f = await startProxyFixture();
  direct = await f.direct();
});
afterAll(async () => {
  await direct?.end();
  await f?.stop();
});

async function proxyWith(
  reuse: PgProxyOptions['upstream']['reuse'],
  more: Partial<PgProxyOptions> = {},
): Promise<{ proxy: PgProxy; port: number }> {
  return f.anotherProxy({ upstream: { ...f.upstream, ...(reuse !== undefined ? { reuse } : {}) }, ...more });
}

async function pidOf(c: pg.Client): Promise<number> {
  return (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
}

/** A session that notes its backend, runs `then`, and ends politely. */
async function session(
  port: number,
  app: string,
  then: (c: pg.Client) => Promise<void> = async () => {},
  user: 'alice' | 'agent' = 'alice',
): Promise<number> {
  const c = await clientOn(port, user, undefined, { application_name: app });
  const pid = await pidOf(c);
  await then(c);
  await c.end();
  return pid;
}

async function alive(pid: number): Promise<boolean> {
  return (await living([pid])) === 1;
}

/** How many of these backends the server still has. */
async function living(pids: number[]): Promise<number> {
  const { rows } = await direct.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1)', [
    pids,
  ]);
  return rows[0].n;
}

describe('upstream connections handed to the next session', () => {
  test('the next session, another identity, runs on the backend the last one left', async () => {
    const { proxy, port } = await proxyWith(true);
    const first = await session(port, 'ur-next');
    await until(() => proxy.upstreamReuse.idle === 1);
    const c = await clientOn(port, 'agent', undefined, { application_name: 'ur-next' });
    expect(await pidOf(c)).toBe(first);
    // And works as any session: masks, and statements repeated (the native lane's).
    expect((await c.query('SELECT email FROM users WHERE id = 1')).rows).toEqual([
      { email: '***********.com' },
    ]);
    for (let i = 0; i < 5; i++)
      expect((await c.query('SELECT id FROM users ORDER BY id')).rows).toHaveLength(2);
    await c.end();
    await until(() => proxy.upstreamReuse.idle === 1);
    expect(await session(port, 'ur-next')).toBe(first);
  });

  test('nothing of the last session stays: settings, temporary tables, prepared statements, locks, LISTEN', async () => {
    const { proxy, port } = await proxyWith(true);
    const first = await session(port, 'ur-state', async (c) => {
      await c.query('SET search_path = nowhere');
      await c.query("SET application_name = 'changed'");
      await c.query('CREATE TEMP TABLE scratch (x int)');
      await c.query('PREPARE kept AS SELECT 1');
      await c.query('SELECT pg_advisory_lock(4242)');
      await c.query('LISTEN somewhere');
      await c.query("SELECT set_config('app.tenant', 'first', false)");
    });
    await until(() => proxy.upstreamReuse.idle === 1);
    const c = await clientOn(port, 'alice', undefined, { application_name: 'ur-state' });
    try {
      expect(await pidOf(c)).toBe(first);
      const { rows } = await c.query(
        `SELECT current_setting('search_path') AS path, current_setting('application_name') AS app,
           to_regclass('pg_temp.scratch') AS temp,
           (SELECT count(*)::int FROM pg_prepared_statements) AS prepared,
           (SELECT count(*)::int FROM pg_listening_channels()) AS listening,
           current_setting('app.tenant', true) AS tenant`,
      );
      expect(rows).toEqual([
        { path: '"$user", public', app: 'ur-state', temp: null, prepared: 0, listening: 0, tenant: '' },
      ]);
      const locks = await direct.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'");
      expect(locks.rows[0].n).toBe(0);
    } finally {
      await c.end();
    }
  });

  test('a session on a kept backend cancels its own statement there', async () => {
    const { proxy, port } = await proxyWith(true);
    const first = await RawClient.connect(port, 'alice', 'alice-pw');
    first.write(query(new MessageWriter(), 'SELECT pg_backend_pid()').flush());
    const pid = (await first.waitFor((m) => m.type === 'D')).body.subarray(6).toString();
    await first.readyCount(1);
    first.write(new MessageWriter().begin(FrontendCode.Terminate).end().flush());
    await until(() => proxy.upstreamReuse.idle === 1);

    const raw = await RawClient.connect(port, 'alice', 'alice-pw');
    raw.write(query(new MessageWriter(), 'SELECT pg_backend_pid()').flush());
    expect((await raw.waitFor((m) => m.type === 'D')).body.subarray(6).toString()).toBe(pid);
    await raw.readyCount(1);
    raw.write(query(new MessageWriter(), 'SELECT pg_sleep(10)').flush());
    await new Promise((r) => setTimeout(r, 300));
    await RawClient.cancel(port, raw.backendKey.processId, raw.backendKey.secretKey);
    expect(sqlstate(await raw.waitFor((m) => m.type === 'E', 5000))).toBe('57014');
    await raw.readyCount(2);
    raw.end();
  });

  test('not handed on from inside a transaction, after a disconnect without Terminate, or across startup parameters', async () => {
    const { proxy, port } = await proxyWith(true);
    const inTx = await session(port, 'ur-not', async (c) => {
      await c.query('BEGIN');
    });
    await until(async () => !(await alive(inTx)));
    expect(proxy.upstreamReuse.idle).toBe(0);

    const vanished = await clientOn(port, 'alice', undefined, { application_name: 'ur-not' });
    const vanishedPid = await pidOf(vanished);
    vanished.on('error', () => {});
    (vanished as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await until(async () => !(await alive(vanishedPid)));
    expect(proxy.upstreamReuse.idle).toBe(0);

    const kept = await session(port, 'ur-not');
    await until(() => proxy.upstreamReuse.idle === 1);
    expect(await session(port, 'ur-other')).not.toBe(kept);
    expect(await alive(kept)).toBe(true);
    expect(await session(port, 'ur-not')).toBe(kept);
  });

  test('off by default; over stream I/O too; a backend the server ended is not handed on', async () => {
    const plain = await proxyWith(undefined);
    const a = await session(plain.port, 'ur-off');
    await until(async () => !(await alive(a)));
    expect(await session(plain.port, 'ur-off')).not.toBe(a);
    expect(plain.proxy.upstreamReuse.idle).toBe(0);

    const streams = await proxyWith(true, { directSocketIo: false, nativeLane: false });
    const s = await session(streams.port, 'ur-streams');
    await until(() => streams.proxy.upstreamReuse.idle === 1);
    expect(await session(streams.port, 'ur-streams')).toBe(s);

    const { proxy, port } = await proxyWith(true);
    const killed = await session(port, 'ur-killed');
    await until(() => proxy.upstreamReuse.idle === 1);
    await direct.query('SELECT pg_terminate_backend($1)', [killed]);
    await until(() => proxy.upstreamReuse.idle === 0);
    expect(await session(port, 'ur-killed')).not.toBe(killed);
  });

  test('at most maxIdle, each for idleMs; closing the proxy closes them', async () => {
    const { proxy, port } = await proxyWith({ maxIdle: 1, idleMs: 1000 });
    const clients = await Promise.all(
      [1, 2, 3].map(() => clientOn(port, 'alice', undefined, { application_name: 'ur-bounded' })),
    );
    const pids = await Promise.all(clients.map(pidOf));
    await Promise.all(clients.map((c) => c.end()));
    await until(async () => (await living(pids)) === 1);
    expect(proxy.upstreamReuse.idle).toBe(1);
    await until(async () => (await living(pids)) === 0);
    expect(proxy.upstreamReuse.idle).toBe(0);

    const closing = await proxyWith(true);
    const pid = await session(closing.port, 'ur-closing');
    await until(() => closing.proxy.upstreamReuse.idle === 1);
    await closing.proxy.close();
    await until(async () => !(await alive(pid)));
  });

  test('an invalid reuse is refused when the proxy is made', async () => {
    await expect(proxyWith({ maxIdle: -1 })).rejects.toThrow(/upstream.reuse.maxIdle/);
    await expect(proxyWith({ idleMs: 0 })).rejects.toThrow(/upstream.reuse.idleMs/);
    await expect(proxyWith({ resetTimeoutMs: 1.5 })).rejects.toThrow(/upstream.reuse.resetTimeoutMs/);
    await expect(proxyWith('yes' as never)).rejects.toThrow(/upstream.reuse/);
  });
});
