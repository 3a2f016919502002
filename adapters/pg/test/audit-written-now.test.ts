/**
 * A statement this session decided before is enforced without waiting a turn of the event
 * loop when the audit sink stores its decision record on the spot (`writeNow`), and still
 * never before that record is stored: on a real hash-chained JSONL log, with a sink that
 * cannot write now, and with one whose write fails.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuditRecord,
  type AuditSink,
  AuditWriteError,
  createEngine,
  createJsonlAuditSink,
  type JsonlAuditSink,
  staticEvaluator,
  verifyAuditLog,
} from '@portcullis/core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { readAuditRecords } from './support/audit-log.js';
import { type ProxyFixture, startProxyFixture, testPolicy } from './support/proxy-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-audit-now-'));
const engine = createEngine({ evaluator: staticEvaluator(testPolicy, 'test-policy') });

/** How the wrapped log is reached: `now` stores at once, `later` declines, `failing` throws. */
let mode: 'now' | 'later' | 'failing' = 'now';
const calls = { writeNow: 0, stored: 0, write: 0 };
let log: JsonlAuditSink;
const sink: AuditSink = {
  write(record) {
    calls.write += 1;
    return log.write(record);
  },
  writeNow(record: AuditRecord) {
    calls.writeNow += 1;
    if (mode === 'later') return false;
    if (mode === 'failing') throw new AuditWriteError('disk full');
    const stored = log.writeNow(record);
    if (stored) calls.stored += 1;
    return stored;
  },
  close: () => log.close(),
};

let f: ProxyFixture;
let path: string;
let n = 0;

beforeAll(async () => {
  f = await startProxyFixture({ proxy: { engine, audit: sink } });
});
beforeEach(async () => {
  await log?.close();
  path = join(dir, `audit-${++n}.jsonl`);
  log = await createJsonlAuditSink({ path });
  mode = 'now';
  calls.writeNow = 0;
  calls.stored = 0;
  calls.write = 0;
});
afterAll(async () => {
  await f?.stop();
  await log?.close();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const records = () => readAuditRecords(path);

async function settled(): Promise<void> {
  await new Promise((r) => setTimeout(r, 50));
}

describe('a remembered decision with an audit sink that writes now', () => {
  test('each run of a repeated statement has its own decision record, stored before it ran', async () => {
    const c = await f.through('alice');
    for (let i = 0; i < 5; i++) await c.query('SELECT id FROM users ORDER BY id');
    await c.end();
    await settled();
    // The first run went to the policy; the four after it were stored on the spot.
    expect(calls.stored).toBe(4);
    // Five decisions and five completions, after the login's connect decision.
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 11 });
    const all = records().filter((r) => r.action.summary === 'SELECT id FROM users ORDER BY id');
    // Decision, completion, decision, …: each statement's decision comes before its completion,
    // and the next one's decision after it.
    expect(all.map((r) => r.stage ?? 'decision')).toEqual(Array(5).fill(['decision', 'completion']).flat());
    for (let i = 0; i < all.length; i += 2) expect(all[i + 1]?.decision_id).toBe(all[i]?.decision_id);
    expect(new Set(all.map((r) => r.decision_id)).size).toBe(5);
    expect(all.filter((r) => r.stage === undefined).map((r) => r.cached)).toEqual([
      false,
      true,
      true,
      true,
      true,
    ]);
  });

  test('a remembered deny is written and refused the same way', async () => {
    const c = await f.through('alice');
    for (let i = 0; i < 3; i++)
      await expect(c.query('DROP TABLE victim')).rejects.toMatchObject({ code: '42501' });
    await c.end();
    await settled();
    expect(calls.stored).toBe(2);
    const denied = records().filter((r) => r.action.summary === 'DROP TABLE victim');
    expect(denied.map((r) => r.effect)).toEqual(['deny', 'deny', 'deny']);
  });

  test('a sink that cannot write now gets the record through write, before the statement runs', async () => {
    mode = 'later';
    const handoffs = f.proxy.nativeLane.handoffs;
    const c = await f.through('alice');
    for (let i = 0; i < 3; i++) await c.query('SELECT 1');
    await c.end();
    await settled();
    expect(calls.writeNow).toBe(2);
    // The native lane offered the second run and was declined; the session went on without it.
    expect(f.proxy.nativeLane.handoffs - handoffs).toBe(1);
    const mine = records().filter((r) => r.action.summary === 'SELECT 1');
    expect(mine.map((r) => r.stage ?? 'decision')).toEqual(Array(3).fill(['decision', 'completion']).flat());
  });

  test('a failed write denies the statement and it never reaches the server', async () => {
    const c = await f.through('alice');
    await c.query("INSERT INTO log VALUES ('audit-now-first')");
    mode = 'failing';
    await expect(c.query("INSERT INTO log VALUES ('audit-now-first')")).rejects.toMatchObject({
      code: '42501',
      message: expect.stringContaining('could not be audited'),
    });
    // The session stays usable once the sink is back.
    mode = 'now';
    const { rows } = await c.query("SELECT count(*)::int AS n FROM log WHERE note = 'audit-now-first'");
    expect(rows).toEqual([{ n: 1 }]);
    await c.end();
  });
});
