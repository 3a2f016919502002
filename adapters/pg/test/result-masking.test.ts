/**
 * Masks on results the plain text path does not cover: binary-format values (each masked
 * value must still decode as its type), and columns no table can be named for — expressions,
 * view columns and function results — which are withheld (`unresolvedColumns: 'deny'`, the
 * default) or masked as the column they may carry (`'mask'`).
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createEngine, InvalidOptionError, REDACTED, staticEvaluator } from '@portcullis/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPgProxy, MessageWriter, readDataRow } from '../src/index.js';
import { numericText } from '../src/proxy/mask-plan.js';
import { type ProxyFixture, startProxyFixture, USERS, withAgentMasks } from './support/proxy-fixture.js';
import { psql } from './support/psql.js';
import { query, RawClient, sqlstate } from './support/raw-client.js';

/** The test policy; agents also see every column of `people` masked. */
const policy = withAgentMasks([
  ...['email', 'code', 'handle', 'profile', 'doc', 'age', 'balance'].map((c) => ({
    column: `people.${c}`,
    strategy: 'redact' as const,
  })),
  { column: 'patients.born', strategy: 'redact' },
  { column: 'patients.weight', strategy: 'partial', keep: 1 },
  { column: 'patients.visits', strategy: 'hash' },
  { column: 'patients.ward', strategy: 'null' },
]);

const engine = createEngine({ evaluator: staticEvaluator(policy, 'result-masking') });
let f: ProxyFixture;
let maskingPort: number;

beforeAll(async () => {
  f = await startProxyFixture({ proxy: { engine } });
  const d = await f.direct();
  await d.query(`
    CREATE TABLE people (id int, email varchar(64), code char(12), handle name, profile jsonb,
                         doc json, age int, balance numeric);
    INSERT INTO people VALUES (1, 'ada@example.com', 'ABCDEF123456', 'ada_l', '{"a": 1}',
                               '{"b": 2}', 36, 12.5);
    CREATE VIEW contacts AS SELECT id, email AS contact, name FROM users;
    CREATE VIEW contacts_again AS SELECT id, contact FROM contacts;
    CREATE VIEW names_only AS SELECT id, name FROM users;
    CREATE TABLE patients (id int, born date, weight numeric, visits int[], ward int);
    INSERT INTO patients VALUES (1, '1990-04-01', 72.5, '{3,9}', 4);
    CREATE TABLE mail (email text);
    CREATE TABLE notes (id int, body text);
    INSERT INTO notes VALUES (1, 'first'), (2, 'second');
    CREATE VIEW lowered AS SELECT id, lower(email) AS contact, name FROM users;
    CREATE FUNCTION get_email(i int) RETURNS text LANGUAGE sql AS 'SELECT email FROM users WHERE id = i';
    CREATE VIEW by_function AS SELECT id, get_email(id) AS e FROM users;
    -- A column whose values are composites with an email field, which no column is named for.
    CREATE TYPE contact AS (label text, email text);
    CREATE TABLE cards (id int, c contact, many contact[]);
    INSERT INTO cards VALUES (1, ROW('home', 'ada@example.com'), ARRAY[ROW('work', 'ada@work.example')::contact]);
    CREATE VIEW card_view AS SELECT id, c AS entry FROM cards;
    CREATE TYPE wrapped AS (inner_contact contact, n int);
    CREATE DOMAIN contact_list AS contact[];
    CREATE TABLE nested_cards (id int, w wrapped, l contact_list);
    INSERT INTO nested_cards VALUES (1, ROW(ROW('home', 'ada@example.com'), 1),
                                     ARRAY[ROW('work', 'ada@work.example')::contact]);
    -- Operators of the user's that run a function reading the table: a new symbol, and one the
    -- server has for other types (# is integer xor in pg_catalog).
    CREATE FUNCTION email_of(i int, pad int) RETURNS text LANGUAGE sql AS 'SELECT email FROM users WHERE id = i';
    CREATE OPERATOR ==> (leftarg = int, rightarg = int, function = email_of);
    CREATE FUNCTION email_of(i int, pad text) RETURNS text LANGUAGE plpgsql
      AS 'BEGIN RETURN (SELECT email FROM users WHERE id = i); END';
    CREATE OPERATOR # (leftarg = int, rightarg = text, function = email_of);
    -- A function of the user's named as a built-in the proxy trusts, for other argument types.
    CREATE FUNCTION length(i int) RETURNS text LANGUAGE sql AS 'SELECT email FROM users WHERE id = i';
    -- An extension's operators run its C functions, which read no table.
    CREATE EXTENSION citext;
  `);
  await d.end();
  // A second proxy on the same server that masks what the first withholds.
  maskingPort = (await f.anotherProxy({ unresolvedColumns: 'mask' })).port;
});
afterAll(async () => {
  await f?.stop();
  await engine.close();
});

/** Decode binary values the way a driver would, so a wrongly typed mask would fail here. */
function decodeBinary(oid: number, v: Buffer): unknown {
  switch (oid) {
    case 23:
      if (v.length !== 4) throw new Error(`int4 of ${v.length} bytes`);
      return v.readInt32BE(0);
    case 25:
    case 1043:
    case 1042:
    case 19:
      return v.toString('utf8');
    case 114:
      return JSON.parse(v.toString('utf8'));
    case 3802:
      if (v[0] !== 1) throw new Error(`jsonb version ${v[0]}`);
      return JSON.parse(v.toString('utf8', 1));
    default:
      throw new Error(`a masked column of type ${oid} should have been NULL`);
  }
}

const binaryTypes = {
  getTypeParser: (oid: number) => (v: string | Buffer) => decodeBinary(oid, v as Buffer),
};

/** pg sends a query without parameters as a simple Query (text results) unless told not to. */
function extended(text: string): pg.QueryConfig {
  return { text, queryMode: 'extended' } as pg.QueryConfig;
}

async function binaryClient(port: number, user: 'agent' | 'alice'): Promise<pg.Client> {
  // `binary` makes pg ask for every result column in binary and hand the parsers Buffers.
  const c = new pg.Client({
    host: '127.0.0.1',
    port,
    user,
    password: USERS[user].password,
    database: 'app',
    binary: true,
    types: binaryTypes as unknown as pg.CustomTypesConfig,
  } as pg.ClientConfig);
  await c.connect();
  return c;
}

describe('binary-format results', () => {
  test('masked columns decode as their own types: text kinds masked, JSON kinds a JSON string, others NULL', async () => {
    const c = await binaryClient(f.port, 'agent');
    const r = await c.query(
      extended('SELECT id, email, code, handle, profile, doc, age, balance FROM people'),
    );
    expect(r.rows).toEqual([
      {
        id: 1,
        email: REDACTED,
        code: REDACTED,
        handle: REDACTED,
        profile: REDACTED,
        doc: REDACTED,
        age: null,
        balance: null,
      },
    ]);
    const users = await c.query(extended('SELECT id, email FROM users ORDER BY id'));
    expect(users.rows.map((row) => row.email)).toEqual(['***********.com', '*************.org']);
    await c.end();
  });

  test('a human with no masks gets the server binary values untouched', async () => {
    const c = await binaryClient(f.port, 'alice');
    const r = await c.query(extended('SELECT id, email, profile FROM people'));
    expect(r.rows).toEqual([{ id: 1, email: 'ada@example.com', profile: { a: 1 } }]);
    await c.end();
  });

  test('text format: a masked JSON column is still valid JSON for the driver', async () => {
    const c = await f.through('agent');
    const r = await c.query('SELECT profile, doc FROM people');
    expect(r.rows).toEqual([{ profile: REDACTED, doc: REDACTED }]);
    await c.end();
  });
});

describe('text format: a column rule on a column of a non-textual type', () => {
  const TEXT = 25;
  const INT4 = 23;
  const DATE = 1082;
  const SQL = 'SELECT id, born, weight, visits, ward FROM patients';

  function expectDeclaredText(r: pg.QueryResult): void {
    // Declared text, the masks read as strings: node-postgres would parse '[REDACTED]' as a
    // date (an Invalid Date) or an int[] (garbage) by the server's types.
    expect(r.fields.map((field) => [field.name, field.dataTypeID])).toEqual([
      ['id', INT4],
      ['born', TEXT],
      ['weight', TEXT],
      ['visits', TEXT],
      ['ward', INT4],
    ]);
    const row = r.rows[0];
    expect(row.id).toBe(1);
    expect(row.born).toBe(REDACTED);
    expect(row.weight).toBe('***5');
    expect(row.visits).toMatch(/^hash:[0-9a-f]+$/);
    // The null strategy keeps the type: NULL is an int.
    expect(row.ward).toBeNull();
  }

  test('is declared text in a simple Query result and in a described portal', async () => {
    const c = await f.through('agent');
    try {
      expectDeclaredText(await c.query(SQL));
      expectDeclaredText(await c.query(extended(SQL)));
      // Twice through each path: the second result's plan comes from the session's cache.
      expectDeclaredText(await c.query(SQL));
      expectDeclaredText(await c.query(extended(SQL)));
    } finally {
      await c.end();
    }
  });

  test("is declared text in a statement's own Describe (psql's \\gdesc)", async () => {
    // \\gdesc describes its query buffer, which a -c command does not keep: psql reads stdin.
    const child = spawn(
      'psql',
      ['-XAt', '-h', '127.0.0.1', '-p', String(f.port), '-U', 'agent', '-d', 'app'],
      {
        env: { ...process.env, PGPASSWORD: USERS.agent.password },
      },
    );
    child.stdin.end('SELECT born, ward FROM patients \\gdesc\n');
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const [code] = (await once(child, 'close')) as [number];
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual(['born|text', 'ward|integer']);
  });

  test('a human without masks gets the columns as the server typed them', async () => {
    const c = await f.through('alice');
    try {
      const r = await c.query(SQL);
      expect(r.fields.map((field) => field.dataTypeID)).toEqual([INT4, DATE, 1700, 1007, INT4]);
      expect(r.rows[0].visits).toEqual([3, 9]);
    } finally {
      await c.end();
    }
  });

  test('binary results keep their types: the masked values are NULL', async () => {
    const c = await binaryClient(f.port, 'agent');
    try {
      const r = await c.query(extended('SELECT id, born FROM patients'));
      expect(r.fields.map((field) => field.dataTypeID)).toEqual([INT4, DATE]);
      expect(r.rows).toEqual([{ id: 1, born: null }]);
    } finally {
      await c.end();
    }
  });
});

describe('binary numeric values are read as their digits', () => {
  test("numericText reads numeric_send's bytes as numeric_out writes the value", async () => {
    const values = [
      '0',
      '1',
      '-1',
      '10000',
      '9999',
      '12345678.0001',
      '-0.000123',
      '0.5',
      '100000000000000000000',
      '4111111111111111',
      '3.14159265358979323846',
      '-98765.43210',
      '1e-20',
      '123.000',
      'NaN',
      'Infinity',
      '-Infinity',
      '0.00',
      '-0.0',
      '1e100',
    ];
    const d = await f.direct();
    try {
      // numeric_send is the binary form a binary result carries.
      const { rows } = await d.query(
        `SELECT numeric_send(v::numeric) AS bytes, v::numeric::text AS text
           FROM unnest($1::text[]) WITH ORDINALITY AS t(v, i) ORDER BY i`,
        [values],
      );
      expect(rows.map((r) => numericText(r.bytes as Buffer, 0, (r.bytes as Buffer).length))).toEqual(
        rows.map((r) => r.text as string),
      );
    } finally {
      await d.end();
    }
  });
});

describe('a named statement described through a portal once, then bound and executed alone', () => {
  // pgjdbc past its prepareThreshold: Parse of S_1 with Describe of the portal, then every
  // later execution is Bind and Execute only, the driver keeping the description it got.
  test.each([
    ['text, then text by default (no format codes)', [0], []],
    ['text, then binary', [0], [1]],
    ['binary, then text by default (no format codes)', [1], []],
  ])('every execution is masked: %s', async (_name, first, later) => {
    const raw = await RawClient.connect(f.port, 'agent', 'agent-pw');
    try {
      const bind = (w: MessageWriter, id: string, formats: readonly number[]) => {
        w.begin(0x42).cstring('').cstring('S_1').int16(0).int16(1).int32(id.length).bytes(Buffer.from(id));
        w.int16(formats.length);
        for (const format of formats) w.int16(format);
        w.end();
      };
      const w = new MessageWriter();
      w.begin(0x50).cstring('S_1').cstring('SELECT email FROM users WHERE id = $1').int16(1).int32(23).end();
      bind(w, '1', first);
      w.begin(0x44).byte(0x50).cstring('').end();
      w.begin(0x45).cstring('').int32(0).end();
      raw.write(w.begin(0x53).end().flush());
      await raw.readyCount(1);
      bind(w, '2', later);
      w.begin(0x45).cstring('').int32(0).end();
      w.begin(0x53).end();
      bind(w, '1', later);
      w.begin(0x45).cstring('').int32(0).end();
      raw.write(w.begin(0x53).end().flush());
      await raw.readyCount(3);
      expect(raw.types()).toBe('12TDCZ2DCZ2DCZ');
      const values = raw.messages
        .filter((m) => m.type === 'D')
        .map((m) => readDataRow(m.body)[0]?.toString());
      expect(values).toEqual(['***********.com', '*************.org', '***********.com']);
    } finally {
      raw.end();
    }
  });
});

describe('masks across PortalSuspended', () => {
  test.each([
    ['text', 0, (v: Buffer) => v.toString()],
    ['binary', 1, (v: Buffer) => v.toString()],
  ])(
    'Execute with a row limit, twice on one portal: every row masked (%s)',
    async (_name, format, decode) => {
      const raw = await RawClient.connect(f.port, 'agent', 'agent-pw');
      const w = new MessageWriter();
      w.begin(0x50).cstring('').cstring('SELECT email FROM users ORDER BY id').int16(0).end();
      w.begin(0x42).cstring('').cstring('').int16(0).int16(0).int16(1).int16(format).end();
      w.begin(0x44).byte(0x50).cstring('').end();
      w.begin(0x45).cstring('').int32(1).end();
      w.begin(0x45).cstring('').int32(1).end();
      raw.write(w.begin(0x53).end().flush());
      await raw.readyCount(1);
      expect(raw.types()).toBe('12TDsDsZ');
      const values = raw.messages.filter((m) => m.type === 'D').map((m) => decode(readDataRow(m.body)[0]!));
      expect(values).toEqual(['***********.com', '*************.org']);
      raw.end();
    },
  );
});

describe("unresolved result columns, unresolvedColumns: 'deny' (the default)", () => {
  test('an alias keeps its table and is masked', async () => {
    const c = await f.through('agent');
    const r = await c.query('SELECT email AS e FROM users ORDER BY id');
    expect(r.rows.map((row) => row.e)).toEqual(['***********.com', '*************.org']);
    await c.end();
  });

  test.each([
    ['an expression', 'SELECT lower(email) FROM users'],
    ['an expression in a subquery', 'SELECT e FROM (SELECT upper(email) AS e FROM users) s'],
    ['a view column computed from the masked column', 'SELECT id, contact FROM lowered'],
    ['an expression over a view', 'SELECT lower(contact) FROM contacts'],
    [
      "an expression over a view's columns renamed by an alias list",
      'SELECT lower(t.c) FROM contacts AS t(a, c)',
    ],
    ['an expression over a star of a view', 'SELECT concat(c.*) FROM contacts c'],
    ['an expression over a computed view column', 'SELECT length(contact) FROM lowered'],
    ['a function reading the table', 'SELECT get_email(1)'],
    ["an operator of the user's", 'SELECT 1 ==> 0'],
    ["the user's function by a built-in's name", 'SELECT length(1)'],
    ['a whole-row reference', 'SELECT u FROM users u'],
    ['a star beside an expression', 'SELECT *, count(*) OVER () AS total FROM users'],
    ['a set operation over a star', 'SELECT * FROM (SELECT * FROM users UNION ALL SELECT * FROM users) s'],
    ['a whole-row reference by table name, cast to text', 'SELECT users::text FROM users'],
    ['a whole-row reference in a pure function', 'SELECT concat(u) FROM users u'],
    ["an operator of the user's, schema-qualified", 'SELECT 1 OPERATOR(public.==>) 0'],
    ["the user's operator for a symbol the server has", "SELECT 1 # 'x'::text"],
    ["a function of the user's, schema-qualified", 'SELECT public.get_email(1)'],
    [
      'a built-in running SQL given as text',
      "SELECT pg_catalog.query_to_xml('SELECT email FROM users', true, false, '')",
    ],
    ["a built-in returning other sessions' statements", 'SELECT query FROM pg_stat_get_activity(NULL)'],
    // citext overloads it with a SQL function of its own: which one runs is the types' to say.
    ['a built-in name an extension also uses', "SELECT regexp_split_to_array('a b', ' ')"],
  ])('%s is withheld with 42501, and the session goes on', async (_name, sql) => {
    const c = await f.through('agent');
    await expect(c.query(sql)).rejects.toMatchObject({
      code: '42501',
      message: expect.stringContaining('may carry a masked column'),
    });
    expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    // The extended protocol is withheld the same way.
    await expect(c.query(`${sql} LIMIT $1`, [5])).rejects.toMatchObject({ code: '42501' });
    expect((await c.query('SELECT $1::int AS n', [2])).rows).toEqual([{ n: 2 }]);
    await c.end();
  });

  test.each([
    ['a view column that is the masked column', 'SELECT contact AS v FROM contacts ORDER BY id'],
    ['a view of that view', 'SELECT contact AS v FROM contacts_again ORDER BY id'],
    // The server names the table and column a field of a whole row comes from.
    ['a field of a whole row', 'SELECT (u).email AS v FROM users u ORDER BY id'],
  ])('%s is traced to users.email and masked as it is', async (_name, sql) => {
    const c = await f.through('agent');
    const r = await c.query(sql);
    expect(r.rows.map((row) => row.v)).toEqual(['***********.com', '*************.org']);
    await c.end();
  });

  test.each([
    [
      'other columns of a view that reads the masked column',
      'SELECT id, name FROM lowered ORDER BY id',
      [
        { id: 1, name: 'Ada' },
        { id: 2, name: 'Grace' },
      ],
    ],
    ['an aggregate over the table', 'SELECT count(*)::int AS n FROM users', [{ n: 2 }]],
    [
      "expressions over a view's other columns, of a view that reads the masked column",
      'SELECT upper(name) AS n, count(*) OVER ()::int AS c FROM contacts WHERE id = 1',
      [{ n: 'ADA', c: 1 }],
    ],
    [
      'an aggregate over a view with a computed masked column',
      'SELECT count(*)::int AS n FROM lowered',
      [{ n: 2 }],
    ],
    [
      'a view that does not read the masked column',
      'SELECT id, name FROM names_only ORDER BY id',
      [
        { id: 1, name: 'Ada' },
        { id: 2, name: 'Grace' },
      ],
    ],
    ['an expression of unmasked columns', 'SELECT upper(name) AS n FROM users WHERE id = 1', [{ n: 'ADA' }]],
    ['a constant', 'SELECT 1 AS one', [{ one: 1 }]],
    [
      'a star over a table with no masked column, beside an expression',
      'SELECT *, count(*) OVER ()::int AS total FROM notes ORDER BY id',
      [
        { id: 1, body: 'first', total: 2 },
        { id: 2, body: 'second', total: 2 },
      ],
    ],
    [
      "TypeORM's column query: a star over information_schema.columns, and col_description",
      "SELECT columns.column_name, pg_catalog.col_description(('\"' || table_schema || '\".\"' || table_name || '\"')::regclass::oid, ordinal_position) AS description FROM (SELECT columns.* FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'body') columns",
      [{ column_name: 'body', description: null }],
    ],
    [
      "information_schema's views, which call its own SQL functions",
      "SELECT table_catalog, column_name, data_type FROM information_schema.columns WHERE table_name = 'people' AND column_name = 'age'",
      [{ table_catalog: 'app', column_name: 'age', data_type: 'integer' }],
    ],
    ['a built-in qualified with pg_catalog', "SELECT pg_catalog.length('abc') AS n", [{ n: 3 }]],
    [
      'built-ins called by bare names the user has no function of',
      'SELECT to_jsonb(name) AS j, array_to_json(ARRAY[id]) AS a, string_to_array(name, NULL) AS c FROM users WHERE id = 1',
      [{ j: 'Ada', a: [1], c: ['A', 'd', 'a'] }],
    ],
    [
      "information_schema's own functions",
      'SELECT (information_schema._pg_expandarray(ARRAY[7])).x AS x',
      [{ x: 7 }],
    ],
    [
      "the server's operators, and an extension's",
      "SELECT count(*)::int + 1 AS n FROM users WHERE id = 1 AND name::citext = 'ADA'",
      [{ n: 2 }],
    ],
  ])('%s passes', async (_name, sql, rows) => {
    const c = await f.through('agent');
    expect((await c.query(sql)).rows).toEqual(rows);
    await c.end();
  });

  test('EXPLAIN shows its plan, which names columns but holds no values; ANALYZE is still judged', async () => {
    const c = await f.through('agent');
    try {
      const plan = await c.query("EXPLAIN (VERBOSE) SELECT * FROM users WHERE email LIKE 'a%'");
      const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toMatch(/Seq Scan on public\.users/);
      expect(text).toMatch(/Output: id, name, email/);
      // ANALYZE runs the statement, and errors while running can quote what it reads.
      await expect(c.query('EXPLAIN ANALYZE SELECT * FROM users')).rejects.toMatchObject({
        message: expect.stringMatching(/may carry a masked column/),
      });
      // Over views that read the masked column too: the view's expansion, never its values.
      const viewPlan = await c.query('EXPLAIN (VERBOSE) SELECT upper(contact), * FROM contacts_again');
      expect(viewPlan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Output: upper\(users\.email\)/);
      // A view calling a function of the user's, which the planner may fold to a constant.
      await expect(c.query('EXPLAIN SELECT * FROM by_function')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await c.end();
    }
  });

  test('a human without column masks reads expressions and views in clear', async () => {
    const c = await f.through('alice');
    expect((await c.query('SELECT lower(email) AS e FROM users WHERE id = 1')).rows).toEqual([
      { e: 'ada@example.com' },
    ]);
    expect((await c.query('SELECT contact FROM contacts WHERE id = 1')).rows).toEqual([
      { contact: 'ada@example.com' },
    ]);
    await c.end();
  });

  test('extended protocol: a write whose RETURNING would be withheld is denied before it runs', async () => {
    const c = await f.through('agent');
    await expect(
      c.query("INSERT INTO users VALUES ($1, 'Eve', 'eve@example.net') RETURNING lower(email)", [10]),
    ).rejects.toMatchObject({ code: '42501', message: expect.stringContaining('may carry a masked column') });
    expect((await c.query('SELECT count(*)::int AS n FROM users WHERE id = 10')).rows).toEqual([{ n: 0 }]);
    await c.end();
    const d = await f.direct();
    expect((await d.query('SELECT count(*)::int AS n FROM users WHERE id = 10')).rows[0].n).toBe(0);
    await d.end();
  });

  test('extended protocol: a write naming a masked column but returning nothing runs', async () => {
    const c = await f.through('agent');
    // Its facts name `email`, so the proxy asks for the Describe first; NoData lets it go.
    for (const v of ['one@example.com', 'two@example.com']) {
      const r = await c.query('INSERT INTO mail (email) VALUES ($1)', [v]);
      expect(r.rowCount).toBe(1);
    }
    // mail.email is not users.email: a plain column of another table stays clear.
    const r = await c.query('SELECT email FROM mail WHERE email = $1', ['two@example.com']);
    expect(r.rows).toEqual([{ email: 'two@example.com' }]);
    await c.end();
  });

  test('simple protocol: a write whose RETURNING may carry a masked column is refused before it runs', async () => {
    const c = await f.through('agent');
    const sql = "INSERT INTO mail VALUES ('q@example.com') RETURNING lower(email)";
    const count = async () => {
      const d = await f.direct();
      try {
        return (await d.query('SELECT count(*)::int AS n FROM mail')).rows[0].n as number;
      } finally {
        await d.end();
      }
    };
    try {
      const before = await count();
      await expect(c.query(sql)).rejects.toMatchObject({ code: '42501' });
      expect(await count()).toBe(before);
      await expect(c.query(sql)).rejects.toMatchObject({ code: '42501' });
      expect(await count()).toBe(before);
    } finally {
      await c.end();
    }
  });

  test('raw protocol: the rest of a withheld Query is dropped up to ReadyForQuery', async () => {
    const raw = await RawClient.connect(f.port, 'agent', 'agent-pw');
    const w = new MessageWriter();
    raw.write(query(w, 'SELECT lower(email) FROM users; SELECT 1').flush());
    await raw.readyCount(1);
    expect(raw.types()).toBe('TEZ');
    expect(sqlstate(raw.messages[1]!)).toBe('42501');
    expect(raw.messages.some((m) => m.type === 'D')).toBe(false);
    raw.write(query(w, 'SELECT 2').flush());
    await raw.readyCount(2);
    expect(raw.types()).toBe('TEZTDCZ');
    raw.end();
  });

  test('psql shows the error, not the value', async () => {
    const err = await psql(
      { port: f.port, user: 'agent', password: 'agent-pw' },
      ['SELECT lower(email) FROM users'],
      {
        stopOnError: false,
      },
    ).then(
      () => undefined,
      (e: { stdout: string; stderr: string }) => e,
    );
    expect(err?.stderr).toContain('may carry a masked column');
    expect(err?.stdout ?? '').not.toContain('@example');
  });
});

describe('a column of a composite type with a masked field', () => {
  test.each([
    ['the column', 'SELECT c AS v FROM cards'],
    ['an array of them', 'SELECT many AS v FROM cards'],
    ['through a view', 'SELECT entry AS v FROM card_view'],
    ['in a star', 'SELECT * FROM cards'],
    ['nested in another composite', 'SELECT w AS v FROM nested_cards'],
    ['a domain over an array of them', 'SELECT l AS v FROM nested_cards'],
  ])('%s is masked as that field, whole', async (_name, sql) => {
    const c = await f.through('agent');
    try {
      const r = await c.query(sql);
      // users.email's rule keeps the last four characters: of a composite's text, those would
      // be another field's (or the closing parenthesis), so it is redacted whole.
      expect(JSON.stringify(r.rows)).not.toMatch(/ada@|\.com|\*{4}/);
      expect(JSON.stringify(r.rows)).toContain(REDACTED);
    } finally {
      await c.end();
    }
  });

  test.each([
    ['cast to text', 'SELECT c::text AS v FROM cards'],
    ['in a function', 'SELECT concat(c) AS v FROM cards'],
    ['read whole in an expression', 'SELECT concat(x.*) AS v FROM cards x'],
  ])('%s is withheld', async (_name, sql) => {
    const c = await f.through('agent');
    try {
      await expect(c.query(sql)).rejects.toMatchObject({ code: '42501' });
      // The facts name the composite column for any field of it: the field is not told apart.
      await expect(c.query('SELECT upper((c).label) AS l FROM cards')).rejects.toMatchObject({
        code: '42501',
      });
      expect((await c.query('SELECT id, upper(id::text) AS t FROM cards')).rows).toEqual([{ id: 1, t: '1' }]);
    } finally {
      await c.end();
    }
  });

  test('a human sees it whole', async () => {
    const c = await f.through('alice');
    try {
      expect((await c.query('SELECT c::text AS v FROM cards')).rows).toEqual([
        { v: '(home,ada@example.com)' },
      ]);
    } finally {
      await c.end();
    }
  });
});

describe('what a session learnt from the catalog, when the catalog changes', () => {
  const reads = "LANGUAGE sql AS 'SELECT email FROM users WHERE id = i'";
  afterAll(async () => {
    const d = await f.direct();
    await d.query('DROP FUNCTION IF EXISTS initcap(int), btrim(int), md5(int), upper(int)');
    await d.end();
  });

  test("a function the session creates by a built-in's name, after calling the built-in", async () => {
    const c = await f.through('agent');
    try {
      expect((await c.query("SELECT initcap('ada') AS v")).rows).toEqual([{ v: 'Ada' }]);
      await c.query(`CREATE FUNCTION initcap(i int) RETURNS text ${reads}`);
      await expect(c.query('SELECT initcap(1) AS v')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await c.end();
    }
  });

  test('a function a DO block creates', async () => {
    const c = await f.through('agent');
    try {
      expect((await c.query("SELECT upper('a') AS v")).rows).toEqual([{ v: 'A' }]);
      await c.query(
        `DO $$ BEGIN EXECUTE 'CREATE FUNCTION upper(i int) RETURNS text ${reads.replaceAll("'", "''")}'; END $$`,
      );
      await expect(c.query('SELECT upper(1) AS v')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await c.end();
    }
  });

  test('a function created in the open transaction, which the catalog connection cannot see', async () => {
    const c = await f.through('agent');
    try {
      await c.query('BEGIN');
      await c.query(`CREATE FUNCTION btrim(i int) RETURNS text ${reads}`);
      await expect(c.query('SELECT btrim(1) AS v')).rejects.toMatchObject({ code: '42501' });
      await c.query('ROLLBACK');
      // Rolled back: the built-in is the only btrim again.
      expect((await c.query("SELECT btrim(' x ') AS v")).rows).toEqual([{ v: 'x' }]);
    } finally {
      await c.end();
    }
  });

  test("another session's function is seen once catalogTrustMs has passed", async () => {
    const { port } = await f.anotherProxy({ catalogTrustMs: 50 });
    const c = await f.through('agent', undefined, { port });
    const d = await f.direct();
    try {
      expect((await c.query("SELECT md5('a') AS v")).rows[0].v).toHaveLength(32);
      await d.query(`CREATE FUNCTION md5(i int) RETURNS text ${reads}`);
      await new Promise((r) => setTimeout(r, 100));
      await expect(c.query('SELECT md5(1) AS v')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await c.end();
      await d.end();
    }
  });

  test('a view another session redefines, under a statement prepared before (Bind and Execute only)', async () => {
    const d = await f.direct();
    await d.query('CREATE VIEW renamed_later AS SELECT id, name AS x FROM users');
    const { port } = await f.anotherProxy({ catalogTrustMs: 50 });
    const c = await f.through('agent', undefined, { port });
    try {
      const prepared = { name: 'later', text: 'SELECT x FROM renamed_later WHERE id = $1', values: [1] };
      expect((await c.query(prepared)).rows).toEqual([{ x: 'Ada' }]);
      await d.query('CREATE OR REPLACE VIEW renamed_later AS SELECT id, email AS x FROM users');
      await new Promise((r) => setTimeout(r, 100));
      expect((await c.query(prepared)).rows).toEqual([{ x: '***********.com' }]);
    } finally {
      await c.end();
      await d.query('DROP VIEW renamed_later');
      await d.end();
    }
  });

  test.each([-1, Number.NaN, '60s'])('catalogTrustMs %j is refused when the proxy is created', (value) => {
    expect(() =>
      createPgProxy({
        engine,
        upstream: f.upstream,
        resource: { name: 'db' },
        catalogTrustMs: value as number,
      }),
    ).toThrow(InvalidOptionError);
  });
});

describe("unresolved result columns, unresolvedColumns: 'mask'", () => {
  async function agent(): Promise<pg.Client> {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: maskingPort,
      user: 'agent',
      password: 'agent-pw',
      database: 'app',
    });
    await c.connect();
    return c;
  }

  test.each([
    ['an expression', 'SELECT lower(email) AS v FROM users ORDER BY id'],
    ['a computed view column', 'SELECT contact AS v FROM lowered ORDER BY id'],
    ['a function', 'SELECT get_email(id) AS v FROM users ORDER BY id'],
    ["an operator of the user's", 'SELECT id ==> 0 AS v FROM users ORDER BY id'],
  ])('%s is masked as users.email is, whole', async (_name, sql) => {
    const c = await agent();
    const r = await c.query(sql);
    // users.email keeps its last four characters; a value computed from it keeps none.
    expect(r.rows.map((row) => row.v)).toEqual([REDACTED, REDACTED]);
    const plain = await c.query('SELECT email AS v FROM users ORDER BY id');
    expect(plain.rows.map((row) => row.v)).toEqual(['***********.com', '*************.org']);
    await c.end();
  });

  test("an expression's tail is not another masked column's", async () => {
    const c = await agent();
    // people.code is redacted; kept as users.email's last four, its end would show.
    const r = await c.query('SELECT u.email || p.code AS v FROM users u, people p ORDER BY u.id');
    expect(r.rows.map((row) => row.v)).toEqual([REDACTED, REDACTED]);
    await c.end();
  });

  test('an expression of a non-textual type computed from a masked column is declared text', async () => {
    const c = await agent();
    const r = await c.query('SELECT id, char_length(email) AS n FROM users ORDER BY id');
    expect(r.fields.map((field) => field.dataTypeID)).toEqual([23, 25]);
    expect(r.rows).toEqual([
      { id: 1, n: REDACTED },
      { id: 2, n: REDACTED },
    ]);
    await c.end();
  });

  test('untainted columns of the same result stay clear', async () => {
    const c = await agent();
    const r = await c.query('SELECT id, name, contact FROM lowered ORDER BY id');
    expect(r.rows[0]).toEqual({ id: 1, name: 'Ada', contact: REDACTED });
    await c.end();
  });
});
