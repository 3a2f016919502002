/**
 * The audit trail of a session through the proxy: a decision record before each statement is
 * enforced, a completion record when its response ends (timings, rows, bytes, command tag,
 * SQLSTATE), and with `recordSession` the session's bounds and a digest of every response.
 */

import { createHash } from 'node:crypto';
import {
  type AuditRecord,
  type AuditSink,
  createEngine,
  digestResponse,
  staticEvaluator,
} from '@portcullis/core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { MessageWriter } from '../src/index.js';
import { type ProxyFixture, startProxyFixture, testPolicy } from './support/proxy-fixture.js';
import { query, RawClient } from './support/raw-client.js';

const records: AuditRecord[] = [];
/** Which records the sink refuses: none, or those of the stages named (`completion|session_end`). */
let failStage: string | undefined;
const sink: AuditSink = {
  async write(record) {
    if (failStage?.split('|').includes(record.stage ?? 'decision')) throw new Error('disk full');
    records.push(structuredClone(record));
  },
  async close() {},
};

const engine = createEngine({ evaluator: staticEvaluator(testPolicy, 'test-policy') });
let f: ProxyFixture;

beforeAll(async () => {
  f = await startProxyFixture({ proxy: { engine, audit: sink, recordSession: true } });
});
beforeEach(() => {
  records.length = 0;
  failStage = undefined;
});
afterAll(async () => {
  await f?.stop();
  await engine.close();
});

async function settled(): Promise<void> {
  // Completion and session_end records are written without holding the session up.
  await new Promise((r) => setTimeout(r, 50));
}

function completionOf(decision: AuditRecord): AuditRecord | undefined {
  return records.find((r) => r.stage === 'completion' && r.decision_id === decision.decision_id);
}

function decisionFor(summary: string): AuditRecord {
  const found = records.find((r) => r.stage === undefined && r.action.summary === summary);
  if (!found) throw new Error(`no decision record for ${summary}`);
  return found;
}

describe('completion records', () => {
  test('a SELECT, an INSERT and a failing statement: rows, command, SQLSTATE and timings', async () => {
    const c = await f.through('alice');
    await c.query('SELECT id, email FROM users ORDER BY id');
    await c.query("INSERT INTO log VALUES ('audited')");
    await expect(c.query('SELECT 1/0')).rejects.toMatchObject({ code: '22012' });
    await c.end();
    await settled();

    const select = decisionFor('SELECT id, email FROM users ORDER BY id');
    expect(select.effect).toBe('allow');
    expect(completionOf(select)).toMatchObject({
      stage: 'completion',
      session_id: select.session_id,
      effect: 'allow',
      action: { type: 'sql', summary: 'SELECT id, email FROM users ORDER BY id' },
      response: { rows: 2, command: 'SELECT 2', bytes: expect.any(Number) },
      durations: {
        decision_ms: expect.any(Number),
        upstream_ms: expect.any(Number),
        total_ms: expect.any(Number),
      },
      response_digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    const done = completionOf(select) as AuditRecord;
    expect(done.response?.bytes).toBeGreaterThan(50);
    expect(done.durations.total_ms).toBeGreaterThanOrEqual(done.durations.upstream_ms as number);

    const insert = completionOf(decisionFor("INSERT INTO log VALUES ('audited')"));
    expect(insert?.response).toMatchObject({ rows: 1, command: 'INSERT 0 1' });

    const failed = completionOf(decisionFor('SELECT 1/0'));
    expect(failed?.response).toMatchObject({ error_code: '22012' });
    expect(failed?.response?.rows).toBeUndefined();
  });

  test('a denied statement has its decision record and no completion record', async () => {
    const c = await f.through('alice');
    await expect(c.query('DROP TABLE victim')).rejects.toMatchObject({ code: '42501' });
    await c.end();
    await settled();
    const denied = decisionFor('DROP TABLE victim');
    expect(denied.effect).toBe('deny');
    expect(completionOf(denied)).toBeUndefined();
  });

  test('a prepared statement executed twice gets a completion record per Execute', async () => {
    const c = await f.through('agent');
    const q = { name: 'by-id', text: 'SELECT email FROM users WHERE id = $1' };
    await c.query({ ...q, values: [1] });
    await c.query({ ...q, values: [3] });
    await c.end();
    await settled();
    const completions = records.filter((r) => r.stage === 'completion' && r.action.summary === q.text);
    expect(completions.map((r) => r.response?.rows)).toEqual([1, 0]);
    // Both ran under the one decision made at Parse, whose masks they carry.
    expect(new Set(completions.map((r) => r.decision_id)).size).toBe(1);
    expect(completions[0]?.masks).toEqual([{ column: 'users.email', strategy: 'partial', keep: 4 }]);
  });

  test('a password a statement sets is not written to the log', async () => {
    const c = await f.through('alice');
    try {
      await c.query("CREATE ROLE audit_pw_role LOGIN PASSWORD 'role-pw-81'");
      await c.query("SELECT 'host=db password=conn-pw-82' AS conninfo");
    } finally {
      await c.end();
      const d = await f.direct();
      await d.query('DROP ROLE IF EXISTS audit_pw_role');
      await d.end();
    }
    await settled();
    expect(JSON.stringify(records)).not.toMatch(/pw-8/);
    const created = decisionFor("CREATE ROLE audit_pw_role LOGIN PASSWORD '[REDACTED]'");
    expect(completionOf(created)?.response?.command).toBe('CREATE ROLE');
    expect(completionOf(decisionFor("SELECT 'host=db password=[REDACTED]' AS conninfo"))).toBeDefined();
  });

  test('bytes and digest are exactly what the client received, masked', async () => {
    const raw = await RawClient.connect(f.port, 'agent', 'agent-pw');
    raw.write(query(new MessageWriter(), 'SELECT email FROM users ORDER BY id').flush());
    await raw.readyCount(1);
    raw.end();
    await settled();
    const received = raw.received();
    expect(received.toString('latin1')).not.toContain('ada@');
    const done = completionOf(decisionFor('SELECT email FROM users ORDER BY id'));
    expect(done?.response?.bytes).toBe(received.length);
    expect(done?.response_digest).toBe(digestResponse(received));
    expect(done?.response_digest).toBe(`sha256:${createHash('sha256').update(received).digest('hex')}`);
  });
});

describe('a completion record that could not be written', () => {
  test('is kept and written before the next decision record of its session', async () => {
    const c = await f.through('alice');
    failStage = 'completion';
    await c.query('SELECT 101 AS n');
    await settled();
    expect(records.some((r) => r.stage === 'completion')).toBe(false);
    failStage = undefined;
    await c.query('SELECT 102 AS n');
    await c.end();
    await settled();
    const first = decisionFor('SELECT 101 AS n');
    const second = decisionFor('SELECT 102 AS n');
    const order = records.map((r) => [r.action.summary, r.stage ?? 'decision']);
    const kept = order.findIndex(([s, stage]) => s === 'SELECT 101 AS n' && stage === 'completion');
    expect(kept).toBeGreaterThan(records.indexOf(first));
    expect(kept).toBeLessThan(records.indexOf(second));
    expect(completionOf(first)?.response).toMatchObject({ rows: 1, command: 'SELECT 1' });
  });

  test('while it still cannot be written, the next statement is refused', async () => {
    const c = await f.through('alice');
    failStage = 'completion';
    await c.query('SELECT 201 AS n');
    await settled();
    await expect(c.query('SELECT 202 AS n')).rejects.toMatchObject({
      code: '42501',
      message: 'permission denied by policy: the statement could not be audited',
    });
    // The session is still usable once the sink is back, and the kept record goes first.
    failStage = undefined;
    expect((await c.query('SELECT 203 AS n')).rows).toEqual([{ n: 203 }]);
    await c.end();
    await settled();
    expect(completionOf(decisionFor('SELECT 201 AS n'))).toBeDefined();
  });

  test('is not lost when its session ends first: the proxy writes it once the sink is back', async () => {
    const c = await f.through('alice');
    failStage = 'completion|session_end';
    await c.query('SELECT 301 AS n');
    await settled();
    await c.end();
    await settled();
    const decision = decisionFor('SELECT 301 AS n');
    expect(completionOf(decision)).toBeUndefined();
    expect(records.some((r) => r.stage === 'session_end' && r.session_id === decision.session_id)).toBe(
      false,
    );
    // Retried about every second, in order: the completion record, then the session's end.
    failStage = undefined;
    await expect
      .poll(
        () => records.filter((r) => r.session_id === decision.session_id).map((r) => r.stage ?? 'decision'),
        {
          timeout: 5000,
          interval: 100,
        },
      )
      .toEqual(['decision', 'session_start', 'decision', 'completion', 'session_end']);
    expect(completionOf(decision)?.response).toMatchObject({ rows: 1, command: 'SELECT 1' });
  });
});

describe('session recording', () => {
  test('session_start and session_end bound the statements, with totals', async () => {
    const c = await f.through('alice');
    await c.query('SELECT 1');
    await c.query('SELECT id FROM users');
    await c.end();
    await settled();
    const stages = records.map((r) => r.stage ?? 'decision');
    // The login's connect decision, then the session's bounds around its statements.
    expect(stages.slice(0, 2)).toEqual(['decision', 'session_start']);
    expect(stages.at(-1)).toBe('session_end');
    expect(records[0]).toMatchObject({
      action: { type: 'connect', summary: 'connect user=alice database=app' },
      effect: 'allow',
    });
    const start = records[1] as AuditRecord;
    const end = records.at(-1) as AuditRecord;
    expect(start).toMatchObject({
      action: { type: 'connect', summary: 'connect user=alice database=app' },
      subject: { id: 'alice@example.com' },
      resource: { type: 'postgres', name: 'prod-db' },
    });
    expect(end.session_id).toBe(start.session_id);
    expect(end.response).toMatchObject({ count: 2, rows: 3 });
    expect(end.response?.bytes).toBeGreaterThan(0);
    expect(records.every((r) => r.session_id === start.session_id)).toBe(true);
  });

  test('a session that cannot be recorded is refused', async () => {
    failStage = 'session_start';
    await expect(f.through('alice')).rejects.toMatchObject({ code: 'XX000' });
    // Its connect decision was written, and says the login was allowed: the refusal came after.
    expect(records.map((r) => [r.action.type, r.effect, r.stage ?? 'decision'])).toEqual([
      ['connect', 'allow', 'decision'],
    ]);
  });
});
