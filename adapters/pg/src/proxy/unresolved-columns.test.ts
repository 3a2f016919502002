import {
  createEngine,
  createMasker,
  type MaskRule,
  type StatementFacts,
  staticEvaluator,
} from '@portcullis/core';
import { describe, expect, test } from 'vitest';
import type { MaskContext } from './mask-plan.js';
import { anyMaskedColumn, factsTaint, viewColumnRefs } from './unresolved-columns.js';

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
    // Outside pg_catalog: the user's, or an extension's, in any language.
    'SELECT public.get_email(1)',
    'SELECT * FROM app.get_rows()',
    // The server's own, which read what the facts do not show.
    "SELECT pg_catalog.query_to_xml('SELECT 1', true, false, '')",
    'SELECT lo_get(16400)',
    "SELECT pg_read_file('base/5/16384')",
    "SELECT pg_catalog.pg_read_file_old('x', 0, 10)",
    'SELECT query FROM pg_stat_get_activity(NULL)',
    'SELECT * FROM pg_catalog.pg_logical_slot_peek_changes($1, NULL, NULL)',
    "SELECT count(*) FROM users WHERE email LIKE '%@x'",
    // ANALYZE runs the statement: its errors can quote the values it reads.
    'EXPLAIN ANALYZE SELECT email::int FROM users',
    // A function the planner may fold to a constant, which the plan then shows.
    'EXPLAIN SELECT * FROM users WHERE id = public.get_id()',
    'EXPLAIN EXECUTE p',
  ])('%s may carry the masked column', async (sql) => {
    expect(factsTaint(email, await facts(sql)).carries).toBeDefined();
  });

  test.each([
    ['SELECT count(*) FROM users', ['users'], [], ['count'], []],
    ['SELECT upper(name) FROM users', ['users'], [], ['upper'], []],
    // Qualified with pg_catalog, it can only be the built-in.
    ['SELECT pg_catalog.now()', [], [], [], []],
    [
      'SELECT pg_catalog.array_to_json(ARRAY[1]), pg_catalog.pg_get_statisticsobjdef_columns(1)',
      [],
      [],
      [],
      [],
    ],
    ['SELECT information_schema._pg_expandarray(ARRAY[1])', [], [], [], []],
    // A bare name: the built-in, unless the catalog shows a function of the user's by it.
    ['SELECT get_email(1)', [], [], ['get_email'], []],
    ['SELECT * FROM get_rows()', [], [], ['get_rows'], []],
    ['SELECT to_jsonb(name) FROM users', ['users'], [], ['to_jsonb'], []],
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
    ['EXPLAIN SELECT * FROM users WHERE id = get_id()', ['users'], ['='], ['get_id'], []],
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

describe('viewColumnRefs', () => {
  test.each([
    ['SELECT upper(name), count(*) FROM v GROUP BY 1', 'v', false, [['name', true]]],
    [
      'SELECT upper(x.name) FROM public.v x JOIN t ON t.id = x.id',
      'public.v',
      false,
      [
        ['name', true],
        ['id', true],
      ],
    ],
    // A bare name may be the view's: core cannot tell whose it is in a join.
    [
      'SELECT upper(name) FROM v JOIN t USING (id)',
      'v',
      false,
      [
        ['name', false],
        ['id', false],
      ],
    ],
    ['SELECT count(*) FROM v', 'v', false, []],
    ['SELECT concat(x.*) FROM v x', 'v', true, []],
    ['SELECT x FROM v x', 'v', true, [['x', true]]],
    ['SELECT upper(c) FROM v AS t(a, c)', 'v', true, [['c', true]]],
    ['SELECT upper(name) FROM v NATURAL JOIN t', 'v', true, [['name', false]]],
    ['SELECT (SELECT max(pw) FROM v) FROM t', 'v', false, [['pw', true]]],
  ])('%s reads of %s: all %s, names %j', async (sql, relation, all, names) => {
    const refs = viewColumnRefs(await facts(sql), relation);
    expect(refs.all).toBe(all);
    expect([...refs.names]).toEqual(expect.arrayContaining(names));
    expect(refs.names.size).toBe(names.length);
    expect(refs.explained).toBe(false);
  });

  test('an EXPLAIN without ANALYZE reads its plan, not the columns it names', async () => {
    expect(viewColumnRefs(await facts('EXPLAIN SELECT upper(pw), * FROM v'), 'v')).toEqual({
      all: false,
      names: new Map(),
      explained: true,
    });
    const analyzed = viewColumnRefs(await facts('EXPLAIN ANALYZE SELECT upper(pw) FROM v'), 'v');
    expect(analyzed).toEqual({ all: false, names: new Map([['pw', true]]), explained: false });
  });
});
