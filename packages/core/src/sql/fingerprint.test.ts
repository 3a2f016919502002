import { beforeAll, describe, expect, it } from 'vitest';
import { extractSqlFactsSync, loadSqlParsers } from './index.js';

beforeAll(async () => {
  await loadSqlParsers();
});

const fp = (sql: string, dialect: 'postgresql' | 'mysql' = 'postgresql') =>
  extractSqlFactsSync(sql, { dialect }).statements[0]!.fingerprint;

describe('statement fingerprints', () => {
  it('ignore constants, whitespace, comments and keyword case in queries', () => {
    expect(fp('DELETE FROM t WHERE id = 1')).toBe(fp('delete   from t /* c */ where id = 42'));
    expect(fp("SELECT * FROM t WHERE a = 'x'")).toBe(fp("SELECT * FROM t WHERE a = 'y'"));
  });

  it('differ when the shape differs', () => {
    expect(fp('DELETE FROM t WHERE id = 1')).not.toBe(fp('DELETE FROM u WHERE id = 1'));
    expect(fp('DELETE FROM t WHERE id = 1')).not.toBe(fp('DELETE FROM t'));
    expect(fp('SELECT a FROM t')).not.toBe(fp('SELECT b FROM t'));
  });

  it('keep constants of statements where they are not data', () => {
    expect(fp('SET ROLE readonly')).not.toBe(fp('SET ROLE postgres'));
    expect(fp("COPY t FROM PROGRAM 'a'")).not.toBe(fp("COPY t FROM PROGRAM 'b'"));
  });

  it('replace literals for node-sql-parser dialects', () => {
    expect(fp("SELECT * FROM t WHERE a = 'x'", 'mysql')).toBe(fp('select * from t where a = "yy"', 'mysql'));
    expect(fp('SELECT * FROM t', 'mysql')).not.toBe(fp('SELECT * FROM u', 'mysql'));
  });

  it('are 32 hex characters', () => {
    expect(fp('SELECT 1')).toMatch(/^[0-9a-f]{32}$/);
    expect(fp('SELECT 1', 'mysql')).toMatch(/^[0-9a-f]{32}$/);
  });
});
