/**
 * Data that reaches the client outside result rows: NOTIFY payloads (NotificationResponse),
 * reported parameters (ParameterStatus), and the text of errors and notices. An agent must not
 * read a masked column, or a card number, through `pg_notify`, `set_config`, a failed cast or a
 * RAISE instead of a SELECT list.
 */

import { createEngine, REDACTED, staticEvaluator } from '@portcullis/core';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ProxyFixture, startProxyFixture, withAgentMasks } from './support/proxy-fixture.js';

const CARD = '4111 1111 1111 1111';

/** The test policy; agents' statements also scan every value for card numbers. */
const policy = withAgentMasks([{ detector: 'credit_card', strategy: 'partial', keep: 4 }]);

const engine = createEngine({ evaluator: staticEvaluator(policy, 'side-channels') });
let f: ProxyFixture;
let maskingPort: number;
/** Ada's email as the agent sees it in a result row (users.email keeps its last characters). */
let adaMasked: string;
/**
 * A value that carries it outside a row is not the column's value (a payload, a setting, a
 * message may hold more), so it keeps no part of it: masked whole.
 */
const carriedMasked = REDACTED;

beforeAll(async () => {
  f = await startProxyFixture({ proxy: { engine } });
  maskingPort = (await f.anotherProxy({ unresolvedColumns: 'mask' })).port;
  const agent = await f.through('agent');
  adaMasked = (await agent.query('SELECT email FROM users WHERE id = 1')).rows[0].email;
  await agent.end();
  expect(adaMasked).not.toContain('ada@');
  expect(adaMasked).toMatch(/^\*+\.com$/);
});
afterAll(async () => {
  await f?.stop();
  await engine.close();
});

function nextNotification(client: pg.Client): Promise<pg.Notification> {
  return new Promise((resolve) => client.once('notification', resolve));
}

/** Parameter values the server reports to this client from now on. */
function reportedParameters(client: pg.Client): Map<string, string> {
  const seen = new Map<string, string>();
  const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
  connection.on('parameterStatus', (m: { parameterName: string; parameterValue: string }) =>
    seen.set(m.parameterName, m.parameterValue),
  );
  return seen;
}

describe('NOTIFY payloads', () => {
  test("another session's NOTIFY reaches an idle agent with its card number masked", async () => {
    const agent = await f.through('agent');
    const direct = await f.direct();
    try {
      await agent.query('LISTEN orders');
      const arrived = nextNotification(agent);
      await direct.query(`NOTIFY orders, 'paid with ${CARD}'`);
      const n = await arrived;
      expect(n.channel).toBe('orders');
      expect(n.payload).not.toContain(CARD);
      expect(n.payload).toMatch(/^paid with .*1111$/);
    } finally {
      await agent.end();
      await direct.end();
    }
  });

  test('a human listening on the same channel gets the payload as sent', async () => {
    const alice = await f.through('alice');
    const direct = await f.direct();
    try {
      await alice.query('LISTEN orders');
      const arrived = nextNotification(alice);
      await direct.query(`NOTIFY orders, 'paid with ${CARD}'`);
      expect((await arrived).payload).toBe(`paid with ${CARD}`);
    } finally {
      await alice.end();
      await direct.end();
    }
  });

  test('pg_notify of a masked column: the result is withheld, and the payload is masked as the column', async () => {
    const agent = await f.through('agent');
    try {
      await agent.query('LISTEN leak');
      const arrived = nextNotification(agent);
      await expect(agent.query("SELECT pg_notify('leak', email) FROM users WHERE id = 1")).rejects.toThrow(
        /permission denied/,
      );
      const n = await arrived;
      expect(n.payload).not.toContain('ada@example.com');
      expect(n.payload).toBe(carriedMasked);
    } finally {
      await agent.end();
    }
  });

  test('with unresolvedColumns "mask", the same, through the extended protocol', async () => {
    const agent = await f.through('agent', undefined, { port: maskingPort });
    try {
      await agent.query('LISTEN leak');
      const arrived = nextNotification(agent);
      await agent.query({
        text: 'SELECT pg_notify($1, email) FROM users WHERE id = $2',
        values: ['leak', 1],
      });
      expect((await arrived).payload).toBe(carriedMasked);
    } finally {
      await agent.end();
    }
  });

  test('in a transaction the payload goes out at COMMIT, and is still masked as the column', async () => {
    const agent = await f.through('agent', undefined, { port: maskingPort });
    try {
      await agent.query('LISTEN leak');
      let delivered: string | undefined;
      agent.on('notification', (n) => {
        delivered = n.payload;
      });
      await agent.query('BEGIN');
      await agent.query("SELECT pg_notify('leak', email) FROM users WHERE id = 1");
      await agent.query('SELECT 1');
      expect(delivered).toBeUndefined();
      await agent.query('COMMIT');
      expect(delivered).toBe(carriedMasked);
      // The transaction is over: a plain payload afterwards is the text sent.
      const arrived = nextNotification(agent);
      await agent.query("NOTIFY leak, 'done'");
      expect((await arrived).payload).toBe('done');
    } finally {
      await agent.end();
    }
  });

  test('past 32 distinct statements in a transaction, a payload is masked as if any could carry', async () => {
    const agent = await f.through('agent', undefined, { port: maskingPort });
    try {
      await agent.query('LISTEN plain');
      let delivered: string | undefined;
      agent.on('notification', (n) => {
        delivered = n.payload;
      });
      await agent.query('BEGIN');
      // Each names no masked column; the 33rd does not fit, and they stand as one unknown.
      // (Distinct in their words, not only their numbers: texts that differ only in numbers
      // are one statement to the native lane, which notes them once.)
      for (let i = 1; i <= 33; i++) await agent.query(`SELECT id AS n${i} FROM users WHERE id = ${i} + 0`);
      await agent.query("NOTIFY plain, 'build 42 done'");
      await agent.query('COMMIT');
      expect(delivered).toBeDefined();
      expect(delivered).not.toBe('build 42 done');
    } finally {
      await agent.end();
    }
  });

  test('a payload the statement cannot have carried a masked column into keeps its text', async () => {
    const agent = await f.through('agent');
    try {
      await agent.query('LISTEN plain');
      const arrived = nextNotification(agent);
      await agent.query("NOTIFY plain, 'build 42 done'");
      expect((await arrived).payload).toBe('build 42 done');
    } finally {
      await agent.end();
    }
  });
});

describe('reported parameters', () => {
  test('set_config of a masked column reports the value masked as the column', async () => {
    const agent = await f.through('agent', undefined, { port: maskingPort });
    try {
      const seen = reportedParameters(agent);
      await agent.query("SELECT set_config('application_name', email, false) FROM users WHERE id = 1");
      expect(seen.get('application_name')).toBe(carriedMasked);
    } finally {
      await agent.end();
    }
  });

  test('a card number set as application_name is reported masked; a human sees it as set', async () => {
    const agent = await f.through('agent');
    const alice = await f.through('alice');
    try {
      const agentSeen = reportedParameters(agent);
      const aliceSeen = reportedParameters(alice);
      await agent.query(`SET application_name = '${CARD}'`);
      await alice.query(`SET application_name = '${CARD}'`);
      expect(agentSeen.get('application_name')).toMatch(/^[^0-9]*[^1]*1111$/);
      expect(agentSeen.get('application_name')).not.toBe(CARD);
      expect(aliceSeen.get('application_name')).toBe(CARD);
    } finally {
      await agent.end();
      await alice.end();
    }
  });

  test('parameters drivers parse pass unchanged, and the session keeps working', async () => {
    const agent = await f.through('agent');
    try {
      const seen = reportedParameters(agent);
      await agent.query("SET DateStyle = 'ISO, DMY'");
      await agent.query("SET client_encoding = 'UTF8'");
      expect(seen.get('DateStyle')).toBe('ISO, DMY');
      expect((await agent.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await agent.end();
    }
  });
});

describe('errors and notices', () => {
  test('a cast error quoting a masked column is masked as the column; its SQLSTATE stays', async () => {
    const agent = await f.through('agent');
    try {
      const err = await agent.query('SELECT id FROM users WHERE email::int = 1').catch((e) => e);
      expect(err.code).toBe('22P02');
      expect(err.message).not.toMatch(/ada@|grace@/);
      expect(err.message).toBe(carriedMasked);
      // The session goes on.
      expect((await agent.query('SELECT count(*)::int AS n FROM users')).rows).toEqual([{ n: 2 }]);
    } finally {
      await agent.end();
    }
  });

  test('the same error reaches a human as the server wrote it', async () => {
    const alice = await f.through('alice');
    try {
      const err = await alice.query('SELECT id FROM users WHERE email::int = 1 ORDER BY id').catch((e) => e);
      expect(err.message).toMatch(
        /invalid input syntax for type integer: "(ada@example\.com|grace@example\.org)"/,
      );
    } finally {
      await alice.end();
    }
  });

  test('through the extended protocol too', async () => {
    const agent = await f.through('agent');
    try {
      const err = await agent
        .query({ text: 'SELECT id FROM users WHERE email::int = $1', values: [1] })
        .catch((e) => e);
      expect(err.code).toBe('22P02');
      expect(err.message).not.toMatch(/ada@|grace@/);
    } finally {
      await agent.end();
    }
  });

  test('an error naming no masked column keeps its text', async () => {
    const agent = await f.through('agent');
    try {
      const err = await agent.query("SELECT id FROM users WHERE name::int = 1 AND id = 'x'").catch((e) => e);
      expect(err.message).toBe('invalid input syntax for type integer: "x"');
    } finally {
      await agent.end();
    }
  });

  test('a RAISE NOTICE of a masked column from a DO block is masked', async () => {
    const agent = await f.through('agent');
    try {
      const notices: string[] = [];
      agent.on('notice', (n) => notices.push(n.message ?? ''));
      await agent
        .query("DO $$ BEGIN RAISE NOTICE '%', (SELECT email FROM users WHERE id = 1); END $$")
        .catch(() => undefined);
      expect(notices.join('\n')).not.toContain('ada@example.com');
    } finally {
      await agent.end();
    }
  });
});

describe('planner statistics', () => {
  // ANALYZE keeps sample values of every column (most common values, histogram bounds), and
  // extended statistics their own most common combinations.
  beforeAll(async () => {
    const d = await f.direct();
    await d.query(`
      CREATE STATISTICS users_mcv (mcv) ON name, email FROM users;
      ANALYZE users;
      CREATE VIEW my_stats AS SELECT tablename, attname, histogram_bounds::text AS bounds FROM pg_stats;
    `);
    await d.end();
  });

  const cases = [
    ['pg_stats', "SELECT histogram_bounds FROM pg_stats WHERE tablename = 'users' AND attname = 'email'"],
    [
      'pg_stats, cast',
      "SELECT histogram_bounds::text AS b FROM pg_stats WHERE tablename = 'users' AND attname = 'email'",
    ],
    ['a view over pg_stats', "SELECT bounds FROM my_stats WHERE tablename = 'users'"],
    ['pg_statistic', "SELECT stavalues1 FROM pg_statistic WHERE starelid = 'users'::regclass"],
    [
      'pg_statistic, cast',
      "SELECT stavalues1::text AS v FROM pg_statistic WHERE starelid = 'users'::regclass",
    ],
    ['pg_statistic, whole row', "SELECT s::text AS s FROM pg_statistic s WHERE starelid = 'users'::regclass"],
    ['pg_stats_ext', "SELECT most_common_vals FROM pg_stats_ext WHERE statistics_name = 'users_mcv'"],
  ];

  test.each(cases)('%s: sample values of a masked column do not reach an agent', async (_, sql) => {
    const alice = await f.through('alice');
    try {
      expect(JSON.stringify((await alice.query(sql)).rows)).toContain('ada@example.com');
    } finally {
      await alice.end();
    }
    for (const port of [f.port, maskingPort]) {
      const agent = await f.through('agent', undefined, { port });
      try {
        const rows = await agent.query(sql).then(
          (r) => JSON.stringify(r.rows),
          (e: Error) => e.message,
        );
        expect(rows).not.toContain('ada@example.com');
        if (port === f.port) expect(rows).toMatch(/may carry a masked column/);
      } finally {
        await agent.end();
      }
    }
  });

  test('statistics that are not sample values still reach an agent', async () => {
    const agent = await f.through('agent');
    try {
      const { rows } = await agent.query(
        "SELECT attname, null_frac, n_distinct FROM pg_stats WHERE tablename = 'users' AND attname = 'email'",
      );
      expect(rows).toEqual([{ attname: 'email', null_frac: 0, n_distinct: -1 }]);
    } finally {
      await agent.end();
    }
  });
});

describe('cursors', () => {
  test('FETCH from a cursor declared over an expression of a masked column does not show it', async () => {
    for (const port of [f.port, maskingPort]) {
      const agent = await f.through('agent', undefined, { port });
      try {
        await agent.query('BEGIN');
        await agent.query('DECLARE c CURSOR FOR SELECT lower(email) AS e FROM users ORDER BY id');
        await agent.query("DECLARE plain CURSOR FOR SELECT 'nothing' AS e");
        // A trailing comment naming the harmless cursor must not decide the other one's rows.
        for (const fetch of ['FETCH 1 FROM c', 'FETCH ALL FROM c -- plain']) {
          const rows = await agent.query(fetch).then(
            (r) => JSON.stringify(r.rows),
            (e: Error) => e.message,
          );
          expect(rows, fetch).not.toMatch(/@example\.(com|org)/);
        }
      } finally {
        await agent.query('ROLLBACK').catch(() => undefined);
        await agent.end();
      }
    }
  });
});
