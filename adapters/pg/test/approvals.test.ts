import { InMemoryApprovalStore } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MessageWriter } from '../src/index.js';
import { pendingRequest } from './support/pending-request.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { psql } from './support/psql.js';
import { query, RawClient, sqlstate } from './support/raw-client.js';

const store = new InMemoryApprovalStore();
const WAIT_MS = 1500;
let f: ProxyFixture;

beforeAll(async () => {
  f = await startProxyFixture({
    proxy: {
      approvals: { store, waitMs: WAIT_MS, approveUrl: (id) => `https://portcullis.test/approvals/${id}` },
    },
  });
});
afterAll(async () => {
  await f?.stop();
});

/** The id of the pending request for statement `summary`, once the proxy has filed it. */
const pendingFor = (summary: string) => pendingRequest(store, (r) => r.summary === summary);

describe('statements held for approval', () => {
  test('a held statement is released by a vote, after a NoticeResponse naming the request', async () => {
    const c = await f.through('alice');
    const notices: { message: string; hint?: string }[] = [];
    c.on('notice', (n) => notices.push({ message: n.message ?? '', ...(n.hint ? { hint: n.hint } : {}) }));
    const sql = 'SELECT count(*)::int AS n FROM payroll WHERE salary > 1';
    const held = c.query(sql);
    const id = await pendingFor(sql);
    await store.vote(id, { reviewer: 'bob', reviewerGroups: ['dba'], decision: 'approve' });
    expect((await held).rows).toEqual([{ n: 0 }]);
    expect(notices[0]?.message).toBe(`statement held for approval ${id}`);
    expect(notices[0]?.hint).toContain(`https://portcullis.test/approvals/${id}`);
    const request = await store.get(id);
    expect(request).toMatchObject({
      requester: 'alice@example.com',
      subject: 'alice@example.com',
      resource: 'prod-db',
    });

    // Same fingerprint (other constants), same TTL: passes without a new request.
    const before = (await store.list()).length;
    expect((await c.query('SELECT count(*)::int AS n FROM payroll WHERE salary > 99')).rows).toEqual([
      { n: 0 },
    ]);
    // And from another session too: a statement-scope grant is found in the store.
    const other = await f.through('alice');
    expect((await other.query('SELECT count(*)::int AS n FROM payroll WHERE salary > 5')).rows).toEqual([
      { n: 0 },
    ]);
    expect((await store.list()).length).toBe(before);
    await other.end();
    await c.end();
  });

  test('a held statement that nobody approves expires with an error naming the approval', async () => {
    const c = await f.through('alice');
    const sql = 'INSERT INTO payroll VALUES (42)';
    const started = Date.now();
    const attempt = c.query(sql).catch((e) => e);
    const id = await pendingFor(sql);
    const err = await attempt;
    expect(Date.now() - started).toBeGreaterThanOrEqual(WAIT_MS - 100);
    expect(err).toMatchObject({
      code: '42501',
      message: `statement not run: approval ${id} was not granted in time`,
    });
    const d = await f.direct();
    expect((await d.query('SELECT count(*)::int AS n FROM payroll')).rows[0].n).toBe(0);
    await d.end();
    // The session goes on.
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await c.end();
  });

  test('a reviewer denying ends the wait at once', async () => {
    const c = await f.through('alice');
    const sql = 'DELETE FROM payroll WHERE salary < 0';
    const attempt = c.query(sql).catch((e) => e);
    const id = await pendingFor(sql);
    await store.vote(id, { reviewer: 'bob', reviewerGroups: ['dba'], decision: 'deny' });
    expect(await attempt).toMatchObject({
      code: '42501',
      message: expect.stringContaining(`approval ${id} was denied`),
    });
    await c.end();
  });

  test('a held statement blocks no other connection', async () => {
    const c = await f.through('alice');
    const sql = 'UPDATE payroll SET salary = salary + 1 WHERE salary = 7';
    const attempt = c.query(sql).catch((e) => e);
    await pendingFor(sql);
    const others = await Promise.all([f.through('alice'), f.through('agent')]);
    const started = Date.now();
    for (const o of others) expect((await o.query('SELECT 5 AS five')).rows).toEqual([{ five: 5 }]);
    expect(Date.now() - started).toBeLessThan(WAIT_MS / 2);
    await Promise.all(others.map((o) => o.end()));
    expect(await attempt).toMatchObject({ code: '42501' });
    await c.end();
  });

  test('the extended protocol holds a Parse the same way', async () => {
    const c = await f.through('alice');
    const sql = 'SELECT salary FROM payroll WHERE salary = $1';
    const held = c.query(sql, [1]);
    const id = await pendingFor(sql);
    await store.vote(id, { reviewer: 'bob', reviewerGroups: ['dba'], decision: 'approve' });
    expect((await held).rows).toEqual([]);
    await c.end();
  });

  test('a CancelRequest ends the wait with 57014', async () => {
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    const key = raw.backendKey;
    const sql = 'SELECT salary FROM payroll WHERE salary = 12345';
    raw.write(query(new MessageWriter(), sql).flush());
    await pendingFor(sql);
    await RawClient.cancel(f.port, key.processId, key.secretKey);
    const err = await raw.waitFor((m) => m.type === 'E');
    expect(sqlstate(err)).toBe('57014');
    await raw.readyCount(1);
    raw.end();
  });

  test('psql shows the notice while it waits', async () => {
    const sql = 'SELECT max(salary) FROM payroll WHERE salary > 1000';
    const child = psql({ port: f.port, user: 'alice', password: 'alice-pw' }, [sql], { stopOnError: false });
    const id = await pendingFor(sql);
    await store.vote(id, { reviewer: 'bob', reviewerGroups: ['dba'], decision: 'approve' });
    const { stderr } = await child;
    expect(stderr).toContain(`NOTICE:  statement held for approval ${id}`);
  });
});
