/**
 * Decisions shared between sessions (shared-decisions.ts): a session's first statement runs
 * on a decision another session made when the policy, by what its evaluator says it reads,
 * cannot tell the two sessions apart; never when it can, or cannot say. Against the real
 * cluster with pg clients; the gateway's tests do the same with the Rego compiler's answer.
 */

import {
  type AuditRecord,
  type AuditSink,
  createEngine,
  type Evaluator,
  type InputDocument,
  type InputPaths,
  staticEvaluator,
} from '@portcullis/core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createPgProxy, type PgProxy } from '../src/index.js';
import { clientOn, type ProxyFixture, startProxyFixture, testPolicy } from './support/proxy-fixture.js';

/** Three logins: two humans and an agent. The test policy reads the subject's kind only. */
const LOGINS: Record<string, { id: string; kind: 'human' | 'agent'; claims: Record<string, unknown> }> = {
  alice: { id: 'alice@example.com', kind: 'human', claims: { credential: 'c1' } },
  bob: { id: 'bob@example.com', kind: 'human', claims: { credential: 'c2' } },
  agent: { id: 'support-agent', kind: 'agent', claims: {} },
};

const READS_KIND: InputPaths = [
  ['action'],
  ['resource'],
  ['session', 'approvals'],
  ['subject', 'kind'],
  ['time'],
];

let evaluated: InputDocument[] = [];
let paths: InputPaths | undefined = READS_KIND;
/** The test policy, reporting `paths` as what it reads, and keeping what it was asked. */
function countingEvaluator(name: string): Evaluator {
  const inner = staticEvaluator(testPolicy, name);
  return {
    name,
    inputPaths: paths,
    evaluate(input, context) {
      evaluated.push(input);
      return inner.evaluate(input, context);
    },
  };
}

const records: AuditRecord[] = [];
const audit: AuditSink = {
  async write(record) {
    records.push(record);
  },
  async close() {},
};

const engine = createEngine({ evaluator: countingEvaluator('v1') });
let f: ProxyFixture;
beforeAll(async () => {
  f = await startProxyFixture({
    proxy: {
      engine,
      audit,
      async authenticate(startup) {
        const login = LOGINS[startup.user];
        return login ? { subject: login } : null;
      },
    },
  });
}, 120_000);
afterAll(async () => {
  await f?.stop();
});
beforeEach(() => {
  paths = READS_KIND;
  engine.setEvaluator(countingEvaluator('v1'));
  evaluated = [];
  records.length = 0;
});

async function run(port: number, user: string, sql: string): Promise<unknown[]> {
  const c = await clientOn(port, user, 'any');
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

const statementsEvaluated = () => evaluated.filter((i) => i.action.type === 'sql').length;
const decisionsOf = (sql: string) =>
  records.filter((r) => (r.stage ?? 'decision') === 'decision' && r.action.summary === sql);

describe('between sessions the policy cannot tell apart', () => {
  test("a later session's statement runs on the earlier decision, recorded as its own", async () => {
    const sql = 'SELECT id, name FROM users ORDER BY id';
    expect(await run(f.port, 'alice', sql)).toEqual([
      { id: 1, name: 'Ada' },
      { id: 2, name: 'Grace' },
    ]);
    expect(statementsEvaluated()).toBe(1);
    // bob differs from alice only in id and claims, which the policy does not read.
    expect(await run(f.port, 'bob', sql)).toHaveLength(2);
    expect(statementsEvaluated()).toBe(1);
    const [first, second] = decisionsOf(sql);
    expect(first?.subject.id).toBe('alice@example.com');
    expect(second?.subject.id).toBe('bob@example.com');
    expect(second?.session_id).toEqual(expect.any(String));
    expect(second?.session_id).not.toBe(first?.session_id);
    expect(second?.decision_id).not.toBe(first?.decision_id);
    expect(second).toMatchObject({ cached: true, effect: 'allow' });
  });

  test('a deny is shared as well, with its reasons', async () => {
    const drop = 'DROP TABLE victim';
    for (const user of ['alice', 'bob'])
      await expect(run(f.port, user, drop)).rejects.toMatchObject({
        code: '42501',
        message: expect.stringContaining('DROP is not allowed on production'),
      });
    expect(statementsEvaluated()).toBe(1);
  });

  test('a subject of another kind is judged for itself, and keeps its masks', async () => {
    const sql = 'SELECT email FROM users WHERE id = 1';
    expect(await run(f.port, 'alice', sql)).toEqual([{ email: 'ada@example.com' }]);
    const rows = (await run(f.port, 'agent', sql)) as { email: string }[];
    expect(rows[0]?.email).not.toBe('ada@example.com');
    expect(rows[0]?.email.endsWith('.com')).toBe(true);
    expect(statementsEvaluated()).toBe(2);
  });
});

describe('sessions that share nothing', () => {
  test('when the policy may read the session id, each session decides', async () => {
    paths = [...READS_KIND, ['session', 'id']];
    engine.setEvaluator(countingEvaluator('reads-session'));
    await run(f.port, 'alice', 'SELECT 1');
    await run(f.port, 'alice', 'SELECT 1');
    expect(statementsEvaluated()).toBe(2);
  });

  test('when the evaluator cannot say what it reads', async () => {
    paths = undefined;
    engine.setEvaluator(countingEvaluator('unknown'));
    await run(f.port, 'alice', 'SELECT 1');
    await run(f.port, 'alice', 'SELECT 1');
    expect(statementsEvaluated()).toBe(2);
  });

  test('across a new policy: what the old one decided is dropped', async () => {
    await run(f.port, 'alice', 'SELECT 2');
    engine.setEvaluator(countingEvaluator('v2'));
    await run(f.port, 'bob', 'SELECT 2');
    expect(statementsEvaluated()).toBe(2);
    expect(evaluated.map((i) => i.subject.id)).toContain('bob@example.com');
  });

  test('with sharedEntries: 0', async () => {
    const other = await f.anotherProxy({ decisionCache: { maxEntries: 256, ttlMs: 5000, sharedEntries: 0 } });
    await run(other.port, 'alice', 'SELECT 3');
    await run(other.port, 'bob', 'SELECT 3');
    expect(statementsEvaluated()).toBe(2);
  });

  test('after clearDecisionCache', async () => {
    await run(f.port, 'alice', 'SELECT 4');
    f.proxy.clearDecisionCache();
    await run(f.port, 'bob', 'SELECT 4');
    expect(statementsEvaluated()).toBe(2);
  });
});

test('sharedEntries that is not a whole number of entries is refused at creation', () => {
  const make = (sharedEntries: number): PgProxy =>
    createPgProxy({
      engine,
      resource: { name: 'db' },
      upstream: { host: '127.0.0.1', port: 5432, user: 'u', password: '' },
      decisionCache: { maxEntries: 1, ttlMs: 1, sharedEntries },
    });
  expect(() => make(-1)).toThrow(/decisionCache.sharedEntries/);
  expect(() => make(1.5)).toThrow(/decisionCache.sharedEntries/);
});
