/**
 * Column masks on COPY … TO STDOUT in CSV and binary format and on `COPY (query) TO`, and
 * simple-protocol writes whose RETURNING may carry a masked column, judged before they run.
 * Real psql and `pg` against Debian's PostgreSQL.
 */

import { createEngine, staticEvaluator } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { notNullPlaceholder } from '../src/proxy/copy-mask.js';
import { reloadedCopy } from './support/copy-reload.js';
import { type ProxyFixture, startProxyFixture, withAgentMasks } from './support/proxy-fixture.js';
import { psqlBytes } from './support/psql.js';

/** The test policy; agents also see accounts.email and accounts.pin masked, and codes' text columns. */
const policy = withAgentMasks([
  { column: 'accounts.email', strategy: 'redact' },
  { column: 'accounts.pin', strategy: 'redact' },
  { column: 'codes.code', strategy: 'redact' },
  { column: 'codes.state', strategy: 'redact' },
  { column: 'codes.zip', strategy: 'redact' },
  { column: 'codes.name', strategy: 'redact' },
  { column: 'signups.email', strategy: 'redact' },
  ...['born', 'tags', 'token', 'active', 'score', 'ip', 'span', 'mood'].map((c) => ({
    column: `people.${c}`,
    strategy: 'redact' as const,
  })),
]);

const engine = createEngine({ evaluator: staticEvaluator(policy, 'copy-masks') });
let f: ProxyFixture;

/** Emails PostgreSQL must quote in CSV: a comma, quotes, a newline, a semicolon. */
const TRICKY = [
  'a,b@example.com',
  'say "hi"@example.com',
  'line\nbreak@example.com',
  'semi;colon@example.com',
];

beforeAll(async () => {
  f = await startProxyFixture({ proxy: { engine } });
  const d = await f.direct();
  await d.query(`
    CREATE TABLE accounts (id int, email text, pin int4, note text);
    INSERT INTO accounts VALUES (1, 'a,b@example.com', 1234, 'first, "quoted"'),
                                (2, 'say "hi"@example.com', NULL, NULL),
                                (3, 'line' || chr(10) || 'break@example.com', 42, 'multi' || chr(10) || 'line'),
                                (4, 'semi;colon@example.com', 7, '');
    CREATE TABLE mail (id serial, email text);
    CREATE DOMAIN zipcode AS varchar(5);
    CREATE TABLE codes (id int, code varchar(4), state char(2), zip zipcode, name varchar(40));
    INSERT INTO codes VALUES (1, 'A1B2', 'CA', '94105', 'Ada'), (2, 'Z', 'NY', NULL, 'Grace');
    CREATE TABLE signups (id int, twice int GENERATED ALWAYS AS (id * 2) STORED, email text);
    CREATE DOMAIN birthday AS date NOT NULL;
    CREATE TYPE feeling AS ENUM ('calm', 'cross');
    CREATE TABLE people (id int NOT NULL, born birthday, tags text[] NOT NULL, token uuid NOT NULL,
      active bool NOT NULL, score numeric NOT NULL, ip inet NOT NULL, span int4range NOT NULL,
      mood feeling, note text NOT NULL);
    INSERT INTO people VALUES (1, '1990-05-17', '{vip}', gen_random_uuid(), true, 99.5, '10.1.2.3',
      '[1,5)', 'calm', 'hello');
    INSERT INTO signups (id, email) VALUES (1, 'ada@example.com');
  `);
  await d.end();
});
afterAll(async () => {
  await f?.stop();
  await engine.close();
});

const psql = (user: 'agent' | 'alice', sql: string, port = f.port) =>
  psqlBytes({ port, user, password: `${user}-pw` }, [sql]);

/** The same statement straight to the server, as its superuser. */
const direct = (sql: string) =>
  psqlBytes({ host: f.server.host, port: f.server.port, user: f.server.user, password: f.server.password }, [
    sql,
  ]);

/** A CSV reader for the test, per RFC 4180 with PostgreSQL's options; unquoted `nil` is NULL. */
function readCsv(
  text: string,
  o: { delimiter?: string; quote?: string; escape?: string; null?: string } = {},
) {
  const d = o.delimiter ?? ',';
  const q = o.quote ?? '"';
  const e = o.escape ?? q;
  const nullString = o.null ?? '';
  const rows: (string | null)[][] = [];
  let row: (string | null)[] = [];
  let value = '';
  let quoted = false;
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inQuote) {
      if (c === e && (text[i + 1] === q || text[i + 1] === e) && (e !== q || text[i + 1] === q)) {
        value += text[++i];
      } else if (c === q) inQuote = false;
      else value += c;
    } else if (c === q) {
      inQuote = true;
      quoted = true;
    } else if (c === d || c === '\n') {
      row.push(!quoted && value === nullString ? null : value);
      value = '';
      quoted = false;
      if (c === '\n') {
        rows.push(row);
        row = [];
      }
    } else value += c;
  }
  expect(inQuote).toBe(false);
  expect(value).toBe('');
  return rows;
}

/** Rows of a binary COPY, each field's bytes or null; checks the framing exactly. */
function readBinaryCopy(data: Buffer): (Buffer | null)[][] {
  expect(data.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
  const extension = data.readUInt32BE(15);
  let p = 19 + extension;
  const rows: (Buffer | null)[][] = [];
  for (;;) {
    const n = data.readInt16BE(p);
    p += 2;
    if (n === -1) break;
    const row: (Buffer | null)[] = [];
    for (let i = 0; i < n; i++) {
      const len = data.readInt32BE(p);
      p += 4;
      if (len === -1) row.push(null);
      else {
        row.push(data.subarray(p, p + len));
        p += len;
      }
    }
    rows.push(row);
  }
  expect(p).toBe(data.length);
  return rows;
}

describe('CSV COPY', () => {
  test('a table with a generated column, which COPY leaves out: the rest is masked', async () => {
    for (const sql of ['COPY signups TO STDOUT', 'COPY signups TO STDOUT (FORMAT binary)']) {
      const out = await psql('agent', sql);
      expect(out.stderr.toString()).toBe('');
      if (!sql.includes('binary')) expect(out.stdout.toString()).toBe('1\t[REDACTED]\n');
      else expect(out.stdout.includes(Buffer.from('[REDACTED]'))).toBe(true);
    }
  });

  test('the email column is masked; commas, quotes and newlines in other values survive', async () => {
    const sql = 'COPY accounts (id, email, note) TO STDOUT WITH (FORMAT csv)';
    const masked = readCsv((await psql('agent', sql)).stdout.toString());
    const clear = readCsv((await direct(sql)).stdout.toString());
    expect(masked).toHaveLength(4);
    expect(masked.map((r) => [r[0], r[2]])).toEqual(clear.map((r) => [r[0], r[2]]));
    expect(clear.map((r) => r[1])).toEqual(TRICKY);
    for (const r of masked) expect(r[1]).toBe('[REDACTED]');
  });

  test('HEADER, DELIMITER, QUOTE, ESCAPE and NULL as the statement gives them', async () => {
    const sql =
      "COPY accounts TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER ';', QUOTE '''', ESCAPE '\\', NULL 'nil')";
    const options = { delimiter: ';', quote: "'", escape: '\\', null: 'nil' };
    const out = (await psql('agent', sql)).stdout.toString();
    const masked = readCsv(out, options);
    const clear = readCsv((await direct(sql)).stdout.toString(), options);
    expect(masked[0]).toEqual(['id', 'email', 'pin', 'note']);
    expect(masked.slice(1).map((r) => [r[0], r[3]])).toEqual(clear.slice(1).map((r) => [r[0], r[3]]));
    // pin is masked too: NULL, as no mask's text is an int4 a reload of the data would take.
    expect(masked.slice(1).map((r) => r[2])).toEqual([null, null, null, null]);
    expect(masked.slice(1).map((r) => r[1])).toEqual(Array(4).fill('[REDACTED]'));
    expect(out).not.toContain('example.com');
  });

  test('legacy spelling, and users.email under the partial mask', async () => {
    const out = (await psql('agent', 'COPY users TO STDOUT CSV HEADER')).stdout.toString();
    const rows = readCsv(out);
    expect(rows[0]).toEqual(['id', 'name', 'email']);
    expect(rows.slice(1).map((r) => r[1])).toEqual(['Ada', 'Grace']);
    expect(out).not.toMatch(/ada@|grace@/);
  });

  test('a human gets the same bytes as straight from the server', async () => {
    const sql = 'COPY accounts TO STDOUT (FORMAT csv, HEADER)';
    expect((await psql('alice', sql)).stdout.equals((await direct(sql)).stdout)).toBe(true);
  });
});

const reloaded = (copy: string, like: string, options: string) =>
  reloadedCopy(f, { name: 'agent', password: 'agent-pw' }, copy, like, options);

describe('masked COPY data reloads into columns of the same types', () => {
  test.each([
    ['text', ''],
    ['CSV', ' WITH (FORMAT csv)'],
  ])('%s: a masked int4 column is NULL, a masked text column the mask', async (_name, options) => {
    const rows = await reloaded(`COPY accounts TO STDOUT${options}`, 'accounts', options);
    expect(rows.map((r) => [r.id, r.email, r.pin])).toEqual(
      [1, 2, 3, 4].map((id) => [id, '[REDACTED]', null]),
    );
    expect(rows.map((r) => r.note)).toEqual(['first, "quoted"', null, 'multi\nline', '']);
  });

  test.each([
    ['text', 'COPY codes TO STDOUT', ''],
    ['CSV', 'COPY codes TO STDOUT (FORMAT csv)', ' WITH (FORMAT csv)'],
    ['binary', 'COPY codes TO STDOUT (FORMAT binary)', ' WITH (FORMAT binary)'],
    ['a query, in CSV', 'COPY (SELECT * FROM codes) TO STDOUT (FORMAT csv)', ' WITH (FORMAT csv)'],
  ])(
    '%s: a mask longer than a varchar(n) or char(n) column allows is cut to its length',
    async (_name, copy, options) => {
      // The domain's limit (varchar(5)) is followed too; NULL stays NULL.
      expect(await reloaded(copy, 'codes', options)).toEqual([
        { id: 1, code: '[RED', state: '[R', zip: '[REDA', name: '[REDACTED]' },
        { id: 2, code: '[RED', state: '[R', zip: null, name: '[REDACTED]' },
      ]);
    },
  );
});

describe('NOT NULL columns a mask would make NULL', () => {
  test.each([
    ['text', ''],
    ['CSV', ' WITH (FORMAT csv)'],
  ])('%s: get a neutral value of their type, and the data reloads', async (_name, options) => {
    const rows = await reloaded(`COPY people TO STDOUT${options}`, 'people', options);
    expect(rows).toEqual([
      {
        id: 1,
        born: new Date(0),
        tags: [],
        token: '00000000-0000-0000-0000-000000000000',
        active: false,
        score: '0',
        ip: '0.0.0.0',
        span: 'empty',
        // Nullable: NULL, as before.
        mood: null,
        note: 'hello',
      },
    ]);
  });

  test("every type's neutral value is one the server reads as that type", async () => {
    const d = await f.direct();
    try {
      const { rows } = await d.query(
        `SELECT oid::int AS oid, format_type(oid, NULL) AS name,
           CASE typinput WHEN 'array_in'::regproc THEN 'A' WHEN 'range_in'::regproc THEN 'R'
             WHEN 'multirange_in'::regproc THEN 'M' ELSE '-' END AS category
         FROM pg_type WHERE typtype IN ('b', 'r', 'm') AND typisdefined`,
      );
      let checked = 0;
      for (const t of rows as { oid: number; category: string; name: string }[]) {
        const value = notNullPlaceholder(t);
        if (value === undefined) continue;
        await d.query(`SELECT $1::${t.name}`, [value]);
        checked++;
      }
      expect(checked).toBeGreaterThan(30);
    } finally {
      await d.end();
    }
  });
});

describe('binary COPY', () => {
  test('a masked text column carries the mask, a masked int4 column is NULL, the rest is unchanged', async () => {
    const sql = 'COPY accounts TO STDOUT (FORMAT binary)';
    const masked = readBinaryCopy((await psql('agent', sql)).stdout);
    const clear = readBinaryCopy((await direct(sql)).stdout);
    expect(masked).toHaveLength(4);
    for (let i = 0; i < 4; i++) {
      const [id, email, pin, note] = masked[i] as (Buffer | null)[];
      const c = clear[i] as (Buffer | null)[];
      expect(id?.readInt32BE(0)).toBe(i + 1);
      expect(email?.toString('utf8')).toBe('[REDACTED]');
      expect(pin).toBeNull();
      expect(note?.toString('hex')).toBe(c[3]?.toString('hex'));
    }
  });

  test('a human gets the same bytes as straight from the server', async () => {
    const sql = 'COPY accounts TO STDOUT (FORMAT binary)';
    expect((await psql('alice', sql)).stdout.equals((await direct(sql)).stdout)).toBe(true);
  });
});

describe('COPY (query) TO STDOUT', () => {
  test('columns of the query are traced to their tables and masked, in text, CSV and binary', async () => {
    const text = (
      await psql('agent', 'COPY (SELECT id, email FROM users ORDER BY id) TO STDOUT')
    ).stdout.toString();
    const rows = text
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows.map((r) => r[0])).toEqual(['1', '2']);
    expect(text).not.toMatch(/ada@|grace@/);
    expect(rows[0]?.[1]?.endsWith('.com')).toBe(true);

    const csv = readCsv(
      (
        await psql(
          'agent',
          'COPY (SELECT a.note, a.email AS contact FROM accounts a ORDER BY id) TO STDOUT CSV',
        )
      ).stdout.toString(),
    );
    expect(csv.map((r) => r[1])).toEqual(Array(4).fill('[REDACTED]'));
    expect(csv[0]?.[0]).toBe('first, "quoted"');

    const binary = readBinaryCopy(
      (await psql('agent', 'COPY (SELECT pin, id FROM accounts ORDER BY id) TO STDOUT (FORMAT binary)'))
        .stdout,
    );
    expect(binary.map((r) => r[0])).toEqual([null, null, null, null]);
    expect(binary.map((r) => r[1]?.readInt32BE(0))).toEqual([1, 2, 3, 4]);
  });

  test("an expression over a masked column is refused under unresolvedColumns 'deny', before it runs", async () => {
    const err = await psql('agent', 'COPY (SELECT lower(email) FROM users) TO STDOUT').catch((e) => e);
    expect(err.stderr.toString()).toContain('may carry a masked column');
    expect(err.stdout.toString()).not.toContain('@example');
    // With pg too: the error is 42501 and the session carries on.
    const c = await f.through('agent');
    await expect(c.query('COPY (SELECT id, upper(email) AS e FROM users) TO STDOUT')).rejects.toMatchObject({
      code: '42501',
    });
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await c.end();
  });

  test('an expression that cannot carry a masked column passes', async () => {
    const out = (await psql('agent', 'COPY (SELECT count(*) FROM accounts) TO STDOUT')).stdout.toString();
    expect(out).toBe('4\n');
  });

  test("unresolvedColumns 'mask': the expression is masked as the column it may carry", async () => {
    const { port } = await f.anotherProxy({ unresolvedColumns: 'mask' });
    const out = (
      await psql('agent', 'COPY (SELECT id, lower(email) FROM accounts ORDER BY id) TO STDOUT CSV', port)
    ).stdout.toString();
    const rows = readCsv(out);
    expect(rows.map((r) => r[0])).toEqual(['1', '2', '3', '4']);
    // Masked by the first rule naming `email` (users.email's partial mask), whole: the value is
    // computed from the column, so no part of it is kept.
    for (const r of rows) expect(r[1]).toBe('[REDACTED]');
    expect(out).not.toContain('@example');
  });

  test('a query the catalog connection cannot describe is refused with the reason', async () => {
    const err = await psql('agent', 'COPY (SELECT email FROM no_such_table) TO STDOUT').catch((e) => e);
    expect(err.stderr.toString()).toMatch(
      /masks cannot be applied to this COPY: its query could not be described/,
    );
  });
});

describe('simple-protocol writes whose RETURNING may carry a masked column', () => {
  async function count(where: string): Promise<number> {
    const d = await f.direct();
    try {
      return (await d.query(`SELECT count(*)::int AS n FROM mail WHERE ${where}`)).rows[0].n as number;
    } finally {
      await d.end();
    }
  }

  test('INSERT … RETURNING lower(email) is refused before it runs: no row is inserted', async () => {
    const c = await f.through('agent');
    // pg sends a query without parameters as a simple Query.
    await expect(
      c.query("INSERT INTO mail (email) VALUES ('first@example.com') RETURNING lower(email)"),
    ).rejects.toMatchObject({ code: '42501', message: expect.stringContaining('may carry a masked column') });
    expect(await count("email = 'first@example.com'")).toBe(0);
    // Inside a transaction the refusal does not abort it.
    await c.query('BEGIN');
    await expect(c.query('UPDATE users SET email = email RETURNING id, upper(email)')).rejects.toMatchObject({
      code: '42501',
    });
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await c.query('ROLLBACK');
    await c.end();
    const err = await psql(
      'agent',
      "INSERT INTO mail (email) VALUES ('psql@example.com') RETURNING lower(email)",
    ).catch((e) => e);
    expect(err.stderr.toString()).toContain('may carry a masked column');
    expect(await count("email = 'psql@example.com'")).toBe(0);
  });

  test('a plain INSERT … RETURNING id, and RETURNING the masked column itself, still work', async () => {
    const c = await f.through('agent');
    const r = await c.query("INSERT INTO mail (email) VALUES ('ok@example.com') RETURNING id");
    expect(r.rows).toHaveLength(1);
    expect(typeof r.rows[0].id).toBe('number');
    expect(await count("email = 'ok@example.com'")).toBe(1);
    // mail.email is not masked: returned in clear. users.email is returned masked.
    const m = await c.query("INSERT INTO mail (email) VALUES ('two@example.com') RETURNING email");
    expect(m.rows).toEqual([{ email: 'two@example.com' }]);
    const u = await c.query("INSERT INTO users VALUES (50, 'Zed', 'zed@example.com') RETURNING id, email");
    expect(u.rows[0].id).toBe(50);
    expect(u.rows[0].email).not.toContain('zed@');
    await c.end();
  });

  test('a write naming a masked column but returning nothing runs', async () => {
    const c = await f.through('agent');
    const r = await c.query('INSERT INTO mail (email) SELECT email FROM users WHERE id = 1');
    expect(r.rowCount).toBe(1);
    await c.end();
  });
});
