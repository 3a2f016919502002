/**
 * The native lane (`nativeLane: true`, native/lane.c) against Debian's PostgreSQL: Queries a
 * session judged before are relayed in C, and whatever else comes (another statement, an
 * error, a notice, a changed result, a new policy, a large result, a notification, pipelined
 * messages, garbage) is handed back to the session's JavaScript, which answers as it would
 * have without the lane. What the lane relayed is read from `proxy.nativeLane`.
 */

import { type AddressInfo, createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createEngine,
  type Decision,
  type Engine,
  type InputDocument,
  REDACTED,
  type ReloadableEngine,
  staticEvaluator,
} from '@portcullis/core';
import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPgProxy, MessageWriter, type PgProxy } from '../src/index.js';
import { readNoticeFields } from '../src/protocol/backend-messages.js';
import {
  writeAuthenticationOk,
  writeBackendKeyData,
  writeCommandComplete,
  writeDataRow,
  writeParameterStatus,
  writeReadyForQuery,
  writeRowDescription,
} from '../src/protocol/backend-writers.js';
import { ErrorField } from '../src/protocol/message-codes.js';
import { numericTemplate } from '../src/proxy/decision-memo.js';
import { nativeLane } from '../src/proxy/native-lane.js';
import {
  clientOn,
  type ProxyFixture,
  startProxyFixture,
  testPolicy,
  USERS,
} from './support/proxy-fixture.js';
import { psql } from './support/psql.js';
import { query, RawClient, sqlstate } from './support/raw-client.js';
import { makeTestCerts } from './support/test-certs.js';

const binding = nativeLane();

async function sessionsEnded(proxy: PgProxy): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (proxy.sessions > 0) {
    if (Date.now() > deadline) throw new Error('sessions did not end');
    await sleep(10);
  }
}

/** Statements the lane relayed while `run` ran (counted once its sessions have ended). */
async function laned(proxy: PgProxy, run: () => Promise<void>): Promise<number> {
  await sessionsEnded(proxy);
  const before = proxy.nativeLane.statements;
  await run();
  await sessionsEnded(proxy);
  return proxy.nativeLane.statements - before;
}

/** Send each message (a Query, or a batch ending in Sync) once the one before is answered. */
async function inTurn(c: RawClient, messages: readonly Buffer[]): Promise<void> {
  let ready = c.messages.filter((m) => m.type === 'Z').length;
  for (const m of messages) {
    c.write(m);
    await c.readyCount(++ready);
  }
}

describe('the lane keys statements as the decision memo does', () => {
  test('its numeric template is decision-memo.ts numericTemplate, byte for byte', () => {
    expect(binding).toBeDefined();
    const lane = binding as NonNullable<typeof binding>;
    const pieces = [
      'SELECT ',
      'abalance',
      ' FROM t',
      ' WHERE aid = ',
      '1',
      '42',
      '3.14',
      '.5',
      '1.',
      '1e5',
      '0x1f',
      't1',
      'a.b',
      '_9',
      "'",
      '"',
      '$1',
      '\\',
      '--',
      '/*',
      '-',
      '/',
      ' ',
      '\t',
      '\n',
      '\r',
      '\u0001',
      '\u007f',
      'é',
      '?',
      ';',
      '(',
      ')',
      ',',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 24 }), (parts) => {
        const text = parts.join('');
        const expected = numericTemplate(text);
        const actual = lane.template(Buffer.from(text, 'utf8'));
        if (expected === undefined) expect(actual).toBeNull();
        else expect(actual?.toString('latin1')).toBe(expected);
      }),
      { numRuns: 3000 },
    );
    // The length bound, both sides of it.
    const long = `SELECT 1${',1'.repeat(2044)}`;
    expect(long).toHaveLength(4096);
    expect(lane.template(Buffer.from(long))?.toString()).toBe(numericTemplate(long));
    const longer = `${long}1`;
    expect(numericTemplate(longer)).toBeUndefined();
    expect(lane.template(Buffer.from(longer))).toBeNull();
  });
});

describe('with nativeLane', () => {
  let f: ProxyFixture;
  let proxy: PgProxy;
  let port: number;
  let policy: (input: InputDocument) => Decision = testPolicy;
  let engine: ReloadableEngine;

  const through = (user: keyof typeof USERS) => clientOn(port, user);

  /** No session left behind, and a new one answered: note `id` read through the proxy. */
  const servesStill = async (id: number) => {
    await sessionsEnded(proxy);
    const d = await through('alice');
    expect((await d.query('SELECT note FROM notes WHERE id = $1', [id])).rows).toEqual([
      { note: `note ${id}` },
    ]);
    await d.end();
  };

  beforeAll(async () => {
    f = await startProxyFixture();
    engine = createEngine({ evaluator: staticEvaluator((input) => policy(input), 'lane-policy') });
    ({ proxy, port } = await f.anotherProxy({ engine, nativeLane: true }));
    const d = await f.direct();
    await d.query(`
      CREATE TABLE notes (id int PRIMARY KEY, note text NOT NULL, n int NOT NULL);
      INSERT INTO notes SELECT g, 'note ' || g, 5 FROM generate_series(1, 20) g;
      CREATE TABLE cards (id int PRIMARY KEY, holder text NOT NULL);
      INSERT INTO cards VALUES (1, 'Ada'), (2, 'Grace');
      CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
      INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 4) g;
      CREATE TABLE history (id int NOT NULL, delta int NOT NULL);
    `);
    await d.end();
  }, 120_000);
  afterAll(async () => {
    await engine?.close();
    await f?.stop();
  });

  test('is refused where it cannot be had', () => {
    const base = {
      upstream: f.upstream,
      resource: { name: 'r' },
      authenticate: async () => null,
    };
    expect(() => createPgProxy({ ...base, engine, nativeLane: 'yes' as unknown as boolean })).toThrow(
      /nativeLane: must be a boolean/,
    );
    const withoutGenerations: Engine = {
      decide: (r) => engine.decide(r),
      decideInput: (i) => engine.decideInput(i),
      clearCache() {},
      close: async () => {},
    };
    expect(() => createPgProxy({ ...base, engine: withoutGenerations, nativeLane: true })).toThrow(
      /nativeLane: needs an engine with onGeneration/,
    );
  });

  test('is used by default where it can be had; false turns it off; where it cannot, the proxy says why', async () => {
    for (const [nativeLane, used] of [
      [undefined, true],
      [false, false],
    ] as const) {
      const other = await f.anotherProxy({ engine, ...(nativeLane === undefined ? {} : { nativeLane }) });
      const relayed = await laned(other.proxy, async () => {
        const c = await clientOn(other.port, 'alice');
        for (let i = 1; i <= 5; i++) await c.query(`SELECT note FROM notes WHERE id = ${i}`);
        await c.end();
      });
      expect(relayed > 0).toBe(used);
    }
    const logged: { obj: object; msg: string | undefined }[] = [];
    const withoutGenerations: Engine = {
      decide: (r) => engine.decide(r),
      decideInput: (i) => engine.decideInput(i),
      clearCache() {},
      close: async () => {},
    };
    const base = {
      upstream: f.upstream,
      resource: { name: 'r' },
      authenticate: async () => null,
      engine: withoutGenerations,
      logger: { info: (obj: object, msg?: string) => logged.push({ obj, msg }) },
    };
    createPgProxy(base);
    expect(logged).toEqual([
      { obj: { reason: 'the engine has no onGeneration' }, msg: 'pg proxy: no native lane' },
    ]);
    // An audit sink that cannot store a record on the spot keeps every session off it: said too,
    // and `true` is refused, as is `true` with the decision cache off.
    const sink = { write: async () => {}, close: async () => {} };
    logged.length = 0;
    createPgProxy({ ...base, engine, audit: sink });
    expect(logged).toEqual([
      {
        obj: {
          reason: 'the audit sink has no writeNow, to store a record before the lane sends its statement',
        },
        msg: 'pg proxy: no native lane',
      },
    ]);
    expect(() => createPgProxy({ ...base, engine, audit: sink, nativeLane: true })).toThrow(
      /nativeLane: cannot be used: the audit sink has no writeNow/,
    );
    expect(() => createPgProxy({ ...base, engine, decisionCache: false, nativeLane: true })).toThrow(
      /nativeLane: cannot be used: the decision cache is off/,
    );
    // Turned off, nothing to say.
    logged.length = 0;
    createPgProxy({ ...base, engine, audit: sink, nativeLane: false });
    expect(logged).toEqual([]);
  });

  test('a Query judged before is relayed in C, with the same answers', async () => {
    const relayed = await laned(proxy, async () => {
      const c = await through('alice');
      for (let i = 1; i <= 20; i++) {
        const r = await c.query(`SELECT id, note FROM notes WHERE id = ${i}`);
        expect(r.rows).toEqual([{ id: i, note: `note ${i}` }]);
      }
      // No rows is an answer too.
      expect((await c.query('SELECT id, note FROM notes WHERE id = 99')).rows).toEqual([]);
      await c.end();
    });
    // The first two are the JavaScript side's (exact text, then its template), the rest the lane's.
    expect(relayed).toBeGreaterThanOrEqual(18);
  });

  test('an agent result with a masked column is never the lane’s; its other reads are', async () => {
    let relayed = 0;
    relayed = await laned(proxy, async () => {
      const c = await through('agent');
      for (let i = 0; i < 6; i++) {
        const masked = await c.query('SELECT id, email FROM users WHERE id = 1');
        expect(masked.rows).toEqual([{ id: 1, email: '***********.com' }]);
        const plain = await c.query('SELECT id, name FROM users WHERE id = 2');
        expect(plain.rows).toEqual([{ id: 2, name: 'Grace' }]);
      }
      await c.end();
    });
    // The unmasked read from its third run on (its first plan waited on the catalog, its
    // second registered it): never the masked one.
    expect(relayed).toBe(4);
  });

  test('psql through the lane prints what the server answers', async () => {
    const commands = Array.from({ length: 10 }, (_, i) => `SELECT note FROM notes WHERE id = ${i + 1}`);
    let out = '';
    const relayed = await laned(proxy, async () => {
      out = (await psql({ port, user: 'alice', password: USERS.alice.password }, commands)).stdout;
    });
    expect(out.trim().split('\n')).toEqual(Array.from({ length: 10 }, (_, i) => `note ${i + 1}`));
    expect(relayed).toBeGreaterThanOrEqual(7);
  });

  /** `changed` as the policy (a new generation) while `run` runs, then the test policy again. */
  const withPolicy = async (changed: (input: InputDocument) => Decision, run: () => Promise<void>) => {
    policy = changed;
    engine.invalidate();
    try {
      await run();
    } finally {
      policy = testPolicy;
      engine.invalidate();
    }
  };

  /** The test policy with an email detector for agents, while `run` runs. */
  const withDetector = (run: () => Promise<void>) =>
    withPolicy((input) => {
      const decision = testPolicy(input);
      if (decision.effect !== 'allow' || input.subject.kind !== 'agent') return decision;
      return { ...decision, masks: [...decision.masks, { detector: 'email', strategy: 'redact' }] };
    }, run);

  test('an error in a relayed Query is masked as the session masks errors, and the session goes on', async () => {
    await withDetector(async () => {
      const d = await f.direct();
      await d.query(`
        CREATE TABLE contacts (id int PRIMARY KEY, info text NOT NULL);
        INSERT INTO contacts VALUES (1, '5'), (2, '6'), (3, '7'), (4, 'ada@example.com'), (5, '8');
      `);
      await d.end();
      // The result is a plain column; the cast that fails is in the WHERE clause.
      const text = (id: number) => `SELECT id FROM contacts WHERE id = ${id} AND CAST(info AS int) > 0`;
      const relayed = await laned(proxy, async () => {
        const a = await through('agent');
        for (let i = 1; i <= 3; i++) expect((await a.query(text(i))).rows).toEqual([{ id: i }]);
        // invalid input syntax for type integer: "ada@example.com", from the server.
        const error = await a.query(text(4)).then(
          () => undefined,
          (e: pg.DatabaseError) => e,
        );
        expect(error?.code).toBe('22P02');
        expect(error?.message).not.toContain('ada@example.com');
        expect(error?.message).toContain('[REDACTED]');
        expect((await a.query(text(5))).rows).toEqual([{ id: 5 }]);
        await a.end();
      });
      // The third (the first plan waited on the catalog, the second registered it); the
      // fourth was handed back; the fifth the lane's again.
      expect(relayed).toBe(2);
    });
  });

  test('a notice in a relayed Query is masked, and its rows go out', async () => {
    await withDetector(async () => {
      const d = await f.direct();
      await d.query(`
        CREATE FUNCTION noisy(i int) RETURNS int LANGUAGE plpgsql AS $$
        BEGIN IF i = 3 THEN RAISE NOTICE 'write to grace@example.org'; END IF; RETURN i; END $$;
      `);
      await d.end();
      const c = await through('agent');
      const notices: string[] = [];
      c.on('notice', (n) => notices.push(n.message ?? ''));
      for (let i = 1; i <= 4; i++) {
        const r = await c.query(`SELECT id FROM notes WHERE id = ${i} AND noisy(id) > 0`);
        expect(r.rows).toEqual([{ id: i }]);
      }
      // As the session masks it: the statement names no masked column, but a function of the
      // user's ran, so the whole text is masked as a masked column would be.
      expect(notices).toHaveLength(1);
      expect(notices[0]).not.toContain('grace@example.org');
      await c.end();
    });
  });

  test('a result whose columns changed since it was judged is planned again, and masked', async () => {
    policy = (input) => {
      const decision = testPolicy(input);
      if (decision.effect !== 'allow' || input.subject.kind !== 'agent') return decision;
      return { ...decision, masks: [...decision.masks, { column_pattern: 'secret', strategy: 'redact' }] };
    };
    engine.invalidate();
    try {
      const c = await through('agent');
      for (let i = 0; i < 3; i++)
        expect((await c.query('SELECT * FROM cards WHERE id = 1')).rows).toEqual([{ id: 1, holder: 'Ada' }]);
      const d = await f.direct();
      await d.query("ALTER TABLE cards ADD COLUMN secret text; UPDATE cards SET secret = 'hunter2'");
      await d.end();
      const after = await c.query('SELECT * FROM cards WHERE id = 1');
      expect(after.rows).toHaveLength(1);
      expect(after.rows[0].holder).toBe('Ada');
      expect(after.rows[0].secret).not.toContain('hunter2');
      await c.end();
    } finally {
      policy = testPolicy;
      engine.invalidate();
    }
  });

  test('a new policy generation reaches a session whose lane holds the statement, at once', async () => {
    const c = await through('alice');
    const text = 'SELECT id FROM cards WHERE id = 2';
    for (let i = 0; i < 3; i++) expect((await c.query(text)).rows).toEqual([{ id: 2 }]);
    policy = (input) =>
      input.action.sql?.statements.some((s) => s.tables.includes('cards'))
        ? { effect: 'deny', reasons: [{ rule: 'cards.closed', message: 'cards are closed' }], masks: [] }
        : testPolicy(input);
    engine.invalidate();
    try {
      await expect(c.query(text)).rejects.toMatchObject({ code: '42501' });
      await expect(c.query('SELECT id FROM cards WHERE id = 1')).rejects.toMatchObject({ code: '42501' });
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      policy = testPolicy;
      engine.invalidate();
    }
    await c.end();
  });

  test('proxy.clearDecisionCache reaches the lane too', async () => {
    const c = await through('alice');
    const text = 'SELECT id FROM cards WHERE id = 1';
    for (let i = 0; i < 3; i++) await c.query(text);
    // A policy swapped without a new generation (a wrapper's), then the cache cleared by hand.
    policy = () => ({ effect: 'deny', reasons: [{ rule: 'all.closed', message: 'closed' }], masks: [] });
    proxy.clearDecisionCache();
    try {
      await expect(c.query(text)).rejects.toMatchObject({ code: '42501' });
    } finally {
      policy = testPolicy;
      engine.invalidate();
    }
    await c.end();
  });

  /** A transaction as pgbench's TPC-B-like script makes one, each statement its own Query. */
  const transfer = async (c: pg.Client, id: number, delta: number): Promise<number> => {
    await c.query('BEGIN');
    await c.query(`UPDATE accounts SET balance = balance + ${delta} WHERE id = ${id}`);
    const r = await c.query(`SELECT balance FROM accounts WHERE id = ${id}`);
    await c.query(`INSERT INTO history (id, delta) VALUES (${id}, ${delta})`);
    await c.query('END');
    return r.rows[0].balance;
  };

  /** The accounts' balances and the history's length, read directly. */
  const ledger = async () => {
    const d = await f.direct();
    const balances = (await d.query('SELECT balance FROM accounts ORDER BY id')).rows.map((r) => r.balance);
    const history = Number((await d.query('SELECT count(*) AS n FROM history')).rows[0].n);
    await d.end();
    return { balances, history };
  };

  /** The test policy with a row limit on UPDATE and DELETE, while `run` runs. */
  const withRowLimit = (limit: number, run: () => Promise<void>) =>
    withPolicy((input) => {
      const decision = testPolicy(input);
      const writes = input.action.sql?.statements.some((s) => s.type === 'update' || s.type === 'delete');
      return decision.effect === 'allow' && writes
        ? { ...decision, limits: { affected_rows: limit } }
        : decision;
    }, run);

  test('transaction blocks, the reads and writes in them and their end are relayed in C', async () => {
    const before = await ledger();
    const balances = [...before.balances];
    const relayed = await laned(proxy, async () => {
      const c = await through('alice');
      for (let i = 0; i < 12; i++) {
        const id = (i % 4) + 1;
        balances[id - 1] += i + 1;
        expect(await transfer(c, id, i + 1)).toBe(balances[id - 1]);
      }
      // A block rolled back by the client is rolled back.
      await c.query('BEGIN');
      await c.query('UPDATE accounts SET balance = balance + 1000 WHERE id = 1');
      await c.query('ROLLBACK');
      await c.end();
    });
    // The first transaction is the session's; from the second on, every statement (each
    // registered under its template), and of the block rolled back, all but ROLLBACK.
    expect(relayed).toBe(11 * 5 + 2);
    expect(await ledger()).toEqual({ balances, history: before.history + 12 });
  });

  test('the session goes on in the transaction status the lane leaves', async () => {
    await withRowLimit(2, async () => {
      const c = await through('alice');
      for (let i = 1; i <= 3; i++) await transfer(c, i, 1);
      const start = await ledger();
      // In a block the lane began, a limited write of the session's own runs as the block's:
      // the client's ROLLBACK undoes it and the lane's write before it.
      await c.query('BEGIN');
      await c.query('UPDATE accounts SET balance = balance + 7 WHERE id = 1');
      await c.query('UPDATE accounts SET balance = balance + 7 WHERE id IN (2, 3)');
      await c.query('ROLLBACK');
      expect(await ledger()).toEqual(start);
      // Idle after a block the lane ended: a limited write past its limit is undone.
      await c.query('BEGIN');
      await c.query('SELECT balance FROM accounts WHERE id = 1 + 0');
      await c.query('END');
      await expect(c.query('UPDATE accounts SET balance = balance + 1 WHERE id > 0')).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/UPDATE affected 4 rows, more than the limit of 2/),
      });
      expect(await ledger()).toEqual(start);
      await c.end();
    });
  });

  test('a write the lane relays past its row limit is handed back, and fails the block', async () => {
    await withRowLimit(1, async () => {
      const c = await through('alice');
      const start = await ledger();
      for (let i = 0; i < 3; i++) {
        await c.query('BEGIN');
        await c.query('UPDATE accounts SET balance = balance + 1 WHERE id <= 1');
        await c.query('END');
      }
      const within = await ledger();
      expect(within.balances[0]).toBe((start.balances[0] as number) + 3);
      const handoffs = proxy.nativeLane.handoffs;
      await c.query('BEGIN');
      await expect(c.query('UPDATE accounts SET balance = balance + 1 WHERE id <= 3')).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/UPDATE affected 3 rows, more than the limit of 1/),
      });
      expect(proxy.nativeLane.handoffs).toBeGreaterThan(handoffs);
      // The block is failed: nothing of it can be committed.
      await expect(c.query('SELECT 1 AS one')).rejects.toMatchObject({ code: '25P02' });
      expect((await c.query('END')).command).toBe('ROLLBACK');
      expect(await ledger()).toEqual(within);
      // Registered in a block, the write is not the lane's outside one, where the session
      // must open a transaction around it to undo it.
      await expect(c.query('UPDATE accounts SET balance = balance + 1 WHERE id <= 3')).rejects.toMatchObject({
        code: '42501',
      });
      expect(await ledger()).toEqual(within);
      await c.end();
    });
  });

  test('prepared statements in transaction blocks are relayed in C, and a limited one past its limit fails the block', async () => {
    await withRowLimit(1, async () => {
      const start = await ledger();
      const named = (name: string, text: string, values: unknown[] = []) => ({ name, text, values });
      const update = (delta: number, upTo: number) =>
        named('upd', 'UPDATE accounts SET balance = balance + $1 WHERE id <= $2 AND id >= 2', [delta, upTo]);
      const pastLimit = { code: '42501', message: expect.stringMatching(/more than the limit of 1/) };
      let balance = start.balances[1] as number;
      const relayed = await laned(proxy, async () => {
        const c = await through('alice');
        for (let i = 1; i <= 6; i++) {
          await c.query(named('begin', 'BEGIN'));
          await c.query(update(i, 2));
          const r = await c.query(named('sel', 'SELECT balance FROM accounts WHERE id = $1', [2]));
          balance += i;
          expect(r.rows).toEqual([{ balance }]);
          await c.query(named('ins', 'INSERT INTO history (id, delta) VALUES ($1, $2)', [2, i]));
          await c.query(named('end', 'END'));
        }
        await c.query(named('begin', 'BEGIN'));
        await expect(c.query(update(1, 4))).rejects.toMatchObject(pastLimit);
        await expect(
          c.query(named('sel', 'SELECT balance FROM accounts WHERE id = $1', [2])),
        ).rejects.toMatchObject({ code: '25P02' });
        expect((await c.query(named('end', 'END'))).command).toBe('ROLLBACK');
        // Outside a block, where its Sync would commit it before its count is read, the
        // limited statement is the session's, however often it ran within its limit.
        for (let i = 0; i < 3; i++) {
          await c.query(update(1, 2));
          balance += 1;
        }
        await expect(c.query(update(1, 4))).rejects.toMatchObject(pastLimit);
        await c.end();
      });
      // Each statement's first two executions are the session's (Parse, then the plan).
      expect(relayed).toBeGreaterThanOrEqual(4 * 5);
      const after = await ledger();
      expect(after.balances[1]).toBe(balance);
      expect(after.balances[2]).toBe(start.balances[2]);
      expect(after.history).toBe(start.history + 6);
    });
  });

  test('what the lane ran in a block masks a payload that comes at its COMMIT, after a new policy generation too', async () => {
    const payloads: (string | undefined)[] = [];
    // Reads no masked column into its result, but sends one in a notification at COMMIT.
    const carrier = "SELECT id FROM users WHERE id = 1 AND pg_notify('lane_leak', email) IS NULL";
    const relayed = await laned(proxy, async () => {
      const agent = await through('agent');
      await agent.query('LISTEN lane_leak');
      agent.on('notification', (n) => payloads.push(n.payload));
      for (let i = 0; i < 3; i++) {
        await agent.query('BEGIN');
        await agent.query(carrier);
        await agent.query('COMMIT');
      }
      await agent.query('BEGIN');
      await agent.query(carrier);
      // The lane's registrations go; what it ran in this block must still be known.
      engine.invalidate();
      await agent.query('COMMIT');
      await agent.end();
    });
    expect(relayed).toBeGreaterThanOrEqual(3);
    expect(payloads).toHaveLength(4);
    // Masked whole, as a value carried outside a row is (side-channels.test.ts).
    expect(payloads).toEqual(Array(4).fill(REDACTED));
  });

  test('a result past the lane’s buffer is handed back and streamed whole', async () => {
    const c = await through('alice');
    const text = "SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 3000) g WHERE g > 0";
    for (let i = 0; i < 3; i++) {
      const r = await c.query(text);
      expect(r.rows).toHaveLength(3000);
      expect(r.rows[2999]).toEqual({ g: 3000, pad: 'x'.repeat(200) });
    }
    await c.end();
  });

  test('a client that does not read holds the lane’s writes, and the server’s reads, until it does', async () => {
    const c = await RawClient.connect(port, 'alice', USERS.alice.password);
    c.keepRows = false;
    const text = (n: number) => `SELECT g, repeat('y', 100) AS pad FROM generate_series(1, ${n}) g`;
    for (let i = 1; i <= 2; i++) {
      c.write(query(new MessageWriter(), text(1500 + i)).flush());
      await c.readyCount(i);
    }
    c.messages.splice(0);
    c.rows = 0;
    c.pause();
    // About 200 KiB apiece, 40 of them: far past what the sockets between hold.
    const w = new MessageWriter();
    for (let i = 1; i <= 40; i++) query(w, text(1500 + (i % 9)));
    c.write(w.flush());
    await sleep(500);
    c.resume();
    await c.readyCount(40, 30_000);
    let expected = 0;
    for (let i = 1; i <= 40; i++) expected += 1500 + (i % 9);
    expect(c.rows).toBe(expected);
    expect(c.types()).toBe('TCZ'.repeat(40));
    c.end();
  });

  test('a notification that arrives while the lane waits goes to the client', async () => {
    const c = await through('alice');
    await c.query('LISTEN lane_channel');
    for (let i = 1; i <= 3; i++) await c.query(`SELECT note FROM notes WHERE id = ${i}`);
    const got = new Promise<string | undefined>((resolve) =>
      c.once('notification', (n) => resolve(n.payload)),
    );
    const d = await f.direct();
    await d.query("NOTIFY lane_channel, 'hello'");
    await d.end();
    expect(await got).toBe('hello');
    expect((await c.query('SELECT note FROM notes WHERE id = 4')).rows).toEqual([{ note: 'note 4' }]);
    await c.end();
  });

  test('pipelined Queries, then extended-protocol messages, are answered in order', async () => {
    const c = await RawClient.connect(port, 'alice', USERS.alice.password);
    await inTurn(
      c,
      [1, 2, 3].map((i) => query(new MessageWriter(), `SELECT note FROM notes WHERE id = ${i}`).flush()),
    );
    c.messages.splice(0);
    const w = new MessageWriter();
    for (let i = 4; i <= 8; i++) query(w, `SELECT note FROM notes WHERE id = ${i}`);
    w.begin(0x50).cstring('').cstring('SELECT note FROM notes WHERE id = $1').int16(0).end(); // Parse
    w.begin(0x42).cstring('').cstring('').int16(0).int16(1).int32(1).bytes(Buffer.from('9')).int16(0).end(); // Bind
    w.begin(0x45).cstring('').int32(0).end(); // Execute
    w.begin(0x53).end(); // Sync
    query(w, 'SELECT note FROM notes WHERE id = 10');
    c.write(w.flush());
    await c.readyCount(7);
    const notes = c.messages.filter((m) => m.type === 'D').map((m) => m.body.subarray(6).toString());
    expect(notes).toEqual(['note 4', 'note 5', 'note 6', 'note 7', 'note 8', 'note 9', 'note 10']);
    expect(c.types()).toBe('TDCZTDCZTDCZTDCZTDCZ12DCZTDCZ');
    c.end();
  });

  test('a client that goes while its Query is in the lane leaves no session behind', async () => {
    const c = await RawClient.connect(port, 'alice', USERS.alice.password);
    await inTurn(
      c,
      [1, 2, 3].map((i) =>
        query(new MessageWriter(), `SELECT pg_sleep(0), note FROM notes WHERE id = ${i}`).flush(),
      ),
    );
    c.write(query(new MessageWriter(), 'SELECT pg_sleep(0.2), note FROM notes WHERE id = 4').flush());
    await sleep(20);
    c.end();
    await servesStill(1);
  });

  test('malformed and hostile client bytes meet the session’s own checks, and the proxy stays up', async () => {
    const cases: Buffer[] = [
      Buffer.from([0x51, 0, 0, 0, 3]), // a length below its own size
      Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff]), // 2 GiB Query
      Buffer.concat([Buffer.from([0x51, 0, 0, 0, 9]), Buffer.from('SEL\0ECT')]), // NUL inside
      Buffer.concat([Buffer.from([0x51, 0, 0, 0, 8]), Buffer.from('SELECT')]), // no terminating NUL
      Buffer.from([0x00, 0, 0, 0, 4]), // no such message type
    ];
    for (const bad of cases) {
      const c = await RawClient.connect(port, 'alice', USERS.alice.password);
      await inTurn(
        c,
        [1, 2, 3].map((i) => query(new MessageWriter(), `SELECT note FROM notes WHERE id = ${i}`).flush()),
      );
      c.write(bad);
      await c.waitFor((m) => m.type === 'E');
      await c.closedPromise();
    }
    // Random bytes after a judged Query, in random pieces.
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (junk) => {
        const c = await RawClient.connect(port, 'alice', USERS.alice.password);
        c.write(query(new MessageWriter(), 'SELECT note FROM notes WHERE id = 1').flush());
        await c.readyCount(1);
        c.write(query(new MessageWriter(), 'SELECT note FROM notes WHERE id = 2').flush());
        c.write(Buffer.from(junk));
        await sleep(5);
        c.end();
      }),
      { numRuns: 40 },
    );
    await servesStill(1);
  });

  /** Bind of the unnamed portal to `name` with one text parameter, Describe, Execute, Sync. */
  const execute = (w: MessageWriter, name: string, param: string) => {
    const value = Buffer.from(param);
    w.begin(0x42).cstring('').cstring(name).int16(0).int16(1).int32(value.length).bytes(value).int16(0).end();
    w.begin(0x44).byte(0x50).cstring('').end();
    w.begin(0x45).cstring('').int32(0).end();
    return w.begin(0x53).end();
  };
  const prepare = (w: MessageWriter, name: string, sql: string) =>
    w.begin(0x50).cstring(name).cstring(sql).int16(0).end().begin(0x53).end();

  test('a prepared statement’s executions are relayed in C, as libpq and node-postgres send them', async () => {
    const relayed = await laned(proxy, async () => {
      const c = await through('agent');
      for (let i = 1; i <= 12; i++) {
        const r = await c.query({
          name: 'by_id',
          text: 'SELECT id, note FROM notes WHERE id = $1',
          values: [i],
        });
        expect(r.rows).toEqual([{ id: i, note: `note ${i}` }]);
      }
      // The masked column still is not the lane's.
      for (let i = 0; i < 4; i++) {
        const r = await c.query({
          name: 'email',
          text: 'SELECT email FROM users WHERE id = $1',
          values: [1],
        });
        expect(r.rows).toEqual([{ email: '***********.com' }]);
      }
      await c.end();
    });
    // The first (with its Parse) and second (its plan waited on the catalog) are the session's.
    expect(relayed).toBe(10);
  });

  test('pipelined batches of a prepared statement are answered in order', async () => {
    const c = await RawClient.connect(port, 'alice', USERS.alice.password);
    c.write(prepare(new MessageWriter(), 'p1', 'SELECT note FROM notes WHERE id = $1').flush());
    await c.readyCount(1);
    for (let i = 1; i <= 2; i++) {
      c.write(execute(new MessageWriter(), 'p1', String(i)).flush());
      await c.readyCount(1 + i);
    }
    c.messages.splice(0);
    const w = new MessageWriter();
    for (let i = 3; i <= 9; i++) execute(w, 'p1', String(i));
    c.write(w.flush());
    await c.readyCount(7);
    const notes = c.messages.filter((m) => m.type === 'D').map((m) => m.body.subarray(6).toString());
    expect(notes).toEqual([3, 4, 5, 6, 7, 8, 9].map((i) => `note ${i}`));
    expect(c.types()).toBe('2TDCZ'.repeat(7));
    c.end();
  });

  test('a statement name prepared again is judged again, not relayed on what it named before', async () => {
    await withRowLimit(1, async () => {
      const c = await RawClient.connect(port, 'alice', USERS.alice.password);
      // Its result is cards.id, as the UPDATE's RETURNING below is: the same RowDescription.
      c.write(
        prepare(new MessageWriter(), 's1', 'SELECT id FROM cards WHERE id > $1 ORDER BY id LIMIT 1').flush(),
      );
      await c.readyCount(1);
      await inTurn(
        c,
        [1, 2, 3].map(() => execute(new MessageWriter(), 's1', '0').flush()),
      );
      const w = new MessageWriter();
      w.begin(0x43).byte(0x53).cstring('s1').end(); // Close
      prepare(w, 's1', "UPDATE cards SET holder = holder || '!' WHERE id > $1 RETURNING id");
      c.write(w.flush());
      await c.readyCount(5);
      c.messages.splice(0);
      c.write(execute(new MessageWriter(), 's1', '0').flush());
      await c.readyCount(1);
      const error = c.messages.find((m) => m.type === 'E');
      expect(error && sqlstate(error)).toBe('42501');
      c.end();
      const d = await f.direct();
      expect((await d.query('SELECT holder FROM cards ORDER BY id')).rows).toEqual([
        { holder: 'Ada' },
        { holder: 'Grace' },
      ]);
      await d.end();
    });
  });

  test('preparing another statement leaves what the lane holds of Queries', async () => {
    const relayed = await laned(proxy, async () => {
      const c = await RawClient.connect(port, 'alice', USERS.alice.password);
      const q = () => query(new MessageWriter(), 'SELECT note FROM notes WHERE id = 7').flush();
      await inTurn(c, [q(), q(), q()]);
      await inTurn(c, [prepare(new MessageWriter(), 'other', 'SELECT 1').flush(), q()]);
      await inTurn(c, [
        new MessageWriter().begin(0x43).byte(0x53).cstring('other').end().begin(0x53).end().flush(),
        q(),
      ]);
      c.end();
    });
    // The second and third, and the one after each of the Parse and the Close.
    expect(relayed).toBe(4);
  });

  test('mutated batches of a registered statement meet the session’s own checks, and the proxy stays up', async () => {
    const valid = execute(new MessageWriter(), 'f1', '1').flush();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat({ max: valid.length }),
        async (flips, cut) => {
          const bad = Buffer.from(valid);
          for (const [at, value] of flips) bad[at] = value;
          const c = await RawClient.connect(port, 'alice', USERS.alice.password);
          await inTurn(c, [
            prepare(new MessageWriter(), 'f1', 'SELECT note FROM notes WHERE id = $1').flush(),
            ...[1, 2, 3].map(() => execute(new MessageWriter(), 'f1', '2').flush()),
          ]);
          c.write(bad.subarray(0, cut === 0 ? bad.length : cut));
          await sleep(5);
          c.end();
        },
      ),
      { numRuns: 60 },
    );
    await servesStill(3);
  });

  test('a session over TLS keeps its statements: the lane reads plain sockets only', async () => {
    const certs = await makeTestCerts();
    try {
      const other = await f.anotherProxy({
        engine,
        nativeLane: true,
        tls: { key: certs.key, cert: certs.cert },
      });
      const run = (config: pg.ClientConfig) =>
        laned(other.proxy, async () => {
          const c = await clientOn(other.port, 'alice', undefined, config);
          for (let i = 1; i <= 6; i++)
            expect((await c.query(`SELECT note FROM notes WHERE id = ${i}`)).rows).toEqual([
              { note: `note ${i}` },
            ]);
          await c.end();
        });
      expect(await run({ ssl: { rejectUnauthorized: false } })).toBe(0);
      // The same proxy's plain sessions do use it.
      expect(await run({ ssl: false })).toBeGreaterThanOrEqual(4);
    } finally {
      certs.remove();
    }
  });

  test('maxMessageSize holds for what the lane would relay, both ways', async () => {
    const other = await f.anotherProxy({ engine, nativeLane: true, maxMessageSize: 1024 });
    // A Query past the limit whose numeric template is registered: refused as any such.
    const c = await RawClient.connect(other.port, 'alice', USERS.alice.password);
    await inTurn(
      c,
      [1, 2, 3].map((i) => query(new MessageWriter(), `SELECT note FROM notes WHERE id = ${i}`).flush()),
    );
    c.write(query(new MessageWriter(), `SELECT note FROM notes WHERE id = 1${'0'.repeat(1100)}`).flush());
    const refused = await c.waitFor((m) => m.type === 'E');
    expect(readNoticeFields(refused.body).get(ErrorField.Message)).toMatch(/exceeds the maximum of 1024/);
    await c.closedPromise();
    // A row past the limit in the answer to a registered Query: the session's own error.
    const d = await f.direct();
    await d.query(
      "CREATE TABLE wide (id int PRIMARY KEY, pad text); INSERT INTO wide VALUES (1, 'a'), (2, 'b'), (3, 'c')",
    );
    const r = await RawClient.connect(other.port, 'alice', USERS.alice.password);
    await inTurn(
      r,
      [1, 2, 3].map((i) => query(new MessageWriter(), `SELECT pad FROM wide WHERE id = ${i}`).flush()),
    );
    await d.query("UPDATE wide SET pad = repeat('z', 2000) WHERE id = 2");
    await d.end();
    r.messages.splice(0);
    r.write(query(new MessageWriter(), 'SELECT pad FROM wide WHERE id = 2').flush());
    await r.closedPromise();
    expect(r.messages.some((m) => m.type === 'D')).toBe(false);
  });

  test('a session holds 64 registrations, the first registered going first, on both sides alike', async () => {
    const d = await f.direct();
    await d.query('CREATE TABLE lane_keys (k int PRIMARY KEY, v int NOT NULL)');
    await d.query('INSERT INTO lane_keys SELECT g, 1 FROM generate_series(1, 65) g');
    // A quoted constant: no template, each text a key of its own.
    const text = (k: number) => `SELECT 100 / v AS q FROM lane_keys WHERE k = ${k} AND 'k${k}' <> ''`;
    const relayed = await laned(proxy, async () => {
      const c = await through('alice');
      const run = async (k: number) => expect((await c.query(text(k))).rows).toEqual([{ q: 100 }]);
      for (let pass = 0; pass < 2; pass++) for (let k = 1; k <= 64; k++) await run(k);
      await run(65); // registered: the first (1) goes
      await run(1); // handed back, registered again: 2 goes
      await run(3); // still held
      await run(1); // held again, under its new registration
      // Now every one the lane holds fails in flight, and is handed back mid-statement: the
      // session must know each registration the lane still holds.
      await d.query('UPDATE lane_keys SET v = 0');
      for (let k = 1; k <= 65; k++) await expect(c.query(text(k))).rejects.toMatchObject({ code: '22012' });
      await c.end();
    });
    await d.end();
    expect(relayed).toBe(64 + 2);
  });

  test('a cancel reaches a statement the lane sent', async () => {
    const c = await RawClient.connect(port, 'alice', USERS.alice.password);
    await inTurn(
      c,
      [1, 2, 3].map((i) => query(new MessageWriter(), `SELECT pg_sleep(${i / 1000})`).flush()),
    );
    c.messages.splice(0);
    c.write(query(new MessageWriter(), 'SELECT pg_sleep(30)').flush());
    await sleep(200);
    await RawClient.cancel(port, c.backendKey.processId, c.backendKey.secretKey);
    const error = await c.waitFor((m) => m.type === 'E');
    expect(sqlstate(error)).toBe('57014');
    c.end();
  });
});

describe('with nativeLane, behind a server that answers garbage', () => {
  /**
   * A server of our own: trust login, and `SELECT 1 AS a`, `BEGIN`, `COMMIT` and an UPDATE
   * answered properly (the transaction status kept as a server keeps it) until `hostile` is
   * set, then the Query `hostileFor` (any, when unset) with its bytes instead (a malformed or
   * unexpected answer where the lane waits for a registered one).
   */
  let hostile: Buffer | undefined;
  let hostileFor: string | undefined;
  let server: Server;
  let proxy: PgProxy;
  let port: number;
  let engine: ReloadableEngine;

  beforeAll(async () => {
    server = createServer((socket) => {
      socket.on('error', () => {});
      let buffered = Buffer.alloc(0);
      let started = false;
      let status = 0x49;
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        for (;;) {
          const head = started ? 1 : 0;
          if (buffered.length < head + 4) return;
          const size = head + buffered.readInt32BE(head);
          if (buffered.length < size) return;
          const type = started ? buffered[0] : 0;
          const text = type === 0x51 ? buffered.subarray(5, size - 1).toString() : '';
          buffered = buffered.subarray(size);
          const w = new MessageWriter();
          if (!started) {
            started = true;
            writeAuthenticationOk(w);
            writeParameterStatus(w, 'client_encoding', 'UTF8');
            writeParameterStatus(w, 'server_version', '15.0');
            writeBackendKeyData(w, 1, 2);
            writeReadyForQuery(w, 0x49);
          } else if (type === 0x51) {
            if (hostile && (hostileFor === undefined || hostileFor === text)) {
              socket.write(hostile);
              continue;
            }
            if (text === 'BEGIN' || text === 'COMMIT') {
              status = text === 'BEGIN' ? 0x54 : 0x49;
              writeCommandComplete(w, text);
              writeReadyForQuery(w, status);
              socket.write(w.flush());
              continue;
            }
            if (text.startsWith('UPDATE')) {
              writeCommandComplete(w, 'UPDATE 1');
              writeReadyForQuery(w, status);
              socket.write(w.flush());
              continue;
            }
            writeRowDescription(w, [
              {
                name: 'a',
                tableOid: 0,
                attributeNumber: 0,
                typeOid: 23,
                typeSize: 4,
                typeModifier: -1,
                format: 0,
              },
            ]);
            writeDataRow(w, [Buffer.from('1')]);
            writeCommandComplete(w, 'SELECT 1');
            writeReadyForQuery(w, status);
          } else if (type === 0x58) {
            socket.end();
            return;
          }
          socket.write(w.flush());
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // UPDATEs under a row limit, which the lane checks on their CommandComplete.
    const limited = (input: InputDocument): Decision => {
      const decision = testPolicy(input);
      const update = input.action.sql?.statements.some((s) => s.type === 'update');
      return decision.effect === 'allow' && update ? { ...decision, limits: { affected_rows: 5 } } : decision;
    };
    engine = createEngine({ evaluator: staticEvaluator(limited, 'garbage-policy') });
    proxy = createPgProxy({
      engine,
      upstream: { host: '127.0.0.1', port: (server.address() as AddressInfo).port, user: 'u', password: 'p' },
      resource: { name: 'garbage', labels: { env: 'dev' } },
      async authenticate(startup, password) {
        const user = USERS[startup.user as keyof typeof USERS];
        return user && user.password === password ? { subject: user.subject } : null;
      },
      nativeLane: true,
    });
    port = (await proxy.listen(0, '127.0.0.1')).port;
  });
  afterAll(async () => {
    await proxy?.close();
    await engine?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** Random bytes, well-framed messages of any type and body, a length word that lies. */
  const garbage = (
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 64 }),
      // Well-framed messages of any type and body, the lane's own framing's cases.
      fc
        .array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 16 })), {
          minLength: 1,
          maxLength: 6,
        })
        .map((messages) =>
          Buffer.concat(
            messages.map(([type, body]) => {
              const head = Buffer.alloc(5);
              head[0] = type;
              head.writeInt32BE(body.length + 4, 1);
              return Buffer.concat([head, body]);
            }),
          ),
        ),
      // A length word that lies.
      fc.integer({ min: -5, max: 2 ** 31 - 1 }).map((length) => {
        const m = Buffer.from([0x54, 0, 0, 0, 0]);
        m.writeInt32BE(length, 1);
        return m;
      }),
    ) as fc.Arbitrary<Uint8Array>
  ).map((b) => Buffer.from(b));

  /** A usable session afterwards, and no session left behind. */
  const stillUp = async () => {
    hostile = undefined;
    hostileFor = undefined;
    await sessionsEnded(proxy);
    const c = await RawClient.connect(port, 'alice', USERS.alice.password, 'db');
    c.write(query(new MessageWriter(), 'SELECT 1 AS a').flush());
    await c.readyCount(1);
    expect(c.types()).toBe('TDCZ');
    c.end();
  };

  test('whatever the server says, the proxy stays up and the client is answered or let go', async () => {
    const answer = garbage;
    await fc.assert(
      fc.asyncProperty(answer, async (bytes) => {
        hostile = undefined;
        const c = await RawClient.connect(port, 'alice', USERS.alice.password, 'db');
        await inTurn(
          c,
          [1, 2, 3].map(() => query(new MessageWriter(), 'SELECT 1 AS a').flush()),
        );
        hostile = bytes;
        c.write(query(new MessageWriter(), 'SELECT 1 AS a').flush());
        await sleep(10);
        c.end();
      }),
      { numRuns: 80 },
    );
    hostile = undefined;
    await sessionsEnded(proxy);
    // Relayed by the lane all along: the third query of every run.
    expect(proxy.nativeLane.statements).toBeGreaterThanOrEqual(80);
    await stillUp();
  });

  test('whatever the server says to a statement in a transaction block, the proxy stays up', async () => {
    const block = ['BEGIN', 'SELECT 1 AS a', 'UPDATE t SET a = 1', 'COMMIT'];
    const before = proxy.nativeLane.statements;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...block),
        // A CommandComplete of any tag (a count past the limit, a tag that is no count).
        fc.oneof(
          garbage,
          fc
            .tuple(fc.constantFrom('UPDATE', 'DELETE', 'INSERT 0', 'SELECT', 'UPDATE ', ''), fc.string())
            .map(([word, count]) => {
              const w = new MessageWriter();
              writeCommandComplete(w, `${word} ${count}`);
              writeReadyForQuery(w, 0x54);
              return w.flush();
            }),
        ),
        async (target, bytes) => {
          hostile = undefined;
          const c = await RawClient.connect(port, 'alice', USERS.alice.password, 'db');
          for (let i = 0; i < 3; i++)
            await inTurn(
              c,
              block.map((text) => query(new MessageWriter(), text).flush()),
            );
          hostile = bytes;
          hostileFor = target;
          await inTurn(
            c,
            block.slice(0, block.indexOf(target)).map((text) => query(new MessageWriter(), text).flush()),
          );
          c.write(query(new MessageWriter(), target).flush());
          await sleep(10);
          c.end();
        },
      ),
      { numRuns: 60 },
    );
    // The block's statements from their third run on, and those before the hostile one.
    expect(proxy.nativeLane.statements - before).toBeGreaterThanOrEqual(60 * 4);
    await stillUp();
  });
});
