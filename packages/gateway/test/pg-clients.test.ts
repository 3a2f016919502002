/**
 * Real clients through the gateway as an agent, with the shipped policy library, against a
 * real PostgreSQL server: psql reading masked columns the ways SQL allows (whole rows, fields
 * of them), and a Java application on pgjdbc (Debian's libpostgresql-jdbc-java), whose
 * prepared statements, executeUpdate, generated keys, metadata and CallableStatement each
 * once failed or leaked through the proxy.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentGateway, startAgentGateway } from './support/agent-gateway.js';

const exec = promisify(execFile);
const PGJDBC = '/usr/share/java/postgresql.jar';
/** A password no detector recognises: only the column rule on `password` can hide it. */
const PASSWORD = 'hunter2-plain';

let g: AgentGateway;

beforeAll(async () => {
  g = await startAgentGateway(`
    CREATE TABLE customers (id int PRIMARY KEY, name text, email text, password text);
    INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com', '${PASSWORD}'),
                                 (2, 'Grace', 'grace@example.org', 'other-plain');
    CREATE TABLE accounts (id int, login text, encrypted_password text, reset_password_token text,
                           otp_secret text, backup_email text);
    INSERT INTO accounts VALUES (1, 'ada', '$2a$12$plainhashvalue', 'rst-plain-123', 'JBSWYPLAIN',
                                 'ada.backup@example.net');
    CREATE FUNCTION all_customers() RETURNS SETOF customers LANGUAGE sql AS 'SELECT * FROM customers';
    CREATE EXTENSION postgres_fdw;
    CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db.internal', dbname 'crm');
    CREATE USER MAPPING FOR CURRENT_USER SERVER remote OPTIONS (user 'crm', password 'fdw-plain-pw');
    CREATE TABLE patients (id int, name text, date_of_birth date, ssn bigint, ref bigint, ext numeric);
    -- ref and ext: numbers that happen to pass the card check, which the card detector masks.
    INSERT INTO patients VALUES (1, 'Ada', '1990-04-01', 123456789, 4111111111111111, 5555555555554444);
    CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, note text);
    INSERT INTO orders (customer_id, note) SELECT 1 + g % 2, 'n' FROM generate_series(1, 10) g;
    -- What an application's developers wrote, under names no pattern takes for a secret.
    CREATE VIEW customer_logins AS SELECT id, name, password AS pw FROM customers;
    CREATE FUNCTION login_of(i int) RETURNS text LANGUAGE sql AS 'SELECT password FROM customers WHERE id = i';
    CREATE MATERIALIZED VIEW login_copies AS SELECT id, pw AS credential FROM customer_logins;
    -- Connection strings an application keeps in a table, under names no pattern takes.
    CREATE TABLE app_settings (key text, value text);
    INSERT INTO app_settings VALUES ('db_url', 'postgres://app:Conn-pw-91@db:5432/prod'),
                                    ('replica', 'host=replica user=rep password=Conn-pw-92 sslmode=require');
  `);
}, 120_000);

afterAll(async () => {
  await g?.stop();
});

async function psql(sql: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return exec(
    'psql',
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(g.port),
      '-U',
      g.user,
      '-d',
      'postgres',
      '-XAt',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      sql,
    ],
    { env: { ...process.env, PGPASSWORD: g.key, PGCONNECT_TIMEOUT: '10' } },
  ).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

describe('psql: a masked column read as part of a whole row', () => {
  it.each([
    'SELECT c FROM customers c',
    'SELECT customers FROM customers',
    'SELECT c::text FROM customers c',
    'SELECT concat(c) FROM customers c',
    'SELECT (c).password FROM customers c',
    'SELECT (c).* FROM customers c',
    'SELECT j FROM (customers JOIN orders o ON o.customer_id = customers.id) AS j',
    'SELECT j.password FROM (customers JOIN orders o ON o.customer_id = customers.id) AS j',
    'SELECT j.* FROM (customers JOIN orders o ON o.customer_id = customers.id) AS j',
    "SELECT query_to_xml('SELECT password FROM customers', true, true, '')",
    "SELECT ts_stat('SELECT to_tsvector(password) FROM customers')",
    "SELECT table_to_xml('customers', true, true, '')",
    'SELECT * FROM all_customers()',
    'SELECT a.* FROM all_customers() a',
    'SELECT * FROM customers',
  ])('%s never shows the password', neverShowsPassword);
});

describe('psql: connection strings', () => {
  it('an agent reads them with their passwords redacted and the rest in clear', async () => {
    const r = await psql('SELECT key, value FROM app_settings ORDER BY key');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'db_url|postgres://app:[REDACTED]@db:5432/prod\n' +
        'replica|host=replica user=rep password=[REDACTED] sslmode=require\n',
    );
    const setting = await psql(
      "SELECT set_config('app.conninfo', 'host=x password=Conn-pw-93', false), current_setting('app.conninfo')",
    );
    expect(setting.code).toBe(0);
    expect(setting.stdout).toBe('host=x password=[REDACTED]|host=x password=[REDACTED]\n');
  });
});

/** The statement comes back with the password redacted, or is refused as carrying it. */
async function neverShowsPassword(sql: string): Promise<void> {
  const r = await psql(sql);
  expect(`${r.stdout}${r.stderr}`).not.toContain(PASSWORD);
  expect(`${r.stdout}${r.stderr}`).not.toMatch(/plain/i);
  if (r.code !== 0) expect(r.stderr).toMatch(/may carry a masked column/);
  else expect(r.stdout).toMatch(/\[REDACTED\]/);
}

// The library's column_patterns_on_every_read (on by default): a column is matched by the name
// of the stored column it comes from, whatever the statement calls it.
describe('psql: a sensitive column under a name no pattern takes', () => {
  it.each([
    'SELECT pw FROM customer_logins',
    'SELECT id, credential FROM login_copies',
    'SELECT v.pw AS innocent FROM customer_logins v',
    'SELECT login_of(1)',
    'SELECT public.login_of(1) AS x',
    'SELECT upper(pw) FROM customer_logins',
    'SELECT upper(l.pw) FROM customer_logins l JOIN orders o ON o.customer_id = l.id',
    'SELECT upper(c) FROM customer_logins AS t(a, b, c)',
    'SELECT d FROM customers AS t(a, b, c, d)',
  ])('%s never shows the password', neverShowsPassword);

  it('the rest of such a view, and built-ins over it, come back in clear', async () => {
    const r = await psql(
      'SELECT id, name, upper(name), length(name), count(*) OVER () FROM customer_logins ORDER BY id',
    );
    expect(r).toMatchObject({ code: 0, stdout: '1|Ada|ADA|3|2\n2|Grace|GRACE|5|2\n' });
  });
});

// What psql asks the catalog for its backslash commands: each was once withheld as an
// expression that "may carry a masked column" when every read carried the name patterns.
describe('psql: backslash commands as an agent', () => {
  it.each([
    ['\\d', /customer_logins/],
    ['\\d customers', /password/],
    ['\\d+ customer_logins', /^pw\|text/m],
    ['\\dt+', /customers/],
    ['\\dv', /customer_logins/],
    ['\\dm', /login_copies/],
    ['\\df+ login_of', /login_of/],
    ['\\sf login_of', /SELECT password FROM customers/],
    ['\\sv customer_logins', /password AS pw/],
    ['\\dn+', /public/],
    ['\\du', /Superuser/],
    ['\\l', /postgres/],
    ['\\dx+ postgres_fdw', /postgres_fdw_handler/],
    ['\\des+', /remote/],
    ['\\di', /customers_pkey/],
    ['\\ds', /orders_id_seq/],
    ['\\dT', /|/],
    ['\\dp customers', /customers/],
    ['\\dconfig', /|/],
    ['\\dd', /|/],
    ['\\dD', /|/],
    ['\\dC', /|/],
    ['\\do', /|/],
    ['\\dy', /|/],
  ])('%s works', async (command, shown) => {
    const r = await psql(command);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(shown);
  });

  // Its options column is an expression over umoptions, which holds the server's password.
  it('\\deu+ is refused rather than built from the redacted options', async () => {
    const r = await psql('\\deu+');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/result column "FDW options" may carry a masked column/);
    expect(`${r.stdout}${r.stderr}`).not.toContain('fdw-plain-pw');
  });
});

// Rails' Devise names its secrets so; no list of usual names has them all, the patterns do.
it('psql: SELECT * masks every column a name pattern matches, named or not', async () => {
  const r = await psql('SELECT * FROM accounts');
  expect(r.code).toBe(0);
  const [id, login, password, reset, otp, backup] = r.stdout.trim().split('|');
  expect([id, login]).toEqual(['1', 'ada']);
  expect([password, reset, otp]).toEqual(['[REDACTED]', '[REDACTED]', '[REDACTED]']);
  expect(backup).toMatch(/^\*+\.net$/);
  expect(r.stdout).not.toMatch(/plain/i);
});

// The gateway reaches the server as its operator, who may read every catalog.
it.each(['SELECT srvname, umoptions FROM pg_user_mappings', 'SELECT * FROM pg_catalog.pg_user_mapping'])(
  'psql: a foreign server password in %s is redacted',
  async (sql) => {
    const r = await psql(sql);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('fdw-plain-pw');
    expect(r.stdout).toContain('[REDACTED]');
  },
);

// A COPY with no column list names no column either: it reads every one, as a star does.
it.each([
  'COPY accounts TO STDOUT',
  'COPY (TABLE accounts) TO STDOUT',
  'COPY customers TO STDOUT (FORMAT csv)',
])('psql: %s masks as SELECT * does', async (sql) => {
  const r = await psql(sql);
  expect(r.code).toBe(0);
  expect(r.stdout).not.toMatch(/plain/i);
  expect(r.stdout).toMatch(/\[REDACTED\]/);
});

describe("psycopg2 (Debian's python3-psycopg2)", () => {
  it('fetches masked columns of other types than text as strings, where it raised before', async () => {
    // Debian's python, which has the Debian package; another python on PATH may not.
    const script = `
import json, sys, psycopg2
c = psycopg2.connect(host='127.0.0.1', port=int(sys.argv[1]), user=sys.argv[2], password=sys.argv[3], dbname='postgres')
cur = c.cursor()
cur.execute('SELECT id, name, date_of_birth, ssn, ref FROM patients ORDER BY id')
rows = [[str(v) for v in row] for row in cur.fetchall()]
cur.execute('SELECT date_of_birth, ssn FROM patients WHERE id = %s', (1,))
rows += [[str(v) for v in row] for row in cur.fetchall()]
print(json.dumps(rows))
`;
    const { stdout } = await exec('/usr/bin/python3', ['-c', script, String(g.port), g.user, g.key], {
      timeout: 60_000,
    });
    // A detector's hit in a bigint column is NULL: no mask's text is a bigint.
    expect(JSON.parse(stdout)).toEqual([
      ['1', 'Ada', '[REDACTED]', '[REDACTED]', 'None'],
      ['[REDACTED]', '[REDACTED]'],
    ]);
  });
});

describe("psycopg 3 (Debian's python3-psycopg)", () => {
  it('reads masked columns in text and binary results, prepared or not', async () => {
    // psycopg 3 sends every query with the extended protocol; past prepare_threshold (and with
    // prepare=True) it prepares a named statement; a binary cursor asks for binary results.
    const script = `
import json, sys, psycopg
out = {}
with psycopg.connect(host='127.0.0.1', port=int(sys.argv[1]), user=sys.argv[2], password=sys.argv[3], dbname='postgres') as c:
    q = 'SELECT id, name, date_of_birth, ssn, ref, ext FROM patients WHERE id = %s'
    out['text'] = [str(v) for v in c.execute(q, (1,)).fetchone()]
    out['prepared'] = [[str(v) for v in c.execute(q, (1,), prepare=True).fetchone()] for _ in range(3)]
    with c.cursor(binary=True) as cur:
        out['binary'] = [str(v) for v in cur.execute(q, (1,)).fetchone()]
    out['email'] = c.execute('SELECT email FROM customers WHERE id = %s', (1,), binary=True).fetchone()[0]
print(json.dumps(out))
`;
    const { stdout } = await exec('/usr/bin/python3', ['-c', script, String(g.port), g.user, g.key], {
      timeout: 60_000,
    });
    const text = ['1', 'Ada', '[REDACTED]', '[REDACTED]', 'None', 'None'];
    expect(JSON.parse(stdout)).toEqual({
      text,
      prepared: [text, text, text],
      // Binary: a masked value of a type other than text is NULL, the only value of it a mask has.
      binary: ['1', 'Ada', 'None', 'None', 'None', 'None'],
      email: expect.stringMatching(/^\*+\.com$/),
    });
  });
});

describe('pgjdbc', () => {
  let steps: Map<string, { ok: boolean; value?: string; state?: string; error?: string }>;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-jdbc-'));
    try {
      const source = join(import.meta.dirname, 'support', 'JdbcProbe.java');
      await exec('javac', ['-d', dir, '-cp', PGJDBC, source], { timeout: 120_000 });
      const { stdout } = await exec(
        'java',
        ['-cp', `${dir}:${PGJDBC}`, 'JdbcProbe', String(g.port), g.user, g.key],
        { timeout: 120_000 },
      );
      steps = new Map(
        stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { step: string; ok: boolean })
          .map(({ step, ...rest }) => [step, rest]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('a prepared statement executed past prepareThreshold stays masked', () => {
    const values = steps.get('prepared, seven times')?.value?.split(',');
    expect(values).toHaveLength(7);
    expect(values?.join(',')).not.toMatch(/ada@|grace@/);
    expect(values?.[0]).toMatch(/^\*+\.com$/);
    expect(values?.[1]).toMatch(/^\*+\.org$/);
  });

  it('executeUpdate runs under the row limit, and is rolled back past it', () => {
    expect(steps.get('executeUpdate')).toMatchObject({ ok: true, value: '4' });
    expect(steps.get('executeUpdate in a transaction')).toMatchObject({ ok: true, value: '1' });
    expect(steps.get('executeUpdate past the row limit')).toMatchObject({
      ok: false,
      state: '42501',
      error: expect.stringContaining('INSERT affected 1500 rows, more than the limit of 1000'),
    });
  });

  it('getGeneratedKeys (RETURNING *) and a batch insert run', () => {
    expect(steps.get('generated keys')).toMatchObject({ ok: true, value: expect.stringMatching(/^\d+$/) });
    expect(steps.get('batch')).toMatchObject({ ok: true, value: '[1, 1, 1]' });
  });

  it('DatabaseMetaData and CallableStatement work', () => {
    expect(steps.get('DatabaseMetaData.getColumns')).toMatchObject({
      ok: true,
      value: 'id,name,email,password',
    });
    expect(steps.get('DatabaseMetaData.getPrimaryKeys')).toMatchObject({ ok: true, value: 'id' });
    expect(steps.get('CallableStatement')).toMatchObject({ ok: true, value: 'OK' });
  });

  it('getObject reads masked columns of other types than text as the strings they became', () => {
    // The library redacts date_of_birth and ssn whatever their types; as a date and a bigint,
    // '[REDACTED]' made getObject throw ("Bad value for type …").
    expect(steps.get('getObject on masked date and bigint columns')).toEqual({
      ok: true,
      value: '1|[REDACTED]|[REDACTED],int4|text|text',
    });
    expect(steps.get('getObject on masked columns, prepared, seven times')).toEqual({
      ok: true,
      value: Array(7).fill('[REDACTED]|[REDACTED]|null').join(','),
    });
  });

  it('DROP is refused and the connection goes on', async () => {
    expect(steps.get('DROP')).toMatchObject({ ok: false, state: '42501' });
    expect(steps.get('after the refusal')).toMatchObject({ ok: true, value: '1' });
    const direct = await g.direct();
    try {
      expect(
        (await direct.query("SELECT count(*)::int AS n FROM orders WHERE note = 'bulk'")).rows[0].n,
      ).toBe(0);
    } finally {
      await direct.end();
    }
  });
});
