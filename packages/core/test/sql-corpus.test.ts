import { beforeAll, describe, expect, it } from 'vitest';
import type { StatementFacts } from '../src/contract.js';
import { extractSqlFactsSync, loadSqlParsers } from '../src/sql/index.js';
import { type ExpectedStatement, type SqlCase, sqlCorpus } from './corpus/sql-corpus.js';

beforeAll(async () => {
  await loadSqlParsers();
});

const sorted = (values: readonly string[]) => [...values].sort();

function check(actual: StatementFacts, want: ExpectedStatement, where: string): void {
  for (const key of ['type', 'category', 'object_type', 'has_where', 'dynamic', 'opaque', 'text'] as const) {
    if (want[key] !== undefined) expect(actual[key], `${where}.${key}`).toBe(want[key]);
  }
  for (const key of [
    'tables',
    'reads',
    'writes',
    'functions',
    'operators',
    'read_columns',
    'returned_columns',
  ] as const) {
    const w = want[key];
    if (w !== undefined) expect(sorted(actual[key]), `${where}.${key}`).toEqual(sorted(w));
  }
  if (want.columns !== undefined)
    expect(actual.columns, `${where}.columns`).toEqual(expect.arrayContaining(want.columns));
  if (want.lock !== undefined) expect(actual.lock ?? null, `${where}.lock`).toBe(want.lock);
  if (want.values_rows !== undefined)
    expect(actual.values_rows ?? null, `${where}.values_rows`).toBe(want.values_rows);
  if (want.copy !== undefined) expect(actual.copy, `${where}.copy`).toMatchObject(want.copy);
  if (want.explain !== undefined) expect(actual.explain, `${where}.explain`).toEqual(want.explain);
  if (want.role !== undefined) {
    expect(actual.role, `${where}.role`).toBeDefined();
    if (want.role.names)
      expect(sorted(actual.role!.names), `${where}.role.names`).toEqual(sorted(want.role.names));
    if (want.role.attributes) {
      expect(sorted(actual.role!.attributes), `${where}.role.attributes`).toEqual(
        sorted(want.role.attributes),
      );
    }
  }
  if (want.inner !== undefined) {
    expect(actual.inner.length, `${where}.inner.length`).toBeGreaterThanOrEqual(want.inner.length);
    want.inner.forEach((w, i) => {
      const a = actual.inner[i]!;
      if (w.via !== undefined) expect(a.via, `${where}.inner[${i}].via`).toBe(w.via);
      expect(a.inner, `${where}.inner[${i}].inner`).toEqual([]);
      check(a, w, `${where}.inner[${i}]`);
    });
  }
  expect(actual.fingerprint, `${where}.fingerprint`).toMatch(/^[0-9a-f]{32}$/);
}

function run(c: SqlCase): void {
  const facts = extractSqlFactsSync(c.sql, c.dialect === undefined ? {} : { dialect: c.dialect });
  expect(facts.dialect).toBe(c.dialect ?? 'postgresql');
  expect(facts.raw).toBe(c.sql);
  if (c.parsed === false) {
    expect(facts.parsed, 'parsed').toBe(false);
    expect(facts.statements).toEqual([]);
    expect(facts.error?.message.length).toBeGreaterThan(0);
    return;
  }
  expect(facts.parsed, facts.error?.message).toBe(true);
  const count = c.count ?? c.each?.length ?? 1;
  expect(facts.statements.length, 'statement count').toBe(count);
  if (c.expect !== undefined) check(facts.statements[0]!, c.expect, 'statements[0]');
  c.each?.forEach((want, i) => {
    check(facts.statements[i]!, want, `statements[${i}]`);
  });
}

describe('SQL corpus', () => {
  it('holds at least 150 cases, 20 of them outside PostgreSQL', () => {
    expect(sqlCorpus.length).toBeGreaterThanOrEqual(150);
    expect(
      sqlCorpus.filter((c) => c.dialect !== undefined && c.dialect !== 'postgresql').length,
    ).toBeGreaterThanOrEqual(20);
    expect(new Set(sqlCorpus.map((c) => c.name)).size).toBe(sqlCorpus.length);
  });
  for (const c of sqlCorpus) {
    it(`${c.dialect ?? 'postgresql'}: ${c.name}`, () => run(c));
  }
});
