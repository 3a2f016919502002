/**
 * A policy replaced while sessions are open (`engine.setEvaluator`): prepared statements
 * decided under the old policy are decided again at Execute, and remembered decisions of
 * the simple protocol are forgotten at once rather than after the cache's TTL.
 */

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createEngine, type Decision, type InputDocument, staticEvaluator } from '@portcullis/core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { MessageWriter, readDataRow, readRowDescription } from '../src/index.js';
import { type ProxyFixture, startProxyFixture, testPolicy } from './support/proxy-fixture.js';
import { RawClient, sqlstate, sync } from './support/raw-client.js';

/** The test policy, plus: nothing may touch `log`. */
function lockedDown(input: InputDocument): Decision {
  const statements = input.action.sql?.statements ?? [];
  if (statements.some((s) => s.tables.includes('log'))) {
    return {
      effect: 'deny',
      reasons: [{ rule: 'sql.log_frozen', message: 'the log table is frozen' }],
      masks: [],
    };
  }
  return testPolicy(input);
}

/** The test policy, plus: everyone sees users.email masked. */
function maskedForAll(input: InputDocument): Decision {
  const decision = testPolicy(input);
  if (decision.effect !== 'allow') return decision;
  return { ...decision, masks: [{ column: 'users.email', strategy: 'redact' }] };
}

/** The test policy, plus: everyone sees visits.born redacted (a date column). */
function bornMasked(input: InputDocument): Decision {
  const decision = testPolicy(input);
  if (decision.effect !== 'allow') return decision;
  return { ...decision, masks: [{ column: 'visits.born', strategy: 'redact' }] };
}

/** The test policy, plus: everyone sees visits2.born redacted. */
function bornMasked2(input: InputDocument): Decision {
  const decision = testPolicy(input);
  if (decision.effect !== 'allow') return decision;
  return { ...decision, masks: [{ column: 'visits2.born', strategy: 'redact' }] };
}

const engine = createEngine({ evaluator: staticEvaluator(testPolicy, 'v1') });
let f: ProxyFixture;

beforeAll(async () => {
  f = await startProxyFixture({ proxy: { engine } });
  const d = await f.direct();
  await d.query("CREATE TABLE visits (id int, born date); INSERT INTO visits VALUES (1, '1990-04-01')");
  await d.end();
});
afterEach(() => {
  engine.setEvaluator(staticEvaluator(testPolicy, 'v1'));
});
afterAll(async () => {
  await f?.stop();
  await engine.close();
});

async function logCount(note: string): Promise<number> {
  const d = await f.direct();
  try {
    return (await d.query('SELECT count(*)::int AS n FROM log WHERE note = $1', [note])).rows[0].n;
  } finally {
    await d.end();
  }
}

describe('a policy change between Parse and Execute', () => {
  test('a named statement prepared under the old policy is denied at Execute by the new one', async () => {
    const c = await f.through('alice');
    const insert = { name: 'add-note', text: 'INSERT INTO log VALUES ($1)' };
    await c.query({ ...insert, values: ['before-reload'] });
    expect(await logCount('before-reload')).toBe(1);

    engine.setEvaluator(staticEvaluator(lockedDown, 'v2'));
    // pg sends only Bind/Describe/Execute/Sync now: the statement is already prepared.
    await expect(c.query({ ...insert, values: ['after-reload'] })).rejects.toMatchObject({
      code: '42501',
      message: expect.stringContaining('the log table is frozen'),
    });
    expect(await logCount('after-reload')).toBe(0);
    // Denied again on every Execute, and the session carries on.
    await expect(c.query({ ...insert, values: ['again'] })).rejects.toMatchObject({ code: '42501' });
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);

    engine.setEvaluator(staticEvaluator(testPolicy, 'v3'));
    await c.query({ ...insert, values: ['allowed-again'] });
    expect(await logCount('allowed-again')).toBe(1);
    await c.end();
  });

  test('raw protocol: Parse in one batch, reload, Bind+Execute in the next gets 42501 and runs nothing', async () => {
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    const w = new MessageWriter();
    w.begin(0x50).cstring('s1').cstring("INSERT INTO log VALUES ('raw-reload')").int16(0).end();
    raw.write(sync(w).flush());
    await raw.readyCount(1);
    expect(raw.types()).toBe('1Z');

    engine.setEvaluator(staticEvaluator(lockedDown, 'v2'));
    w.begin(0x42).cstring('').cstring('s1').int16(0).int16(0).int16(0).end();
    w.begin(0x45).cstring('').int32(0).end();
    raw.write(sync(w).flush());
    await raw.readyCount(2);
    // Bind reached the server in this batch, so the server is made to fail it: 2 E Z.
    expect(raw.types()).toBe('1Z2EZ');
    expect(sqlstate(raw.messages[3]!)).toBe('42501');
    expect(await logCount('raw-reload')).toBe(0);
    raw.end();
  });

  test('masks of the new policy apply to a statement prepared without any', async () => {
    const c = await f.through('alice');
    const byId = { name: 'email-by-id', text: 'SELECT email FROM users WHERE id = $1', values: [1] };
    expect((await c.query(byId)).rows).toEqual([{ email: 'ada@example.com' }]);
    engine.setEvaluator(staticEvaluator(maskedForAll, 'v2'));
    const masked = await c.query(byId);
    expect(masked.rows[0].email).not.toContain('ada@');
    engine.setEvaluator(staticEvaluator(testPolicy, 'v3'));
    expect((await c.query(byId)).rows).toEqual([{ email: 'ada@example.com' }]);
    await c.end();
  });

  test('a statement the new policy still allows runs without a new denial', async () => {
    const c = await f.through('alice');
    const q = { name: 'count-users', text: 'SELECT count(*)::int AS n FROM users' };
    expect((await c.query(q)).rows).toEqual([{ n: 2 }]);
    engine.invalidate();
    expect((await c.query(q)).rows).toEqual([{ n: 2 }]);
    await c.end();
  });
});

describe('a statement described before a policy change', () => {
  test('a column the client knows as its own type gets NULL, not the mask, until it is described again', async () => {
    // pgjdbc describes a statement once and then sends Bind and Execute alone: it parses each
    // value by the type it was told then, and '[REDACTED]' is no date.
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    const w = new MessageWriter();
    w.begin(0x50).cstring('born').cstring('SELECT id, born FROM visits').int16(0).end();
    w.begin(0x44).byte(0x53).cstring('born').end();
    raw.write(sync(w).flush());
    await raw.readyCount(1);
    expect(raw.types()).toBe('1tTZ');
    const described = readRowDescription(raw.messages[2]!.body);
    expect(described.map((d) => d.typeOid)).toEqual([23, 1082]);

    engine.setEvaluator(staticEvaluator(bornMasked, 'v2'));
    const execute = (describe: boolean) => {
      if (describe) w.begin(0x44).byte(0x53).cstring('born').end();
      w.begin(0x42).cstring('').cstring('born').int16(0).int16(0).int16(0).end();
      w.begin(0x45).cstring('').int32(0).end();
      raw.write(sync(w).flush());
    };
    const valuesOf = (from: number) =>
      raw.messages
        .slice(from)
        .filter((m) => m.type === 'D')
        .map((m) => readDataRow(m.body).map((v) => v?.toString() ?? null));

    let from = raw.messages.length;
    execute(false);
    await raw.readyCount(2);
    expect(raw.types().slice(from)).toBe('2DCZ');
    expect(valuesOf(from)).toEqual([['1', null]]);

    // Described again: the client is told text, and gets the mask.
    from = raw.messages.length;
    execute(true);
    await raw.readyCount(3);
    expect(raw.types().slice(from)).toBe('tT2DCZ');
    expect(readRowDescription(raw.messages[from + 1]!.body).map((d) => d.typeOid)).toEqual([23, 25]);
    expect(valuesOf(from)).toEqual([['1', '[REDACTED]']]);
    from = raw.messages.length;
    execute(false);
    await raw.readyCount(4);
    expect(valuesOf(from)).toEqual([['1', '[REDACTED]']]);
    raw.end();
  });
});

describe('a portal described before a policy change, resumed after it', () => {
  test('its later rows get NULL in a column masked since, as the client was told the old type', async () => {
    const d = await f.direct();
    await d.query(
      "CREATE TABLE visits2 (id int, born date); INSERT INTO visits2 VALUES (1, '1990-04-01'), (2, '1985-12-24')",
    );
    await d.end();
    const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
    const w = new MessageWriter();
    // A cursor-like read with a fetch size: the portal outlives Sync inside a transaction.
    w.begin(0x51).cstring('BEGIN').end();
    w.begin(0x50).cstring('').cstring('SELECT id, born FROM visits2 ORDER BY id').int16(0).end();
    w.begin(0x42).cstring('p1').cstring('').int16(0).int16(0).int16(0).end();
    w.begin(0x44).byte(0x50).cstring('p1').end();
    w.begin(0x45).cstring('p1').int32(1).end();
    raw.write(sync(w).flush());
    await raw.readyCount(2);
    expect(raw.types()).toBe('CZ12TDsZ');

    engine.setEvaluator(staticEvaluator(bornMasked2, 'v2'));
    const from = raw.messages.length;
    w.begin(0x45).cstring('p1').int32(1).end();
    raw.write(sync(w).flush());
    await raw.readyCount(3);
    const rows = raw.messages
      .slice(from)
      .filter((m) => m.type === 'D')
      .map((m) => readDataRow(m.body).map((v) => v?.toString() ?? null));
    expect(rows).toEqual([['2', null]]);
    raw.end();
  });
});

describe("pgjdbc's cached description (Debian's libpostgresql-jdbc-java)", () => {
  const pgjdbc = '/usr/share/java/postgresql.jar';
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-jdbc-'));
    const source = join(import.meta.dirname, 'support', 'StaleDescription.java');
    await promisify(execFile)('javac', ['-d', dir, '-cp', pgjdbc, source], { timeout: 120_000 });
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // In text (binaryTransfer off) the mask's text would come under the date pgjdbc was told,
  // and getObject would throw "Bad value for type date"; in binary a masked date is NULL.
  test.each(['false', 'true'])(
    'a prepared statement past prepareThreshold reads NULL for a column masked since (binaryTransfer=%s)',
    async (binaryTransfer) => {
      const args = [
        '-cp',
        `${dir}:${pgjdbc}`,
        'StaleDescription',
        String(f.port),
        'alice',
        'alice-pw',
        binaryTransfer,
      ];
      const child = spawn('java', args);
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('ready\n') && !child.stdin.writableEnded) {
          engine.setEvaluator(staticEvaluator(bornMasked, 'v2'));
          child.stdin.end('go\n');
        }
      });
      const [code] = (await once(child, 'close')) as [number];
      expect(code).toBe(0);
      const lines = stdout.trim().split('\n');
      expect(lines).toEqual([...Array(7).fill('before 1990-04-01'), 'ready', ...Array(3).fill('after null')]);
    },
    120_000,
  );
});

describe('remembered decisions follow the policy', () => {
  test('a simple-protocol statement allowed a moment ago is denied right after the reload', async () => {
    const c = await f.through('alice');
    await c.query("SELECT count(*) FROM log WHERE note = 'x'");
    engine.setEvaluator(staticEvaluator(lockedDown, 'v2'));
    await expect(c.query("SELECT count(*) FROM log WHERE note = 'x'")).rejects.toMatchObject({
      code: '42501',
    });
    await c.end();
  });
});
