import {
  createEngine,
  createMasker,
  type MaskRule,
  type StatementFacts,
  staticEvaluator,
} from '@portcullis/core';
import { describe, expect, test } from 'vitest';
import type { MaskContext } from './mask-plan.js';
import { anyMaskedColumn, factsTaint } from './unresolved-columns.js';

function context(rules: MaskRule[]): MaskContext {
  return { masker: createMasker({ rules }), hasColumnRules: true, hasTextRules: false };
}

const engine = createEngine({ evaluator: staticEvaluator({ effect: 'allow', reasons: [], masks: [] }) });

async function facts(sql: string): Promise<StatementFacts[]> {
  const r = await engine.decide({ subject: { id: 'a' }, resource: { type: 'postgres', name: 'db' }, sql });
  return r.input.action.sql?.statements ?? [];
}

const email = context([{ column: 'public.users.email', strategy: 'redact' }]);

describe('factsTaint', () => {
  test.each([
    'SELECT lower(email) FROM users',
    'SELECT e FROM (SELECT upper(u.email) AS e FROM users u) s',
    'SELECT get_email(1)',
    // A star over a function's rows: the function decides.
    'SELECT * FROM get_rows()',
    "SELECT count(*) FROM users WHERE email LIKE '%@x'",
    // ANALYZE runs the statement: its errors can quote the values it reads.
    'EXPLAIN ANALYZE SELECT email::int FROM users',
    // A function the planner may fold to a constant, which the plan then shows.
    'EXPLAIN SELECT * FROM users WHERE id = get_id()',
    'EXPLAIN EXECUTE p',
  ])('%s may carry the masked column', async (sql) => {
    expect(factsTaint(email, await facts(sql)).carries).toBeDefined();
  });

  test.each([
    ['SELECT count(*) FROM users', ['users'], [], ['count'], []],
    ['SELECT upper(name) FROM users', ['users'], [], ['upper'], []],
    // Qualified with pg_catalog, it can only be the built-in.
    ['SELECT pg_catalog.now()', [], [], [], []],
    ['SELECT 1', [], [], [], []],
    // Which function an operator runs depends on its operands' types: the catalog says.
    ['SELECT 1 ==> 2, OPERATOR(public.==>) 3', [], ['==>'], [], []],
    [
      "SELECT count(*) FROM users WHERE id BETWEEN 1 AND 5 AND name LIKE 'a%'",
      ['users'],
      ['>=', '<=', '~~'],
      ['count'],
      [],
    ],
    // What a star or a whole row covers is the catalog's to say, by the table's columns.
    ['SELECT *, count(*) OVER () FROM users', ['users'], [], ['count'], ['users']],
    ['SELECT u FROM public.users u', ['public.users'], [], [], ['public.users']],
    ['SELECT * FROM a FULL JOIN b USING (k)', ['a', 'b'], [], [], ['a', 'b']],
    ['SELECT * FROM upper($1) AS result', [], [], ['upper'], []],
    // A plan names columns, never their values; an operator folded to a constant shows in it.
    ['EXPLAIN SELECT * FROM users', ['users'], [], [], []],
    [
      'EXPLAIN (VERBOSE, FORMAT JSON) SELECT lower(email) FROM users WHERE email = $1',
      ['users'],
      ['='],
      ['lower'],
      [],
    ],
  ])(
    '%s does not, and leaves %j, operators %j, functions %j and stars %j to the catalog',
    async (sql, relations, operators, functions, stars) => {
      expect(factsTaint(email, await facts(sql))).toEqual({ relations, operators, functions, stars });
    },
  );

  test('the fallback descriptor matches the first column rule by its column name', () => {
    expect(anyMaskedColumn(email)).toEqual({ table: null, column: 'email', any: true });
    expect(anyMaskedColumn(context([{ column: 't."Odd.Name"', strategy: 'redact' }]))).toEqual({
      table: null,
      column: 'odd.name',
      any: true,
    });
  });
});
