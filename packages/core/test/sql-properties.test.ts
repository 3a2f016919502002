import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlDialect, SqlFacts, StatementFacts } from '../src/contract.js';
import { extractSqlFactsSync, loadSqlParsers } from '../src/sql/index.js';
import { sqlCorpus } from './corpus/sql-corpus.js';

beforeAll(async () => {
  await loadSqlParsers();
});

/** Per-call ceiling: generous for CI machines, far below what a hang would take. */
const MAX_MS = 2_000;

function checkStatement(s: StatementFacts, nested: boolean): void {
  const tables = new Set(s.tables);
  for (const w of s.writes) expect(tables.has(w), `write ${w} not in tables`).toBe(true);
  for (const r of s.reads) expect(tables.has(r), `read ${r} not in tables`).toBe(true);
  expect(s.fingerprint).toMatch(/^[0-9a-f]{32}$/);
  expect(typeof s.type).toBe('string');
  expect(typeof s.text).toBe('string');
  if (nested) expect(s.inner).toEqual([]);
  for (const inner of s.inner) checkStatement(inner, true);
}

function extractChecked(raw: string, dialect: SqlDialect = 'postgresql'): SqlFacts {
  const started = performance.now();
  const facts = extractSqlFactsSync(raw, { dialect });
  expect(performance.now() - started).toBeLessThan(MAX_MS);
  expect(facts.raw).toBe(raw);
  if (!facts.parsed) {
    expect(facts.statements).toEqual([]);
    expect(typeof facts.error?.message).toBe('string');
  } else {
    expect(facts.error).toBeUndefined();
  }
  for (const s of facts.statements) checkStatement(s, false);
  return facts;
}

const seeds = sqlCorpus.map((c) => c.sql).filter((s) => s.length > 0);
const pgSeeds = sqlCorpus.filter((c) => c.dialect === undefined).map((c) => c.sql);
const SQL_WORDS = [
  'SELECT',
  'DROP',
  ';',
  "'",
  '"',
  '$$',
  '(',
  ')',
  '--',
  '/*',
  '*/',
  'EXECUTE',
  'DO',
  'WITH',
  'INTO',
  '\\',
  '\n',
  'é',
];

/** A corpus statement with random edits: inserted words and characters, cuts, duplications. */
const mutated = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.oneof(fc.constantFrom(...SQL_WORDS), fc.string({ maxLength: 3 }), fc.constant('')),
        fc.nat(8),
      ),
      { maxLength: 6 },
    ),
  )
  .map(([seed, edits]) => {
    let s = seed;
    for (const [at, insert, cut] of edits) {
      const i = s.length === 0 ? 0 : at % (s.length + 1);
      s = s.slice(0, i) + insert + s.slice(i + cut);
    }
    return s;
  });

describe('SQL extractor properties', () => {
  it('never throws on random strings (PostgreSQL)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite', maxLength: 200 }), (s) => {
        extractChecked(s);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on random strings (other dialects)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 120 }),
        fc.constantFrom<SqlDialect>('mysql', 'transactsql', 'sqlite', 'bigquery'),
        (s, dialect) => {
          extractChecked(s, dialect);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps its invariants on mutated corpus statements', () => {
    fc.assert(
      fc.property(mutated, (s) => {
        extractChecked(s);
      }),
      { numRuns: 600 },
    );
  });

  it('keeps its invariants on mutated corpus statements in MySQL', () => {
    fc.assert(
      fc.property(mutated, (s) => {
        extractChecked(s, 'mysql');
      }),
      { numRuns: 200 },
    );
  });

  it('reports every statement of a concatenation of corpus statements', () => {
    const parses = pgSeeds.filter((s) => {
      const f = extractSqlFactsSync(s);
      return f.parsed && f.statements.length === 1;
    });
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...parses), { minLength: 1, maxLength: 6 }), (list) => {
        const facts = extractChecked(list.join('\n;\n'));
        expect(facts.parsed).toBe(true);
        expect(facts.statements.length).toBe(list.length);
      }),
      { numRuns: 150 },
    );
  });

  it('does not crash or hang on deep nesting', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3_000 }),
        fc.constantFrom('paren', 'subquery', 'do', 'case'),
        (n, shape) => {
          let sql: string;
          if (shape === 'paren') sql = `SELECT ${'('.repeat(n)}1${')'.repeat(n)}`;
          else if (shape === 'subquery') sql = `${'SELECT * FROM ('.repeat(n)}SELECT 1${') x'.repeat(n)}`;
          else if (shape === 'case') sql = `SELECT ${'CASE WHEN a THEN '.repeat(n)}1${' END'.repeat(n)}`;
          else sql = `DO $$ BEGIN ${'IF x THEN '.repeat(n)}DELETE FROM t;${' END IF;'.repeat(n)} END $$`;
          extractChecked(sql);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('handles nested EXECUTE of DO blocks to a fixed depth', () => {
    let sql = 'DELETE FROM deepest';
    for (let i = 0; i < 12; i++) sql = `DO $d${i}$ BEGIN EXECUTE ${quote(sql)}; END $d${i}$`;
    const facts = extractChecked(sql);
    expect(facts.parsed).toBe(true);
    // Past the nesting limit the extractor gives up on knowing, it does not guess.
    expect(facts.statements[0]!.opaque).toBe(true);
  });

  it('handles large inputs in linear time', () => {
    const one = "INSERT INTO events (id, payload) VALUES (1, 'DROP TABLE x; ''quoted''');\n";
    const big = one.repeat(5_000);
    const started = performance.now();
    const facts = extractSqlFactsSync(big);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(facts.parsed).toBe(true);
    expect(facts.statements.length).toBe(5_000);
    const longString = `SELECT '${'x'.repeat(2_000_000)}'`;
    expect(extractChecked(longString).statements[0]!.type).toBe('select');
  });
});

function quote(sql: string): string {
  return `'${sql.replaceAll("'", "''")}'`;
}
