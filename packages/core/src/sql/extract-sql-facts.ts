/**
 * The SQL fact extractor's entry points: PostgreSQL through libpg-query, every other dialect
 * through node-sql-parser. Nothing here throws for bad SQL: text that does not parse comes
 * back as `parsed: false` with the parser's message, so a caller can fail closed on it.
 */

import type { SqlDialect, SqlFacts } from '../contract.js';
import { genericSqlFacts } from './generic-sql-facts.js';
import { loadedSqlParsers, loadSqlParsers } from './parser-loader.js';
import { type PgEnv, pgParseFacts } from './pg-statement-facts.js';

export interface ExtractSqlFactsOptions {
  /** Default `postgresql`. */
  dialect?: SqlDialect;
}

export function extractSqlFactsSync(raw: string, options: ExtractSqlFactsOptions = {}): SqlFacts {
  const parsers = loadedSqlParsers();
  const dialect = options.dialect ?? 'postgresql';
  try {
    if (dialect !== 'postgresql') return genericSqlFacts(raw, dialect, parsers.generic);
    const env: PgEnv = { parsePg: parsers.parsePg, prepared: new Map(), depth: 0 };
    const result = pgParseFacts(raw, env);
    if (!Array.isArray(result)) return { raw, dialect, parsed: false, error: result, statements: [] };
    return { raw, dialect, parsed: true, statements: result };
  } catch (error) {
    // A tree deeper than the walk can recurse, or a parser fault: report it, never throw.
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return {
      raw,
      dialect,
      parsed: false,
      error: { message: `SQL could not be analysed: ${message}` },
      statements: [],
    };
  }
}

export async function extractSqlFacts(raw: string, options: ExtractSqlFactsOptions = {}): Promise<SqlFacts> {
  await loadSqlParsers();
  return extractSqlFactsSync(raw, options);
}
