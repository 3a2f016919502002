/**
 * Fast-path function calls (FunctionCall): no SQL text, a function OID and its arguments.
 * libpq makes them for large objects (psql's \lo_import and \lo_export). They are decided as
 * `SELECT schema.name($1, …)`, and their result masked as that statement's one column.
 */

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createEngine, type Decision, type InputDocument, staticEvaluator } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MessageWriter, readNoticeFields } from '../src/index.js';
import { type ProxyFixture, startProxyFixture, testPolicy, USERS } from './support/proxy-fixture.js';
import { psql } from './support/psql.js';
import { query, RawClient, sqlstate } from './support/raw-client.js';

const CARD = '4111 1111 1111 1111';

/** The test policy; pg_sleep is denied, and agents' results are scanned for card numbers. */
function policy(input: InputDocument): Decision {
  const statements = input.action.sql?.statements ?? [];
  if (statements.some((s) => s.functions.some((f) => f.endsWith('pg_sleep'))))
    return {
      effect: 'deny',
      reasons: [{ rule: 'sql.no_sleep', message: 'pg_sleep is not allowed here' }],
      masks: [],
    };
  const decision = testPolicy(input);
  if (decision.effect !== 'allow' || input.subject.kind !== 'agent') return decision;
  return {
    ...decision,
    masks: [...decision.masks, { detector: 'credit_card', strategy: 'partial', keep: 4 }],
  };
}

const engine = createEngine({ evaluator: staticEvaluator(policy, 'fast-path') });
let f: ProxyFixture;
let maskingPort: number;
const oids: Record<string, number> = {};
/** A large object holding an email address, as a value copied out of users.email would be. */
let storedObject: number;
const dir = mkdtempSync(join(os.tmpdir(), 'portcullis-fast-path-'));

beforeAll(async () => {
  f = await startProxyFixture({ proxy: { engine } });
  maskingPort = (await f.anotherProxy({ unresolvedColumns: 'mask' })).port;
  const d = await f.direct();
  for (const fn of ['btrim(text)', 'pg_sleep(double precision)', 'textcat(text,text)', 'lo_get(oid)']) {
    oids[fn] = (await d.query('SELECT $1::regprocedure::oid::int AS oid', [fn])).rows[0].oid;
  }
  storedObject = (await d.query("SELECT lo_from_bytea(0, 'ada@example.com')::int AS oid")).rows[0].oid;
  await d.end();
});
afterAll(async () => {
  await f?.stop();
  await engine.close();
});

/** A FunctionCall with text arguments, asking for the result in `resultFormat`. */
function functionCall(
  w: MessageWriter,
  oid: number,
  args: readonly string[],
  resultFormat = 0,
): MessageWriter {
  w.begin(0x46).uint32(oid).int16(0).int16(args.length);
  for (const a of args) w.int32(Buffer.byteLength(a)).bytes(Buffer.from(a));
  return w.int16(resultFormat).end();
}

/** The value of a FunctionCallResponse ('V'). */
function resultOf(body: Buffer): string | null {
  const n = body.readInt32BE(0);
  return n < 0 ? null : body.subarray(4, 4 + n).toString('utf8');
}

async function call(port: number, user: keyof typeof USERS, oid: number, args: string[], format = 0) {
  const raw = await RawClient.connect(port, user, USERS[user].password);
  raw.write(functionCall(new MessageWriter(), oid, args, format).flush());
  await raw.readyCount(1);
  return raw;
}

describe('psql large objects (libpq fast-path)', () => {
  const target = (user: keyof typeof USERS) => ({ port: f.port, user, password: USERS[user].password });

  test('\\lo_import and \\lo_export through the proxy give back the same bytes', async () => {
    const source = join(dir, 'in.bin');
    const copy = join(dir, 'out.bin');
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256));
    writeFileSync(source, bytes);
    const imported = await psql(target('alice'), [`\\lo_import ${source}`]);
    const oid = /lo_import (\d+)/.exec(imported.stdout)?.[1];
    expect(oid).toBeDefined();
    await psql(target('alice'), [`\\lo_export ${oid} ${copy}`]);
    expect(readFileSync(copy).equals(bytes)).toBe(true);
  });

  test('an agent under column masks stores its own bytes, and reading a large object back is refused', async () => {
    // lo_creat, lo_open, lowrite and lo_close return numbers; loread returns what is stored,
    // which may be any value copied there.
    const source = join(dir, 'agent.bin');
    writeFileSync(source, 'agent data');
    const imported = await psql(target('agent'), [`\\lo_import ${source}`]);
    const oid = /lo_import (\d+)/.exec(imported.stdout)?.[1];
    expect(oid).toBeDefined();
    const copy = join(dir, 'agent-out.bin');
    const err = await psql(target('agent'), [`\\lo_export ${oid} ${copy}`]).catch((e) => e);
    expect(err.stderr).toMatch(
      /permission denied by policy: result column "loread" may carry a masked column/,
    );
    // What the human exports is what the agent stored.
    await psql(target('alice'), [`\\lo_export ${oid} ${copy}`]);
    expect(readFileSync(copy, 'utf8')).toBe('agent data');
  });
});

describe('raw fast-path calls', () => {
  test('a call the policy denies gets its reasons, never reaches the server, and the session goes on', async () => {
    const started = Date.now();
    const raw = await call(f.port, 'alice', oids['pg_sleep(double precision)'] as number, ['5']);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(raw.types()).toBe('EZ');
    expect(sqlstate(raw.messages[0]!)).toBe('42501');
    expect(readNoticeFields(raw.messages[0]!.body).get(0x4d)).toMatch(/pg_sleep is not allowed here/);
    raw.write(query(new MessageWriter(), 'SELECT 1').flush());
    await raw.readyCount(2);
    expect(raw.types()).toBe('EZTDCZ');
    raw.end();
  });

  test('an OID that names no function is refused', async () => {
    const raw = await call(f.port, 'alice', 4_000_000_000, []);
    expect(raw.types()).toBe('EZ');
    expect(readNoticeFields(raw.messages[0]!.body).get(0x4d)).toMatch(
      /function OID 4000000000, which does not exist/,
    );
    raw.end();
  });

  test("an allowed call's result reaches a human as the server sent it", async () => {
    const raw = await call(f.port, 'alice', oids['btrim(text)'] as number, [` card ${CARD} `]);
    expect(raw.types()).toBe('VZ');
    expect(resultOf(raw.messages[0]!.body)).toBe(`card ${CARD}`);
    raw.end();
  });

  test("an agent's result goes through the detectors, in text and in binary format", async () => {
    // btrim is a pure built-in: its result carries no column, only what it was given.
    for (const format of [0, 1]) {
      const raw = await call(f.port, 'agent', oids['btrim(text)'] as number, [` card ${CARD} `], format);
      expect(raw.types()).toBe('VZ');
      const value = resultOf(raw.messages[0]!.body);
      expect(value).not.toContain(CARD);
      expect(value).toMatch(/^card .*1111$/);
      raw.end();
    }
  });

  test('under unresolvedColumns "mask" a call that may carry a masked column is masked as it', async () => {
    // lo_get returns a large object's bytes, which the call's arguments do not show.
    const raw = await call(maskingPort, 'agent', oids['lo_get(oid)'] as number, [String(storedObject)]);
    expect(raw.types()).toBe('VZ');
    const value = resultOf(raw.messages[0]!.body);
    expect(value).not.toContain(Buffer.from('ada@').toString('hex'));
    expect(value).toBe('[REDACTED]');
    raw.end();
  });

  test('a built-in computing only from its arguments is not masked as a column (textcat)', async () => {
    const raw = await call(maskingPort, 'agent', oids['textcat(text,text)'] as number, ['ada', '-lovelace']);
    expect(raw.types()).toBe('VZ');
    expect(resultOf(raw.messages[0]!.body)).toBe('ada-lovelace');
    raw.end();
  });
});
