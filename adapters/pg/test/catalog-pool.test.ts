/**
 * The catalog connection a session opened for its lookups (which table a result column comes
 * from) stays open when the session ends and serves the next session with the same startup
 * parameters, against Debian's PostgreSQL with the pg driver: the server backends are counted
 * in pg_stat_activity, by the application_name each test's clients send (the proxy forwards it
 * on both of its connections).
 */

import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PgProxyOptions } from '../src/index.js';
import { clientOn, type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
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

/** The server backends of clients that sent `app`, by pid. */
async function backends(app: string): Promise<number[]> {
  const { rows } = await direct.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid',
    [app],
  );
  return rows.map((r) => r.pid);
}

/** An agent session that reads the masked column, then ends. */
async function maskedRead(port: number, app: string): Promise<void> {
  const c = await clientOn(port, 'agent', undefined, { application_name: app });
  try {
    const { rows } = await c.query('SELECT email FROM users ORDER BY id');
    expect(rows.map((r) => r.email)).toEqual(['***********.com', '*************.org']);
  } finally {
    await c.end();
  }
}

async function proxyWith(catalogPool: PgProxyOptions['upstream']['catalogPool']) {
  return f.anotherProxy({
    upstream: { ...f.upstream, ...(catalogPool !== undefined ? { catalogPool } : {}) },
  });
}

describe('catalog connections kept for the next session', () => {
  test('the next session looks up on the backend the last one left, and masks as before', async () => {
    const { port } = await proxyWith(undefined);
    await maskedRead(port, 'cp-reuse');
    // The session's own backend goes; its catalog connection stays.
    await until(async () => (await backends('cp-reuse')).length === 1);
    const [kept] = await backends('cp-reuse');

    const c = await clientOn(port, 'agent', undefined, { application_name: 'cp-reuse' });
    expect((await c.query('SELECT id, email FROM users WHERE id = 1')).rows).toEqual([
      { id: 1, email: '***********.com' },
    ]);
    // The session's backend and the kept one: no second catalog backend was started.
    const during = await backends('cp-reuse');
    expect(during).toHaveLength(2);
    expect(during).toContain(kept);
    await c.end();
    await until(async () => (await backends('cp-reuse')).join() === String(kept));

    // Another application_name is other startup parameters: it opens its own.
    await maskedRead(port, 'cp-other');
    await until(async () => (await backends('cp-other')).length === 1);
    expect((await backends('cp-other'))[0]).not.toBe(kept);
    expect(await backends('cp-reuse')).toEqual([kept]);
  });

  test('a kept connection whose backend the server ended does not fail the next session', async () => {
    const { port } = await proxyWith(undefined);
    await maskedRead(port, 'cp-killed');
    await until(async () => (await backends('cp-killed')).length === 1);
    const [kept] = await backends('cp-killed');
    await direct.query('SELECT pg_terminate_backend($1)', [kept]);
    await maskedRead(port, 'cp-killed');
    await until(async () => (await backends('cp-killed')).length === 1);
    expect((await backends('cp-killed'))[0]).not.toBe(kept);
  });

  test('at most maxIdle are kept, for idleMs; false keeps none; closing the proxy closes them', async () => {
    const bounded = await proxyWith({ maxIdle: 1, idleMs: 1500 });
    await Promise.all([1, 2, 3].map(() => maskedRead(bounded.port, 'cp-bounded')));
    await until(async () => (await backends('cp-bounded')).length === 1);
    // Past idleMs unused, it goes too.
    await until(async () => (await backends('cp-bounded')).length === 0);

    const none = await proxyWith(false);
    await maskedRead(none.port, 'cp-none');
    await until(async () => (await backends('cp-none')).length === 0);

    const closing = await proxyWith(undefined);
    await maskedRead(closing.port, 'cp-closing');
    await until(async () => (await backends('cp-closing')).length === 1);
    await closing.proxy.close();
    await until(async () => (await backends('cp-closing')).length === 0);
  });

  test('an invalid catalogPool is refused when the proxy is made', async () => {
    await expect(proxyWith({ maxIdle: -1 })).rejects.toThrow(/catalogPool.maxIdle/);
    await expect(proxyWith({ idleMs: 0 })).rejects.toThrow(/catalogPool.idleMs/);
    await expect(proxyWith('yes' as never)).rejects.toThrow(/catalogPool/);
  });
});
