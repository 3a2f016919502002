import type { Decision, DecisionResult, StatementFacts } from '@portcullis/core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DecisionMemo, numericTemplate } from './decision-memo.js';

function facts(type: string, extra: Partial<StatementFacts> = {}): StatementFacts {
  return {
    type,
    category: 'read',
    tables: ['t'],
    reads: ['t'],
    writes: [],
    columns: ['t.a'],
    has_where: true,
    functions: [],
    dynamic: false,
    opaque: false,
    inner: [],
    fingerprint: 'f',
    text: '',
    ...extra,
  } as StatementFacts;
}

function result(
  sql: string,
  statements: StatementFacts[],
  decision: Decision = { effect: 'allow', reasons: [], masks: [] },
  error?: { code: string; message: string },
): DecisionResult {
  return {
    id: 'd',
    decision,
    input: { action: { type: 'sql', sql: { raw: sql, dialect: 'postgres', parsed: true, statements } } },
    evaluation: { evaluator: 'e', durationMs: 1, factsMs: 1, cached: false, ...(error ? { error } : {}) },
  } as unknown as DecisionResult;
}

describe('numericTemplate', () => {
  test('replaces standalone numbers only', () => {
    expect(numericTemplate('SELECT abalance FROM pgbench_accounts WHERE aid = 42;')).toBe(
      'SELECT abalance FROM pgbench_accounts WHERE aid = ?;',
    );
    expect(numericTemplate('UPDATE t1 SET x = x + -5.25 WHERE id = 7')).toBe(
      'UPDATE t1 SET x = x + -? WHERE id = ?',
    );
  });

  test('refuses text whose tokens are not certain', () => {
    for (const sql of [
      "SELECT 1 FROM t WHERE a = 'x'",
      'SELECT 1 FROM "t"',
      'SELECT $1::int + 1',
      'SELECT 1 -- comment',
      'SELECT 1 /* c */',
      'SELECT 1 FROM tä',
      'SELECT E\\x 1',
      'SELECT a FROM t', // no number: the exact text is the only key
    ]) {
      expect(numericTemplate(sql), sql).toBeUndefined();
    }
  });

  test('leaves numbers glued to names, exponents and radix prefixes alone', () => {
    expect(numericTemplate('SELECT 0x1f, 1e5, t2.a, 3 FROM t2')).toBe('SELECT 0x1f, 1e5, t2.a, ? FROM t2');
    expect(numericTemplate('SELECT 1.5a, 12.34, 1., .5, 1.2.3, 7 FROM t')).toBe(
      'SELECT 1.5a, ?, 1., .5, 1.2.3, ? FROM t',
    );
  });

  test('the one-pass scan templates exactly as the regular expressions it replaced', () => {
    // The earlier implementation, kept as the specification the scan must match.
    const reference = (sql: string): string | undefined => {
      if (sql.length > 4096 || !/^[\x20-\x7e\t\r\n]*$/.test(sql) || /['"$\\]|--|\/\*/.test(sql))
        return undefined;
      const number = /(?<![A-Za-z0-9_.])\d+(?:\.\d+)?(?![A-Za-z0-9_.])/g;
      if (!number.test(sql)) return undefined;
      number.lastIndex = 0;
      return sql.replace(number, '?');
    };
    const pieces = fc.constantFrom(
      ...[
        'SELECT',
        ' ',
        '1',
        '42',
        '.',
        '5',
        'a',
        'e',
        'x',
        '_',
        't1',
        '-',
        '--',
        '/',
        '*',
        '/*',
        ',',
        '(',
        ')',
      ],
      ...["'", '"', '$', '\\', '\t', '\n', '\r', '\u0001', 'ä', '0.25', '=', ';', '+', '1e5', '0x1f'],
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
        const sql = parts.join('');
        expect(numericTemplate(sql)).toBe(reference(sql));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (sql) => {
        expect(numericTemplate(sql)).toBe(reference(sql));
      }),
      { numRuns: 2000 },
    );
    const long = `SELECT 1 FROM t WHERE a = 2${' '.repeat(4070)}`;
    expect(numericTemplate(long)).toBe(reference(long));
    expect(numericTemplate(`${long}  `)).toBeUndefined();
  });
});

describe('DecisionMemo', () => {
  test('exact text hits; a numeric variant of a plain SELECT hits the template', () => {
    const memo = new DecisionMemo({ maxEntries: 10, ttlMs: 1000 });
    const r = result('SELECT a FROM t WHERE a = 1', [facts('select')]);
    memo.remember('SELECT a FROM t WHERE a = 1', '', r);
    expect(memo.get('SELECT a FROM t WHERE a = 1', '')).toBe(r);
    expect(memo.get('SELECT a FROM t WHERE a = 2', '')).toBe(r);
    expect(memo.get('SELECT b FROM t WHERE a = 2', '')).toBeUndefined();
  });

  test('a hit is for the same live approvals only', () => {
    const memo = new DecisionMemo({ maxEntries: 10, ttlMs: 1000 });
    memo.remember('SELECT 1', '', result('SELECT 1', [facts('select')]));
    expect(memo.get('SELECT 1', 'grant-1')).toBeUndefined();
  });

  test('failures and approvals are never remembered', () => {
    const memo = new DecisionMemo({ maxEntries: 10, ttlMs: 1000 });
    const deny: Decision = {
      effect: 'deny',
      reasons: [{ rule: 'portcullis.evaluation_failed', message: 'x' }],
      masks: [],
    };
    memo.remember('SELECT 1', '', result('SELECT 1', [facts('select')], deny, { code: 'E', message: 'x' }));
    const approve: Decision = { effect: 'approve', reasons: [], masks: [] };
    memo.remember('SELECT 2', '', result('SELECT 2', [facts('select')], approve));
    expect(memo.size).toBe(0);
  });

  test('statements whose facts a constant could change get no template', () => {
    const memo = new DecisionMemo({ maxEntries: 10, ttlMs: 1000 });
    for (const [sql, s] of [
      ['DO 1', facts('do', { dynamic: true })],
      ['SELECT f(1)', facts('select', { inner: [facts('select') as never] })],
      ['ALTER ROLE r CONNECTION LIMIT 1', facts('alter_role')],
      ['EXPLAIN SELECT 1', facts('select', { explain: {} as never })],
    ] as const) {
      memo.remember(sql, '', result(sql, [s]));
      expect(memo.get(sql.replace('1', '2'), ''), sql).toBeUndefined();
    }
  });

  test('entries expire and the oldest is evicted', () => {
    let now = 0;
    const memo = new DecisionMemo({ maxEntries: 2, ttlMs: 100 }, () => now);
    memo.remember('SELECT a FROM t', '', result('SELECT a FROM t', [facts('select')]));
    now = 100;
    expect(memo.get('SELECT a FROM t', '')).toBeUndefined();
    for (const sql of ['SELECT b FROM t', 'SELECT c FROM t', 'SELECT d FROM t'])
      memo.remember(sql, '', result(sql, [facts('select')]));
    expect(memo.get('SELECT b FROM t', '')).toBeUndefined();
    expect(memo.get('SELECT d FROM t', '')).toBeDefined();
  });
});

describe('DecisionMemo.laneKey', () => {
  const select = [facts('select')];
  const allow: Decision = { effect: 'allow', reasons: [], masks: [] };

  test('the template when it holds the same decision, the exact text otherwise', () => {
    let now = 1000;
    const memo = new DecisionMemo({ maxEntries: 8, ttlMs: 50 }, () => now);
    const first = result('SELECT a FROM t WHERE id = 1', select, allow);
    memo.remember('SELECT a FROM t WHERE id = 1', '', first);
    expect(memo.laneKey('SELECT a FROM t WHERE id = 1', first.decision)).toEqual({
      key: 'SELECT a FROM t WHERE id = ?',
      template: true,
      expiresAt: 1050,
    });
    // Another text of the template, decided anew: its exact entry holds its own decision,
    // the template the newer one.
    const second = result('SELECT a FROM t WHERE id = 2', select, { ...allow });
    memo.remember('SELECT a FROM t WHERE id = 2', '', second);
    expect(memo.laneKey('SELECT a FROM t WHERE id = 2', second.decision)?.template).toBe(true);
    // The first text's template entry now holds another decision: only its exact text.
    expect(memo.laneKey('SELECT a FROM t WHERE id = 1', first.decision)).toEqual({
      key: 'SELECT a FROM t WHERE id = 1',
      template: false,
      expiresAt: 1050,
    });
    // A decision the memo would not answer with: no key at all.
    expect(memo.laneKey('SELECT a FROM t WHERE id = 1', { ...allow })).toBeUndefined();
    now = 1050;
    expect(memo.laneKey('SELECT a FROM t WHERE id = 2', second.decision)).toBeUndefined();
  });

  test('a text with no template is keyed by itself', () => {
    const memo = new DecisionMemo({ maxEntries: 8, ttlMs: 50 });
    const r = result('SELECT a FROM t', select, allow);
    memo.remember('SELECT a FROM t', '', r);
    expect(memo.laneKey('SELECT a FROM t', r.decision)?.key).toBe('SELECT a FROM t');
  });
});
