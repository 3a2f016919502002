/**
 * Binary values of the server's scalar types read as the text the server writes for them
 * (scalar-text.ts), held to Debian's PostgreSQL: each value is fetched in binary together
 * with its `::text`, over thousands of generated values and the edge cases of each type,
 * under several DateStyle and TimeZone settings. Then, through the proxy, operator patterns
 * and detectors find in binary results what they find in text ones: such a value is NULL, and
 * the rest come as the server sent them.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createEngine, staticEvaluator } from '@portcullis/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUILTIN_TYPES } from '../src/proxy/binary-values.js';
import { scalarText, TextSettings } from '../src/proxy/scalar-text.js';
import { type ProxyFixture, startProxyFixture, USERS, withAgentMasks } from './support/proxy-fixture.js';
import { binaryRow } from './support/raw-client.js';

const exec = promisify(execFile);

/** A customer number (a UUID starting 0c0ffee0), a birth date in 1985, an Amex number. */
const policy = withAgentMasks([
  { pattern: '0c0ffee0-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', strategy: 'redact' },
  { pattern: '\\b1985-\\d\\d-\\d\\d\\b', strategy: 'redact' },
  { detector: 'credit_card', strategy: 'partial', keep: 4 },
  { detector: 'email', strategy: 'redact' },
]);

const engine = createEngine({ evaluator: staticEvaluator(policy, 'scalar-text') });
let f: ProxyFixture;

beforeAll(async () => {
  f = await startProxyFixture({ proxy: { engine } });
  const d = await f.direct();
  await d.query(`
    CREATE TABLE people (id int, customer uuid, born date, seen timestamptz, card float8,
                         tags uuid[], note text);
    INSERT INTO people VALUES
      (1, '0c0ffee0-1234-4abc-8def-000000000001', '1985-03-14', '1985-03-14 23:30:00+00',
       378282246310005, ARRAY['0c0ffee0-1234-4abc-8def-000000000002'::uuid, '11111111-2222-4333-8444-555555555555'],
       'ada@example.com'),
      (2, '11111111-2222-4333-8444-555555555555', '1990-01-01', '1990-01-01 12:00:00+00', 42.5, '{}', 'plain');
    CREATE DOMAIN birthday AS date;
  `);
  await d.end();
});
afterAll(async () => {
  await f?.stop();
  await engine.close();
});

function directConfig(): pg.ClientConfig {
  const { host, port, user, password } = f.server;
  return { host, port, user, password, database: 'app' };
}

/**
 * The values of `expression` (of `type`, over `from`), each in binary and as the server's
 * text, read with the session's settings as it reported them. Both come from the type's own
 * send and output functions called in SQL: what a binary and a text result carry.
 */
async function compare(
  c: pg.Client,
  type: string,
  expression: string,
  from: string,
): Promise<{ checked: number; wrong: string[] }> {
  const t = await c.query(
    `SELECT oid::int AS oid, typsend::text AS send, typoutput::text AS output FROM pg_type WHERE oid = '${type}'::regtype`,
  );
  const { oid, send, output } = t.rows[0] as { oid: number; send: string; output: string };
  const scalar = BUILTIN_TYPES.shapeOf(oid)?.scalar;
  if (scalar === undefined) throw new Error(`${type} is not read as a scalar`);
  const settings = new TextSettings();
  for (const name of ['DateStyle', 'IntervalStyle', 'TimeZone'])
    settings.note(name, (await c.query(`SELECT current_setting('${name}') AS s`)).rows[0].s);
  const r = await c.query({
    text: `SELECT encode(${send}(v), 'hex') AS b, ${output}(v)::text AS t FROM (SELECT (${expression})::${type} AS v FROM ${from}) s WHERE v IS NOT NULL`,
  });
  const wrong: string[] = [];
  for (const { b, t: expected } of r.rows as { b: string; t: string }[]) {
    const value = Buffer.from(b, 'hex');
    const got = scalarText(scalar, value, 0, value.length, settings);
    if (got !== expected) wrong.push(`${expected} read as ${got} (${b})`);
  }
  return { checked: r.rows.length, wrong };
}

const SERIES = 'generate_series(1, 400) g';

/** Each type: an expression over `g` and `random()` (seeded), and edge cases. */
const CASES: ReadonlyArray<readonly [string, string, string?]> = [
  ['bool', 'g % 2 = 0'],
  ['"char"', 'chr(33 + g % 90)'],
  ['int2', '(random() * 65535 - 32768)::int'],
  ['int4', '(random() * 4294967295 - 2147483648)::bigint'],
  ['oid', '(random() * 4294967295)::bigint'],
  ['xid8', '((random() * 9e18)::numeric(20,0))::text', 'text'],
  ['tid', "format('(%s,%s)', (random() * 4294967295)::bigint, (random() * 65535)::int)", 'text'],
  ['float8', '(random() - 0.5) * 10 ^ (floor(random() * 600) - 300)'],
  ['float8', '(random() * 1e16)::bigint'],
  // Large integers: about one in forty has a shortest decimal on its interval's edge.
  ['float8', 'floor(random() * 2 ^ 62)'],
  [
    'float8',
    "unnest(ARRAY['0', '-0', 'NaN', 'Infinity', '-Infinity', '1e15', '123456789012345', '0.0001', '1e-05', '5e-324', '1.7976931348623157e308', '9007199254740993', '29206439461477072', '0.1', '100', '1e22'])",
    'text',
  ],
  ['float4', '(random() - 0.5) * 10 ^ (floor(random() * 70) - 35)'],
  [
    'float4',
    "unnest(ARRAY['0', '-0', 'NaN', 'Infinity', '1e6', '123456', '999999', '0.1', '3.4028235e38', '1e-45', '16777217', '0.0001', '1e-05'])",
    'text',
  ],
  ['money', '((random() - 0.5) * 1e10)::numeric(14,2)'],
  ['date', "'4713-01-01 BC'::date + (random() * 2147000000)::int"],
  ['date', "'0001-06-01 BC'::date + (random() * 2000000)::int"],
  [
    'date',
    "unnest(ARRAY['infinity', '-infinity', '0001-01-01', '0001-12-31 BC', '2000-02-29', '1900-03-01', '5874897-12-31'])",
    'text',
  ],
  ['time', "'00:00'::time + random() * interval '24 hours'"],
  ['time', "unnest(ARRAY['24:00', '00:00', '23:59:59.999999', '12:00:00.5'])", 'text'],
  [
    'timetz',
    "('12:34:56.789'::time + random() * interval '11 hours')::text || format('%s%s:%s:%s', CASE WHEN g % 2 = 0 THEN '+' ELSE '-' END, lpad((g % 15)::text, 2, '0'), lpad((g % 60)::text, 2, '0'), lpad((g * 7 % 60)::text, 2, '0'))",
    'text',
  ],
  ['timestamp', "'4713-01-01 BC'::timestamp + random() * interval '290000 years'"],
  [
    'timestamp',
    "'1999-12-31'::timestamp + (random() - 0.5) * interval '100 years' + random() * interval '1 second'",
  ],
  [
    'timestamp',
    "unnest(ARRAY['infinity', '-infinity', '0001-01-01 00:00', '0001-12-31 23:59:59.999999 BC', '294276-12-31 23:59:59.999999'])",
    'text',
  ],
  ['timestamptz', "'1970-01-01'::timestamptz + random() * interval '130 years'"],
  [
    'timestamptz',
    "unnest(ARRAY['infinity', '-infinity', '2024-03-10 06:59:59.5+00', '2024-03-10 07:00:00+00', '2024-11-03 05:59:59+00', '2024-11-03 06:00:00+00'])",
    'text',
  ],
  [
    'interval',
    'make_interval(months => (random() * 2000 - 1000)::int * (g % 2), days => (random() * 200 - 100)::int * (g % 3 % 2), secs => (random() - 0.5) * 1e7 * (g % 5 % 2))',
  ],
  [
    'interval',
    "unnest(ARRAY['0', '1 year', '1 mon', '1 day', '-1 day', '-1 year +2 mons', '1 day -00:00:01', '-04:05:06.5', '3 days 00:00:00.000001', '1000000 hours', '-178000000 years'])",
    'text',
  ],
  ['uuid', 'gen_random_uuid()'],
  ['macaddr', "lpad(to_hex((random() * 281474976710655)::bigint), 12, '0')", 'text'],
  ['macaddr8', "lpad(to_hex((random() * 9e15)::bigint), 16, '0')", 'text'],
  ['bytea', "decode(md5(g::text) || repeat('00', g % 5), 'hex')"],
  ['bytea', "''", 'text'],
  ['varbit', "substr(repeat('10110', 20), 1 + g % 7, g % 90)"],
  ['bit(13)', "lpad((g % 8192)::bit(13)::text, 13, '0')", 'text'],
  [
    'pg_lsn',
    "format('%s/%s', to_hex((random() * 4294967295)::bigint), to_hex((random() * 4294967295)::bigint))",
    'text',
  ],
  ['point', 'point(random() * 1e6 - 5e5, (random() - 0.5) * 10 ^ (g % 40 - 20))'],
  ['lseg', 'lseg(point(random(), g), point(-g, random() * 1e20))'],
  ['box', 'box(point(random(), g), point(-g, random() * 1e-7))'],
  [
    'path',
    "format('%s(1,2),(%s,%s),(5.5,%s)%s', CASE WHEN g % 2 = 0 THEN '[' ELSE '(' END, random(), g, -g, CASE WHEN g % 2 = 0 THEN ']' ELSE ')' END)",
    'text',
  ],
  ['polygon', "format('((0,0),(%s,%s),(1e-9,3))', random() * 100, g)", 'text'],
  ['line', 'line(point(random(), g), point(-g, random() + 5))'],
  ['circle', 'circle(point(random(), g), g * random())'],
  [
    'txid_snapshot',
    "format('%s:%s:%s', 100 + g, 200 + g * 2, CASE WHEN g % 3 = 0 THEN '' ELSE (150 + g)::text END)",
    'text',
  ],
  ['pg_snapshot', "format('%s:%s:', 10 + g, 20 + g)", 'text'],
  ['int2vector', "array_to_string(ARRAY[g % 7, -g, g * 3 % 32767], ' ')", 'text'],
  [
    'oidvector',
    "CASE WHEN g % 4 = 0 THEN '' ELSE array_to_string(ARRAY[g, g * 99991 % 4294967295], ' ') END",
    'text',
  ],
];

describe("the server's text of binary scalars (Debian's PostgreSQL 15)", () => {
  test.each([
    ['ISO, MDY', "'Etc/UTC'"],
    ['ISO, DMY', "'America/New_York'"],
    ['ISO, YMD', "'Asia/Kolkata'"],
    ['ISO, MDY', '-5'],
    ['ISO, MDY', "INTERVAL '+05:30' HOUR TO MINUTE"],
    ['ISO, MDY', "'Australia/Lord_Howe'"],
  ])('DateStyle %s, TIME ZONE %s', async (dateStyle, zone) => {
    const c = new pg.Client(directConfig());
    await c.connect();
    try {
      await c.query(`SET DateStyle = '${dateStyle}'; SET TIME ZONE ${zone}; SELECT setseed(0.42)`);
      let checked = 0;
      const wrong: string[] = [];
      for (const [type, expression, via] of CASES) {
        const listed = expression.startsWith('unnest(');
        const from = listed ? `(SELECT ${expression} AS x) u` : SERIES;
        const e = listed ? 'x' : expression;
        const r = await compare(c, type, via ? `(${e})::${via}` : e, from);
        expect(r.checked, type).toBeGreaterThan(0);
        checked += r.checked;
        wrong.push(...r.wrong.slice(0, 5).map((w) => `${type}: ${w}`));
      }
      expect(wrong).toEqual([]);
      expect(checked).toBeGreaterThan(10_000);
    } finally {
      await c.end();
    }
  });

  test('a DateStyle or IntervalStyle not written here reads as nothing (the value goes as NULL)', () => {
    const settings = new TextSettings();
    settings.note('DateStyle', 'SQL, DMY');
    settings.note('IntervalStyle', 'iso_8601');
    const read = (oid: number, hex: string) => {
      const scalar = BUILTIN_TYPES.shapeOf(oid)?.scalar;
      const b = Buffer.from(hex, 'hex');
      return scalar === undefined ? 'no reading' : scalarText(scalar, b, 0, b.length, settings);
    };
    // 1985-03-14 (5,406 days before 2000-01-01), a timestamp, one day, noon as a time of day.
    expect(read(1082, 'ffffeae2')).toBeNull();
    expect(read(1114, 'fffecc4f4ed96000')).toBeNull();
    expect(read(1186, '00000000000000000000000100000000')).toBeNull();
    // A time's text is the same in every DateStyle.
    expect(read(1083, '0000000a0eebb000')).toBe('12:00:00');
  });
});

/** Every column of `sql` through the proxy as an agent, asked for in binary (hex; null for NULL). */
async function agentBinary(sql: string, setup?: string): Promise<(string | null)[]> {
  const row = await binaryRow(f.port, 'agent', USERS.agent.password, sql, setup);
  return row.map((v) => (v === null ? null : v.toString('hex')));
}

/** What the server itself sends in binary: each expression's send function's bytes (hex; null for NULL). */
async function directBinary(sends: string): Promise<(string | null)[]> {
  const d = await f.direct();
  try {
    const r = await d.query({ text: `SELECT ${sends}`, rowMode: 'array' });
    return (r.rows[0] as (Buffer | null)[]).map((v) => (v === null ? null : v.toString('hex')));
  } finally {
    await d.end();
  }
}

describe('operator patterns and detectors on binary scalars, through the proxy', () => {
  test('a UUID, a date, a timestamptz and a float8 that text would show masked are NULL in binary', async () => {
    const sql = 'SELECT customer, born, seen, card, born::birthday AS bday, id FROM people WHERE id = 1';
    // In text format too (a domain's column is described as its base type).
    const text = await f.through('agent');
    try {
      const shown = await text.query(sql);
      expect(shown.rows[0]).toEqual({
        customer: null,
        born: null,
        seen: null,
        card: null,
        bday: null,
        id: 1,
      });
    } finally {
      await text.end();
    }
    expect(await agentBinary(sql)).toEqual([
      null,
      null,
      null,
      null,
      null,
      ...(await directBinary('int4send(1)')),
    ]);
  });

  test('values no mask finds come as the server sent them', async () => {
    const sql = 'SELECT customer, born, seen, card, tags, id FROM people WHERE id = 2';
    const sends =
      'uuid_send(customer), date_send(born), timestamptz_send(seen), float8send(card), array_send(tags), int4send(id) FROM people WHERE id = 2';
    expect(await agentBinary(sql)).toEqual(await directBinary(sends));
  });

  test('an element of a uuid[] a pattern finds is a NULL element; the others stay', async () => {
    expect(await agentBinary('SELECT tags FROM people WHERE id = 1')).toEqual(
      await directBinary("array_send(ARRAY[NULL, '11111111-2222-4333-8444-555555555555']::uuid[])"),
    );
  });

  test("the session's TimeZone is followed: a timestamp the pattern finds only in that zone", async () => {
    // 1986-01-01 03:00 UTC is 1985-12-31 in New York: the pattern's year shows there only.
    const sql = "SELECT '1986-01-01 03:00:00+00'::timestamptz AS v";
    expect(await agentBinary(sql, "SET TIME ZONE 'UTC'")).toEqual(
      await directBinary("timestamptz_send('1986-01-01 03:00:00+00')"),
    );
    expect(await agentBinary(sql, "SET TIME ZONE 'America/New_York'")).toEqual([null]);
  });

  test('a date under a DateStyle not read here is NULL, not passed unread', async () => {
    const sql = "SELECT '1990-01-01'::date AS v, 7 AS n";
    expect(await agentBinary(sql, "SET DateStyle = 'German'")).toEqual([
      null,
      ...(await directBinary('int4send(7)')),
    ]);
  });

  test("psycopg 3's binary cursor gets NULL for the customer's UUID and birth date", async () => {
    const script = `
import json, sys, psycopg
with psycopg.connect(host='127.0.0.1', port=int(sys.argv[1]), user='agent', password=sys.argv[2], dbname='app') as c:
    cur = c.cursor(binary=True)
    cur.execute('SELECT customer, born, id, tags FROM people ORDER BY id')
    print(json.dumps([[None if v is None else str(v) for v in row[:3]] + [[None if t is None else str(t) for t in row[3]]] for row in cur.fetchall()]))
`;
    const { stdout } = await exec('/usr/bin/python3', ['-c', script, String(f.port), USERS.agent.password], {
      timeout: 30_000,
    });
    expect(JSON.parse(stdout)).toEqual([
      [null, null, '1', [null, '11111111-2222-4333-8444-555555555555']],
      ['11111111-2222-4333-8444-555555555555', '1990-01-01', '2', []],
    ]);
  });
});
