/**
 * Statement text is judged as UTF-8. Under another client_encoding PostgreSQL may read the
 * same bytes differently: in SJIS, `Á\` (UTF-8 C3 81, then a backslash) is a katakana and a
 * two-byte character that swallows the backslash, so `E'Á\' ; DROP TABLE t; --'` is one
 * string literal to a UTF-8 reader and a DROP to the server. The proxy tracks the encoding
 * the server reports, refuses text that is not plain ASCII under any encoding but UTF8 (and
 * invalid UTF-8 under SQL_ASCII). A statement that ran may have changed the encoding, which
 * the server reports only at its next ReadyForQuery: such text waits for it, or is refused
 * when it could only come with the client's own Sync.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { FrontendCode, MessageWriter } from '../src/index.js';
import { type ProxyFixture, startProxyFixture } from './support/proxy-fixture.js';
import { extendedQuery, query, RawClient, sqlstate, sync } from './support/raw-client.js';

const runPsql = promisify(execFile);

/** Valid UTF-8, read by a UTF-8 reader as one SELECT of a literal; by SJIS as a SELECT and a DROP. */
const smuggled = (table: string) => `SELECT E'\u00c1\\' ; DROP TABLE ${table}; --'`;

let f: ProxyFixture;
beforeAll(async () => {
  f = await startProxyFixture();
});
afterAll(async () => {
  await f?.stop();
});

/** A raw protocol session as alice, closed after `run`. */
async function asAlice(run: (raw: RawClient) => Promise<void>): Promise<void> {
  const raw = await RawClient.connect(f.port, 'alice', 'alice-pw');
  try {
    await run(raw);
  } finally {
    raw.end();
  }
}

async function tableExists(name: string): Promise<boolean> {
  const c = await f.direct();
  try {
    const { rows } = await c.query('SELECT to_regclass($1) IS NOT NULL AS present', [name]);
    return rows[0].present === true;
  } finally {
    await c.end();
  }
}

beforeEach(async () => {
  const c = await f.direct();
  await c.query('CREATE TABLE IF NOT EXISTS victim (id int)');
  await c.end();
});

describe('client_encoding', () => {
  test('the smuggled DROP is real: straight to the server under SJIS, it drops the table', async () => {
    const c = await f.direct();
    try {
      await c.query('CREATE TABLE scratch (id int)');
      await c.query("SET client_encoding TO 'SJIS'");
      await c.query(smuggled('scratch'));
    } finally {
      await c.end();
    }
    expect(await tableExists('scratch')).toBe(false);
  });

  test('under UTF8 the same text is one literal, and non-ASCII text runs as usual', async () => {
    const c = await f.through('alice');
    try {
      const { rows } = await c.query("SELECT 'caf\u00e9' AS word");
      expect(rows).toEqual([{ word: 'caf\u00e9' }]);
      await c.query(smuggled('victim'));
    } finally {
      await c.end();
    }
    expect(await tableExists('victim')).toBe(true);
  });

  test('after SET client_encoding TO SJIS, the smuggled text is refused, and ASCII still runs', async () => {
    const c = await f.through('alice');
    try {
      await c.query("SET client_encoding TO 'SJIS'");
      await expect(c.query(smuggled('victim'))).rejects.toMatchObject({
        code: '42501',
        message: expect.stringContaining('client_encoding is SJIS'),
      });
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      // Back to UTF8, the session reads non-ASCII text again.
      await c.query("SET client_encoding TO 'UTF8'");
      expect((await c.query("SELECT 'caf\u00e9' AS word")).rows).toEqual([{ word: 'caf\u00e9' }]);
    } finally {
      await c.end();
    }
    expect(await tableExists('victim')).toBe(true);
  });

  test('in one unsynced pipeline after an Execute, non-ASCII text is refused: the SET is not reported until Sync', async () => {
    await asAlice(async (raw) => {
      const w = new MessageWriter();
      extendedQuery(w, "SET client_encoding TO 'SJIS'");
      // One statement either way; read as SJIS, it also selects from a table.
      extendedQuery(w, "SELECT E'\u00c1\\' , id FROM victim --'");
      raw.write(sync(w).flush());
      await raw.readyCount(1);
      const errors = raw.messages.filter((m) => m.type === 'E');
      expect(errors.map(sqlstate)).toEqual(['42501']);
      expect(errors[0]?.body.toString()).toContain('may not follow an Execute');
      expect(raw.messages.some((m) => m.type === 'C' && m.body.toString().startsWith('SET'))).toBe(true);
    });
  });

  test('a ReadyForQuery for an earlier Query does not vouch for one still running', async () => {
    await asAlice(async (raw) => {
      const w = new MessageWriter();
      query(w, 'SELECT 1');
      // Still running when the first ReadyForQuery comes back, and then changes the encoding.
      query(w, "SELECT pg_sleep(0.3); SET client_encoding TO 'SJIS'");
      raw.write(w.flush());
      await raw.readyCount(1);
      raw.write(query(new MessageWriter(), smuggled('victim')).flush());
      await raw.readyCount(3);
      const errors = raw.messages.filter((m) => m.type === 'E');
      expect(errors.map(sqlstate)).toEqual(['42501']);
      expect(errors[0]?.body.toString()).toContain('client_encoding is SJIS');
    });
    expect(await tableExists('victim')).toBe(true);
  });

  test('a simple Query after an unsynced Execute is refused the same way', async () => {
    await asAlice(async (raw) => {
      const w = new MessageWriter();
      extendedQuery(w, "SET client_encoding TO 'SJIS'");
      query(w, smuggled('victim'));
      raw.write(sync(w).flush());
      await raw.readyCount(2);
      const errors = raw.messages.filter((m) => m.type === 'E');
      expect(errors.map(sqlstate)).toEqual(['42501']);
      expect(errors[0]?.body.toString()).toContain('may not follow an Execute');
    });
    expect(await tableExists('victim')).toBe(true);
  });

  test('after a Sync, it waits for the server to report the encoding, then is judged under it', async () => {
    await asAlice(async (raw) => {
      const w = new MessageWriter();
      sync(extendedQuery(w, "SET client_encoding TO 'SJIS'"));
      sync(extendedQuery(w, smuggled('victim')));
      // And under UTF8 again, the same wait lets good text through.
      sync(extendedQuery(w, "SET client_encoding TO 'UTF8'"));
      sync(extendedQuery(w, "SELECT 'caf\u00e9'"));
      raw.write(w.flush());
      await raw.readyCount(4);
      const errors = raw.messages.filter((m) => m.type === 'E');
      expect(errors.map(sqlstate)).toEqual(['42501']);
      expect(errors[0]?.body.toString()).toContain('client_encoding is SJIS');
      expect(raw.messages.filter((m) => m.type === 'D')).toHaveLength(1);
    });
    expect(await tableExists('victim')).toBe(true);
  });

  test('the same in the simple protocol: two Query messages sent in one write', async () => {
    await asAlice(async (raw) => {
      const w = new MessageWriter();
      query(w, "SET client_encoding TO 'SJIS'");
      query(w, smuggled('victim'));
      raw.write(w.flush());
      await raw.readyCount(2);
      expect(raw.messages.filter((m) => m.type === 'E').map(sqlstate)).toEqual(['42501']);
    });
    expect(await tableExists('victim')).toBe(true);
  });

  test('psql started in LATIN1 has its non-ASCII text refused from the first statement', async () => {
    const run = (sql: string) =>
      runPsql(
        'psql',
        [
          '-X',
          '-A',
          '-t',
          '-v',
          'ON_ERROR_STOP=1',
          '-h',
          '127.0.0.1',
          '-p',
          String(f.port),
          '-U',
          'alice',
          '-d',
          'app',
          '-c',
          sql,
        ],
        { env: { ...process.env, PGPASSWORD: 'alice-pw', PGCLIENTENCODING: 'LATIN1' } },
      );
    await expect(run("SELECT 'caf\u00e9'")).rejects.toMatchObject({
      stderr: expect.stringContaining('client_encoding is LATIN1'),
    });
    expect((await run('SELECT 2')).stdout.trim()).toBe('2');
  });

  test('under SQL_ASCII, valid UTF-8 passes and other bytes are refused', async () => {
    await asAlice(async (raw) => {
      const w = new MessageWriter();
      query(w, "SET client_encoding TO 'SQL_ASCII'");
      query(w, "SELECT 'caf\u00e9'");
      // LATIN1's é: a byte that starts no UTF-8 sequence.
      w.begin(FrontendCode.Query)
        .bytes(Buffer.from("SELECT 'caf", 'latin1'))
        .bytes(Buffer.from([0xe9]))
        .bytes(Buffer.from("'", 'latin1'))
        .byte(0)
        .end();
      raw.write(w.flush());
      await raw.readyCount(3);
      expect(raw.messages.filter((m) => m.type === 'E').map(sqlstate)).toEqual(['42501']);
      expect(raw.messages.filter((m) => m.type === 'D')).toHaveLength(1);
    });
  });
});
