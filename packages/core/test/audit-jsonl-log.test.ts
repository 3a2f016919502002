import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditRecord } from '../src/audit/index.js';
import {
  createJsonlAuditSink,
  rotatedAuditLogName,
  rotatedAuditLogs,
  verifyAuditLog,
  verifyAuditLogs,
} from '../src/audit/index.js';
import { AuditChainError, AuditWriteError } from '../src/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-audit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
function record(extra: Partial<AuditRecord> = {}): AuditRecord {
  n += 1;
  return {
    id: `rec-${n}`,
    time: '2026-11-25T21:00:00Z',
    session_id: 's-1',
    subject: { id: 'alice@example.com', kind: 'human', groups: ['dev'] },
    resource: { type: 'postgres', name: 'prod-db' },
    source: '127.0.0.1',
    action: { type: 'sql', summary: `SELECT ${n}`, fingerprints: ['abc'] },
    effect: 'allow',
    reasons: [],
    masks: [{ column: 'users.email', strategy: 'partial' }],
    response_digest: 'sha256:00',
    durations: { evaluation_ms: 0.2 },
    ...extra,
  };
}

async function logWith(count: number, name: string): Promise<string> {
  const path = join(dir, name);
  const sink = await createJsonlAuditSink({ path, fsync: true });
  for (let i = 0; i < count; i++) await sink.write(record());
  await sink.close();
  return path;
}

const lines = async (path: string) => (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');

describe('JSON-lines audit log', () => {
  it.each([
    { syncWrites: true, mode: 'synchronous writes (the default without fsync)' },
    { syncWrites: false, mode: 'writes through the thread pool' },
  ])(
    'writes one chained record per line, in order, even when writes are not awaited one by one: $mode',
    async ({ syncWrites }) => {
      const path = join(dir, `ordered-${syncWrites}.jsonl`);
      const sink = await createJsonlAuditSink({ path, syncWrites });
      await Promise.all(Array.from({ length: 50 }, (_, i) => sink.write(record({ id: `c-${i}` }))));
      await sink.close();
      const written = (await lines(path)).map((l) => JSON.parse(l));
      expect(written.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(written.map((r) => r.id)).toEqual(Array.from({ length: 50 }, (_, i) => `c-${i}`));
      expect(written[0].prev).toBe('0'.repeat(64));
      expect(written[1].prev).toBe(written[0].hash);
      expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 50, lastHash: written[49].hash });
    },
  );

  it('continues the chain when an existing log is reopened', async () => {
    const path = await logWith(3, 'reopen.jsonl');
    const sink = await createJsonlAuditSink({ path });
    expect(sink.seq).toBe(3);
    await sink.write(record());
    await sink.write(record());
    await sink.close();
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 5 });
  });

  it('detects a tampered field', async () => {
    const path = await logWith(4, 'tamper.jsonl');
    const text = await readFile(path, 'utf8');
    const all = text.split('\n');
    all[1] = all[1]!.replace('"effect":"allow"', '"effect":"deny"');
    await writeFile(path, all.join('\n'));
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      line: 2,
      seq: 2,
      reason: expect.stringMatching(/altered/),
    });
  });

  it('detects a deleted line', async () => {
    const path = await logWith(4, 'delete.jsonl');
    const all = await lines(path);
    all.splice(2, 1);
    await writeFile(path, `${all.join('\n')}\n`);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: false, line: 3, seq: 3 });
  });

  it('detects two swapped lines', async () => {
    const path = await logWith(4, 'swap.jsonl');
    const all = await lines(path);
    [all[0], all[1]] = [all[1]!, all[0]!];
    await writeFile(path, `${all.join('\n')}\n`);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: false, line: 1, seq: 1 });
  });

  it('detects a truncated last line, and refuses to append after it', async () => {
    const path = await logWith(3, 'truncated.jsonl');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, text.length - 20));
    expect(await verifyAuditLog(path)).toMatchObject({ ok: false, line: 3, seq: 3 });
    await expect(createJsonlAuditSink({ path })).rejects.toBeInstanceOf(AuditChainError);
  });

  it('detects a final record cut exactly before its newline', async () => {
    const path = await logWith(2, 'no-newline.jsonl');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, -1));
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/incomplete/),
    });
  });

  it('refuses to continue a log whose last record was altered', async () => {
    const path = await logWith(2, 'altered-tail.jsonl');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace(/"effect":"allow"([^\n]*\n)$/, '"effect":"deny"$1'));
    await expect(createJsonlAuditSink({ path })).rejects.toThrow(AuditChainError);
  });

  it('reads the tail of a log whose last line is longer than one read chunk', async () => {
    const path = join(dir, 'long.jsonl');
    const sink = await createJsonlAuditSink({ path });
    await sink.write(record());
    await sink.write(record({ action: { type: 'sql', summary: 'x'.repeat(200_000) } }));
    await sink.close();
    const again = await createJsonlAuditSink({ path });
    expect(again.seq).toBe(2);
    await again.write(record());
    await again.close();
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 3 });
  });

  it('reports an unwritable path as AuditWriteError', async () => {
    await expect(createJsonlAuditSink({ path: join(dir, 'missing', 'x.jsonl') })).rejects.toBeInstanceOf(
      AuditWriteError,
    );
  });

  it('rejects writes after close', async () => {
    const sink = await createJsonlAuditSink({ path: join(dir, 'closed.jsonl') });
    await sink.close();
    await expect(sink.write(record())).rejects.toBeInstanceOf(AuditWriteError);
  });

  it('rejects a record that cannot be serialised without breaking the chain', async () => {
    const path = join(dir, 'cycle.jsonl');
    const sink = await createJsonlAuditSink({ path });
    const bad = record() as AuditRecord & { self?: unknown };
    bad.self = bad;
    await expect(sink.write(bad)).rejects.toBeInstanceOf(AuditWriteError);
    await sink.write(record());
    await sink.close();
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 1 });
  });

  it.runIf(process.platform === 'linux').each([true, false])(
    'surfaces a failing disk (ENOSPC on /dev/full) and stays failed (syncWrites %s)',
    async (syncWrites) => {
      const sink = await createJsonlAuditSink({ path: '/dev/full', syncWrites });
      const first = sink.write(record());
      const second = sink.write(record());
      await expect(first).rejects.toBeInstanceOf(AuditWriteError);
      await expect(first).rejects.toThrow(/ENOSPC/);
      // Synchronous writes store one turn's records in one write(2), which both fail with;
      // through the queue, the second is refused because the first failed.
      await expect(second).rejects.toThrow(syncWrites ? /ENOSPC/ : /failed earlier/);
      await expect(sink.write(record())).rejects.toThrow(/failed earlier/);
      if (syncWrites) expect(() => sink.writeNow(record())).toThrow(/failed earlier/);
      else expect(sink.writeNow(record())).toBe(false);
      await sink.close();
    },
  );

  it('stores the records written in a turn at its end, in order, and before the process exits in it', async () => {
    const path = join(dir, 'turn.jsonl');
    const sink = await createJsonlAuditSink({ path });
    const written = [sink.write(record({ id: 't-1' })), sink.write(record({ id: 't-2' }))];
    expect(sink.seq).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect((await lines(path)).map((l) => JSON.parse(l).id)).toEqual(['t-1', 't-2']);
    expect(sink.seq).toBe(2);
    await Promise.all(written);
    const third = sink.write(record({ id: 't-3' }));
    await sink.close();
    await third;
    expect((await lines(path)).map((l) => JSON.parse(l).id)).toEqual(['t-1', 't-2', 't-3']);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 3 });

    // A process that exits, or dies of an uncaught exception, in the turn still stores them.
    const source = new URL('../src/audit/jsonl-audit-sink.ts', import.meta.url).href;
    for (const [name, end, code] of [
      ['exit', 'process.exit(3);', 3],
      ['throw', "throw new Error('boom');", 1],
    ] as const) {
      const log = join(dir, `dies-${name}.jsonl`);
      const script = join(dir, `dies-${name}.mts`);
      await writeFile(
        script,
        `import { createJsonlAuditSink } from ${JSON.stringify(source)};
         const sink = await createJsonlAuditSink({ path: ${JSON.stringify(log)} });
         for (const id of ["d-1", "d-2"]) void sink.write({ ...${JSON.stringify(record())}, id }).catch(() => {});
         ${end}`,
      );
      const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
        cwd: fileURLToPath(new URL('../../..', import.meta.url)),
        encoding: 'utf8',
      });
      expect(child.status, child.stderr).toBe(code);
      expect(await lines(log)).toHaveLength(2);
      expect(await verifyAuditLog(log)).toMatchObject({ ok: true, records: 2 });
    }
  });

  it('treats an appended forged line as a break', async () => {
    const path = await logWith(2, 'forged.jsonl');
    const all = await lines(path);
    await appendFile(path, `${all[1]}\n`);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: false, line: 3, seq: 3 });
  });

  it('writeNow stores on the spot with synchronous writes, in order with write, and declines otherwise', async () => {
    const path = join(dir, 'now.jsonl');
    const sink = await createJsonlAuditSink({ path });
    const before = sink.write(record({ id: 'w-1' }));
    expect(sink.writeNow(record({ id: 'n-2' }))).toBe(true);
    // Stored when it returns: the line is in the file before any await.
    expect((await lines(path)).map((l) => JSON.parse(l).id)).toEqual(['w-1', 'n-2']);
    await before;
    await sink.close();
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 2 });

    for (const options of [{ fsync: true }, { syncWrites: false }]) {
      const other = join(dir, `later-${Object.keys(options)[0]}.jsonl`);
      const later = await createJsonlAuditSink({ path: other, ...options });
      expect(later.writeNow(record())).toBe(false);
      await later.write(record());
      await later.close();
      expect(await verifyAuditLog(other)).toMatchObject({ ok: true, records: 1 });
    }
  });

  it('writeNow on a closed sink throws as write rejects, and stores nothing', async () => {
    const path = join(dir, 'now-closed.jsonl');
    const sink = await createJsonlAuditSink({ path });
    await sink.close();
    expect(() => sink.writeNow(record())).toThrow(AuditWriteError);
    await expect(sink.write(record())).rejects.toThrow(/closed/);
    expect(await lines(path)).toEqual([]);
  });

  it.runIf(process.platform === 'linux')(
    'writeNow throws on a failing disk and the sink stays failed',
    async () => {
      const sink = await createJsonlAuditSink({ path: '/dev/full' });
      expect(() => sink.writeNow(record())).toThrow(/ENOSPC/);
      expect(() => sink.writeNow(record())).toThrow(/failed earlier/);
      await expect(sink.write(record())).rejects.toThrow(/failed earlier/);
      await sink.close();
    },
  );
});

describe('JSON-lines audit log, rotated', () => {
  /** The rotated files and the current one, in chain order. */
  const allFiles = async (path: string) => [...(await rotatedAuditLogs(path)).map((f) => f.path), path];

  it.each([
    { fsync: false, mode: 'synchronous writes, rotation in the background' },
    { fsync: true, mode: 'fsync, rotation in the write queue' },
  ])(
    'rotates by size into files named by their first seq, one chain across them: $mode',
    async ({ fsync }) => {
      const logDir = join(dir, `rotated-${fsync}`);
      await mkdir(logDir);
      const path = join(logDir, 'audit.jsonl');
      const rotated: string[] = [];
      const sink = await createJsonlAuditSink({
        path,
        fsync,
        rotateBytes: 4096,
        onRotated: (p) => rotated.push(p),
        onRotateError: (err) => {
          throw err;
        },
      });
      // Written as a proxy does: several at once, some stored on the spot (without fsync),
      // and time in between for a rotation in the background to finish.
      let written = 0;
      for (let round = 0; round < 20; round++) {
        await Promise.all(Array.from({ length: 3 }, () => sink.write(record())));
        written += 3 + (sink.writeNow(record()) ? 1 : 0);
        await new Promise((r) => setTimeout(r, 5));
      }
      await sink.close();
      expect(written).toBe(fsync ? 60 : 80);
      const files = await rotatedAuditLogs(path);
      expect(files.length).toBeGreaterThan(5);
      expect(rotated).toEqual(files.map((f) => f.path));
      let expectedSeq = 1;
      for (const file of [...files, { path, firstSeq: undefined }]) {
        const records = (await lines(file.path)).map((l) => JSON.parse(l));
        // The current file is empty when a rotation came last.
        if (file.firstSeq === undefined && records.length === 0) continue;
        // Each file starts where the one before it ended, and its name says where.
        expect(records[0].seq).toBe(expectedSeq);
        if (file.firstSeq !== undefined) {
          expect(file.firstSeq).toBe(expectedSeq);
          expect(file.path).toBe(rotatedAuditLogName(path, expectedSeq));
          // Full when rotated: the records of a turn land together, so a file overshoots by one batch at most.
          expect((await stat(file.path)).size).toBeGreaterThanOrEqual(4096);
        }
        expectedSeq += records.length;
      }
      expect(await verifyAuditLogs(await allFiles(path))).toMatchObject({
        ok: true,
        records: written,
        firstSeq: 1,
      });
      // On its own, a later file is a chain taken up in the middle.
      expect(await verifyAuditLog(files[2]!.path)).toMatchObject({ ok: false, line: 1 });
      expect(await verifyAuditLog(files[2]!.path, { from: 'first-record' })).toMatchObject({
        ok: true,
        firstSeq: files[2]!.firstSeq,
      });
      expect((await readdir(logDir)).filter((f) => f.endsWith('.next'))).toEqual([]);
    },
  );

  it('reopened with its file empty or missing, a log goes on from the newest rotated file', async () => {
    const logDir = join(dir, 'rotated-reopen');
    await mkdir(logDir);
    const path = join(logDir, 'audit.jsonl');
    // With fsync the rotation is made in the write queue, right after the record that fills the file.
    let rotations = 0;
    const first = await createJsonlAuditSink({
      path,
      fsync: true,
      rotateBytes: 2000,
      onRotated: () => {
        rotations += 1;
      },
    });
    while (rotations === 0) await first.write(record());
    const before = first.seq;
    await first.close();
    // The process stopped right after a rotation: the current file is empty.
    expect((await stat(path)).size).toBe(0);
    const last = await rotatedAuditLogs(path);
    expect(last.length).toBeGreaterThan(0);
    const again = await createJsonlAuditSink({ path, rotateBytes: 2000 });
    expect(again.seq).toBe(before);
    await again.write(record());
    await again.close();
    // Or between the two renames of a rotation: no file at the path at all.
    const current = await readFile(path, 'utf8');
    await rm(path);
    await writeFile(rotatedAuditLogName(path, before + 1), current);
    const third = await createJsonlAuditSink({ path });
    expect(third.seq).toBe(before + 1);
    await third.write(record());
    await third.close();
    expect(await verifyAuditLogs(await allFiles(path))).toMatchObject({ ok: true, records: before + 2 });
  });

  it('a rotation that cannot be made is reported, loses nothing, and is tried again later', async () => {
    const logDir = join(dir, 'rotated-blocked');
    await mkdir(logDir);
    const path = join(logDir, 'audit.jsonl');
    const opening = await createJsonlAuditSink({ path });
    await opening.write(record());
    await opening.close();
    // A file already holds the name the first rotation would take.
    await writeFile(rotatedAuditLogName(path, 1), 'not ours\n');
    const errors: unknown[] = [];
    const sink = await createJsonlAuditSink({
      path,
      rotateBytes: 3000,
      onRotateError: (err) => errors.push(err),
    });
    for (let i = 0; i < 5; i++) await sink.write(record());
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(String(errors[0])).toMatch(/already exists/);
    expect(await readFile(rotatedAuditLogName(path, 1), 'utf8')).toBe('not ours\n');
    // Not tried again at every record: only once the file has grown by another 3000 bytes.
    await sink.write(record());
    await new Promise((r) => setTimeout(r, 20));
    expect(errors).toHaveLength(1);
    for (let i = 0; i < 5; i++) await sink.write(record());
    await vi.waitFor(() => expect(errors).toHaveLength(2));
    await sink.close();
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 12 });
  });

  it('refuses a rotation size that is not a whole number of bytes', async () => {
    await expect(
      createJsonlAuditSink({ path: join(dir, 'bad-rotate.jsonl'), rotateBytes: -1 }),
    ).rejects.toThrow(AuditWriteError);
  });
});
