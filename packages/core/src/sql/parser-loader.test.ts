import { describe, expect, it } from 'vitest';
import { SqlParserUnavailableError } from '../errors.js';
import { extractSqlFacts, extractSqlFactsSync, loadSqlParsers } from './index.js';

describe('loadSqlParsers', () => {
  it('makes the sync extractor refuse to run before loading', () => {
    expect(() => extractSqlFactsSync('SELECT 1')).toThrow(SqlParserUnavailableError);
  });

  it('is idempotent, and the async extractor loads on its own', async () => {
    await Promise.all([loadSqlParsers(), loadSqlParsers()]);
    await loadSqlParsers();
    expect((await extractSqlFacts('SELECT 1')).parsed).toBe(true);
    expect(extractSqlFactsSync('SELECT 1', { dialect: 'mysql' }).parsed).toBe(true);
  });
});
