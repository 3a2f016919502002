/**
 * The gateway's audit sink: the JSONL log first, then the index, whose writes are gathered
 * for a few milliseconds into one transaction (SQLite) and never hold a statement up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditRecord, type AuditSink, createJsonlAuditSink, verifyAuditLog } from '@portcullis/core';
import { afterAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  AuditIndex,
  type AuditIndexStore,
  asyncAuditIndex,
  INDEX_BATCH_MAX,
  INDEX_BATCH_MS,
  indexedAuditSink,
} from '../src/state/audit-index.js';
import { openStateDatabase } from '../src/state/state-database.js';

const dir = mkdtempSync(join(tmpdir(), 'pc-indexed-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const record = (subject = 'agent-1'): AuditRecord => ({
  id: `rec-${++n}`,
  time: new Date(Date.UTC(2026, 10, 26, 9, 0, 0, n)).toISOString(),
  session_id: 's-1',
  subject: { id: subject, kind: 'agent', groups: [] },
  resource: { type: 'postgres', name: 'db' },
  source: '127.0.0.1',
  action: { type: 'sql', summary: `SELECT ${n}` },
  effect: 'allow',
  reasons: [{ rule: 'sql.ok', message: 'fine' }],
  masks: [],
  durations: {},
});

const batchWindow = () => new Promise((r) => setTimeout(r, INDEX_BATCH_MS + 20));

describe('indexedAuditSink', () => {
  it('indexes the records of a few milliseconds in one batch, after the log has them', async () => {
    // The window's own timer is faked: on a loaded machine, reading the log back below can
    // take longer than the window, and the batch would close early.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const path = join(dir, 'batched.jsonl');
    const log = await createJsonlAuditSink({ path });
    const batches: string[][] = [];
    const index: AuditIndexStore = {
      add: () => {
        throw new Error('the sink indexes in batches');
      },
      addMany: (records) => {
        batches.push(records.map((r) => r.id));
      },
      query: async () => [],
      prune: () => 0,
    };
    const sink = indexedAuditSink(log, index, (err) => {
      throw err;
    });
    const first = [record(), record(), record()];
    await Promise.all(first.map((r) => sink.write(r)));
    expect(sink.writeNow?.(record())).toBe(true);
    // Nothing indexed yet; the log already holds all four.
    expect(batches).toEqual([]);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 4 });
    await new Promise((r) => setImmediate(r));
    await sink.write(record());
    vi.advanceTimersByTime(INDEX_BATCH_MS - 1);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(batches.map((b) => b.length)).toEqual([5]);
    // A full batch goes at once, without waiting for the window.
    for (let i = 0; i < INDEX_BATCH_MAX; i++) await sink.write(record());
    expect(batches.map((b) => b.length)).toEqual([5, INDEX_BATCH_MAX]);
    await sink.close();
  });

  it('close indexes what is still gathered, and waits for an index that answers later', async () => {
    const log = await createJsonlAuditSink({ path: join(dir, 'close.jsonl') });
    const indexed: string[] = [];
    const index: AuditIndexStore = {
      add: () => {},
      addMany: async (batch) => {
        await new Promise((res) => setTimeout(res, 20));
        indexed.push(...batch.map((r) => r.id));
      },
      query: async () => [],
      prune: () => 0,
    };
    const sink = indexedAuditSink(log, index, () => {});
    const records = [record(), record()];
    for (const r of records) await sink.write(r);
    await sink.close();
    expect(indexed).toEqual(records.map((r) => r.id));
  });

  it('an index failure is reported and does not fail the write: the log has the record', async () => {
    const path = join(dir, 'failing.jsonl');
    const log = await createJsonlAuditSink({ path });
    const errors: unknown[] = [];
    const index: AuditIndexStore = {
      add: () => {},
      addMany: () => {
        throw new Error('database is locked');
      },
      query: async () => [],
      prune: () => 0,
    };
    const sink: AuditSink = indexedAuditSink(log, index, (err) => errors.push(err));
    await sink.write(record());
    await batchWindow();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/locked/);
    await sink.write(record());
    await sink.close();
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 2 });
  });

  it('on the SQLite index, a batch lands whole and a record indexed twice is one row', async () => {
    const db = openStateDatabase(join(dir, 'state.db'));
    const index = asyncAuditIndex(new AuditIndex(db));
    const log = await createJsonlAuditSink({ path: join(dir, 'sqlite.jsonl') });
    const sink = indexedAuditSink(log, index, (err) => {
      throw err;
    });
    const records = Array.from({ length: 50 }, (_, i) => record(i % 5 === 0 ? 'alice' : 'agent-1'));
    await Promise.all(records.map((r) => sink.write(r)));
    await batchWindow();
    expect((await index.query({ limit: 100 })).map((e) => e.record_id)).toEqual(
      records.map((r) => r.id).reverse(),
    );
    expect(await index.query({ subject: 'alice', limit: 100 })).toHaveLength(10);
    // A record indexed twice (a retried write) stays one row.
    await index.addMany?.([records[0] as AuditRecord]);
    expect(await index.query({ limit: 100 })).toHaveLength(50);
    await sink.close();
    db.close();
  });

  it('on SQLite, an index batch commits without waiting for the disk; the state database waits', async () => {
    const db = openStateDatabase(join(dir, 'sync.db'));
    onTestFinished(() => {
      db.close();
    });
    const FULL = 2;
    // Opening wrote the schema, so the WAL is open: SQLite's WAL default would show here.
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    const index = new AuditIndex(db);
    // What the setting is while the batch's transaction commits, seen from inside it.
    const during: unknown[] = [];
    const commit = db.transaction.bind(db);
    vi.spyOn(db, 'transaction').mockImplementation(
      (fn) =>
        commit((...args: unknown[]) => {
          during.push(db.pragma('synchronous', { simple: true }));
          return (fn as (...a: unknown[]) => unknown)(...args);
        }) as never,
    );
    index.addMany([record(), record()]);
    index.add(record());
    expect(during).toEqual([1, 1]);
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    expect(index.query({ limit: 10 })).toHaveLength(3);
    // Inside a caller's transaction (where SQLite refuses the setting) the batch goes in with it.
    db.transaction(() => index.addMany([record()]))();
    expect(index.query({ limit: 10 })).toHaveLength(4);
    // A batch that fails leaves the connection's setting as it was.
    db.exec('DROP TABLE audit_index');
    expect(() => new AuditIndex(db).addMany([record()])).toThrow();
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
  });

  it("a query through the sink's index finds every record the log holds, without waiting", async () => {
    const db = openStateDatabase(join(dir, 'state-read.db'));
    const log = await createJsonlAuditSink({ path: join(dir, 'read.jsonl') });
    const sink = indexedAuditSink(log, asyncAuditIndex(new AuditIndex(db)), (err) => {
      throw err;
    });
    const written = [record('carol'), record('carol')];
    for (const r of written) await sink.write(r);
    expect((await sink.index.query({ subject: 'carol' })).map((e) => e.record_id)).toEqual(
      written.map((r) => r.id).reverse(),
    );
    await sink.close();
    db.close();
  });

  it('indexes decisions and session bounds, not completion records, which repeat their decision', async () => {
    const log = await createJsonlAuditSink({ path: join(dir, 'stages.jsonl') });
    const indexed: string[] = [];
    const index: AuditIndexStore = {
      add: () => {},
      addMany: (records) => {
        indexed.push(...records.map((r) => r.stage ?? 'decision'));
      },
      query: async () => [],
      prune: () => 0,
    };
    const sink = indexedAuditSink(log, index, () => {});
    for (const stage of ['session_start', undefined, 'completion', 'session_end'] as const)
      await sink.write({ ...record(), ...(stage ? { stage } : {}) });
    await sink.close();
    expect(indexed).toEqual(['session_start', 'decision', 'session_end']);
  });
});
