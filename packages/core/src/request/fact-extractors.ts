import type { ShellFacts, SqlDialect, SqlFacts } from '../contract.js';

/**
 * The fact extractors the request builder calls. Injected so the engine can be embedded with
 * other parsers (or fakes in tests); `defaultFactExtractors()` wires the built-in ones.
 * An extractor returns facts with `parsed: false` for text that does not parse, and throws
 * only when it cannot work at all (its parser failed to load).
 */
export interface FactExtractors {
  sql(raw: string, dialect: SqlDialect): SqlFacts | Promise<SqlFacts>;
  shell(raw: string): ShellFacts | Promise<ShellFacts>;
}
