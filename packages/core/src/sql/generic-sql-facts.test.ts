import { beforeAll, describe, expect, it } from 'vitest';
import { sqlCorpus } from '../../test/corpus/sql-corpus.js';
import { genericSqlFacts, splitStatements } from './generic-sql-facts.js';
import { loadedSqlParsers, loadSqlParsers } from './parser-loader.js';

beforeAll(async () => {
  await loadSqlParsers();
});

describe('genericSqlFacts', () => {
  // Regression: node-sql-parser's PostgreSQL grammar returns nested statement arrays for some
  // inputs, and Array.prototype.with made `ast.with` look like a CTE list.
  it('never throws on any corpus statement, whatever grammar shape comes back', () => {
    const { generic } = loadedSqlParsers();
    for (const c of sqlCorpus) {
      for (const dialect of ['postgresql', 'mysql', 'transactsql', 'sqlite', 'bigquery'] as const) {
        const facts = genericSqlFacts(c.sql, dialect, generic);
        if (!facts.parsed) expect(facts.statements).toEqual([]);
      }
    }
  });

  it('splits statements on top-level semicolons only', () => {
    expect(splitStatements("SELECT ';'; SELECT `a;b`; -- x;\n ; SELECT 3", { mysqlStrings: true })).toEqual([
      "SELECT ';'",
      'SELECT `a;b`',
      'SELECT 3',
    ]);
  });
});
