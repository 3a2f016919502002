/**
 * A decision's row limit (`limits.affected_rows`): a write that touches more rows than it
 * allows is undone and fails with 42501, through psql-style simple queries, the extended
 * protocol drivers use, COPY FROM STDIN and pipelined batches; a write within it commits as it
 * would without the proxy. Checked against the server itself over a direct connection.
 */

import {
  type AuditRecord,
  type AuditSink,
  createEngine,
  type Decision,
  type InputDocument,
  staticEvaluator,
} from '@portcullis/core';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { FrontendCode } from '../src/protocol/message-codes.js';
import { MessageWriter } from '../src/protocol/message-writer.js';
import { type ProxyFixture, startProxyFixture, testPolicy } from './support/proxy-fixture.js';
import { extendedQuery, query, RawClient, sqlstate, status, sync } from './support/raw-client.js';

const LIMIT = 3;

/** The test policy; agents may write at most LIMIT rows per statement. */
function policy(input: InputDocument): Decision {
  const decision = testPolicy(input);
  if (decision.effect === 'deny' || input.subject.kind !== 'agent') return decision;
  return { ...decision, limits: { affected_rows: LIMIT } };
}

const engine = createEngine({ evaluator: staticEvaluator(policy, 'row-limit') });
let f: ProxyFixture;
let direct: pg.Client;

beforeAll(async () => {
  f = await startProxyFixture({ proxy: { engine } });
  direct = await f.direct();
  await direct.query('CREATE TABLE items (id int PRIMARY KEY, n int NOT NULL)');
});
beforeEach(async () => {
  await direct.query('TRUNCATE items');
  await direct.query('INSERT INTO items SELECT g, 0 FROM generate_series(1, 10) g');
});
afterAll(async () => {
  await direct?.end();
  await f?.stop();
  await engine.close();
});

/** The n of every item, by id, as the server has them committed. */
async function committed(): Promise<number[]> {
  const { rows } = await direct.query<{ n: number }>('SELECT n FROM items ORDER BY id');
  return rows.map((r) => r.n);
}

const untouched = Array(10).fill(0);

/** The client's backend as the server sees it between statements: 'idle', or 'idle in transaction'. */
async function backendState(client: pg.Client): Promise<string> {
  const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const { rows } = await direct.query('SELECT state FROM pg_stat_activity WHERE pid = $1', [pid]);
  return rows[0].state;
}

describe('simple protocol', () => {
  test('a write within the limit commits; one past it is rolled back with 42501', async () => {
    const agent = await f.through('agent');
    try {
      const ok = await agent.query('UPDATE items SET n = n + 1 WHERE id <= 3');
      expect(ok.rowCount).toBe(3);
      expect(await committed()).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);

      const err = await agent
        .query('UPDATE items SET n = n + 10 WHERE id <= 5')
        .catch((e: pg.DatabaseError) => e);
      expect(err).toMatchObject({
        code: '42501',
        message: expect.stringMatching(
          /UPDATE affected 5 rows, more than the limit of 3; it was rolled back/,
        ),
      });
      expect(await committed()).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
      // Nothing is left open: the proxy's transaction is gone, and the session goes on.
      expect(await backendState(agent)).toBe('idle');
      expect((await agent.query('SELECT count(*)::int AS c FROM items')).rows[0].c).toBe(10);
    } finally {
      await agent.end();
    }
  });

  test('an INSERT of no more listed rows than the limit runs as it is; one of more is counted', async () => {
    const agent = await f.through('agent');
    try {
      await agent.query('BEGIN');
      expect((await agent.query('INSERT INTO items VALUES (11, 0), (12, 0), (13, 0)')).rowCount).toBe(3);
      await agent.query('ROLLBACK');
      await expect(
        agent.query('INSERT INTO items VALUES (11, 0), (12, 0), (13, 0), (14, 0)'),
      ).rejects.toMatchObject({
        code: '42501',
      });
      expect((await agent.query('INSERT INTO items VALUES ($1, 0)', [11])).rowCount).toBe(1);
      // Not held to the limit, so it may share its Query with other statements.
      await agent.query('INSERT INTO items VALUES (21, 0); SELECT 1');
      expect((await direct.query('SELECT count(*)::int AS c FROM items')).rows[0].c).toBe(12);
    } finally {
      await agent.end();
    }
  });

  test('DELETE and INSERT … SELECT are counted too; a human has no limit', async () => {
    const agent = await f.through('agent');
    const alice = await f.through('alice');
    try {
      await expect(agent.query('DELETE FROM items WHERE id > 2 RETURNING id')).rejects.toMatchObject({
        code: '42501',
      });
      await expect(agent.query('INSERT INTO items SELECT id + 100, 0 FROM items')).rejects.toMatchObject({
        code: '42501',
      });
      expect((await direct.query('SELECT count(*)::int AS c FROM items')).rows[0].c).toBe(10);
      expect((await alice.query('UPDATE items SET n = 7')).rowCount).toBe(10);
      expect(await committed()).toEqual(Array(10).fill(7));
    } finally {
      await agent.end();
      await alice.end();
    }
  });

  test('in a transaction block: within the limit it stays; past it the block fails, as on any error', async () => {
    const agent = await f.through('agent');
    try {
      await agent.query('BEGIN');
      await agent.query('UPDATE items SET n = 1 WHERE id = 1');
      await expect(agent.query('UPDATE items SET n = 2 WHERE id > 1')).rejects.toMatchObject({
        code: '42501',
      });
      await expect(agent.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
      await agent.query('ROLLBACK');
      expect(await committed()).toEqual(untouched);

      await agent.query('BEGIN');
      await agent.query('UPDATE items SET n = 1 WHERE id <= 3');
      await agent.query('UPDATE items SET n = 2 WHERE id > 8');
      await agent.query('COMMIT');
      expect(await committed()).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 2, 2]);
    } finally {
      await agent.end();
    }
  });

  test("a write that fails on its own fails as it would, and the proxy's transaction is gone", async () => {
    const agent = await f.through('agent');
    try {
      await expect(agent.query('UPDATE items SET n = NULL WHERE id = 1')).rejects.toMatchObject({
        code: '23502',
      });
      expect(await backendState(agent)).toBe('idle');
      expect((await agent.query('UPDATE items SET n = 5 WHERE id = 1')).rowCount).toBe(1);
      expect((await committed())[0]).toBe(5);
    } finally {
      await agent.end();
    }
  });

  test('a write whose result is withheld goes with its result', async () => {
    const agent = await f.through('agent');
    try {
      // EXECUTE names no columns, so its result is judged as it arrives, and withheld.
      await agent.query("PREPARE p AS UPDATE users SET name = 'X' WHERE id = 1 RETURNING lower(email)");
      await expect(agent.query('EXECUTE p')).rejects.toMatchObject({ code: '42501' });
      expect((await direct.query('SELECT name FROM users WHERE id = 1')).rows[0].name).toBe('Ada');
      expect(await backendState(agent)).toBe('idle');
    } finally {
      await agent.end();
    }
  });

  test('what the tag does not count is refused before it runs', async () => {
    const agent = await f.through('agent');
    try {
      await expect(
        agent.query('WITH d AS (DELETE FROM items RETURNING 1) SELECT count(*) FROM d'),
      ).rejects.toThrow(/a limit of 3 affected rows applies, and the rows written by a data-modifying WITH/);
      await expect(agent.query('DO $$ BEGIN DELETE FROM items; END $$')).rejects.toThrow(/a DO block/);
      await expect(agent.query('EXPLAIN ANALYZE DELETE FROM items')).rejects.toThrow(/EXPLAIN ANALYZE/);
      await expect(agent.query('UPDATE items SET n = 1 WHERE id = 1; SELECT 1')).rejects.toThrow(
        /must be sent as a statement of its own/,
      );
      expect(await committed()).toEqual(untouched);
      // Reads are not limited.
      expect((await agent.query('SELECT * FROM items')).rowCount).toBe(10);
    } finally {
      await agent.end();
    }
  });

  test('EXECUTE is held to the limit as the statement it runs', async () => {
    const agent = await f.through('agent');
    try {
      // Resolved to the prepared SELECT INTO (see sql-execute.ts): a write, counted as one.
      await agent.query('PREPARE copy_all AS SELECT * INTO items_copy FROM items');
      await expect(agent.query('EXECUTE copy_all')).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(
          /SELECT affected 10 rows, more than the limit of 3; it was rolled back/,
        ),
      });
      const copies = await direct.query("SELECT to_regclass('items_copy') AS t");
      expect(copies.rows[0].t).toBeNull();
      expect(await backendState(agent)).toBe('idle');
      // An argument that is not a constant leaves the EXECUTE unresolved: its SELECT tag still
      // counts, as the proxy cannot tell a prepared query from a prepared SELECT INTO.
      await agent.query('PREPARE copy_upto(int) AS SELECT * INTO items_copy FROM items WHERE id <= $1');
      const err = await agent.query('EXECUTE copy_upto(abs(-10))').catch((e: pg.DatabaseError) => e);
      expect(err).toMatchObject({
        code: '42501',
        message: expect.stringMatching(
          /EXECUTE reported 10 rows \(SELECT 10\), more than the limit of 3; it was rolled back/,
        ),
      });
      expect((await direct.query("SELECT to_regclass('items_copy') AS t")).rows[0].t).toBeNull();
      // Within the limit it commits; a prepared query of no more rows than the limit runs too.
      expect((await agent.query('EXECUTE copy_upto(abs(-3))')).rowCount).toBe(3);
      expect((await direct.query('SELECT count(*)::int AS c FROM items_copy')).rows[0].c).toBe(3);
      await agent.query('PREPARE read_few AS SELECT * FROM items WHERE id <= 2');
      expect((await agent.query('EXECUTE read_few')).rowCount).toBe(2);
    } finally {
      await agent.end();
      await direct.query('DROP TABLE IF EXISTS items_copy');
    }
  });
});

describe('extended protocol', () => {
  test('a parameterised write past the limit is rolled back; within it, committed', async () => {
    const agent = await f.through('agent');
    try {
      const sql = 'UPDATE items SET n = n + 1 WHERE id <= $1';
      await expect(agent.query(sql, [6])).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/UPDATE affected 6 rows, more than the limit of 3/),
      });
      expect(await committed()).toEqual(untouched);
      expect((await agent.query(sql, [2])).rowCount).toBe(2);
      expect(await committed()).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
      // A named prepared statement, executed twice.
      const named = { name: 'bump', text: sql };
      expect((await agent.query({ ...named, values: [3] })).rowCount).toBe(3);
      await expect(agent.query({ ...named, values: [4] })).rejects.toMatchObject({ code: '42501' });
      expect(await committed()).toEqual([2, 2, 1, 0, 0, 0, 0, 0, 0, 0]);
      expect(await backendState(agent)).toBe('idle');
    } finally {
      await agent.end();
    }
  });

  test("past the limit inside the client's transaction, the transaction fails", async () => {
    const agent = await f.through('agent');
    try {
      await agent.query('BEGIN');
      await agent.query('UPDATE items SET n = $1 WHERE id = 1', [9]);
      await expect(agent.query('DELETE FROM items WHERE id > $1', [1])).rejects.toMatchObject({
        code: '42501',
      });
      await expect(agent.query('SELECT $1::int', [1])).rejects.toMatchObject({ code: '25P02' });
      await agent.query('ROLLBACK');
      expect(await committed()).toEqual(untouched);
    } finally {
      await agent.end();
    }
  });

  test('a pipelined batch: what follows the write past its limit does not run, and Sync rolls back', async () => {
    const raw = await RawClient.connect(f.port, 'agent', 'agent-pw');
    try {
      const w = new MessageWriter();
      extendedQuery(w, 'UPDATE items SET n = 1 WHERE id = 1');
      extendedQuery(w, 'UPDATE items SET n = 2 WHERE id > 5');
      extendedQuery(w, 'INSERT INTO items VALUES (11, 3)');
      sync(w);
      extendedQuery(w, 'SELECT count(*) FROM items');
      sync(w);
      raw.write(w.flush());
      await raw.readyCount(2);
      const errors = raw.messages.filter((m) => m.type === 'E');
      expect(errors.map(sqlstate)).toEqual(['42501']);
      // First write: its CommandComplete; second: the error; the INSERT: nothing; then the count.
      expect(raw.types()).toBe('12nC12nEZ12TDCZ');
      expect(raw.messages.filter((m) => m.type === 'Z').map(status)).toEqual(['I', 'I']);
      expect(await committed()).toEqual(untouched);
    } finally {
      raw.end();
    }
  });

  test('in a transaction block, a Sync right after the write goes at once; past the limit the block fails', async () => {
    const raw = await RawClient.connect(f.port, 'agent', 'agent-pw');
    const batch = async (build: (w: MessageWriter) => void, readies: number) => {
      raw.messages.length = 0;
      const w = new MessageWriter();
      build(w);
      raw.write(w.flush());
      await raw.readyCount(readies);
      return {
        types: raw.types(),
        errors: raw.messages.filter((m) => m.type === 'E').map(sqlstate),
        statuses: raw.messages.filter((m) => m.type === 'Z').map(status),
      };
    };
    try {
      expect((await batch((w) => query(w, 'BEGIN'), 1)).statuses).toEqual(['T']);
      // Within the limit: the block goes on.
      expect(
        await batch((w) => {
          sync(extendedQuery(w, 'UPDATE items SET n = 1 WHERE id > 8'));
          sync(extendedQuery(w, 'SELECT 1'));
        }, 2),
      ).toEqual({ types: '12nCZ12TDCZ', errors: [], statuses: ['T', 'T'] });
      // Past it: the error, then the block is failed, and what follows meets a failed block.
      expect(
        await batch((w) => {
          sync(extendedQuery(w, 'UPDATE items SET n = 2 WHERE id > 5'));
          sync(extendedQuery(w, 'SELECT 1'));
        }, 2),
      ).toEqual({ types: '12nEZEZ', errors: ['42501', '25P02'], statuses: ['E', 'E'] });
      expect((await batch((w) => query(w, 'ROLLBACK'), 1)).statuses).toEqual(['I']);
      expect(await committed()).toEqual(untouched);

      // Something other than Sync after the write: it waits for the count, and past the limit
      // is discarded with the rest of the batch.
      await batch((w) => query(w, 'BEGIN'), 1);
      expect(
        await batch((w) => {
          extendedQuery(w, 'UPDATE items SET n = 3 WHERE id > 5');
          sync(extendedQuery(w, 'INSERT INTO items VALUES (11, 3)'));
        }, 1),
      ).toEqual({ types: '12nEZ', errors: ['42501'], statuses: ['E'] });
      await batch((w) => query(w, 'COMMIT'), 1);
      expect(await committed()).toEqual(untouched);
    } finally {
      raw.end();
    }
  });

  test('a write fetched a few rows at a time is refused', async () => {
    const raw = await RawClient.connect(f.port, 'agent', 'agent-pw');
    try {
      const w = new MessageWriter();
      w.begin(FrontendCode.Parse).cstring('').cstring('DELETE FROM items RETURNING id').int16(0).end();
      w.begin(FrontendCode.Bind).cstring('').cstring('').int16(0).int16(0).int16(0).end();
      w.begin(FrontendCode.Execute).cstring('').int32(2).end();
      sync(w);
      raw.write(w.flush());
      await raw.readyCount(1);
      const error = raw.messages.find((m) => m.type === 'E');
      expect(error && sqlstate(error)).toBe('42501');
      expect(await committed()).toEqual(untouched);
    } finally {
      raw.end();
    }
  });
});

describe("a write that returns no rows, executed with a row count (pgjdbc's executeUpdate asks for one)", () => {
  function executeWithCount(w: MessageWriter, sql: string, describe: boolean): void {
    w.begin(FrontendCode.Parse).cstring('').cstring(sql).int16(0).end();
    w.begin(FrontendCode.Bind).cstring('').cstring('').int16(0).int16(0).int16(0).end();
    if (describe) w.begin(FrontendCode.Describe).byte(0x50).cstring('').end();
    w.begin(FrontendCode.Execute).cstring('').int32(1).end();
    sync(w);
  }

  test('described first (NoData): runs whole, within the limit committed, past it rolled back', async () => {
    const raw = await RawClient.connect(f.port, 'agent', 'agent-pw');
    try {
      const w = new MessageWriter();
      executeWithCount(w, 'UPDATE items SET n = 1 WHERE id <= 3', true);
      executeWithCount(w, 'UPDATE items SET n = 2 WHERE id > 4', true);
      raw.write(w.flush());
      await raw.readyCount(2);
      expect(raw.types()).toBe('12nCZ12nEZ');
      expect(raw.messages.filter((m) => m.type === 'E').map(sqlstate)).toEqual(['42501']);
      expect(await committed()).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    } finally {
      raw.end();
    }
  });

  test.each([
    [
      'not described: its rows could be fetched a few at a time',
      'UPDATE items SET n = 1 WHERE id <= 3',
      false,
    ],
    [
      'described, with RETURNING (a RowDescription)',
      'UPDATE items SET n = 1 WHERE id <= 3 RETURNING id',
      true,
    ],
  ])('%s: refused', async (_name, sql, describe) => {
    const raw = await RawClient.connect(f.port, 'agent', 'agent-pw');
    try {
      const w = new MessageWriter();
      executeWithCount(w, sql, describe);
      raw.write(w.flush());
      await raw.readyCount(1);
      expect(raw.messages.filter((m) => m.type === 'E').map(sqlstate)).toEqual(['42501']);
      expect(await committed()).toEqual(untouched);
    } finally {
      raw.end();
    }
  });
});

describe('what waits for the count', () => {
  test('a Query pipelined behind a write past its limit sees the rows as they were', async () => {
    const raw = await RawClient.connect(f.port, 'agent', 'agent-pw');
    try {
      const w = new MessageWriter();
      query(w, 'UPDATE items SET n = 1');
      query(w, 'SELECT sum(n)::text FROM items');
      query(w, 'BEGIN');
      query(w, 'UPDATE items SET n = 2 WHERE id = 1');
      query(w, 'COMMIT');
      raw.write(w.flush());
      await raw.readyCount(5);
      expect(raw.messages.filter((m) => m.type === 'E').map(sqlstate)).toEqual(['42501']);
      const row = raw.messages.find((m) => m.type === 'D');
      // One column: int16 count, int32 length, then the text.
      expect(row?.body.subarray(6).toString()).toBe('0');
      expect(raw.messages.filter((m) => m.type === 'Z').map(status)).toEqual(['I', 'I', 'T', 'T', 'I']);
      expect(await committed()).toEqual([2, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    } finally {
      raw.end();
    }
  });

  test('a limited Query after an unsynced Execute is refused: the status it would meet is unknown', async () => {
    const raw = await RawClient.connect(f.port, 'agent', 'agent-pw');
    try {
      const w = new MessageWriter();
      extendedQuery(w, 'BEGIN');
      query(w, 'UPDATE items SET n = 1 WHERE id = 1');
      sync(w);
      query(w, 'ROLLBACK');
      raw.write(w.flush());
      await raw.readyCount(3);
      expect(raw.messages.filter((m) => m.type === 'E').map(sqlstate)).toEqual(['42501']);
      expect(raw.messages.find((m) => m.type === 'E')?.body.toString()).toContain('not synced');
      expect(await committed()).toEqual(untouched);
    } finally {
      raw.end();
    }
  });

  test('COPY FROM STDIN: its data flows while the count is awaited, and too many rows are rolled back', async () => {
    const raw = await RawClient.connect(f.port, 'agent', 'agent-pw');
    const copy = async (rows: number[]) => {
      raw.messages.length = 0;
      raw.write(query(new MessageWriter(), 'COPY items (id, n) FROM STDIN').flush());
      await raw.waitFor((m) => m.type === 'G' || m.type === 'E');
      const w = new MessageWriter();
      w.begin(FrontendCode.CopyData)
        .bytes(Buffer.from(rows.map((id) => `${id}\t4\n`).join('')))
        .end();
      w.begin(FrontendCode.CopyDone).end();
      raw.write(w.flush());
      await raw.readyCount(1);
      return raw.messages.filter((m) => m.type === 'E').map(sqlstate);
    };
    try {
      expect(await copy([21, 22, 23, 24])).toEqual(['42501']);
      expect((await direct.query('SELECT count(*)::int AS c FROM items')).rows[0].c).toBe(10);
      expect(await copy([21, 22])).toEqual([]);
      expect((await direct.query('SELECT count(*)::int AS c FROM items')).rows[0].c).toBe(12);
    } finally {
      raw.end();
    }
  });
});

describe('the completion record', () => {
  test("ends with the proxy's transaction: the count, and the error of a rollback or a failed COMMIT", async () => {
    const records: AuditRecord[] = [];
    const sink: AuditSink = {
      async write(record) {
        records.push(structuredClone(record));
      },
      async close() {},
    };
    const audited = await f.anotherProxy({ audit: sink });
    await direct.query('DROP TABLE IF EXISTS pairs');
    await direct.query('CREATE TABLE pairs (x int UNIQUE DEFERRABLE INITIALLY DEFERRED)');
    await direct.query('INSERT INTO pairs VALUES (1), (2)');
    const agent = await f.through('agent', undefined, { port: audited.port });
    const completion = async (sql: string) => {
      await new Promise((r) => setTimeout(r, 50));
      const decision = records.find((r) => r.stage === undefined && r.action.summary === sql);
      return records.find((r) => r.stage === 'completion' && r.decision_id === decision?.decision_id)
        ?.response;
    };
    try {
      const within = 'UPDATE items SET n = 1 WHERE id = 1';
      await agent.query(within);
      expect(await completion(within)).toEqual({ bytes: expect.any(Number), rows: 1, command: 'UPDATE 1' });

      const past = 'UPDATE items SET n = 2 WHERE id <= 5';
      await expect(agent.query(past)).rejects.toMatchObject({ code: '42501' });
      const pastRecord = await completion(past);
      expect(pastRecord).toMatchObject({ rows: 5, command: 'UPDATE 5', error_code: '42501' });
      // The error the client got is part of the response the record measures.
      expect(pastRecord?.bytes).toBeGreaterThan(100);

      // Within the limit, but the deferred unique constraint fails the proxy's COMMIT.
      const clash = 'UPDATE pairs SET x = 1 WHERE x = 2';
      await expect(agent.query(clash)).rejects.toMatchObject({ code: '23505' });
      expect(await completion(clash)).toMatchObject({ command: 'UPDATE 1', error_code: '23505' });
      expect((await direct.query('SELECT x FROM pairs ORDER BY x')).rows).toEqual([{ x: 1 }, { x: 2 }]);
    } finally {
      await agent.end();
    }
  });
});
