/**
 * Masks under client encodings other than UTF-8, byte for byte off the wire: COPY data in
 * LATIN1 and SJIS (where a character's second byte can be a backslash or a quote the server
 * did not escape), and a SQL_ASCII database, whose bytes the server sends unconverted whatever
 * client_encoding says.
 */

import { createEngine, REDACTED, staticEvaluator } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readDataRow, readNoticeFields } from '../src/protocol/backend-messages.js';
import { ErrorField } from '../src/protocol/message-codes.js';
import { MessageWriter } from '../src/protocol/message-writer.js';
import { charLength, clientEncoding } from '../src/proxy/text-encoding.js';
import { type ProxyFixture, startProxyFixture, USERS, withAgentMasks } from './support/proxy-fixture.js';
import { query, RawClient } from './support/raw-client.js';

const engine = createEngine({
  evaluator: staticEvaluator(withAgentMasks([{ detector: 'email', strategy: 'redact' }]), 'copy-encodings'),
});
let f: ProxyFixture;

beforeAll(async () => {
  f = await startProxyFixture({ proxy: { engine } });
  const d = await f.direct();
  // 表 (U+8868) is 0x95 0x5C in SJIS; ポ (U+30DD) is 0x83 0x7C.
  await d.query(`
    CREATE TABLE notes (note text, email text);
    INSERT INTO notes VALUES ('表 ada@example.com', 'x'), ('表', 'grace@example.org');
    CREATE TABLE kana (note text, email text);
    INSERT INTO kana VALUES ('ポ', 'ada@example.com');
  `);
  await d.query("CREATE DATABASE legacy ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
  await d.end();
});
afterAll(async () => {
  await f?.stop();
  await engine.close();
});

const latin1 = (s: string) => Buffer.from(s, 'latin1');
const SJIS_HYO = Buffer.from([0x95, 0x5c]);
const SJIS_PO = Buffer.from([0x83, 0x7c]);

/** After `setup`, what `sql` sends the agent: its rows' values, COPY data, and error message bytes. */
async function asAgent(
  setup: string[],
  sql: string,
  database = 'app',
): Promise<{ rows: (Buffer | null)[][]; copy: Buffer; error: Buffer | undefined }> {
  const raw = await RawClient.connect(f.port, 'agent', USERS.agent.password, database);
  try {
    for (const s of setup) {
      raw.write(query(new MessageWriter(), s).flush());
      await raw.readyCount(1);
      const failed = raw.messages.find((m) => m.type === 'E');
      if (failed) throw new Error(`${s}: ${readNoticeFields(failed.body).get(ErrorField.Message)}`);
      raw.messages.length = 0;
    }
    raw.write(query(new MessageWriter(), sql).flush());
    await raw.readyCount(1);
    const error = raw.messages.find((m) => m.type === 'E');
    return {
      rows: raw.messages.filter((m) => m.type === 'D').map((m) => readDataRow(m.body)),
      copy: Buffer.concat(raw.messages.filter((m) => m.type === 'd').map((m) => m.body)),
      error: error && messageBytes(error.body),
    };
  } finally {
    raw.end();
  }
}

/** The M field of an ErrorResponse, as bytes. */
function messageBytes(body: Buffer): Buffer {
  for (let at = 0; at < body.length && body[at] !== 0; ) {
    const end = body.indexOf(0, at + 1);
    if (body[at] === ErrorField.Message) return body.subarray(at + 1, end);
    at = end + 1;
  }
  throw new Error('no message field');
}

describe('COPY data under LATIN1', () => {
  // é, ü and ß from chr(): statement text that is not ASCII is refused under LATIN1.
  const value = "'from jos' || chr(233) || '@example.com, Gr' || chr(252) || chr(223) || 'e'";
  const masked = latin1(`from ${REDACTED}, Gr\xfc\xdfe`);

  test('text format: an address with a LATIN1 letter is masked whole; the other bytes as sent', async () => {
    const { copy } = await asAgent(
      ["SET client_encoding TO 'LATIN1'"],
      `COPY (SELECT ${value}, 1) TO STDOUT`,
    );
    expect(copy.toString('hex')).toBe(Buffer.concat([masked, latin1('\t1\n')]).toString('hex'));
  });

  test('CSV: the same, quoted as the server quoted it', async () => {
    const { copy } = await asAgent(
      ["SET client_encoding TO 'LATIN1'"],
      `COPY (SELECT ${value}, 1) TO STDOUT WITH (FORMAT csv)`,
    );
    expect(copy.toString('hex')).toBe(Buffer.concat([latin1('"'), masked, latin1('",1\n')]).toString('hex'));
  });
});

describe("COPY … (ENCODING 'UTF8') under LATIN1", () => {
  test('the data is UTF-8 whatever client_encoding says, and is read so', async () => {
    const value = "'from jos' || chr(233) || '@example.com, Gr' || chr(252) || chr(223) || 'e'";
    for (const format of ['text', 'csv']) {
      const { copy, error } = await asAgent(
        ["SET client_encoding TO 'LATIN1'"],
        `COPY (SELECT ${value}) TO STDOUT (FORMAT ${format}, ENCODING 'UTF8')`,
      );
      expect(error?.toString()).toBeUndefined();
      const quote = format === 'csv' ? '"' : '';
      expect(copy.toString('hex')).toBe(
        Buffer.from(`${quote}from ${REDACTED}, Grüße${quote}\n`).toString('hex'),
      );
    }
  });

  test('a COPY that cannot be planned, which would be scanned in the session encoding, is refused', async () => {
    const { copy, error } = await asAgent(
      ["SET client_encoding TO 'LATIN1'", "CREATE TEMP TABLE scratch AS SELECT 'ada@example.com' AS v"],
      "COPY scratch TO STDOUT (ENCODING 'UTF8')",
    );
    expect(error?.toString()).toMatch(/masks cannot be applied to this COPY/);
    expect(copy.length).toBe(0);
  });
});

describe('COPY data under SJIS', () => {
  test('text format: a backslash that is half of 表 is neither an escape nor escaped', async () => {
    const { copy, error } = await asAgent(["SET client_encoding TO 'SJIS'"], 'COPY notes TO STDOUT');
    expect(error?.toString()).toBeUndefined();
    const expected = Buffer.concat([
      SJIS_HYO,
      latin1(` ${REDACTED}\tx\n`),
      SJIS_HYO,
      latin1(`\t${REDACTED}\n`),
    ]);
    expect(copy.toString('hex')).toBe(expected.toString('hex'));
  });

  test('CSV with QUOTE |: the | that is half of ポ does not open a quoted value', async () => {
    const { copy, error } = await asAgent(
      ["SET client_encoding TO 'SJIS'"],
      "COPY kana TO STDOUT WITH (FORMAT csv, QUOTE '|')",
    );
    expect(error?.toString()).toBeUndefined();
    expect(copy.toString('hex')).toBe(Buffer.concat([SJIS_PO, latin1(`,${REDACTED}\n`)]).toString('hex'));
  });
});

describe('a SQL_ASCII database holding LATIN1 bytes', () => {
  const value = "'caf' || chr(233) || ' jos' || chr(233) || '@example.com'";
  const masked = latin1(`caf\xe9 ${REDACTED}`);

  test('client_encoding SQL_ASCII: a row value, COPY data and an error, each masked whole', async () => {
    const setup = ["SET client_encoding TO 'SQL_ASCII'"];
    const row = await asAgent(setup, `SELECT ${value} AS v`, 'legacy');
    expect(row.rows[0]?.[0]?.toString('hex')).toBe(masked.toString('hex'));
    const copy = await asAgent(setup, `COPY (SELECT ${value}) TO STDOUT`, 'legacy');
    expect(copy.copy.toString('hex')).toBe(Buffer.concat([masked, latin1('\n')]).toString('hex'));
    const error = await asAgent(setup, `SELECT (${value})::int`, 'legacy');
    expect(error.error?.toString('hex')).toBe(
      latin1(`invalid input syntax for type integer: "caf\xe9 ${REDACTED}"`).toString('hex'),
    );
    // Under any other client_encoding the server checks its output: UTF8 gets an error.
    const checked = await asAgent(["SET client_encoding TO 'UTF8'"], `SELECT ${value} AS v`, 'legacy');
    expect(checked.error?.toString()).toMatch(/invalid byte sequence for encoding "UTF8"/);
  });

  test('a value that is valid UTF-8 is read as UTF-8', async () => {
    // Statement text that is valid UTF-8 is judged under SQL_ASCII, and stored as it came.
    const sql = "SELECT 'café josé@example.com' AS v";
    const { rows } = await asAgent(["SET client_encoding TO 'SQL_ASCII'"], sql, 'legacy');
    expect(rows[0]?.[0]?.toString('utf8')).toBe(`café ${REDACTED}`);
  });
});

describe('characters of multi-byte encodings, grouped as the server groups them', () => {
  test.each([
    'SJIS',
    'SHIFT_JIS_2004',
    'BIG5',
    'GBK',
    'UHC',
    'GB18030',
    'JOHAB',
    'EUC_JP',
    'EUC_JIS_2004',
    'EUC_KR',
    'EUC_CN',
    'EUC_TW',
  ])('%s', async (encoding) => {
    const d = await f.direct();
    try {
      await d.query(`CREATE OR REPLACE FUNCTION try_convert(c text, enc name) RETURNS bytea
        LANGUAGE plpgsql AS $$ BEGIN RETURN convert_to(c, enc); EXCEPTION WHEN others THEN RETURN NULL; END $$`);
      // Every character the encoding has among a sample of code points, one after another.
      const { rows } = await d.query(
        `SELECT b FROM (SELECT try_convert(chr(n), $1) AS b
           FROM (SELECT generate_series(128, 65535, 3) UNION ALL SELECT generate_series(65536, 1114111, 997)) g(n)
           WHERE n NOT BETWEEN 55296 AND 57343) s
         WHERE b IS NOT NULL ORDER BY b`,
        [encoding],
      );
      // Where PostgreSQL's own grouping differs from the encoding's, the server's is followed
      // (it is what its COPY escaping skips by): JOHAB's 0x8F leads three bytes there, and
      // EUC_JIS_2004's C1 controls, one byte, lead two. Those are left out.
      const chars = rows
        .map((r: { b: Buffer }) => r.b)
        .filter(
          (b: Buffer) =>
            !(encoding === 'JOHAB' && b[0] === 0x8f) && !(encoding === 'EUC_JIS_2004' && b.length === 1),
        );
      expect(chars.length).toBeGreaterThan(1000);
      const data = Buffer.concat(chars);
      const { multiByte } = clientEncoding(encoding);
      const lengths: number[] = [];
      for (let at = 0; at < data.length; at += lengths.at(-1) as number)
        lengths.push(charLength(multiByte, data, at));
      expect(lengths).toEqual(chars.map((c) => c.length));
    } finally {
      await d.end();
    }
  });
});
