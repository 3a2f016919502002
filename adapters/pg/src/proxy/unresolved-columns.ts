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
 *   table) or a column of planner statistics' sample values, selects `*`, calls a function not
 *   known to be a pure built-in, or reads a relation that is a view reading a masked column,
 *   or that the catalog does not know;
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
 * Built-ins whose result depends only on their arguments (or on nothing of the database's
 * data): the columns passed to them are already in the statement's facts. Any other
 * function might read a table on its own, so it taints.
 */
const PURE_FUNCTIONS = new Set([
  'abs',
  'array_agg',
  'array_length',
  'avg',
  'bool_and',
  'bool_or',
  'btrim',
  'ceil',
  'ceiling',
  'char_length',
  'character_length',
  'clock_timestamp',
  'coalesce',
  'concat',
  'concat_ws',
  'count',
  'current_database',
  'current_date',
  'current_schema',
  'current_setting',
  'current_timestamp',
  'current_user',
  'date_part',
  'date_trunc',
  'dense_rank',
  'every',
  'extract',
  'floor',
  'format',
  'generate_series',
  'greatest',
  'initcap',
  'json_agg',
  'json_build_object',
  'jsonb_agg',
  'jsonb_build_object',
  'least',
  'left',
  'length',
  'lower',
  'lpad',
  'ltrim',
  'max',
  'md5',
  'min',
  'mod',
  'now',
  'nullif',
  'octet_length',
  'pg_backend_pid',
  'position',
  'power',
  'random',
  'rank',
  'regexp_replace',
  'repeat',
  'replace',
  'reverse',
  'right',
  'round',
  'row_number',
  'rpad',
  'rtrim',
  'session_user',
  'split_part',
  'sqrt',
  'statement_timestamp',
  'string_agg',
  'strpos',
  'substr',
  'substring',
  'sum',
  'timeofday',
  'to_char',
  'to_date',
  'to_number',
  'to_timestamp',
  'transaction_timestamp',
  'trim',
  'trunc',
  'upper',
  'version',
  // What drivers and tools ask the catalog (pgjdbc's DatabaseMetaData, psql's \d, pg_dump):
  // definitions, names, privileges and sizes of objects, never the rows of a table.
  'array_lower',
  'array_to_string',
  'array_upper',
  'col_description',
  'current_schemas',
  'format_type',
  'generate_subscripts',
  'has_column_privilege',
  'has_database_privilege',
  'has_function_privilege',
  'has_schema_privilege',
  'has_sequence_privilege',
  'has_table_privilege',
  'obj_description',
  'pg_encoding_to_char',
  'pg_function_is_visible',
  'pg_get_constraintdef',
  'pg_get_expr',
  'pg_get_function_arguments',
  'pg_get_function_identity_arguments',
  'pg_get_function_result',
  'pg_get_indexdef',
  'pg_get_partkeydef',
  'pg_get_serial_sequence',
  'pg_get_triggerdef',
  'pg_get_userbyid',
  'pg_get_viewdef',
  'pg_has_role',
  'pg_relation_size',
  'pg_size_pretty',
  'pg_table_is_visible',
  'pg_table_size',
  'pg_total_relation_size',
  'pg_type_is_visible',
  'pg_typeof',
  'quote_ident',
  'shobj_description',
  'unnest',
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
   * The built-ins it calls by bare name, to check in the catalog: a function of the user's by
   * the same name (an overload for other argument types) may be the one that runs.
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
  const planOnly = new Set(
    flatten(statements.filter((s) => s.type === 'explain' && s.explain?.analyze === false)),
  );
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
        // By name only: `email` of any table could be the masked one under another alias.
        const carries = firstPicked(context, [{ table: null, column }]);
        if (carries) return tainted(carries);
      }
    for (const f of s.functions) {
      // Only a superuser can create a function in pg_catalog: a name qualified so is the built-in.
      const qualified = f.startsWith('pg_catalog.');
      const name = qualified ? f.slice('pg_catalog.'.length) : f;
      if (!PURE_FUNCTIONS.has(name)) return tainted(anyMaskedColumn(context));
      if (!qualified) functions.add(name);
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
