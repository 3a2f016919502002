import { afterEach, describe, expect, test } from 'vitest';
import { backendMessage, dataRow, fakeBackend, readyForQuery } from '../../test/support/fake-backend.js';
import { until } from '../../test/support/until.js';
import { CatalogClient } from './catalog-client.js';
import { CatalogPool } from './catalog-pool.js';
import { startupKey } from './idle-connections.js';

/**
 * A server that answers every Query with one catalog row, except that `hangUpOn(n, q)` makes
 * its n-th connection close instead of answering its q-th Query: a connection the server
 * ended while the pool kept it idle, found out only on use.
 */
function fakeServer() {
  let closeAt: [connection: number, query: number] | undefined;
  const fake = fakeBackend(({ connection, count }) =>
    closeAt && closeAt[0] === connection && closeAt[1] === count
      ? undefined
      : Buffer.concat([
          dataRow(['16384', '3', 'public', 'users', `email${connection}`, 'r', '']),
          backendMessage('C', 'SELECT 1\0'),
          readyForQuery(),
        ]),
  );
  return {
    ...fake,
    hangUpOn(connection: number, query: number) {
      closeAt = [connection, query];
    },
  };
}

const PARAMS = { database: 'app', application_name: 'pool-test' };
const KEY = [{ tableOid: 16384, attributeNumber: 3 }];

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

/** A fake server and a pool, closed after the test. */
async function started(options = { maxIdle: 4, idleMs: 60_000 }) {
  const fake = fakeServer();
  const port = await fake.listen();
  const pool = new CatalogPool(options);
  cleanup.push(
    () => fake.server.close(),
    () => pool.close(),
  );
  const client = (parameters: Record<string, string> = PARAMS) =>
    new CatalogClient({ host: '127.0.0.1', port, user: 'op', password: 'pw' }, parameters, 1 << 20, pool);
  return { fake, pool, client };
}

describe('CatalogPool', () => {
  test('equal startup parameters make equal keys, whatever their order', () => {
    expect(startupKey({ a: '1', b: '2' })).toBe(startupKey({ b: '2', a: '1' }));
    expect(startupKey({ a: '1' })).not.toBe(startupKey({ a: '2' }));
  });

  test('a closed session leaves its connection to the next; other startup parameters open their own', async () => {
    const { fake, pool, client } = await started();

    const first = client();
    expect((await first.resolve(KEY)).get('16384.3')?.column).toBe('email1');
    first.close();
    await until(() => pool.idle === 1);

    // Other startup parameters do not take it.
    const other = client({ ...PARAMS, application_name: 'other' });
    expect((await other.resolve(KEY)).get('16384.3')?.column).toBe('email2');
    expect(pool.idle).toBe(1);

    const second = client({ application_name: 'pool-test', database: 'app' });
    expect((await second.resolve(KEY)).get('16384.3')?.column).toBe('email1');
    expect(fake.sockets).toHaveLength(2);
    expect(pool.idle).toBe(0);
    second.close();
    other.close();
    await until(() => pool.idle === 2);
    pool.close();
    expect(pool.idle).toBe(0);
    await until(() => fake.sockets.every((s) => s.destroyed));
  });

  test('a kept connection the server closed while idle is replaced, and the lookup answered', async () => {
    const { fake, pool, client } = await started();

    const first = client();
    await first.resolve(KEY);
    first.close();
    await until(() => pool.idle === 1);
    // The server ends the kept connection the moment it is used again.
    fake.hangUpOn(1, 2);
    const second = client();
    expect((await second.resolve(KEY)).get('16384.3')?.column).toBe('email2');
    expect(fake.sockets).toHaveLength(2);
    second.close();
    await until(() => pool.idle === 1);
  });

  test('a fresh connection that fails is not tried again', async () => {
    const { fake, pool, client } = await started();
    fake.hangUpOn(1, 1);
    const lookups = client();
    await expect(lookups.resolve(KEY)).rejects.toThrow(/closed/);
    expect(fake.sockets).toHaveLength(1);
    lookups.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(pool.idle).toBe(0);
  });

  test('keeps at most maxIdle, each for idleMs', async () => {
    const { fake, pool, client } = await started({ maxIdle: 1, idleMs: 200 });
    const clients = [1, 2, 3].map(() => client());
    await Promise.all(clients.map((c) => c.resolve(KEY)));
    for (const c of clients) c.close();
    await until(() => fake.sockets.filter((s) => !s.destroyed).length === 1);
    expect(pool.idle).toBe(1);
    await until(() => pool.idle === 0);
    await until(() => fake.sockets.every((s) => s.destroyed));
  });
});
