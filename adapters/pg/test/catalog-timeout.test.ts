/**
 * The proxy's catalog lookups (which table a result column comes from; what a write returns)
 * run on a connection of their own, and can wait on the client's own transaction: a lock it
 * holds, or, on a server that runs one transaction at a time, the transaction itself. Nothing
 * on the server sees that deadlock, so each lookup has a time limit (`catalogTimeoutMs`); past
 * it the lookup is canceled on the server, the statement is refused or its result withheld,
 * and the session goes on. Against a real PostgreSQL server, with the pg driver.
 */

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FrontendCode } from '../src/protocol/message-codes.js';
import { MessageWriter } from '../src/protocol/message-writer.js';
import { type ProxyFixture, startProxyFixture, USERS } from './support/proxy-fixture.js';
import { query, RawClient, sqlstate, sync } from './support/raw-client.js';

const TIMEOUT_MS = 400;

let f: ProxyFixture;
let port: number;
let direct: pg.Client;

beforeAll(async () => {
  f = await startProxyFixture();
  ({ port } = await f.anotherProxy({ upstream: { ...f.upstream, catalogTimeoutMs: TIMEOUT_MS } }));
  direct = await f.direct();
});
afterAll(async () => {
  await direct?.end();
  await f?.stop();
});

/** A fresh agent session (its catalog cache is empty) through the proxy with the short limit. */
async function agent(): Promise<pg.Client> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'agent',
    password: USERS.agent.password,
    database: 'app',
  });
  await c.connect();
  return c;
}

/** Backends of the cluster waiting for a lock. */
async function lockWaiters(): Promise<number> {
  const { rows } = await direct.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
  );
  return rows[0].n;
}

describe('a catalog lookup that waits on the client', () => {
  test("a write described under the client's own lock is refused in time; the lookup is canceled", async () => {
    const c = await agent();
    try {
      await c.query('BEGIN');
      await c.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      // RETURNING lower(email) may carry the masked column, so the write is described first,
      // on the catalog connection, which needs a lock the client holds.
      const err = await c
        .query("UPDATE users SET name = 'X' WHERE id = 1 RETURNING lower(email)")
        .catch((e: pg.DatabaseError) => e);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(err).toMatchObject({
        code: '42501',
        message: expect.stringMatching(/cannot be checked before it runs/),
        detail: expect.stringMatching(new RegExp(`took longer than ${TIMEOUT_MS} ms`)),
      });
      // Canceled on the server, not left waiting for the lock.
      await expect.poll(lockWaiters, { timeout: 3_000 }).toBe(0);
      // The statement never reached the server: the transaction goes on.
      expect((await c.query('SELECT name FROM users WHERE id = 1')).rows[0].name).toBe('Ada');
      await c.query('ROLLBACK');
      // Not remembered as refused: once the lock is gone, the write is described and judged
      // (its expression column may carry the masked e-mail, so it is refused for that).
      await expect(
        c.query("UPDATE users SET name = 'X' WHERE id = 1 RETURNING lower(email)"),
      ).rejects.toMatchObject({ message: expect.stringMatching(/may carry a masked column/) });
      expect((await c.query('SELECT email FROM users WHERE id = 1')).rows[0].email).toBe('***********.com');
    } finally {
      await c.end();
    }
  });

  test('a result whose columns cannot be looked up in time is withheld; the next run is masked', async () => {
    const c = await agent();
    try {
      await c.query('BEGIN');
      // The catalog connection reads pg_attribute to map the result's columns to tables.
      await c.query('LOCK TABLE pg_catalog.pg_attribute IN ACCESS EXCLUSIVE MODE');
      const err = await c.query('SELECT id, email FROM users ORDER BY id').catch((e: pg.DatabaseError) => e);
      expect(err).toMatchObject({
        code: '42501',
        message: expect.stringMatching(/the result is withheld/),
        detail: expect.stringMatching(/portcullis\.pg\.catalog_unavailable: .*took longer than/),
      });
      // The extended protocol's portal is planned the same way; a named statement keeps the
      // plans of its results, but not this one.
      const byId = { name: 'email_by_id', text: 'SELECT email FROM users WHERE id = $1', values: [2] };
      await expect(c.query(byId)).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/the result is withheld/),
      });
      await expect.poll(lockWaiters, { timeout: 3_000 }).toBe(0);
      await c.query('ROLLBACK');
      // Nothing of the failure is kept: both are planned again, and masked.
      const { rows } = await c.query('SELECT id, email FROM users ORDER BY id');
      expect(rows).toEqual([
        { id: 1, email: '***********.com' },
        { id: 2, email: '*************.org' },
      ]);
      expect((await c.query(byId)).rows[0].email).toBe('*************.org');
    } finally {
      await c.end();
    }
  });
});

test("a statement described once and executed without Describe (libpq's PQexecPrepared) is planned again", async () => {
  const raw = await RawClient.connect(port, 'agent', USERS.agent.password);
  const execute = () => {
    const w = new MessageWriter(64);
    w.begin(FrontendCode.Bind).cstring('').cstring('by_id').int16(0).int16(0).int16(0).end();
    w.begin(FrontendCode.Execute).cstring('').int32(0).end();
    return sync(w);
  };
  try {
    raw.write(query(new MessageWriter(64), 'BEGIN').flush());
    raw.write(
      query(new MessageWriter(64), 'LOCK TABLE pg_catalog.pg_attribute IN ACCESS EXCLUSIVE MODE').flush(),
    );
    // The statement's Describe plans its result (to tell the client its columns' types), and
    // that plan fails: the description goes out as the server sent it, and nothing is kept.
    const w = new MessageWriter(128);
    w.begin(FrontendCode.Parse)
      .cstring('by_id')
      .cstring('SELECT email FROM users WHERE id = 1')
      .int16(0)
      .end();
    w.begin(FrontendCode.Describe).byte(0x53).cstring('by_id').end();
    raw.write(sync(w).flush());
    await raw.readyCount(3);
    expect(raw.messages.filter((m) => m.type === 'E')).toEqual([]);
    expect(raw.messages.some((m) => m.type === 'T')).toBe(true);
    raw.write(execute().flush());
    await raw.readyCount(4);
    expect(raw.messages.filter((m) => m.type === 'E').map(sqlstate)).toEqual(['42501']);
    expect(raw.messages.some((m) => m.type === 'D')).toBe(false);
    raw.write(query(new MessageWriter(64), 'ROLLBACK').flush());
    raw.write(execute().flush());
    await raw.readyCount(6);
    const row = raw.messages.find((m) => m.type === 'D');
    expect(row?.body.toString('latin1')).toContain('***********.com');
  } finally {
    raw.end();
  }
});

test('catalogTimeoutMs must be a positive whole number of milliseconds', async () => {
  for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
    await expect(f.anotherProxy({ upstream: { ...f.upstream, catalogTimeoutMs: bad } })).rejects.toThrow(
      /upstream\.catalogTimeoutMs/,
    );
  }
});
