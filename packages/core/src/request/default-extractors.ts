import { isShellParserLoaded } from '../shell/bash-parser.js';
import { extractShellFacts, extractShellFactsSync } from '../shell/index.js';
import { extractSqlFacts, extractSqlFactsSync } from '../sql/index.js';
import { areSqlParsersLoaded } from '../sql/parser-loader.js';
import type { FactExtractors } from './fact-extractors.js';

/**
 * The built-in extractors: PostgreSQL's grammar / node-sql-parser for SQL, tree-sitter-bash for
 * shell. Once a parser is loaded its facts are returned directly rather than in a promise, so
 * a decision on them need not wait a turn.
 */
export const defaultFactExtractors: FactExtractors = {
  sql: (raw, dialect) =>
    areSqlParsersLoaded() ? extractSqlFactsSync(raw, { dialect }) : extractSqlFacts(raw, { dialect }),
  shell: (raw) => (isShellParserLoaded() ? extractShellFactsSync(raw) : extractShellFacts(raw)),
};
