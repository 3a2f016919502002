import { afterEach, describe, expect, test } from 'vitest';
import {
  backendMessage,
  type FakeQuery,
  fakeBackend,
  readyForQuery,
} from '../../test/support/fake-backend.js';
import { until } from '../../test/support/until.js';
import { connectUpstream } from '../upstream/connect-upstream.js';
import { directSocket } from './direct-socket.js';
import { UpstreamReuse } from './upstream-reuse.js';

const PARAMS = { database: 'app', application_name: 'reuse-test' };
const DISCARDED = Buffer.concat([backendMessage('C', 'DISCARD ALL\0'), readyForQuery()]);

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

/** A fake server answering DISCARD ALL as `reset` says, a pool, and a connection to release. */
async function started(
  reset: (q: FakeQuery) => Buffer | undefined,
  options: { resetTimeoutMs?: number } = {},
) {
  const fake = fakeBackend((q) => (q.sql === 'DISCARD ALL' ? reset(q) : DISCARDED));
  const port = await fake.listen();
  const reuse = new UpstreamReuse({
    maxIdle: 4,
    idleMs: 60_000,
    resetTimeoutMs: options.resetTimeoutMs ?? 5_000,
    maxMessageSize: 1 << 20,
  });
  cleanup.push(
    () => reuse.close(),
    () => fake.close(),
  );
  const connect = () =>
    connectUpstream({ host: '127.0.0.1', port, user: 'op', password: 'pw' }, PARAMS, 1 << 20, {
      reuseReadBuffer: true,
    });
  return { fake, reuse, connect };
}

describe('UpstreamReuse', () => {
  test('a connection reset in step is kept, with the settings the reset reported, and handed on once', async () => {
    const { fake, reuse, connect } = await started(() =>
      Buffer.concat([backendMessage('S', 'DateStyle\0ISO, MDY\0'), DISCARDED]),
    );
    for (const direct of [false, true]) {
      const c = await connect();
      reuse.release(
        PARAMS,
        { ...c, parameters: [['DateStyle', 'German, DMY']] },
        direct ? directSocket(c.socket) : undefined,
      );
      await until(() => reuse.idle === 1);
      expect(reuse.take({ ...PARAMS, application_name: 'other' })).toBeUndefined();
      const taken = reuse.take({ application_name: 'reuse-test', database: 'app' });
      expect(taken?.connection.socket).toBe(c.socket);
      expect(taken?.connection.parameters).toEqual([['DateStyle', 'ISO, MDY']]);
      expect(taken?.io !== undefined).toBe(direct);
      expect(reuse.take(PARAMS)).toBeUndefined();
      taken?.connection.socket.destroy();
    }
    expect(reuse.handedOn).toBe(2);
    expect(fake.sockets).toHaveLength(2);
  });

  test('a reset that fails, ends in a transaction or does not answer closes the connection', async () => {
    const answers: ((q: FakeQuery) => Buffer | undefined)[] = [
      () => Buffer.concat([backendMessage('E', 'SERROR\0C25001\0Mno\0\0'), readyForQuery()]),
      () => Buffer.concat([backendMessage('C', 'DISCARD ALL\0'), readyForQuery('T')]),
      () => Buffer.alloc(0),
    ];
    for (const answer of answers) {
      const { fake, reuse, connect } = await started(answer, { resetTimeoutMs: 200 });
      reuse.release(PARAMS, await connect(), undefined);
      await until(() => fake.sockets[0]?.destroyed === true);
      expect(reuse.idle).toBe(0);
      expect(reuse.take(PARAMS)).toBeUndefined();
    }
  });

  test('a kept connection the server speaks to, or closes, is dropped', async () => {
    const { fake, reuse, connect } = await started(() => DISCARDED);
    for (const action of ['notice', 'close'] as const) {
      const c = await connect();
      reuse.release(PARAMS, c, directSocket(c.socket));
      await until(() => reuse.idle === 1);
      const server = fake.sockets.at(-1);
      if (action === 'notice') server?.write(backendMessage('N', 'SNOTICE\0Mhello\0\0'));
      else server?.destroy();
      await until(() => reuse.idle === 0);
      await until(() => c.socket.destroyed);
    }
  });

  test('close() ends kept connections and those given back later', async () => {
    const { fake, reuse, connect } = await started(() => DISCARDED);
    reuse.release(PARAMS, await connect(), undefined);
    await until(() => reuse.idle === 1);
    reuse.close();
    expect(reuse.idle).toBe(0);
    const late = await connect();
    reuse.release(PARAMS, late, undefined);
    await until(() => fake.sockets.every((s) => s.destroyed));
    expect(reuse.idle).toBe(0);
  });
});
