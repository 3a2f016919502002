/**
 * A decision's `limits.affected_rows`: the most rows one statement may write. PostgreSQL reports
 * how many rows a write touched only once it has run, in its command tag (`UPDATE 5000`), so a
 * limited write runs where it can still be undone, and is undone when the tag says it went past
 * the limit: in a transaction the proxy opens around it (simple protocol, outside a transaction
 * block), or by failing the transaction or batch it runs in (inside a block, and in the extended
 * protocol, where the batch is an implicit transaction until Sync).
 *
 * An INSERT whose VALUES list holds no more rows than the limit needs none of this.
 *
 * What runs in the same statement without being counted in its tag is refused under a limit:
 * a data-modifying WITH (`WITH d AS (DELETE …) SELECT count(*) FROM d` reports `SELECT 1`), the
 * statements of a DO block, EXPLAIN ANALYZE of a write. Writes that functions and triggers make
 * are not counted either; which functions a masked subject may call is the policy's to say.
 *
 * https://www.postgresql.org/docs/current/protocol-message-formats.html (CommandComplete)
 */

import type { Decision, StatementFacts } from '@portcullis/core';
import type { NoticeFields } from '../protocol/backend-writers.js';
import { SqlState } from '../protocol/message-codes.js';

/** A statement that runs under a row limit. */
export interface RowLimit {
  limit: number;
  statement: StatementFacts;
}

/**
 * How a decision's row limit applies to the statements of one text: undefined when it does
 * not (no limit, or nothing that writes rows), the limit to enforce, or the error when the
 * text cannot be held to it.
 */
export function rowLimitOf(
  decision: Decision,
  statements: readonly StatementFacts[],
  unparsed: boolean,
): RowLimit | NoticeFields | undefined {
  const limit = decision.limits?.affected_rows;
  if (limit === undefined) return undefined;
  if (unparsed) return refused(limit, 'the statement did not parse, so what it writes cannot be told');
  let guarded: StatementFacts | undefined;
  for (const s of statements) {
    const uncounted = uncountedWrite(s);
    if (uncounted) return refused(limit, `the rows written by ${uncounted} are not counted`);
    if (s.category !== 'write' && s.type !== 'execute') continue;
    // An INSERT of a few listed rows cannot go past a limit at least as large: it runs as it is.
    if (s.values_rows !== undefined && s.values_rows <= limit) continue;
    guarded ??= s;
  }
  if (!guarded) return undefined;
  if (statements.length > 1)
    return refused(
      limit,
      'a write under a row limit must be sent as a statement of its own',
      'Send each statement in its own Query.',
    );
  return { limit, statement: guarded };
}

/** What in the statement writes rows its command tag does not count, if anything. */
function uncountedWrite(s: StatementFacts): string | undefined {
  if (s.explain?.executes_write) return 'EXPLAIN ANALYZE';
  for (const inner of s.inner) {
    if (inner.category !== 'write' && inner.type !== 'execute') continue;
    if (inner.via === 'cte') return 'a data-modifying WITH';
    if (inner.via === 'do') return 'a DO block';
    if (inner.via === 'subquery') return 'a nested write';
  }
  return undefined;
}

/**
 * The rows a statement's command tag says it wrote, or undefined when the tag counts no write
 * (`SELECT 3` of a plain query, `COPY 3` of a COPY TO, `CALL`).
 */
export function affectedRows(tag: string, statement: StatementFacts): number | undefined {
  const space = tag.lastIndexOf(' ');
  if (space < 0) return undefined;
  const command = tag.slice(0, tag.indexOf(' '));
  switch (command) {
    case 'INSERT':
    case 'UPDATE':
    case 'DELETE':
    case 'MERGE':
      break;
    // COPY FROM and SELECT INTO are writes; COPY TO and a query are not. The tag of an
    // EXECUTE is its prepared statement's, and `SELECT n` is the same for a prepared query and
    // a prepared SELECT INTO (or CREATE TABLE AS): the proxy does not know which was prepared,
    // so under a limit it counts the rows as written.
    case 'COPY':
    case 'SELECT':
      if (statement.category !== 'write' && statement.type !== 'execute') return undefined;
      break;
    default:
      return undefined;
  }
  const count = Number(tag.slice(space + 1));
  return Number.isSafeInteger(count) ? count : undefined;
}

/** The error a write past its limit gets, once it has been undone. */
export function rowLimitExceeded(
  limit: number,
  tag: string,
  count: number,
  statement: StatementFacts,
): NoticeFields {
  const command = tag.slice(0, tag.indexOf(' '));
  const detail =
    'portcullis.pg.row_limit: the decision limits how many rows one statement may write (limits.affected_rows).';
  if (statement.type === 'execute' && command === 'SELECT')
    return {
      severity: 'ERROR',
      code: SqlState.InsufficientPrivilege,
      message: `permission denied by policy: EXECUTE reported ${count} rows (${tag}), more than the limit of ${limit}; it was rolled back`,
      detail: `${detail} A prepared query and a prepared SELECT INTO report the same tag, so an EXECUTE's rows count as written.`,
      hint: 'Send the query itself rather than EXECUTE of a prepared one, or narrow it.',
    };
  return {
    severity: 'ERROR',
    code: SqlState.InsufficientPrivilege,
    message: `permission denied by policy: ${command} affected ${count} rows, more than the limit of ${limit}; it was rolled back`,
    detail,
    hint: 'Narrow the statement, or split it into smaller ones.',
  };
}

function refused(limit: number, why: string, hint?: string): NoticeFields {
  return {
    severity: 'ERROR',
    code: SqlState.InsufficientPrivilege,
    message: `permission denied by policy: a limit of ${limit} affected rows applies, and ${why}`,
    detail:
      'portcullis.pg.row_limit: the decision limits how many rows one statement may write (limits.affected_rows).',
    ...(hint !== undefined ? { hint } : {}),
  };
}

/** An Execute asking for a few rows at a time (a fetch size) of a limited write. */
export function rowLimitFetchRefused(limit: number): NoticeFields {
  return refused(
    limit,
    'its rows cannot be fetched a few at a time',
    'Execute it with no row count (no fetch size).',
  );
}

/** A limited Query after an Execute whose batch has not been synced. */
export function rowLimitAfterExecute(limit: number): NoticeFields {
  return refused(
    limit,
    'it follows an Execute whose batch was not synced, so the transaction status it will meet is unknown',
    'Send Sync before it.',
  );
}
