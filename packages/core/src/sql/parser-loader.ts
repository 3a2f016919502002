/**
 * Loads the two SQL grammars once. Both are imported dynamically so that a missing or broken
 * wasm build surfaces as SqlParserUnavailableError from `loadSqlParsers` rather than as an
 * import failure of the whole package.
 */

import { SqlParserUnavailableError } from '../errors.js';

/** The parse tree libpg-query returns: PostgreSQL's raw parse tree as JSON. */
export interface PgParseResult {
  version?: number;
  stmts?: PgRawStmt[];
}
export interface PgRawStmt {
  stmt?: Record<string, unknown>;
  /** Byte offsets in the UTF-8 encoding of the query. */
  stmt_location?: number;
  stmt_len?: number;
}

export interface NodeSqlParser {
  parse(sql: string, options?: { database?: string }): { ast: unknown };
}

export interface SqlParsers {
  parsePg(query: string): PgParseResult;
  generic: NodeSqlParser;
}

let parsers: SqlParsers | undefined;
let loading: Promise<SqlParsers> | undefined;

export async function loadSqlParsers(): Promise<void> {
  if (parsers !== undefined) return;
  loading ??= load();
  try {
    parsers = await loading;
  } catch (error) {
    loading = undefined;
    throw error;
  }
}

async function load(): Promise<SqlParsers> {
  let parsePg: (query: string) => PgParseResult;
  try {
    const pg = await import('libpg-query');
    await pg.loadModule();
    parsePg = pg.parseSync as (query: string) => PgParseResult;
  } catch (cause) {
    throw new SqlParserUnavailableError('libpg-query (PostgreSQL grammar) could not be loaded', { cause });
  }
  let generic: NodeSqlParser;
  try {
    const mod = (await import('node-sql-parser')) as unknown as {
      Parser?: new () => NodeSqlParser;
      default?: { Parser?: new () => NodeSqlParser };
    };
    const Parser = mod.Parser ?? mod.default?.Parser;
    if (Parser === undefined) throw new TypeError('node-sql-parser exports no Parser');
    generic = new Parser();
  } catch (cause) {
    throw new SqlParserUnavailableError('node-sql-parser could not be loaded', { cause });
  }
  return { parsePg, generic };
}

/** Whether loadSqlParsers has finished: extraction can then run synchronously. */
export function areSqlParsersLoaded(): boolean {
  return parsers !== undefined;
}

export function loadedSqlParsers(): SqlParsers {
  if (parsers === undefined) {
    throw new SqlParserUnavailableError('SQL parsers are not loaded: await loadSqlParsers() first');
  }
  return parsers;
}
