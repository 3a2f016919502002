import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { CatalogClient } from './catalog-client.js';
import { CatalogPool, catalogPoolKey } from './catalog-pool.js';

/** A backend message: type, length, body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function dataRow(values: string[]): Buffer {
  const parts = values.map((v) => {
    const len = Buffer.alloc(4);
    len.writeInt32BE(Buffer.byteLength(v));
    return Buffer.concat([len, Buffer.from(v)]);
  });
  const count = Buffer.alloc(2);
  count.writeInt16BE(values.length);
  return message('D', Buffer.concat([count, ...parts]));
}

const ready = message('Z', Buffer.from('I'));

/**
 * A server that logs anyone in and answers every Query with one catalog row, except that
 * `hangUpOn(n, q)` makes its n-th connection close instead of answering its q-th Query: a
 * connection the server ended while the pool kept it idle, found out only on use.
 */
function fakeServer() {
  const sockets: Socket[] = [];
  let closeAt: [connection: number, query: number] | undefined;
  const server: Server = createServer((socket) => {
    const index = sockets.push(socket);
    let started = false;
    let queries = 0;
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (!started) {
          if (buffered.length < 4) return;
          const len = buffered.readInt32BE(0);
          if (buffered.length < len) return;
          buffered = buffered.subarray(len);
          started = true;
          socket.write(Buffer.concat([message('R', Buffer.from([0, 0, 0, 0])), ready]));
          continue;
        }
        if (buffered.length < 5) return;
        const len = buffered.readInt32BE(1);
        if (buffered.length < len + 1) return;
        const type = String.fromCharCode(buffered[0] as number);
        buffered = buffered.subarray(len + 1);
        if (type !== 'Q') continue;
        queries++;
        if (closeAt && closeAt[0] === index && closeAt[1] === queries) {
          socket.destroy();
          return;
        }
        socket.write(
          Buffer.concat([
            dataRow(['16384', '3', 'public', 'users', `email${index}`, 'r', '']),
            message('C', Buffer.from('SELECT 1\0')),
            ready,
          ]),
        );
      }
    });
    socket.on('error', () => {});
  });
  return {
    server,
    sockets,
    hangUpOn(connection: number, query: number) {
      closeAt = [connection, query];
    },
    async listen(): Promise<number> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as { port: number }).port;
    },
  };
}

const PARAMS = { database: 'app', application_name: 'pool-test' };
const KEY = [{ tableOid: 16384, attributeNumber: 3 }];

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

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
    expect(catalogPoolKey({ a: '1', b: '2' })).toBe(catalogPoolKey({ b: '2', a: '1' }));
    expect(catalogPoolKey({ a: '1' })).not.toBe(catalogPoolKey({ a: '2' }));
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
