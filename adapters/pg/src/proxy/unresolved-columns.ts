/**
 * Result columns a column mask cannot be matched to by table: expressions, function results
 * and aggregates (RowDescription table OID 0), and columns of views and materialized views
 * (their table OID names the view, not the table the value comes from). A mask on
 * `users.email` must still reach `lower(email)` and a view's `contact` column built from it.
 *
 * Such a column is *tainted* when a masked column can flow into it:
 * - a view column: the view (through any views under it) reads a masked column, or calls a
 *   function outside pg_catalog;
 * - an expression column: the statement names a masked column (by column name, whatever the
 *   table) or a column of planner statistics' sample values, selects `*`, calls a function
 *   that is not the server's own or one of the server's that reads data (see
 *   DATA_READING_FUNCTIONS), or reads a relation that is a view reading a masked column, or
 *   that the catalog does not know;
 * - a column of planner statistics' sample values (see SAMPLE_VALUE_COLUMNS), or a view
 *   reading one.
 *
 * A tainted column is then masked as the masked column it may carry, or the result is
 * withheld, as `unresolvedColumns` says. Untainted ones (`count(*)`, `now()`) pass.
 */

import type { ColumnDescriptor, StatementFacts } from '@portcullis/core';
import type { MaskContext } from './mask-plan.js';

/**
 * Columns of the planner's statistics that hold sample values of other tables' columns:
 * ANALYZE's most common values and histogram bounds (`pg_statistic.stavalues1`…`5`, shown as
 * `pg_stats.most_common_vals` and `histogram_bounds`), and extended statistics' MCV lists and
 * expression statistics. `pg_stats` of users.email lists emails, so such a column may carry any
 * masked column, whatever its table.
 */
const SAMPLE_VALUE_COLUMNS = new Set([
  'stavalues1',
  'stavalues2',
  'stavalues3',
  'stavalues4',
  'stavalues5',
  'stxdmcv',
  'stxdexpr',
]);

const STATISTICS_CATALOGS = new Set(['pg_statistic', 'pg_statistic_ext_data']);

/** A stored column that holds sample values of other columns (see SAMPLE_VALUE_COLUMNS). */
export function holdsSampleValues(c: { schema: string; table: string; column: string }): boolean {
  return c.schema === 'pg_catalog' && STATISTICS_CATALOGS.has(c.table) && SAMPLE_VALUE_COLUMNS.has(c.column);
}

/** What the proxy does with a tainted column (option `unresolvedColumns`). */
export type UnresolvedColumnsMode = 'mask' | 'deny';

export const DEFAULT_UNRESOLVED_COLUMNS: UnresolvedColumnsMode = 'deny';

/**
 * The server's own functions (in pg_catalog) whose result can hold what the statement's facts
 * do not show: rows of a query or a table they are handed as text or by name, large objects,
 * server files, decoded WAL (every table's changes), other sessions' statement text. Every
 * other built-in computes from its arguments or from the catalog's definitions, names and
 * sizes, never from a table's rows: the columns that feed it are already in the facts.
 */
const DATA_READING_FUNCTIONS = new Set([
  // Run SQL given as text, or read a relation, cursor, schema or database whole.
  'cursor_to_xml',
  'cursor_to_xmlschema',
  'database_to_xml',
  'database_to_xml_and_xmlschema',
  'database_to_xmlschema',
  'query_to_xml',
  'query_to_xml_and_xmlschema',
  'query_to_xmlschema',
  'schema_to_xml',
  'schema_to_xml_and_xmlschema',
  'schema_to_xmlschema',
  'table_to_xml',
  'table_to_xml_and_xmlschema',
  'table_to_xmlschema',
  'ts_rewrite',
  'ts_stat',
  // Large objects: bytes stored beside the tables, which any value may have been copied to.
  'lo_get',
  'loread',
  // Server files: a table's own data files among them.
  'pg_read_binary_file',
  'pg_read_file',
  'pg_read_file_old',
  // Logical decoding: the rows every write of every table put in the WAL.
  'pg_logical_slot_get_binary_changes',
  'pg_logical_slot_get_changes',
  'pg_logical_slot_peek_binary_changes',
  'pg_logical_slot_peek_changes',
  // Other sessions' statements, with their literals (pg_stat_activity.query).
  'pg_stat_get_activity',
  'pg_stat_get_backend_activity',
]);

/**
 * Longer than the largest `keep` a partial mask may ask for, so every column strategy changes
 * it; used to ask the masker which descriptors its column rules pick.
 */
const PROBE = 'portcullis-probe-'.repeat(6);

/** Which of these descriptors a column rule of the context picks. */
export function pickedColumns(context: MaskContext, descriptors: readonly ColumnDescriptor[]): boolean[] {
  if (!context.hasColumnRules || descriptors.length === 0) return descriptors.map(() => false);
  const out = context.masker.maskRow(
    descriptors,
    descriptors.map(() => PROBE),
  );
  return out.map((v) => v !== PROBE);
}

/** The first of these descriptors a column rule picks, if any. */
export function firstPicked(
  context: MaskContext,
  descriptors: readonly ColumnDescriptor[],
): ColumnDescriptor | undefined {
  const picked = pickedColumns(context, descriptors);
  const i = picked.indexOf(true);
  return i < 0 ? undefined : descriptors[i];
}

/**
 * A descriptor every column rule matches (the first one masks it): what a tainted column is
 * masked as when no particular masked column can be named (a view calling a function, say).
 * Named after the first rule that names a column, for messages.
 */
export function anyMaskedColumn(context: MaskContext): ColumnDescriptor {
  for (const rule of context.masker.rules) {
    if ('column' in rule && typeof rule.column === 'string') {
      return { table: null, column: lastIdentifier(rule.column), any: true };
    }
  }
  return { table: null, column: '', any: true };
}

function lastIdentifier(path: string): string {
  const m = /(?:"((?:[^"]|"")*)"|([^."]+))\s*$/.exec(path);
  if (!m) return path;
  return m[1] !== undefined ? m[1].replaceAll('""', '"').toLowerCase() : (m[2] ?? path).trim().toLowerCase();
}

/** EXPLAIN without ANALYZE, and what it explains: statements that run nothing. */
function planOnlyStatements(statements: readonly StatementFacts[]): Set<StatementFacts> {
  return new Set(flatten(statements.filter((s) => s.type === 'explain' && s.explain?.analyze === false)));
}

/** The outcome of looking at a statement's facts alone. */
export interface FactsTaint {
  /** Set when the facts alone show a masked column may reach an expression column. */
  carries?: ColumnDescriptor;
  /** Relations the statement reads, to check in the catalog when the facts were clean. */
  relations: string[];
  /**
   * Names of the operators it applies (schema dropped), to check in the catalog: one the user
   * defined runs the user's function, which can read a masked table as a function call can.
   */
  operators: string[];
  /**
   * The functions it calls by bare name, to check in the catalog: clean when every function of
   * that name is the server's own; a function of the user's by the same name (an overload for
   * other argument types) may be the one that runs.
   */
  functions: string[];
  /**
   * Relations whose every column the statement reads (`SELECT *`, `u.*`, a whole-row
   * reference): what they hold is looked up in the catalog. A FULL JOIN's merged USING column,
   * a set operation over a star, a whole row inside an expression carry those columns into
   * results with no table.
   */
  stars: string[];
}

function flatten(statements: readonly StatementFacts[]): StatementFacts[] {
  const out: StatementFacts[] = [];
  for (const s of statements) {
    out.push(s);
    for (const inner of s.inner) out.push(inner);
  }
  return out;
}

/** The facts alone show this masked column may reach an expression column. */
function tainted(carries: ColumnDescriptor): FactsTaint {
  return { carries, relations: [], operators: [], functions: [], stars: [] };
}

export function factsTaint(context: MaskContext, statements: readonly StatementFacts[]): FactsTaint {
  const relations = new Set<string>();
  const operators = new Set<string>();
  const functions = new Set<string>();
  const stars = new Set<string>();
  // EXPLAIN without ANALYZE runs nothing: its plan names the columns it would read, never
  // their values. What can put a value in a plan is a function the planner folds to a
  // constant (one marked IMMUTABLE that reads a table), here or in a view: functions and
  // relations are still checked.
  const planOnly = planOnlyStatements(statements);
  for (const s of flatten(statements)) {
    if (!planOnly.has(s))
      for (const c of s.columns) {
        const dot = c.lastIndexOf('.');
        const column = dot < 0 ? c : c.slice(dot + 1);
        if (column === '*') {
          // Unqualified: it covers its query level's relations, some of the statement's tables.
          // A star over no table covers functions' rows: the function checks below decide.
          const qualifier = dot < 0 ? undefined : c.slice(0, dot);
          for (const t of qualifier === undefined ? s.tables : [qualifier]) stars.add(t);
          continue;
        }
        if (SAMPLE_VALUE_COLUMNS.has(column)) return tainted(anyMaskedColumn(context));
        // By name only: the facts' table is the parser's reading, without the tables' columns
        // (an unqualified name in a correlated subquery may be the outer table's), so `email`
        // of any table could be the masked one. The stated table only lets a rule's `except`
        // spare a column the operator named as harmless.
        const statedTable = dot < 0 ? undefined : c.slice(0, dot);
        const carries = firstPicked(context, [{ table: null, column, statedTable }]);
        if (carries) return tainted(carries);
      }
    for (const f of s.functions) {
      const taint = functionTaint(f);
      if (taint === 'taints') return tainted(anyMaskedColumn(context));
      if (taint === 'ask') functions.add(f);
    }
    if (s.dynamic || s.opaque) return tainted(anyMaskedColumn(context));
    for (const t of s.tables) relations.add(t);
    // Operator symbols hold no dot: what precedes the last one is the schema.
    for (const o of s.operators) operators.add(o.slice(o.lastIndexOf('.') + 1));
  }
  return {
    relations: [...relations],
    operators: [...operators],
    functions: [...functions],
    stars: [...stars],
  };
}

/**
 * What a function the statement calls says about its result, by the name the facts give it:
 * the server's own (`pg_catalog.upper`), or one that may read anything, or a bare name whose
 * functions the catalog must show: only pg_catalog's own, or also one of the user's (an
 * overload for other argument types, or one a search_path puts first) that the call may run.
 */
function functionTaint(name: string): 'clean' | 'taints' | 'ask' {
  // Only a superuser creates anything in pg_catalog or information_schema (whose functions are
  // SQL over the catalog, which its own views call): a name qualified so is the server's own.
  if (name.startsWith('pg_catalog.')) {
    return DATA_READING_FUNCTIONS.has(name.slice('pg_catalog.'.length)) ? 'taints' : 'clean';
  }
  if (name.startsWith('information_schema.')) return 'clean';
  // Any other schema holds the user's functions, or an extension's, in SQL, PL/pgSQL or C, any
  // of which can read a table (dblink, pageinspect's raw pages, tablefunc's crosstab).
  if (name.includes('.') || DATA_READING_FUNCTIONS.has(name)) return 'taints';
  return 'ask';
}

/** The columns of one relation that a statement may read (see viewColumnRefs). */
export interface ViewColumnRefs {
  /** It may read columns it does not name: a star, a whole row, a NATURAL join. */
  all: boolean;
  /** The names it reads that may be the relation's, and whether it qualified them with it. */
  names: Map<string, boolean>;
  /** An EXPLAIN without ANALYZE reads it: its plan, not its columns (left out of the above). */
  explained: boolean;
}

/**
 * Which columns of `relation` (as the statement spells it) the statements name: those it
 * qualifies with that relation, and every bare name, which may be one of its columns. Core
 * qualifies a column with its table where the statement's text shows it (an alias resolved);
 * a star over the relation, or a column list renaming its columns, is reported as its star.
 */
export function viewColumnRefs(statements: readonly StatementFacts[], relation: string): ViewColumnRefs {
  const out: ViewColumnRefs = { all: false, names: new Map(), explained: false };
  const own = lastIdentifier(relation);
  const planOnly = planOnlyStatements(statements);
  for (const s of flatten(statements)) {
    if (planOnly.has(s)) {
      if (s.tables.some((t) => lastIdentifier(t) === own)) out.explained = true;
      continue;
    }
    // A NATURAL join compares the columns both sides have, which the text does not name.
    if (/\bnatural\b/i.test(s.text)) out.all = true;
    for (const c of s.columns) {
      const dot = c.lastIndexOf('.');
      const column = dot < 0 ? c : c.slice(dot + 1);
      const qualified = dot >= 0 && lastIdentifier(c.slice(0, dot)) === own;
      if (dot >= 0 && !qualified) continue;
      if (column === '*') out.all = true;
      else if (!out.names.get(column)) out.names.set(column, qualified);
    }
  }
  return out;
}
