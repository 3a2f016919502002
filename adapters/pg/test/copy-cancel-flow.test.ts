import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MessageWriter } from '../src/index.js';
import { readDataRow } from '../src/protocol/backend-messages.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { psql as psqlAt } from './support/psql.js';
import { query, RawClient, sqlstate } from './support/raw-client.js';

let f: ProxyFixture;
let dir: string;

beforeAll(async () => {
  f = await startProxyFixture();
  dir = mkdtempSync(join(tmpdir(), 'portcullis-copy-'));
});
afterAll(async () => {
  await f?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const psql = (user: string, password: string, ...commands: string[]) =>
  psqlAt({ port: f.port, user, password }, commands);

describe('COPY', () => {
  test('COPY FROM STDIN through psql \\copy loads rows', async () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'copied-1\ncopied\\twith tab\n');
    await psql('alice', 'alice-pw', `\\copy log FROM '${file}'`);
    const d = await f.direct();
    const r = await d.query("SELECT note FROM log WHERE note LIKE 'copied%' ORDER BY note");
    expect(r.rows.map((x) => x.note)).toEqual(['copied\twith tab', 'copied-1']);
    await d.end();
  });

  test('COPY FROM STDIN is allowed for a subject with masks (no rows come back)', async () => {
    const file = join(dir, 'agent-notes.txt');
    writeFileSync(file, 'from-agent\n');
    await psql('agent', 'agent-pw', `\\copy log FROM '${file}'`);
    const d = await f.direct();
    expect((await d.query("SELECT count(*)::int AS n FROM log WHERE note = 'from-agent'")).rows[0].n).toBe(1);
    await d.end();
  });

  test('COPY TO STDOUT in clear for a human', async () => {
    const { stdout } = await psql('alice', 'alice-pw', '\\copy users (id, email) TO STDOUT');
    expect(stdout).toBe('1\tada@example.com\n2\tgrace@example.org\n');
  });

  test('COPY table (columns) TO STDOUT: the email column is masked in every row', async () => {
    const { stdout } = await psql('agent', 'agent-pw', '\\copy users (email, name) TO STDOUT');
    const rows = stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r[1])).toEqual(['Ada', 'Grace']);
    for (const [email] of rows) expect(email).not.toMatch(/^(ada|grace)@/);
    expect(rows[0]![0]!.endsWith('.com')).toBe(true);
  });

  test('COPY table TO STDOUT without a column list: columns come from the catalog', async () => {
    const { stdout } = await psql('agent', 'agent-pw', '\\copy public.users TO STDOUT');
    expect(stdout).not.toContain('ada@');
    expect(stdout.split('\n')[0]!.split('\t').slice(0, 2)).toEqual(['1', 'Ada']);
  });

  test('COPY (query) TO STDOUT and CSV COPY carry the column masks', async () => {
    // Unmasked, for reference: a human sees the addresses.
    const { stdout: clear } = await psql(
      'alice',
      'alice-pw',
      '\\copy (SELECT email FROM users ORDER BY id) TO STDOUT',
    );
    expect(clear).toBe('ada@example.com\ngrace@example.org\n');
    for (const cmd of [
      '\\copy (SELECT email FROM users ORDER BY id) TO STDOUT',
      '\\copy users (email) TO STDOUT WITH (FORMAT csv)',
    ]) {
      const { stdout } = await psql('agent', 'agent-pw', cmd);
      const lines = stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(stdout).not.toContain('ada@');
      expect(stdout).not.toContain('grace@');
    }
  });
});

describe('cancel', () => {
  test('a CancelRequest with the key the proxy gave cancels the running statement (57014)', async () => {
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    raw.write(query(new MessageWriter(), 'SELECT pg_sleep(10)').flush());
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await RawClient.cancel(f.port, raw.backendKey.processId, raw.backendKey.secretKey);
    const err = await raw.waitFor((m) => m.type === 'E', 5000);
    expect(sqlstate(err)).toBe('57014');
    expect(Date.now() - started).toBeLessThan(3000);
    await raw.readyCount(1);
    raw.write(query(new MessageWriter(), 'SELECT 1').flush());
    await raw.readyCount(2);
    raw.end();
  });

  test('a CancelRequest with a wrong key cancels nothing', async () => {
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    raw.write(query(new MessageWriter(), 'SELECT pg_sleep(0.8)').flush());
    await new Promise((r) => setTimeout(r, 100));
    await RawClient.cancel(f.port, raw.backendKey.processId, raw.backendKey.secretKey ^ 1);
    await raw.readyCount(1);
    expect(raw.messages.some((m) => m.type === 'E')).toBe(false);
    raw.end();
  });
});

describe('flow control', () => {
  test('a slow reader of 1,000,000 rows: the proxy buffers a bounded amount, the result arrives whole', async () => {
    let proxySide: Socket | undefined;
    const onConnection = (s: Socket) => {
      proxySide = s;
    };
    f.proxy.server.on('connection', onConnection);
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    f.proxy.server.off('connection', onConnection);
    raw.keepRows = false;
    raw.pause();
    raw.write(
      query(new MessageWriter(), 'SELECT g, md5(g::text) FROM generate_series(1, 1000000) g').flush(),
    );
    // Let the server produce as much as it can while the client reads nothing.
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 50));
      peak = Math.max(peak, queuedToClient(proxySide));
    }
    // The whole result is ~60 MB; the proxy holds back at most a few socket buffers' worth.
    expect(peak).toBeLessThan(4 * 1024 * 1024);
    expect(raw.rows).toBeLessThan(1_000_000);
    raw.resume();
    await raw.readyCount(1, 60_000);
    expect(raw.rows).toBe(1_000_000);
    const last = readDataRow(raw.lastRow as Buffer);
    expect(last[0]?.toString()).toBe('1000000');
    raw.end();
  }, 90_000);
});

/**
 * Bytes the proxy has queued toward the client: in the socket's stream, and in its handle's
 * write queue (where direct writes wait; see src/proxy/direct-socket.ts).
 */
function queuedToClient(socket: Socket | undefined): number {
  if (!socket) return 0;
  const handle = (socket as unknown as { _handle?: { writeQueueSize?: number } })._handle;
  return socket.writableLength + (handle?.writeQueueSize ?? 0);
}
