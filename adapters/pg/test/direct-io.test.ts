/**
 * The same traffic through the proxy with its sockets read and written on their handles
 * (directSocketIo, the default) and through Node's streams: the bytes that arrive must be the
 * same, in both directions, whatever the read boundaries and however long writes wait.
 */

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryApprovalStore } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MessageWriter } from '../src/index.js';
import { readDataRow } from '../src/protocol/backend-messages.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { psql } from './support/psql.js';
import { query, RawClient } from './support/raw-client.js';

const ROWS = 200_000;

/** Rows of varied length, so messages straddle reads at every offset. */
function bulkNote(i: number): string {
  return `note ${i} ${'x'.repeat(i % 97)} ${createHash('sha1').update(String(i)).digest('hex')}`;
}

let dir: string;
let bulkFile: string;
let bulkDigest: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-direct-io-'));
  bulkFile = join(dir, 'bulk.tsv');
  const lines: string[] = [];
  const notes: string[] = [];
  for (let i = 1; i <= ROWS; i++) {
    const note = bulkNote(i);
    lines.push(`${i}\t${note}`);
    notes.push(note);
  }
  writeFileSync(bulkFile, `${lines.join('\n')}\n`);
  bulkDigest = createHash('md5').update(notes.join('\n')).digest('hex');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  { direct: true, label: 'on socket handles' },
  { direct: false, label: 'on streams' },
])('proxy I/O $label', ({ direct }) => {
  let f: ProxyFixture;
  const accepted: Socket[] = [];
  const onConnection = (s: Socket) => accepted.push(s);

  beforeAll(async () => {
    f = await startProxyFixture({
      proxy: { directSocketIo: direct, approvals: { store: new InMemoryApprovalStore(), waitMs: 60_000 } },
    });
    f.proxy.server.on('connection', onConnection);
    const d = await f.direct();
    await d.query('CREATE TABLE bulk (id int PRIMARY KEY, note text NOT NULL)');
    // The server stops reading now and then, so writes toward it must wait in the queue
    // (holding views of what the client sent) while the client goes on sending.
    await d.query(`
      CREATE FUNCTION bulk_stall() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.id % 40000 = 0 THEN PERFORM pg_sleep(0.3); END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER bulk_stall BEFORE INSERT ON bulk FOR EACH ROW EXECUTE FUNCTION bulk_stall();
    `);
    await d.end();
  }, 120_000);
  afterAll(async () => {
    f.proxy.server.off('connection', onConnection);
    await f?.stop();
  });

  test('a ready session reads its client on the handle only when asked to', async () => {
    const c = await f.through('alice');
    await c.query('SELECT 1');
    const socket = accepted.at(-1) as Socket;
    const handle = (socket as unknown as { _handle: { onread: { name: string } } })._handle;
    // The handle's read callback is the proxy's own only on the direct path.
    expect(handle.onread.name === 'onDirectRead').toBe(direct);
    await c.end();
  });

  test(`COPY FROM STDIN of ${ROWS} rows into a server that stalls arrives byte for byte`, async () => {
    const d = await f.direct();
    await d.query('TRUNCATE bulk');
    await psql({ port: f.port, user: 'alice', password: 'alice-pw' }, [`\\copy bulk FROM '${bulkFile}'`]);
    const r = await d.query(
      "SELECT count(*)::int AS n, md5(string_agg(note, E'\\n' ORDER BY id)) AS digest FROM bulk",
    );
    expect(r.rows[0]).toEqual({ n: ROWS, digest: bulkDigest });
    await d.end();
  }, 120_000);

  test('COPY data in reads that end on message boundaries, into a server that stalls', async () => {
    // 64 KiB of the client's writes is exactly 8 CopyData messages, so the proxy's reads
    // often start on a message and are forwarded as they lie in the read buffer.
    const d = await f.direct();
    try {
      await d.query('TRUNCATE bulk');
      await copyInAlignedMessages();
      const r = await d.query(
        "SELECT count(*)::int AS n, md5(string_agg(note, E'\\n' ORDER BY id)) AS digest FROM bulk",
      );
      expect(r.rows[0]).toEqual({ n: ROWS, digest: bulkDigest });
    } finally {
      await d.end();
    }
  }, 120_000);

  async function copyInAlignedMessages(): Promise<void> {
    const data = Buffer.from(
      `${Array.from({ length: ROWS }, (_, i) => `${i + 1}\t${bulkNote(i + 1)}`).join('\n')}\n`,
    );
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    raw.write(query(new MessageWriter(), 'COPY bulk FROM STDIN').flush());
    await raw.waitFor((m) => m.type === 'G');
    const body = 8192 - 5;
    const w = new MessageWriter(64 * 1024);
    for (let at = 0; at < data.length; at += body) {
      w.begin(0x64)
        .bytes(data.subarray(at, Math.min(at + body, data.length)))
        .end();
      if (w.length >= 64 * 1024) {
        if (!raw.socket.write(w.flush())) await new Promise((r) => raw.socket.once('drain', r));
      }
    }
    w.begin(0x63).end();
    raw.write(w.flush());
    await raw.readyCount(1, 60_000);
    expect(raw.types()).toBe('GCZ');
    raw.end();
  }

  test('the rows come back whole, and pipelined queries answer in order', async () => {
    const c = await f.through('alice');
    const r = await c.query('SELECT id, note FROM bulk ORDER BY id');
    expect(r.rows.length).toBe(ROWS);
    const notes = r.rows.map((row: { note: string }) => row.note);
    expect(createHash('md5').update(notes.join('\n')).digest('hex')).toBe(bulkDigest);
    const ids = Array.from({ length: 300 }, (_, i) => 1 + i * 601);
    const answers = await Promise.all(
      ids.map((id) => c.query('SELECT id, note FROM bulk WHERE id = $1', [id])),
    );
    expect(answers.map((a) => a.rows[0]?.note)).toEqual(ids.map(bulkNote));
    await c.end();
  }, 120_000);

  test('a reader that stalls and resumes gets every row as the server sent it', async () => {
    // While the client reads nothing, writes toward it wait in the queue holding views of what
    // the server sent; reads from the server must not land on those bytes meanwhile.
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    raw.keepRows = false;
    let expected = 1;
    let wrong = 0;
    raw.onRow = (body) => {
      const [g, digest] = readDataRow(body).map((v) => v?.toString());
      const want = String(expected);
      if (g !== want || digest !== createHash('md5').update(want).digest('hex')) wrong++;
      expected++;
    };
    // Far more than loopback's socket buffers hold, so writes toward the client must wait.
    for (let round = 0; round < 2; round++) {
      raw.pause();
      raw.write(
        query(new MessageWriter(), 'SELECT g, md5(g::text) FROM generate_series(1, 500000) g').flush(),
      );
      await new Promise((r) => setTimeout(r, 500));
      raw.resume();
      await raw.readyCount(round + 1, 60_000);
      expect(wrong).toBe(0);
      expect(expected).toBe(500_001);
      expected = 1;
    }
    raw.end();
  }, 120_000);

  test('bytes trickling in while a statement is held keep only their own size', async () => {
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    raw.socket.setNoDelay(true);
    raw.write(query(new MessageWriter(), 'SELECT count(*) FROM payroll').flush());
    await raw.waitFor((m) => m.type === 'N');
    const next = query(new MessageWriter(), 'SELECT 1').flush();
    const before = process.memoryUsage().arrayBuffers;
    // One byte per write, each let through the event loop so the proxy (in this process)
    // reads it on its own: 3000 reads of one byte.
    for (let i = 0; i < 3000; i++) {
      raw.socket.write(next.subarray(i % next.length, (i % next.length) + 1));
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 100));
    const grown = process.memoryUsage().arrayBuffers - before;
    // Kept as read buffers, 3000 reads would pin about 190 MiB.
    expect(grown).toBeLessThan(32 * 1024 * 1024);
    raw.end();
  }, 60_000);

  test('an agent gets its masks on either path', async () => {
    const c = await f.through('agent');
    const r = await c.query('SELECT email FROM users ORDER BY id');
    expect(r.rows.map((row: { email: string }) => row.email)).not.toContain('ada@example.com');
    expect(r.rows[0]?.email).toMatch(/\.com$/);
    await c.end();
  });
});
