/**
 * Detector masks on binary-format values whose text sits inside a layout: arrays, composites,
 * anonymous records, ranges, network addresses, and types of extensions and of the user's
 * (citext, hstore, enums, domains). A driver that asks for binary results (psycopg 3's binary cursors,
 * node-postgres with `binary`) must get what a text result would show, masked, in a value
 * its type still decodes: each masked value is held byte for byte to the server's own binary
 * form of the masked value, read on a direct connection.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createEngine, REDACTED, staticEvaluator } from '@portcullis/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readDataRow, readNoticeFields } from '../src/protocol/backend-messages.js';
import { ErrorField } from '../src/protocol/message-codes.js';
import { MessageWriter } from '../src/protocol/message-writer.js';
import { inetText } from '../src/proxy/binary-values.js';
import { type ProxyFixture, startProxyFixture, USERS, withAgentMasks } from './support/proxy-fixture.js';
import { psqlBytes } from './support/psql.js';
import { binaryRow, query, RawClient } from './support/raw-client.js';

const exec = promisify(execFile);

/** Agents' statements have e-mail addresses, card numbers and IPv4 addresses masked. */
const policy = withAgentMasks([
  { detector: 'email', strategy: 'redact' },
  { detector: 'credit_card', strategy: 'partial', keep: 4 },
  { detector: 'ipv4', strategy: 'redact' },
]);

const engine = createEngine({ evaluator: staticEvaluator(policy, 'binary-values') });
let f: ProxyFixture;

beforeAll(async () => {
  f = await startProxyFixture({ proxy: { engine } });
  const d = await f.direct();
  await d.query(`
    CREATE EXTENSION citext;
    CREATE EXTENSION hstore;
    CREATE TYPE contact AS (label text, addr text); -- no field named as a masked column
    CREATE TYPE mood AS ENUM ('calm', 'ada@example.com');
    CREATE DOMAIN address AS text;
    CREATE TYPE card_range AS RANGE (subtype = numeric);
    CREATE TABLE cards (id int, c contact, many contact[], ce citext, cea citext[], m mood,
                        da address[], h hstore, words tsvector);
    INSERT INTO cards VALUES (1, ROW('home', 'ada@example.com'),
      ARRAY[ROW('work', 'ada@work.example'), ROW('plain', 'nothing here')]::contact[],
      'Ada@Example.com', ARRAY['ada@example.com', NULL]::citext[], 'ada@example.com',
      ARRAY['grace@example.org']::address[], 'e=>ada@example.com', 'ada@example.com');
  `);
  await d.end();
});
afterAll(async () => {
  await f?.stop();
  await engine.close();
});

/** A client that asks for every result column in binary and gets each value's raw bytes. */
async function binaryClient(config: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client({
    ...config,
    binary: true,
    types: { getTypeParser: () => (v: string | Buffer) => Buffer.from(v as Buffer).toString('hex') },
  } as pg.ClientConfig);
  await c.connect();
  return c;
}

function agentConfig(): pg.ClientConfig {
  return { host: '127.0.0.1', port: f.port, user: 'agent', password: USERS.agent.password, database: 'app' };
}

/**
 * The binary form of `sql`'s one value `v` as the proxy sends it to `user` (hex; null for
 * NULL), read off the wire: node-postgres decodes binary values as UTF-8, losing bytes.
 */
async function binaryThrough(sql: string, user: 'agent' | 'alice' = 'agent'): Promise<string | null> {
  const [v] = await binaryRow(f.port, user, USERS[user].password, sql);
  return v === null || v === undefined ? null : v.toString('hex');
}

/** The binary form of `sql`'s one value `v` as the server writes it: its type's send function's bytes. */
async function binaryOf(sql: string): Promise<string | null> {
  const d = await f.direct();
  try {
    const t = await d.query(
      `SELECT t.typsend::text AS send FROM (${sql}) s, pg_type t WHERE t.oid = pg_typeof(s.v)`,
    );
    const r = await d.query(`SELECT encode(${t.rows[0].send}(v), 'hex') AS v FROM (${sql}) s`);
    return r.rows[0].v;
  } finally {
    await d.end();
  }
}

describe('binary values with text inside, under detector masks', () => {
  test.each([
    [
      'a text[] with a NULL element',
      "SELECT ARRAY['ada@example.com', NULL, 'plain']::text[] AS v",
      `SELECT ARRAY['${REDACTED}', NULL, 'plain']::text[] AS v`,
    ],
    [
      'a two-dimensional varchar[] with a lower bound',
      "SELECT '[0:1][1:2]={{a,ada@example.com},{grace@example.org,b}}'::varchar[] AS v",
      `SELECT '[0:1][1:2]={{a,${REDACTED}},{${REDACTED},b}}'::varchar[] AS v`,
    ],
    [
      'an anonymous record',
      "SELECT ROW('x', 'ada@example.com', 5, '{\"to\": \"ada@example.com\"}'::jsonb) AS v",
      `SELECT ROW('x', '${REDACTED}', 5, '{"to": "${REDACTED}"}'::jsonb) AS v`,
    ],
    [
      "a composite column of the user's type",
      'SELECT c AS v FROM cards',
      `SELECT ROW('home', '${REDACTED}')::contact AS v`,
    ],
    [
      'an array of composites, one of them clean',
      'SELECT many AS v FROM cards',
      `SELECT ARRAY[ROW('work', '${REDACTED}'), ROW('plain', 'nothing here')]::contact[] AS v`,
    ],
    [
      'a citext column (an extension type sent as text)',
      'SELECT ce AS v FROM cards',
      `SELECT '${REDACTED}'::citext AS v`,
    ],
    ['a citext[] column', 'SELECT cea AS v FROM cards', `SELECT ARRAY['${REDACTED}', NULL]::citext[] AS v`],
    [
      'an enum label (no mask is a label of the type: NULL)',
      'SELECT m AS v FROM cards',
      'SELECT NULL::mood AS v',
    ],
    [
      'an enum[] with such a label',
      "SELECT ARRAY['calm', 'ada@example.com']::mood[] AS v",
      "SELECT ARRAY['calm', NULL]::mood[] AS v",
    ],
    [
      'an array of a domain over text',
      'SELECT da AS v FROM cards',
      `SELECT ARRAY['${REDACTED}']::address[] AS v`,
    ],
    [
      'a card number in an int8[] (its element becomes NULL)',
      'SELECT ARRAY[4111111111111111, 42]::int8[] AS v',
      'SELECT ARRAY[NULL, 42]::int8[] AS v',
    ],
    [
      'a card number in a numeric[]',
      'SELECT ARRAY[4111111111111111.0, 1.5]::numeric[] AS v',
      'SELECT ARRAY[NULL, 1.5]::numeric[] AS v',
    ],
    ['an IPv4 address in an inet', "SELECT '10.1.2.3'::inet AS v", 'SELECT NULL::inet AS v'],
    [
      'IPv4 networks in a cidr[]',
      "SELECT ARRAY['10.1.0.0/16', NULL]::cidr[] AS v",
      'SELECT ARRAY[NULL, NULL]::cidr[] AS v',
    ],
    [
      'a card number as a range bound (the range becomes NULL)',
      "SELECT '[4111111111111111,4111111111111112)'::card_range AS v",
      'SELECT NULL::card_range AS v',
    ],
    [
      'a multirange with such a range',
      "SELECT '{[1,2), [4111111111111111,4111111111111112)}'::int8multirange AS v",
      'SELECT NULL::int8multirange AS v',
    ],
    ['an hstore column', 'SELECT h AS v FROM cards', `SELECT 'e=>${REDACTED}'::hstore AS v`],
    [
      'an hstore with a NULL value',
      "SELECT 'e=>ada@example.com, k=>plain, n=>NULL'::hstore AS v",
      `SELECT 'e=>${REDACTED}, k=>plain, n=>NULL'::hstore AS v`,
    ],
    [
      'a tsvector with an address as a lexeme (NULL: a masked lexeme would break its order)',
      'SELECT words AS v FROM cards',
      'SELECT NULL::tsvector AS v',
    ],
    [
      'a tsquery with an address as an operand',
      "SELECT to_tsquery('simple', 'plain & ada@example.com') AS v",
      'SELECT NULL::tsquery AS v',
    ],
  ])('%s', async (_name, sql, expected) => {
    const [through, want, clear] = await Promise.all([binaryThrough(sql), binaryOf(expected), binaryOf(sql)]);
    expect(clear).not.toBe(want);
    expect(through).toBe(want);
  });

  test.each([
    ['an int4range', "SELECT '[1,10)'::int4range AS v"],
    ['an inet that is not IPv4', "SELECT '2001:db8::1'::inet AS v"],
    ['a clean text[]', "SELECT ARRAY['plain', NULL]::text[] AS v"],
    ['a clean record', "SELECT ROW(1, 'plain', now()::date) AS v"],
    ['a uuid[]', "SELECT ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']::uuid[] AS v"],
    ['a tsvector', "SELECT to_tsvector('simple', 'plain words, nothing else') AS v"],
    ['a tsquery', "SELECT to_tsquery('simple', 'plain <-> words & !else:*') AS v"],
  ])('%s with nothing to mask goes out as the server sent it', async (_name, sql) => {
    const [through, clear] = await Promise.all([binaryThrough(sql), binaryOf(sql)]);
    expect(through).toBe(clear);
  });

  test('an address with letters of other scripts is masked whole, in text and in binary', async () => {
    const sql = "SELECT 'from josé.garcía@exämple.de, ивана@пример.рф' AS v";
    const text = await f.through('agent');
    try {
      expect((await text.query(sql)).rows[0].v).toBe(`from ${REDACTED}, ${REDACTED}`);
    } finally {
      await text.end();
    }
    expect(await binaryThrough(sql)).toBe(Buffer.from(`from ${REDACTED}, ${REDACTED}`).toString('hex'));
  });

  test('under client_encoding LATIN1 such an address is masked whole, and the other bytes come as sent', async () => {
    // ASCII statement text (non-ASCII text is refused under LATIN1); é, ü and ß from chr().
    const sql = "SELECT 'from jos' || chr(233) || '@example.com, Gr' || chr(252) || chr(223) || 'e' AS v";
    const expected = Buffer.concat([
      Buffer.from(`from ${REDACTED}, Gr`),
      Buffer.from([0xfc, 0xdf]),
      Buffer.from('e'),
    ]);
    const raw = await RawClient.connect(f.port, 'agent', USERS.agent.password);
    try {
      raw.write(query(new MessageWriter(), "SET client_encoding TO 'LATIN1'").flush());
      await raw.readyCount(1);
      raw.messages.length = 0;
      raw.write(query(new MessageWriter(), sql).flush());
      await raw.readyCount(1);
      const row = raw.messages.find((m) => m.type === 'D');
      expect(readDataRow((row as { body: Buffer }).body)[0]?.toString('hex')).toBe(expected.toString('hex'));
    } finally {
      raw.end();
    }
    const [binary] = await binaryRow(
      f.port,
      'agent',
      USERS.agent.password,
      sql,
      "SET client_encoding TO 'LATIN1'",
    );
    expect(binary?.toString('hex')).toBe(expected.toString('hex'));
  });

  test('under LATIN1 an error quoting such an address has it masked, and its other bytes as sent', async () => {
    const raw = await RawClient.connect(f.port, 'agent', USERS.agent.password);
    try {
      raw.write(query(new MessageWriter(), "SET client_encoding TO 'LATIN1'").flush());
      await raw.readyCount(1);
      raw.messages.length = 0;
      // invalid input syntax for type integer: "Grüße josé@example.com"
      const sql = "SELECT ('Gr' || chr(252) || chr(223) || 'e jos' || chr(233) || '@example.com')::int";
      raw.write(query(new MessageWriter(), sql).flush());
      await raw.readyCount(1);
      const error = raw.messages.find((m) => m.type === 'E') as { body: Buffer };
      const message = readNoticeFields(error.body, 'latin1').get(ErrorField.Message);
      expect(message).toBe(`invalid input syntax for type integer: "Gr\u00fc\u00dfe ${REDACTED}"`);
      // The field's bytes are LATIN1: ü and ß one byte each, as the server sent them.
      expect(error.body.includes(Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65]))).toBe(true);
    } finally {
      raw.end();
    }
  });

  test('a human without detector masks gets every value as the server sent it', async () => {
    const sql = 'SELECT ROW(c, many, ce, h) AS v FROM cards';
    const [through, clear] = await Promise.all([binaryThrough(sql, 'alice'), binaryOf(sql)]);
    expect(through).toBe(clear);
  });
});

/**
 * Run `body` while a lookup of a result's types would time out: it reads pg_range (for range
 * types), which another session holds locked; the client's own statement does not, and the
 * names it reads are looked up (for the decision) by a first statement before the lock.
 */
async function withTypeLookupBlocked(client: pg.Client, body: () => Promise<void>): Promise<void> {
  await client.query({ text: 'SELECT ce::text AS v FROM cards', queryMode: 'extended' } as pg.QueryConfig);
  const locker = await f.direct();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE pg_catalog.pg_range IN ACCESS EXCLUSIVE MODE');
    await body();
  } finally {
    await locker.query('ROLLBACK').catch(() => {});
    await locker.end();
  }
}

/** The one value of a binary result, read as text (null for NULL). */
function textOf(r: pg.QueryResult): string | null {
  const v = r.rows[0].v as string | null;
  return v === null ? null : Buffer.from(v, 'hex').toString();
}

describe('types the catalog cannot tell in time', () => {
  test('their values are NULL, and the next run looks them up again', async () => {
    const { port } = await f.anotherProxy({ upstream: { ...f.upstream, catalogTimeoutMs: 400 } });
    const agent = await binaryClient({ ...agentConfig(), port });
    const sql = { text: 'SELECT ce AS v FROM cards', queryMode: 'extended' } as pg.QueryConfig;
    try {
      await withTypeLookupBlocked(agent, async () => {
        expect(textOf(await agent.query(sql))).toBeNull();
      });
      expect(textOf(await agent.query(sql))).toBe(REDACTED);
    } finally {
      await agent.end();
    }
  });
});

describe("a database's types, shared by the proxy's sessions", () => {
  test("a session reads a type another session's result looked up, with no lookup of its own", async () => {
    const { port } = await f.anotherProxy({ upstream: { ...f.upstream, catalogTimeoutMs: 400 } });
    const sql = { text: 'SELECT ce AS v FROM cards', queryMode: 'extended' } as pg.QueryConfig;
    const first = await binaryClient({ ...agentConfig(), port });
    expect(textOf(await first.query(sql))).toBe(REDACTED);
    await first.end();
    const second = await binaryClient({ ...agentConfig(), port });
    try {
      // A lookup of the type now would time out, and its values be NULL (see above).
      await withTypeLookupBlocked(second, async () => {
        expect(textOf(await second.query(sql))).toBe(REDACTED);
      });
    } finally {
      await second.end();
    }
  });
});

describe('binary COPY', () => {
  test("a table's columns of array, domain and extension types are masked inside", async () => {
    const through = await psqlBytes({ port: f.port, user: 'agent', password: USERS.agent.password }, [
      'COPY cards (cea, da, ce, id) TO STDOUT (FORMAT binary)',
    ]);
    const { host, port, user, password } = f.server;
    const expected = await psqlBytes({ host, port, user, password }, [
      `COPY (SELECT ARRAY['${REDACTED}', NULL]::citext[], ARRAY['${REDACTED}']::address[], '${REDACTED}'::citext, 1) ` +
        'TO STDOUT (FORMAT binary)',
    ]);
    expect(through.stdout.toString('hex')).toBe(expected.stdout.toString('hex'));
  });
});

describe("psycopg 3's binary cursor (Debian's python3-psycopg)", () => {
  test('reads masked arrays, records and citext as their types', async () => {
    const script = `
import json, sys, psycopg
with psycopg.connect(host='127.0.0.1', port=int(sys.argv[1]), user='agent', password=sys.argv[2], dbname='app') as c:
    with c.cursor(binary=True) as cur:
        row = cur.execute("SELECT ARRAY['ada@example.com', 'plain']::text[], ROW('x'::text, 'ada@example.com'::text, 7), ce::text, ARRAY[4111111111111111, 42]::int8[] FROM cards").fetchone()
    print(json.dumps([row[0], list(row[1]), row[2], row[3]]))
`;
    const { stdout } = await exec('/usr/bin/python3', ['-c', script, String(f.port), USERS.agent.password], {
      timeout: 30_000,
    });
    expect(JSON.parse(stdout)).toEqual([[REDACTED, 'plain'], ['x', REDACTED, 7], REDACTED, [null, 42]]);
  });
});

describe('inetText', () => {
  test('writes every address as the server does (inet_out, cidr_out)', async () => {
    const d = await f.direct();
    try {
      const { rows } = await d.query<{ bytes: Buffer; text: string }>(`
        SELECT inet_send(a) AS bytes, format('%s', a) AS text FROM unnest(ARRAY[
          '10.1.2.3', '10.1.2.3/8', '0.0.0.0', '255.255.255.255/32', '::', '::1', '1::', '2001:db8::1',
          '2001:db8:0:0:1:0:0:1', '1:0:0:2:0:0:0:3', '::ffff:1.2.3.4', '::1.2.3.4', '::0.0.1.2',
          'fe80::1/64', '1:2:3:4:5:6:7:8', '0:0:0:0:0:1:0:0', '2001:db8::/128'
        ]::inet[]) a
        UNION ALL
        SELECT cidr_send(c), format('%s', c) FROM unnest(ARRAY['10.0.0.0/8', '10.1.2.3/32', '2001:db8::/32', '::/0']::cidr[]) c`);
      for (const { bytes, text } of rows) expect(inetText(bytes, 0, bytes.length)).toBe(text);
    } finally {
      await d.end();
    }
  });
});
