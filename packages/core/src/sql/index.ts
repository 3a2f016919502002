/**
 * SQL facts: what a statement reads, writes, calls and runs, for policies to judge. PostgreSQL
 * is parsed by its own grammar (libpg-query), other dialects by node-sql-parser.
 */

export { type ExtractSqlFactsOptions, extractSqlFacts, extractSqlFactsSync } from './extract-sql-facts.js';
export { loadSqlParsers } from './parser-loader.js';
