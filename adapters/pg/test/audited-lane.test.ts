/**
 * The native lane in an audited session (an audit sink that stores on the spot, `recordSession`
 * and a `decisionsHold` hook, as the gateway runs it), against Debian's PostgreSQL: the
 * statements the lane relays in C leave the same records as those the session's JavaScript
 * relays — a decision record stored before the statement runs, a completion record whose
 * bytes, rows, command and digest are those of what the client received, session totals —
 * the hook is asked once per statement, and a revoked session's next statement is judged
 * again and refused.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AuditRecord,
  createEngine,
  createJsonlAuditSink,
  digestResponse,
  type JsonlAuditSink,
  staticEvaluator,
  verifyAuditLog,
} from '@portcullis/core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { MessageWriter, type PgProxy } from '../src/index.js';
import { readAuditRecords } from './support/audit-log.js';
import { type ProxyFixture, startProxyFixture, testPolicy, USERS } from './support/proxy-fixture.js';
import { query, RawClient } from './support/raw-client.js';
import { revocableEngine } from './support/revocable-engine.js';

const inner = createEngine({ evaluator: staticEvaluator(testPolicy, 'test-policy') });
/** Answer with a promise, as a hook that must ask a shared store does. */
let hookLater = false;
const calls = { hook: 0 };
const { engine, state } = revocableEngine(inner, true);

const dir = mkdtempSync(join(tmpdir(), 'portcullis-audited-lane-'));
let log: JsonlAuditSink;
let path: string;
let n = 0;
let f: ProxyFixture;
let proxy: PgProxy;

beforeAll(async () => {
  path = join(dir, 'audit-0.jsonl');
  log = await createJsonlAuditSink({ path });
  f = await startProxyFixture({
    proxy: {
      engine,
      nativeLane: true,
      recordSession: true,
      // Each test gets a log of its own; the proxy keeps this sink.
      audit: {
        write: (record) => log.write(record),
        writeNow: (record) => log.writeNow(record),
        close: async () => {},
      },
      decisionsHold: () => {
        calls.hook += 1;
        return hookLater ? Promise.resolve(!state.revoked) : !state.revoked;
      },
    },
  });
  proxy = f.proxy;
  const c = await f.direct();
  await c.query('CREATE TABLE lane_notes (id int PRIMARY KEY, note text)');
  await c.query("INSERT INTO lane_notes SELECT i, 'note ' || i FROM generate_series(1, 20) i");
  await c.end();
});
beforeEach(async () => {
  await log.close();
  path = join(dir, `audit-${++n}.jsonl`);
  log = await createJsonlAuditSink({ path });
  state.revoked = false;
  hookLater = false;
  state.decided = 0;
  calls.hook = 0;
});
afterAll(async () => {
  await f?.stop();
  await log?.close();
  await inner.close();
  rmSync(dir, { recursive: true, force: true });
});

const records = () => readAuditRecords(path);

async function sessionsEnded(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (proxy.sessions > 0) {
    if (Date.now() > deadline) throw new Error('sessions did not end');
    await sleep(10);
  }
  // Completion and session_end records are stored at the end of the event loop's turn.
  await sleep(20);
}

/** Statements `run` had the lane relay (its sessions ended). */
async function laned(run: () => Promise<void>): Promise<number> {
  await sessionsEnded();
  const before = proxy.nativeLane.statements;
  await run();
  await sessionsEnded();
  return proxy.nativeLane.statements - before;
}

const stageOf = (r: AuditRecord) => r.stage ?? 'decision';

describe('an audited session on the native lane', () => {
  test('each Query the lane relays has its decision record, then a completion of exactly what the client got', async () => {
    const sql = 'SELECT id, note FROM lane_notes WHERE id < 4 ORDER BY id';
    const runs = 6;
    const responses: Buffer[] = [];
    const relayed = await laned(async () => {
      const c = await RawClient.connect(f.port, 'alice', USERS.alice.password);
      for (let i = 0; i < runs; i++) {
        const from = c.messages.length;
        c.write(query(new MessageWriter(), sql).flush());
        await c.readyCount(i + 1);
        responses.push(c.received(from));
      }
      c.end();
    });
    // The first run is the session's (it registers the statement); the lane relays the rest.
    expect(relayed).toBe(runs - 1);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true });
    const mine = records().filter((r) => r.action.summary === sql);
    expect(mine.map(stageOf)).toEqual(Array(runs).fill(['decision', 'completion']).flat());
    for (let i = 0; i < runs; i++) {
      const decision = mine[2 * i] as AuditRecord;
      const completion = mine[2 * i + 1] as AuditRecord;
      expect(completion.decision_id).toBe(decision.decision_id);
      expect(decision.cached).toBe(i > 0);
      const got = responses[i] as Buffer;
      expect(completion.response).toEqual({ bytes: got.length, rows: 3, command: 'SELECT 3' });
      expect(completion.response_digest).toBe(digestResponse(got));
      expect(completion.durations).toMatchObject({
        decision_ms: expect.any(Number),
        upstream_ms: expect.any(Number),
        total_ms: expect.any(Number),
      });
    }
    expect(new Set(mine.map((r) => r.decision_id)).size).toBe(runs);
    // Asked once per statement, the lane's included; the engine only for the first.
    expect(calls.hook).toBe(runs);
    expect(state.decided).toBe(1);
    // The session's totals count what the lane relayed.
    const end = records().find((r) => r.stage === 'session_end');
    expect(end?.response).toMatchObject({ count: runs, rows: 3 * runs });
  });

  test('a prepared statement’s executions: decided at Parse, one completion per execution, as without the lane', async () => {
    const text = 'SELECT note FROM lane_notes WHERE id = $1';
    const relayed = await laned(async () => {
      const c = await f.through('alice');
      for (let i = 1; i <= 8; i++) {
        const r = await c.query({ name: 'note_by_id', text, values: [i] });
        expect(r.rows).toEqual([{ note: `note ${i}` }]);
      }
      await c.end();
    });
    expect(relayed).toBeGreaterThanOrEqual(6);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true });
    const mine = records().filter((r) => r.action.summary === text);
    expect(mine.map(stageOf)).toEqual(['decision', ...Array(8).fill('completion')]);
    const decisionId = mine[0]?.decision_id;
    const completions = mine.slice(1);
    expect(completions.every((r) => r.decision_id === decisionId)).toBe(true);
    // Its DataRow (type, length, one column: 17 bytes for `note N`) and CommandComplete
    // (`SELECT 1`: 14): what an execution's completion counts, lane or not.
    const sizes = new Set(
      completions.map((r) => `${r.response?.bytes}/${r.response?.rows}/${r.response?.command}`),
    );
    expect(sizes).toEqual(new Set(['31/1/SELECT 1']));
    expect(new Set(completions.map((r) => r.response_digest)).size).toBe(8);
    // At Parse (its decision goes to the memo first) and at each Execute, lane or not.
    expect(calls.hook).toBe(9);
  });

  test('a revoked session’s next statement is judged again and refused, before it reaches the server', async () => {
    const insert = "INSERT INTO log VALUES ('audited-lane')";
    const relayed = await laned(async () => {
      const c = await f.through('alice');
      for (let i = 0; i < 4; i++) await c.query(insert);
      state.revoked = true;
      await expect(c.query(insert)).rejects.toMatchObject({ code: '42501' });
      await c.end();
    });
    // The second to fourth runs; the fifth was handed back before it was sent.
    expect(relayed).toBe(3);
    const d = await f.direct();
    const { rows } = await d.query("SELECT count(*)::int AS n FROM log WHERE note = 'audited-lane'");
    await d.end();
    expect(rows).toEqual([{ n: 4 }]);
    const mine = records().filter((r) => r.action.summary === insert && r.stage === undefined);
    expect(mine.map((r) => r.effect)).toEqual(['allow', 'allow', 'allow', 'allow', 'deny']);
    expect(state.decided).toBe(2);
  });

  test('a statement the lane sent and hands back mid-answer gets its completion record from the session', async () => {
    const d = await f.direct();
    await d.query('CREATE TABLE lane_shape (id int)');
    await d.query('INSERT INTO lane_shape VALUES (1)');
    const c = await RawClient.connect(f.port, 'alice', USERS.alice.password);
    const sql = 'SELECT * FROM lane_shape';
    let ready = 0;
    for (let i = 0; i < 3; i++) {
      c.write(query(new MessageWriter(), sql).flush());
      await c.readyCount(++ready);
    }
    const handoffs = proxy.nativeLane.handoffs;
    // Another description: the lane has sent the Query and hands back at its RowDescription.
    await d.query('ALTER TABLE lane_shape ADD COLUMN extra text');
    const from = c.messages.length;
    c.write(query(new MessageWriter(), sql).flush());
    await c.readyCount(++ready);
    expect(
      c.messages
        .slice(from)
        .map((m) => m.type)
        .join(''),
    ).toBe('TDCZ');
    expect(proxy.nativeLane.handoffs).toBeGreaterThan(handoffs);
    const got = c.received(from);
    c.end();
    await d.end();
    await sessionsEnded();
    const mine = records().filter((r) => r.action.summary === sql);
    expect(mine.map(stageOf)).toEqual(Array(4).fill(['decision', 'completion']).flat());
    expect(mine[7]?.decision_id).toBe(mine[6]?.decision_id);
    expect(mine[7]?.response).toEqual({ bytes: got.length, rows: 1, command: 'SELECT 1' });
    expect(mine[7]?.response_digest).toBe(digestResponse(got));
  });

  test('a hook that answers later: the session goes on without the lane, and asks once per statement', async () => {
    hookLater = true;
    const sql = 'SELECT note FROM lane_notes WHERE id = 7';
    const handoffs = proxy.nativeLane.handoffs;
    const relayed = await laned(async () => {
      const c = await f.through('alice');
      for (let i = 0; i < 5; i++) expect((await c.query(sql)).rows).toEqual([{ note: 'note 7' }]);
      await c.end();
    });
    // The second run was offered to the lane, which handed it back unsent; no more after it.
    expect(relayed).toBe(0);
    expect(proxy.nativeLane.handoffs - handoffs).toBe(1);
    expect(calls.hook).toBe(5);
    const mine = records().filter((r) => r.action.summary === sql);
    expect(mine.map(stageOf)).toEqual(Array(5).fill(['decision', 'completion']).flat());
  });

  test('a sink that fails to store the decision: the lane’s statement is refused and never runs', async () => {
    const c = await f.through('alice');
    const insert = "INSERT INTO log VALUES ('audited-lane-failing')";
    for (let i = 0; i < 3; i++) await c.query(insert);
    const failing = log;
    log = {
      ...failing,
      writeNow: () => {
        throw new Error('disk full');
      },
    } as JsonlAuditSink;
    await expect(c.query(insert)).rejects.toMatchObject({
      code: '42501',
      message: expect.stringContaining('could not be audited'),
    });
    log = failing;
    await c.end();
    const d = await f.direct();
    const { rows } = await d.query("SELECT count(*)::int AS n FROM log WHERE note = 'audited-lane-failing'");
    await d.end();
    expect(rows).toEqual([{ n: 3 }]);
  });
});
