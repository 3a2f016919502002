import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditRecord, newAuditRecordId, verifyAuditLog } from '@portcullis/core';
import { afterAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { validateConfig } from '../src/config/validate-config.js';
import { ConfigError } from '../src/errors.js';
import { AuditIndex, type AuditIndexStore, asyncAuditIndex } from '../src/state/audit-index.js';
import { PRUNE_EVERY_MS, startIndexPruner } from '../src/state/audit-index-retention.js';
import { openStateDatabase } from '../src/state/state-database.js';
import { startHttpGateway } from './support/http-gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'pc-index-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);

const record = (time: number, summary: string): AuditRecord => ({
  id: newAuditRecordId(),
  time: new Date(time).toISOString(),
  session_id: 's-1',
  subject: { id: 'agent-7', kind: 'agent', groups: [] },
  resource: { type: 'http', name: 'api' },
  source: '127.0.0.1',
  action: { type: 'http', summary },
  effect: 'allow',
  reasons: [],
  masks: [],
  durations: {},
});

const summaries = async (index: AuditIndexStore) =>
  (await index.query({ limit: 1000 })).map((e) => e.summary).sort();

describe('AuditIndex.prune', () => {
  it('deletes up to the limit, oldest first, of the entries before the time given', () => {
    const db = openStateDatabase(join(dir, 'prune.db'));
    onTestFinished(() => {
      db.close();
    });
    const index = new AuditIndex(db);
    // Times in the format records carry, with and without milliseconds.
    index.addMany([
      record(NOW - 5 * HOUR, 'five hours ago'),
      record(NOW - 3 * HOUR, 'three hours ago'),
      { ...record(NOW - 2 * HOUR, 'two hours ago'), time: '2026-11-27T10:00:00Z' },
      record(NOW - HOUR + 1, 'just under an hour ago'),
      record(NOW, 'now'),
    ]);
    const before = new Date(NOW - HOUR).toISOString();
    expect(index.prune(before, 2)).toBe(2);
    expect(index.query().map((e) => e.summary)).toEqual(['now', 'just under an hour ago', 'two hours ago']);
    expect(index.prune(before, 2)).toBe(1);
    expect(index.prune(before, 2)).toBe(0);
    expect(index.query().map((e) => e.summary)).toEqual(['now', 'just under an hour ago']);
    // As the index's own batches: no wait for the disk, and the connection's setting back.
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
  });
});

describe('startIndexPruner', () => {
  it('prunes at start in chunks, yielding between them, then again every ten minutes', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const db = openStateDatabase(join(dir, 'pruner.db'));
    onTestFinished(() => {
      db.close();
    });
    const sqlite = asyncAuditIndex(new AuditIndex(db));
    const calls: number[] = [];
    const index: AuditIndexStore = {
      ...sqlite,
      prune: (before, limit) => {
        const count = sqlite.prune(before, limit) as number;
        calls.push(count);
        return count;
      },
    };
    const old = Array.from({ length: 12 }, (_, i) => record(NOW - 48 * HOUR + i, `old ${i}`));
    await index.addMany([...old, record(NOW - 23 * HOUR, 'yesterday'), record(NOW, 'now')]);
    let clock = NOW;
    const pruned: number[] = [];
    const pruner = startIndexPruner(index, {
      retentionMs: 24 * HOUR,
      clock: () => clock,
      chunk: 5,
      onPruned: (count) => pruned.push(count),
      onError: (err) => {
        throw err;
      },
    });
    onTestFinished(() => pruner.stop());
    // The run at start, joined: 12 entries in chunks of 5.
    expect(await pruner.prune()).toBe(12);
    expect(calls).toEqual([5, 5, 2]);
    expect(pruned).toEqual([12]);
    expect(await summaries(index)).toEqual(['now', 'yesterday']);
    // Two hours on, at the next tick, yesterday's entry is past the retention.
    clock += 2 * HOUR;
    vi.advanceTimersByTime(PRUNE_EVERY_MS);
    await vi.waitFor(() => expect(pruned).toEqual([12, 1]));
    expect(await summaries(index)).toEqual(['now']);
    await pruner.stop();
    clock += 48 * HOUR;
    vi.advanceTimersByTime(PRUNE_EVERY_MS);
    expect(await pruner.prune()).toBe(0);
    expect(await summaries(index)).toEqual(['now']);
  });

  it('reports a failed run and tries again at the next tick', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    let fail = true;
    const errors: unknown[] = [];
    const index = {
      prune: () => {
        if (fail) throw new Error('database is locked');
        return 0;
      },
    } as unknown as AuditIndexStore;
    const pruner = startIndexPruner(index, { retentionMs: HOUR, onError: (err) => errors.push(err) });
    onTestFinished(() => pruner.stop());
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(String(errors[0])).toContain('database is locked');
    fail = false;
    vi.advanceTimersByTime(PRUNE_EVERY_MS);
    expect(await pruner.prune()).toBe(0);
    expect(errors).toHaveLength(1);
  });
});

describe('audit.index_retention', () => {
  const base = {
    resources: [{ type: 'http', name: 'api', listen: { port: 0 }, upstream: { url: 'http://127.0.0.1:1' } }],
  };

  it('defaults to 90 days; 0 keeps every entry; anything else must be a duration', () => {
    expect(validateConfig(base, dir).audit).toMatchObject({
      indexRetention: '2160h',
      indexRetentionMs: 90 * 24 * HOUR,
    });
    expect(validateConfig({ ...base, audit: { index_retention: '720h' } }, dir).audit.indexRetentionMs).toBe(
      30 * 24 * HOUR,
    );
    expect(validateConfig({ ...base, audit: { index_retention: '0' } }, dir).audit.indexRetentionMs).toBe(0);
    for (const bad of ['30d', 'forever', -1, 0]) {
      const attempt = () => validateConfig({ ...base, audit: { index_retention: bad } }, dir);
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(/audit\.index_retention.*expected a duration such as 720h/);
    }
  });

  it('a gateway drops index entries past the retention when it starts, and keeps the log whole', async () => {
    const statePath = join(dir, 'gateway-state.db');
    const auditPath = join(dir, 'gateway-audit.jsonl');
    // Entries a gateway indexed before: one from two days ago, one from an hour ago.
    const earlier = openStateDatabase(statePath);
    const now = Date.now();
    new AuditIndex(earlier).addMany([
      record(now - 48 * HOUR, 'GET /two-days-ago'),
      record(now - HOUR, 'GET /an-hour-ago'),
    ]);
    earlier.close();

    const running = await startHttpGateway({
      home: dir,
      statePath,
      audit: { path: auditPath, index_retention: '24h' },
    });
    onTestFinished(() => running.close());
    const pruned = () => running.lines.find((l) => l.msg === 'audit index entries past retention removed');
    await vi.waitFor(() => expect(pruned()).toBeDefined());
    expect(pruned()).toMatchObject({ count: 1 });
    expect(await running.get('/now')).toBe(200);
    const kept = (await running.gateway.auditIndex.query({ limit: 100 })).map((e) => e.summary);
    expect(kept).toContain('GET /an-hour-ago');
    expect(kept.some((s) => s.includes('/now'))).toBe(true);
    expect(kept).not.toContain('GET /two-days-ago');
    await running.close();
    expect(await verifyAuditLog(auditPath)).toMatchObject({ ok: true });
  });
});
