/**
 * SQL's `EXECUTE name(…)` runs a statement prepared earlier in the session (SQL `PREPARE`, or
 * a protocol-level Parse: they share one namespace), so its own text says nothing about what
 * it does, and a policy has to treat it as opaque. pg_dump prepares its catalog queries this
 * way. The proxy asks the server, on the client's own connection, right before the EXECUTE
 * goes: `pg_prepared_statements` has the text the statement was prepared from, and nothing
 * can run on that connection between the answer and the EXECUTE. That text is decided in the
 * EXECUTE's place, as a Parse of it would be (parameters unknown).
 *
 * Tracking PREPARE and DEALLOCATE as they pass would not do: a function or DO block can
 * prepare and deallocate through dynamic SQL without the proxy seeing either.
 *
 * Only an EXECUTE whose arguments are literals is resolved: an argument can be any
 * expression (`EXECUTE p((SELECT email FROM users LIMIT 1))`, or an operator of the user's
 * whose function reads a table, which no statement fact shows), evaluated where the prepared
 * text does not show it.
 *
 * https://www.postgresql.org/docs/current/sql-execute.html
 * https://www.postgresql.org/docs/current/view-pg-prepared-statements.html
 */

import { extractSqlFacts, type StatementFacts } from '@portcullis/core';

const IDENTIFIER = String.raw`(?:"((?:[^"]|"")+)"|([A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*))`;
/** A string (standard_conforming_strings), a number, NULL, TRUE or FALSE: nothing evaluated. */
const LITERAL = String.raw`(?:'(?:[^']|'')*'|[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|NULL|TRUE|FALSE)`;
const EXECUTE_OF_LITERALS = new RegExp(
  String.raw`^\s*EXECUTE\s+${IDENTIFIER}\s*(?:\(\s*${LITERAL}(?:\s*,\s*${LITERAL})*\s*\))?\s*;?\s*$`,
  'i',
);
const PREPARE_NAME = new RegExp(String.raw`^\s*PREPARE\s+${IDENTIFIER}`, 'i');

function identifier(m: RegExpExecArray | null): string | undefined {
  if (!m) return undefined;
  // Unquoted names fold to lower case, as the server folds them.
  return m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]?.toLowerCase();
}

/** The prepared name a lone `EXECUTE name(literals…)` runs; undefined for anything else. */
export function executedName(sql: string): string | undefined {
  return identifier(EXECUTE_OF_LITERALS.exec(sql));
}

/**
 * The query that finds `name`'s text. The name is passed hex-encoded and every name is
 * schema-qualified, so neither the client's settings (standard_conforming_strings) nor its
 * search_path (a `=` of its own) can change what is read.
 */
export function preparedStatementQuery(name: string): string {
  const hex = Buffer.from(name, 'utf8').toString('hex');
  return (
    'SELECT name, statement FROM pg_catalog.pg_prepared_statements ' +
    `WHERE name OPERATOR(pg_catalog.=) pg_catalog.convert_from(pg_catalog.decode('${hex}', 'hex'), 'UTF8')`
  );
}

/**
 * The statement `name` runs, from the rows `preparedStatementQuery` returned: the text after
 * `AS` of its PREPARE (found by name in the query string it came in, which may hold other
 * statements), or the text of a protocol-level Parse. Undefined when that cannot be told
 * without doubt.
 */
export async function preparedText(
  name: string,
  rows: readonly (readonly (string | null)[])[],
): Promise<string | undefined> {
  if (rows.length !== 1) return undefined;
  const [found, statement] = rows[0] as readonly (string | null)[];
  if (found !== name || typeof statement !== 'string') return undefined;
  const facts = await extractSqlFacts(statement);
  if (!facts.parsed) return undefined;
  const prepares = facts.statements.filter(
    (s: StatementFacts) => s.type === 'prepare' && identifier(PREPARE_NAME.exec(s.text ?? '')) === name,
  );
  if (prepares.length === 0) {
    // A protocol-level Parse holds one statement, which is what runs.
    return facts.statements.length === 1 && facts.statements[0]?.type !== 'prepare' ? statement : undefined;
  }
  const [prepare, ...more] = prepares;
  const body = prepare?.inner.find((s) => s.via === 'prepare');
  if (more.length > 0 || !body?.text) return undefined;
  return body.text;
}
