import { randomBytes } from 'node:crypto';
import { createEngine, staticEvaluator } from '@portcullis/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MessageWriter } from '../src/index.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { psql as psqlAt } from './support/psql.js';
import { extendedQuery, query, RawClient, sqlstate, status, sync } from './support/raw-client.js';

let f: ProxyFixture;

beforeAll(async () => {
  f = await startProxyFixture();
});
afterAll(async () => {
  await f?.stop();
});

const psql = (user: string, password: string, sql: string) =>
  psqlAt({ port: f.port, user, password }, [sql], { stopOnError: false });

async function tableExists(name: string): Promise<boolean> {
  const c = await f.direct();
  try {
    const r = await c.query('SELECT to_regclass($1) IS NOT NULL AS present', [name]);
    return r.rows[0].present;
  } finally {
    await c.end();
  }
}

describe('simple query protocol', () => {
  test('SELECT is allowed and a human sees data in clear (through SCRAM upstream)', async () => {
    const c = await f.through('alice');
    const r = await c.query('SELECT id, email FROM users ORDER BY id');
    expect(r.rows).toEqual([
      { id: 1, email: 'ada@example.com' },
      { id: 2, email: 'grace@example.org' },
    ]);
    await c.end();
  });

  test('DROP TABLE is denied with 42501 and the session stays usable', async () => {
    const c = await f.through('alice');
    await expect(c.query('DROP TABLE victim')).rejects.toMatchObject({
      code: '42501',
      message: expect.stringContaining('DROP is not allowed on production'),
    });
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(await tableExists('victim')).toBe(true);
    await c.end();
  });

  test('a denial inside BEGIN reports the transaction status the server last reported', async () => {
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    const w = new MessageWriter();
    raw.write(query(w, 'BEGIN').flush());
    await raw.readyCount(1);
    raw.write(query(w, 'DROP TABLE victim').flush());
    await raw.readyCount(2);
    const zs = raw.messages.filter((m) => m.type === 'Z');
    expect(zs.map(status)).toEqual(['T', 'T']);
    const err = raw.messages.find((m) => m.type === 'E');
    expect(err && sqlstate(err)).toBe('42501');
    // The transaction is not aborted: the next statement runs inside it.
    raw.write(query(w, "INSERT INTO log VALUES ('in-tx')").flush());
    await raw.readyCount(3);
    expect(status(raw.messages.filter((m) => m.type === 'Z')[2]!)).toBe('T');
    raw.write(query(w, 'ROLLBACK').flush());
    await raw.readyCount(4);
    expect(status(raw.messages.filter((m) => m.type === 'Z')[3]!)).toBe('I');
    raw.end();
  });

  test('a multi-statement Query with one denied statement is denied whole', async () => {
    const c = await f.through('alice');
    await expect(c.query("INSERT INTO log VALUES ('multi'); DROP TABLE victim")).rejects.toMatchObject({
      code: '42501',
    });
    const d = await f.direct();
    expect((await d.query("SELECT count(*)::int AS n FROM log WHERE note = 'multi'")).rows[0].n).toBe(0);
    await d.end();
    expect(await tableExists('victim')).toBe(true);
    await c.end();
  });

  test('users.email is masked for an agent, also behind an alias', async () => {
    const c = await f.through('agent');
    const r = await c.query('SELECT id, name, email, email AS contact FROM users ORDER BY id');
    expect(r.rows[0].name).toBe('Ada');
    for (const row of r.rows) {
      expect(row.email).not.toMatch(/^(ada|grace)@/);
      expect(row.contact).not.toMatch(/^(ada|grace)@/);
    }
    expect(r.rows[0].email.endsWith('.com')).toBe(true);
    expect(r.rows[1].email.endsWith('.org')).toBe(true);
    await c.end();
  });

  test('approve is answered with an error naming that approval is required', async () => {
    const c = await f.through('alice');
    await expect(c.query('SELECT * FROM payroll')).rejects.toMatchObject({
      code: '42501',
      message: expect.stringContaining('requires approval'),
    });
    await c.end();
  });
});

describe('psql', () => {
  test('email column masked in psql output', async () => {
    const { stdout } = await psql('agent', 'agent-pw', 'SELECT email FROM users ORDER BY id');
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(stdout).not.toContain('ada@');
    expect(stdout).not.toContain('grace@');
    expect(lines[0]!.endsWith('.com')).toBe(true);
  });

  test('a human sees it in clear', async () => {
    const { stdout } = await psql('alice', 'alice-pw', 'SELECT email FROM users ORDER BY id');
    expect(stdout.trim().split('\n')).toEqual(['ada@example.com', 'grace@example.org']);
  });

  test('DROP is denied in psql', async () => {
    const err = await psql('alice', 'alice-pw', 'DROP TABLE victim').catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toContain('permission denied by policy: DROP is not allowed on production');
  });

  test('a wrong password is refused', async () => {
    const err = await psql('alice', 'nope', 'SELECT 1').catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toContain('password authentication failed for user "alice"');
  });
});

describe('extended query protocol', () => {
  test('parameterised queries run and are masked', async () => {
    const c = await f.through('agent');
    const r = await c.query('SELECT name, email FROM users WHERE id = $1', [1]);
    expect(r.rows[0].name).toBe('Ada');
    expect(r.rows[0].email).not.toContain('ada@');
    const named = await c.query({
      name: 'by-id',
      text: 'SELECT email FROM users WHERE id = $1',
      values: [2],
    });
    expect(named.rows[0].email).not.toContain('grace@');
    const again = await c.query({
      name: 'by-id',
      text: 'SELECT email FROM users WHERE id = $1',
      values: [1],
    });
    expect(again.rows[0].email).not.toContain('ada@');
    await c.end();
  });

  test('a denied statement in the middle of queued queries fails alone', async () => {
    const c = await f.through('alice');
    const results = await Promise.allSettled([
      c.query('SELECT $1::int AS n', [1]),
      c.query('SELECT $1::int AS n', [2]),
      c.query({ name: 'drop-it', text: 'DROP TABLE victim' }),
      c.query('SELECT $1::int AS n', [4]),
      c.query('SELECT email FROM users WHERE id = $1', [1]),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((results[2] as PromiseRejectedResult).reason.code).toBe('42501');
    expect((results[3] as PromiseFulfilledResult<{ rows: unknown[] }>).value.rows).toEqual([{ n: 4 }]);
    expect(await tableExists('victim')).toBe(true);
    await c.end();
  });

  test('pipelined batches in one write: the denied batch fails, the others succeed', async () => {
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    const w = new MessageWriter();
    sync(extendedQuery(w, 'SELECT 1'));
    sync(extendedQuery(w, 'DROP TABLE victim'));
    sync(extendedQuery(w, 'SELECT 3'));
    raw.write(w.flush());
    await raw.readyCount(3);
    // Batch 1: 1 2 T D C Z; batch 2: E Z; batch 3: 1 2 T D C Z.
    expect(raw.types()).toBe('12TDCZEZ12TDCZ');
    expect(sqlstate(raw.messages[6]!)).toBe('42501');
    raw.end();
  });

  test('a denial after part of a batch ran makes the server fail the batch: its work is rolled back', async () => {
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    const w = new MessageWriter();
    extendedQuery(w, "INSERT INTO log VALUES ('half-batch')");
    extendedQuery(w, 'DROP TABLE victim');
    extendedQuery(w, 'SELECT 1');
    sync(w);
    sync(extendedQuery(w, 'SELECT 2'));
    raw.write(w.flush());
    await raw.readyCount(2);
    expect(raw.types()).toBe('12nCEZ12TDCZ');
    expect(sqlstate(raw.messages[4]!)).toBe('42501');
    const d = await f.direct();
    expect((await d.query("SELECT count(*)::int AS n FROM log WHERE note = 'half-batch'")).rows[0].n).toBe(0);
    await d.end();
    raw.end();
  });
});

describe('robustness', () => {
  test('a decision with a mask RE2 cannot compile is denied with the reason; the session goes on', async () => {
    const engine = createEngine({
      evaluator: staticEvaluator((input) =>
        input.action.type === 'sql' && input.action.sql?.raw.includes('users')
          ? { effect: 'allow', reasons: [], masks: [{ column_pattern: '(?<=a)b', strategy: 'redact' }] }
          : { effect: 'allow', reasons: [], masks: [] },
      ),
    });
    const { port } = await f.anotherProxy({ engine });
    const c = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'agent',
      password: 'agent-pw',
      database: 'app',
    });
    await c.connect();
    try {
      await expect(c.query('SELECT email FROM users')).rejects.toMatchObject({
        code: '42501',
        message: expect.stringContaining('decision.masks[0].column_pattern is not a valid RE2 expression'),
      });
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await c.end();
      await engine.close();
    }
  });

  test('a malformed message closes only that connection', async () => {
    const other = await f.through('alice');
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    // A Query whose length runs past its NUL, then an unknown type.
    raw.write(Buffer.from([0x51, 0, 0, 0, 8, 0x41, 0, 0x42, 0]));
    await raw.closedPromise();
    const err = raw.messages.find((m) => m.type === 'E');
    expect(err && sqlstate(err)).toBe('08P01');
    expect((await other.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    await other.end();
  });

  test('an oversized message is refused with a protocol error', async () => {
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    const w = new MessageWriter();
    w.begin(0x51).int32(0);
    const header = w.flush();
    header.writeInt32BE(0x7fffffff, 1);
    raw.write(header.subarray(0, 5));
    await raw.closedPromise();
    expect(sqlstate(raw.messages.find((m) => m.type === 'E')!)).toBe('08P01');
  });

  test('a wrong password is rejected with 28P01', async () => {
    await expect(f.through('alice', 'wrong')).rejects.toMatchObject({ code: '28P01' });
    await expect(f.through('mallory', 'x')).rejects.toMatchObject({ code: '28P01' });
  });

  test('a client leaving mid-result closes its upstream connection', async () => {
    const d = await f.direct();
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    raw.write(
      query(
        new MessageWriter(),
        "SELECT repeat('x', 1000) FROM generate_series(1, 200000) /* leaver */",
      ).flush(),
    );
    await raw.waitFor((m) => m.type === 'D');
    raw.end();
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await d.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%/* leaver */%' AND pid <> pg_backend_pid()",
      );
      if (r.rows[0].n === 0) break;
      if (Date.now() > deadline) throw new Error('upstream backend still running');
      await new Promise((r) => setTimeout(r, 100));
    }
    await d.end();
  });

  test('random frontend bytes after authentication: no crash, no leaked session', async () => {
    for (let i = 0; i < 20; i++) {
      const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
      raw.write(randomBytes(1 + ((i * 37) % 300)));
      raw.write(query(new MessageWriter(), 'SELECT 1').flush());
      await new Promise((r) => setTimeout(r, 20));
      raw.end();
    }
    const deadline = Date.now() + 5000;
    while (f.proxy.sessions > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(f.proxy.sessions).toBe(0);
    const c = await f.through('alice');
    expect((await c.query('SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
    await c.end();
  });
});
