/**
 * COPY … TO STDOUT under detector masks alone (no column rule): its rows are planned by
 * column as a result's are, so a detector's hit in a typed column is NULL and a mask longer
 * than a `varchar(n)` is cut, and the data loads back; a COPY whose columns the catalog
 * connection cannot see (a temporary table) is scanned whole, as before. Real psql against
 * Debian's PostgreSQL.
 */

import { createEngine, staticEvaluator } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { reloadedCopy } from './support/copy-reload.js';
import { type ProxyFixture, startProxyFixture, testPolicy } from './support/proxy-fixture.js';
import { psqlBytes } from './support/psql.js';

/** Agents get e-mail addresses and card numbers masked wherever they are; no column rules. */
const engine = createEngine({
  evaluator: staticEvaluator((input) => {
    const decision = testPolicy(input);
    if (decision.effect !== 'allow' || input.subject.kind !== 'agent') return decision;
    return {
      ...decision,
      masks: [
        { detector: 'email', strategy: 'redact' },
        { detector: 'credit_card', strategy: 'partial', keep: 4 },
      ],
    };
  }, 'copy-detectors'),
});
let f: ProxyFixture;

beforeAll(async () => {
  f = await startProxyFixture({ proxy: { engine } });
  const d = await f.direct();
  // A card number kept in a bigint, an address in a varchar(8) that its mask overflows.
  await d.query(`
    CREATE TABLE payments (id int, card bigint, memo varchar(8), note text);
    INSERT INTO payments VALUES (1, 4111111111111111, 'ab@cd.io', 'paid by ada@example.com'),
                                (2, 42, 'plain', 'nothing here');
  `);
  await d.end();
});
afterAll(async () => {
  await f?.stop();
  await engine.close();
});

const psql = (sql: string[]) => psqlBytes({ port: f.port, user: 'agent', password: 'agent-pw' }, sql);

const reloaded = (copy: string, like: string, options: string) =>
  reloadedCopy(f, { name: 'agent', password: 'agent-pw' }, copy, like, options);

describe('COPY under detector masks alone', () => {
  test.each([
    ['text', 'COPY payments TO STDOUT', ''],
    ['CSV', 'COPY payments TO STDOUT (FORMAT csv)', ' WITH (FORMAT csv)'],
    ['a query, in text', 'COPY (SELECT * FROM payments) TO STDOUT', ''],
  ])(
    '%s: a hit in a bigint is NULL, a mask is cut to varchar(8); it reloads',
    async (_name, copy, options) => {
      expect(await reloaded(copy, 'payments', options)).toEqual([
        { id: 1, card: null, memo: '[REDACTE', note: 'paid by [REDACTED]' },
        { id: 2, card: '42', memo: 'plain', note: 'nothing here' },
      ]);
    },
  );

  test.each([
    [
      'a temporary table, which the catalog connection cannot see,',
      "CREATE TEMP TABLE scratch AS SELECT 1 AS id, 'mail ada@example.com' AS note",
      'COPY scratch TO STDOUT',
      '1\tmail [REDACTED]\n',
    ],
    [
      'a temporary table shadowing a table of the same name, with other columns,',
      "CREATE TEMP TABLE payments AS SELECT 'mail ada@example.com' AS note",
      'COPY payments TO STDOUT',
      'mail [REDACTED]\n',
    ],
  ])('%s is scanned whole as before', async (_name, create, copy, masked) => {
    const out = await psql([create, copy]);
    expect(out.stderr.toString()).toBe('');
    expect(out.stdout.toString()).toContain(masked);
    expect(out.stdout.toString()).not.toContain('ada@example.com');
  });
});
