/**
 * The policy's say on a session itself: every authenticated login is decided as
 * `action: 'connect'` before the upstream is reached. A deny refuses the login, an approve
 * holds it for reviewers, and the decision is audited like a statement's.
 */

import {
  type AuditRecord,
  type AuditSink,
  createEngine,
  type Decision,
  InMemoryApprovalStore,
  type InputDocument,
  staticEvaluator,
} from '@portcullis/core';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createPgProxy, type PgProxy } from '../src/index.js';
import { pendingRequest } from './support/pending-request.js';
import { type ProxyFixture, startProxyFixture, testPolicy } from './support/proxy-fixture.js';
import { psql } from './support/psql.js';

const WAIT_MS = 1500;

/** Who may log in, and how: by the login name, since the test policy keys on the subject. */
const LOGINS: Record<
  string,
  { kind: 'human' | 'agent'; connect: 'allow' | 'deny' | 'statement' | 'session' }
> = {
  alice: { kind: 'human', connect: 'allow' },
  robot: { kind: 'agent', connect: 'deny' },
  carol: { kind: 'human', connect: 'statement' },
  dave: { kind: 'human', connect: 'session' },
};

function connectPolicy(input: InputDocument): Decision {
  if (input.action.type !== 'connect') return testPolicy(input);
  const login = LOGINS[input.subject.id];
  if (!login || login.connect === 'deny')
    return {
      effect: 'deny',
      reasons: [{ rule: 'connect.no_agents', message: 'agents may not open sessions on prod' }],
      masks: [],
    };
  if (login.connect === 'allow') return { effect: 'allow', reasons: [], masks: [] };
  if (input.session.approvals.some((g) => g.scope === 'session'))
    return { effect: 'allow', reasons: [], masks: [] };
  return {
    effect: 'approve',
    reasons: [{ rule: 'connect.review', message: 'sessions on prod need a reviewer' }],
    masks: [],
    approval: { reviewers: ['group:dba'], quorum: 1, scope: login.connect, ttl: '15m' },
  };
}

const records: AuditRecord[] = [];
let failWrites = false;
const sink: AuditSink = {
  async write(record) {
    if (failWrites) throw new Error('disk full');
    records.push(structuredClone(record));
  },
  async close() {},
};
const store = new InMemoryApprovalStore();
const engine = createEngine({ evaluator: staticEvaluator(connectPolicy, 'connect-policy') });
let f: ProxyFixture;

beforeAll(async () => {
  f = await startProxyFixture({
    proxy: {
      engine,
      audit: sink,
      approvals: { store, waitMs: WAIT_MS, approveUrl: (id) => `https://portcullis.test/approvals/${id}` },
      async authenticate(startup, password) {
        const login = LOGINS[startup.user];
        return login && password === `${startup.user}-pw`
          ? { subject: { id: startup.user, kind: login.kind } }
          : null;
      },
    },
  });
});
beforeEach(() => {
  records.length = 0;
  failWrites = false;
});
afterAll(async () => {
  await f?.stop();
  await engine.close();
});

const target = (user: string) => ({ port: f.port, user, password: `${user}-pw` });
const login = (user: string) =>
  new pg.Client({ host: '127.0.0.1', port: f.port, user, password: `${user}-pw`, database: 'app' });

/** The id of `subject`'s pending login request, once the proxy has filed it. */
const pendingFor = (subject: string) => pendingRequest(store, (r) => r.subject === subject);

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const connectRecords = () => records.filter((r) => r.action.type === 'connect');

describe('connect decisions', () => {
  test('an allowed login is decided and audited once, then runs statements', async () => {
    const { stdout } = await psql(target('alice'), ['SELECT 40 + 2']);
    expect(stdout.trim()).toBe('42');
    expect(connectRecords()).toHaveLength(1);
    expect(connectRecords()[0]).toMatchObject({ subject: { id: 'alice' }, effect: 'allow' });
  });

  test('a denied login gets FATAL 42501 with the reasons, in psql and in pg', async () => {
    const failed = await psql(target('robot'), ['SELECT 1']).catch((e: { stderr: string }) => e);
    expect(failed.stderr).toContain(
      'FATAL:  permission denied by policy: agents may not open sessions on prod',
    );
    expect(failed.stderr).toContain('connect.no_agents: agents may not open sessions on prod');
    const client = login('robot');
    await expect(client.connect()).rejects.toMatchObject({ code: '42501', severity: 'FATAL' });
    expect(connectRecords().map((r) => r.effect)).toEqual(['deny', 'deny']);
    await until(() => f.proxy.sessions === 0);
  });

  test('a denied login never reaches the upstream', async () => {
    // The upstream here is a port nobody listens on: a login that reached it would fail with 08006.
    const lonely: PgProxy = createPgProxy({
      engine,
      upstream: { host: '127.0.0.1', port: 1, user: 'nobody', password: 'x' },
      resource: { name: 'prod-db', labels: { env: 'prod' } },
      async authenticate(startup) {
        return { subject: { id: startup.user, kind: 'agent' } };
      },
    });
    const { port } = await lonely.listen(0, '127.0.0.1');
    try {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'robot', password: 'any' });
      await expect(client.connect()).rejects.toMatchObject({ code: '42501' });
      const allowed = new pg.Client({ host: '127.0.0.1', port, user: 'alice', password: 'any' });
      await expect(allowed.connect()).rejects.toMatchObject({ code: '08006' });
    } finally {
      await lonely.close();
    }
  });

  test('a held login is released by a vote; psql shows the notice; a reconnect within the ttl passes', async () => {
    const run = psql(target('carol'), ['SELECT current_user IS NOT NULL']);
    const id = await pendingFor('carol');
    expect((await store.get(id))?.summary).toBe('connect user=carol database=app');
    await store.vote(id, { reviewer: 'bob', reviewerGroups: ['dba'], decision: 'approve' });
    const { stdout, stderr } = await run;
    expect(stdout.trim()).toBe('t');
    expect(stderr).toContain(`NOTICE:  connection held for approval ${id}`);
    expect(stderr).toContain(`approve it at https://portcullis.test/approvals/${id}`);

    // A statement-scope grant of a login is found again for the same subject and resource.
    const before = (await store.list()).length;
    const again = await psql(target('carol'), ['SELECT 1']);
    expect(again.stdout.trim()).toBe('1');
    expect((await store.list()).length).toBe(before);
    expect(connectRecords().map((r) => r.effect)).toEqual(['approve', 'approve', 'approve', 'approve']);
  });

  test('a held login nobody approves is refused with the approval id', async () => {
    const client = login('dave');
    const notices: string[] = [];
    client.on('notice', (n) => notices.push(n.message ?? ''));
    const started = Date.now();
    const err = await client.connect().catch((e: unknown) => e);
    const id = (await store.list()).find((r) => r.subject === 'dave')?.id;
    expect(id).toBeDefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_MS - 100);
    expect(err).toMatchObject({
      code: '42501',
      severity: 'FATAL',
      message: `connection refused: approval ${id} was not granted in time`,
    });
    expect(notices).toEqual([`connection held for approval ${id}`]);
  });

  test('a session-scope grant of a login covers the statements its policy would hold', async () => {
    const client = login('dave');
    const connecting = client.connect();
    const id = await pendingFor('dave');
    await store.vote(id, { reviewer: 'bob', reviewerGroups: ['dba'], decision: 'approve' });
    await connecting;
    const before = (await store.list()).length;
    // payroll needs approval (the fixture's policy); the session's grant covers it.
    expect((await client.query('SELECT count(*)::int AS n FROM payroll')).rows).toEqual([{ n: 0 }]);
    expect((await store.list()).length).toBe(before);
    await client.end();

    // Session scope: another login of the same subject is held again.
    const next = login('dave');
    const held = next.connect().catch((e: unknown) => e);
    const second = await pendingFor('dave');
    expect(second).not.toBe(id);
    await store.vote(second, { reviewer: 'bob', reviewerGroups: ['dba'], decision: 'deny' });
    expect(await held).toMatchObject({
      code: '42501',
      message: `connection refused: approval ${second} was denied by a reviewer`,
    });
  });

  test('a client that leaves while its login is held ends the wait', async () => {
    const client = login('dave');
    client.on('error', () => {});
    const connecting = client.connect().catch((e: unknown) => e);
    await pendingFor('dave');
    await until(() => f.proxy.sessions === 1);
    (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await connecting;
    await until(() => f.proxy.sessions === 0);
  });

  test('a connect decision that cannot be audited refuses the login', async () => {
    failWrites = true;
    const failed = await psql(target('alice'), ['SELECT 1']).catch((e: { stderr: string }) => e);
    expect(failed.stderr).toContain(
      'FATAL:  permission denied by policy: the connection could not be audited',
    );
  });
});

describe('decideConnect: false', () => {
  test('starts every authenticated session without a connect decision', async () => {
    const open = createPgProxy({
      engine,
      upstream: f.upstream,
      resource: { name: 'prod-db', labels: { env: 'prod' } },
      audit: sink,
      decideConnect: false,
      async authenticate(startup) {
        return { subject: { id: startup.user, kind: 'agent' } };
      },
    });
    const { port } = await open.listen(0, '127.0.0.1');
    try {
      const { stdout } = await psql({ port, user: 'robot', password: 'any' }, ['SELECT 7']);
      expect(stdout.trim()).toBe('7');
      expect(connectRecords()).toHaveLength(0);
    } finally {
      await open.close();
    }
  });

  test('is validated', () => {
    expect(() =>
      createPgProxy({
        engine,
        upstream: { host: '127.0.0.1', port: 5432, user: 'x', password: 'x' },
        resource: { name: 'r' },
        decideConnect: 'yes' as unknown as boolean,
      }),
    ).toThrow(/decideConnect/);
  });
});
