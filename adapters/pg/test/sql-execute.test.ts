/**
 * SQL's EXECUTE of a statement prepared earlier is decided as that statement, read from the
 * server on the client's own connection just before the EXECUTE goes (see sql-execute.ts):
 * whatever prepared it, a PREPARE the proxy saw or dynamic SQL it could not. Against a real
 * PostgreSQL server.
 */

import {
  type AuditRecord,
  type AuditSink,
  createEngine,
  type Decision,
  type InputDocument,
  type StatementFacts,
  staticEvaluator,
} from '@portcullis/core';
import type pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type ProxyFixture, startProxyFixture, testPolicy } from './support/proxy-fixture.js';

const all = (s: StatementFacts): StatementFacts[] => [s, ...s.inner.flatMap(all)];

/** The test policy, and: opaque SQL is denied; so is any write to `victim`. */
function policy(input: InputDocument): Decision {
  const statements = (input.action.sql?.statements ?? []).flatMap(all);
  if (statements.some((s) => s.opaque))
    return { effect: 'deny', reasons: [{ rule: 'opaque', message: 'what runs cannot be known' }], masks: [] };
  if (statements.some((s) => s.writes.includes('victim')))
    return {
      effect: 'deny',
      reasons: [{ rule: 'victim', message: 'victim is not to be written' }],
      masks: [],
    };
  return testPolicy(input);
}

const records: AuditRecord[] = [];
const audit: AuditSink = {
  async write(record) {
    records.push(record);
  },
  async close() {},
};
const engine = createEngine({ evaluator: staticEvaluator(policy, 'sql-execute') });
let f: ProxyFixture;
let agent: pg.Client;

beforeAll(async () => {
  f = await startProxyFixture({ proxy: { engine, audit } });
  agent = await f.through('agent');
});
afterAll(async () => {
  await agent?.end();
  await f?.stop();
  await engine.close();
});

test('EXECUTE of a prepared query runs as that query, its result masked', async () => {
  await agent.query('PREPARE email_of(int) AS SELECT id, email FROM users WHERE id = $1');
  const { rows } = await agent.query('EXECUTE email_of(1)');
  expect(rows).toEqual([{ id: 1, email: '***********.com' }]);
  const decided = records.filter((r) => r.stage === undefined && r.action.type === 'sql').at(-1);
  expect(decided?.action.summary).toBe('SELECT id, email FROM users WHERE id = $1');
  // Inside a transaction block too.
  await agent.query('BEGIN');
  expect((await agent.query('EXECUTE email_of(2)')).rows[0].email).toBe('*************.org');
  await agent.query('COMMIT');
});

test('what the server holds under the name is decided, however it got there', async () => {
  await agent.query('PREPARE harmless AS SELECT 1');
  expect((await agent.query('EXECUTE harmless')).rows).toEqual([{ '?column?': 1 }]);
  // A procedure's dynamic SQL swaps the statement behind the name where no one can see it.
  const direct = await f.direct();
  await direct.query(`CREATE PROCEDURE swap() LANGUAGE plpgsql AS $$ BEGIN
      EXECUTE 'DEALLOCATE harmless'; EXECUTE 'PREPARE harmless AS DELETE FROM victim'; END $$`);
  await direct.end();
  await agent.query('CALL swap()');
  await expect(agent.query('EXECUTE harmless')).rejects.toMatchObject({
    code: '42501',
    message: expect.stringMatching(/victim is not to be written/),
  });
});

test('arguments that read data, a name the server does not know, and a failed block stay opaque', async () => {
  await agent.query('PREPARE echo(text) AS SELECT $1 AS v');
  await expect(agent.query('EXECUTE echo((SELECT email FROM users LIMIT 1))')).rejects.toMatchObject({
    message: expect.stringMatching(/what runs cannot be known/),
  });
  await expect(agent.query('EXECUTE nowhere(1)')).rejects.toMatchObject({
    message: expect.stringMatching(/what runs cannot be known/),
  });
  await agent.query('BEGIN');
  await expect(agent.query('SELECT 1/0')).rejects.toMatchObject({ code: '22012' });
  await expect(agent.query("EXECUTE echo('x')")).rejects.toMatchObject({
    message: expect.stringMatching(/what runs cannot be known/),
  });
  await agent.query('ROLLBACK');
  expect((await agent.query("EXECUTE echo('x')")).rows).toEqual([{ v: 'x' }]);
});

test("a protocol-level prepared statement's EXECUTE is its Parse's text", async () => {
  // The pg driver prepares a named statement with Parse.
  await agent.query({ name: 'by_id', text: 'SELECT email FROM users WHERE id = $1', values: [1] });
  expect((await agent.query('EXECUTE by_id(2)')).rows).toEqual([{ email: '*************.org' }]);
});
