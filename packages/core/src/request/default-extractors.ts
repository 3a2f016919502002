import { extractShellFacts } from '../shell/index.js';
import { extractSqlFacts } from '../sql/index.js';
import type { FactExtractors } from './fact-extractors.js';

/** The built-in extractors: PostgreSQL's grammar / node-sql-parser for SQL, tree-sitter-bash for shell. */
export const defaultFactExtractors: FactExtractors = {
  sql: (raw, dialect) => extractSqlFacts(raw, { dialect }),
  shell: (raw) => extractShellFacts(raw),
};
