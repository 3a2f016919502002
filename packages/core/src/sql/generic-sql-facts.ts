/**
 * Facts for the dialects PostgreSQL's grammar does not cover (MySQL, MariaDB, SQL Server,
 * SQLite, BigQuery …), from node-sql-parser's AST, shaped like the PostgreSQL facts so one
 * policy reads both. node-sql-parser has no statement offsets, so the text of each statement
 * comes from splitting the input with our tokenizer, and its fingerprint from the same tokens
 * with literals replaced.
 */

import type { SqlDialect, SqlFacts, StatementCategory, StatementFacts, TableLockMode } from '../contract.js';
import { FactCollector, type StatementKind } from './fact-collector.js';
import { fingerprintText } from './fingerprint.js';
import type { NodeSqlParser } from './parser-loader.js';
import { type LexOptions, lexSql } from './sql-lexer.js';

type Node = Record<string, unknown>;

/** node-sql-parser's `database` option for each dialect. */
const DATABASE: Record<SqlDialect, string> = {
  // Only the benchmark sends PostgreSQL here; the extractor routes it to libpg-query.
  postgresql: 'PostgresQL',
  mysql: 'MySQL',
  mariadb: 'MariaDB',
  sqlite: 'Sqlite',
  transactsql: 'TransactSQL',
  bigquery: 'BigQuery',
  snowflake: 'Snowflake',
  redshift: 'Redshift',
  hive: 'Hive',
  db2: 'DB2',
  flinksql: 'FlinkSQL',
  trino: 'Trino',
};

const LEX: Partial<Record<SqlDialect, LexOptions>> = {
  mysql: { mysqlStrings: true },
  mariadb: { mysqlStrings: true },
  bigquery: { mysqlStrings: true },
  hive: { mysqlStrings: true },
  sqlite: { brackets: true },
  transactsql: { brackets: true },
  redshift: { postgres: true },
};

const CATEGORY: Record<string, StatementCategory> = {
  select: 'read',
  show: 'session',
  desc: 'read',
  insert: 'write',
  replace: 'write',
  update: 'write',
  delete: 'write',
  merge: 'write',
  load_data: 'write',
  create: 'ddl',
  alter: 'ddl',
  drop: 'ddl',
  truncate: 'ddl',
  rename: 'ddl',
  grant: 'dcl',
  revoke: 'dcl',
  transaction: 'tcl',
  use: 'session',
  set: 'session',
  declare: 'session',
  call: 'dynamic',
  exec: 'dynamic',
  execute: 'dynamic',
  if: 'dynamic',
  lock: 'utility',
  unlock: 'utility',
  attach: 'utility',
  explain: 'utility',
  analyze: 'utility',
};

const RELATION_KEYWORDS = new Set(['table', 'view', 'materialized view', 'temporary table']);
const ROLE_KEYWORDS = new Set(['user', 'role', 'login']);

export function genericSqlFacts(raw: string, dialect: SqlDialect, parser: NodeSqlParser): SqlFacts {
  if (raw.trim() === '') return { raw, dialect, parsed: true, statements: [] };
  let asts: unknown[];
  try {
    const result = parser.parse(raw, { database: DATABASE[dialect] });
    asts = (Array.isArray(result.ast) ? result.ast : [result.ast]).filter(
      (a) => typeof a === 'object' && a !== null,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = (error as { location?: { start?: { offset?: unknown } } }).location?.start?.offset;
    const position = typeof offset === 'number' ? { position: offset } : {};
    return { raw, dialect, parsed: false, error: { message, ...position }, statements: [] };
  }
  const lex = LEX[dialect] ?? {};
  const pieces = splitStatements(raw, lex);
  const texts = pieces.length === asts.length ? pieces : asts.map(() => raw.trim());
  const statements: StatementFacts[] = [];
  for (let i = 0; i < asts.length; i++) {
    const text = texts[i] ?? raw.trim();
    statements.push(genericStatementFacts(asts[i] as Node, text, fingerprintText(text, lex)));
  }
  return { raw, dialect, parsed: true, statements };
}

/** Top-level `;`-separated pieces that hold at least one token. */
export function splitStatements(raw: string, lex: LexOptions): string[] {
  const tokens = lexSql(raw, lex);
  const out: string[] = [];
  let first = -1;
  let depth = 0;
  for (let i = 0; i <= tokens.length; i++) {
    const t = tokens[i];
    if (t !== undefined && t.kind === 'lparen') depth++;
    else if (t !== undefined && t.kind === 'rparen') depth = Math.max(0, depth - 1);
    if (t === undefined || (t.kind === 'semicolon' && depth === 0)) {
      if (first >= 0) out.push(raw.slice(tokens[first]!.start, tokens[i - 1]!.end));
      first = -1;
    } else if (first < 0) first = i;
  }
  return out;
}

/** node-sql-parser's shapes vary by grammar: read a field as a list only when it is one. */
function list(value: unknown): Node[] {
  return Array.isArray(value) ? value.filter((v): v is Node => typeof v === 'object' && v !== null) : [];
}

function tableName(ref: Node): string {
  const parts: string[] = [];
  for (const key of ['db', 'schema'] as const) {
    const v = ref[key];
    if (typeof v === 'string' && v !== '') parts.push(v);
  }
  parts.push(String(ref.table));
  return parts.join('.');
}

function isTableRef(node: Node): boolean {
  return (
    typeof node.table === 'string' && node.type !== 'column_ref' && !('column' in node) && !('value' in node)
  );
}

function functionName(node: Node): string {
  const name = node.name;
  if (typeof name === 'string') return name.toLowerCase();
  const parts = (name as Node | undefined)?.name;
  if (Array.isArray(parts)) {
    return parts
      .map((p) => String((p as Node).value ?? ''))
      .join('.')
      .toLowerCase();
  }
  return '';
}

class GenericWalk {
  readonly c = new FactCollector();
  readonly targets = new Set<object>();
  readonly aliases = new Map<string, string>();
  readonly ctes = new Set<string>();
  /** Column references, qualified once every alias of the statement is known. */
  readonly pendingColumns: [string | null, string][] = [];

  walk(value: unknown): void {
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const item of value) this.walk(item);
      return;
    }
    const node = value as Node;
    if (node.ast !== undefined && (node.tableList !== undefined || node.columnList !== undefined)) {
      this.walk(node.ast);
      return;
    }
    const type = node.type;
    if (type === 'column_ref') {
      const column =
        typeof node.column === 'string' ? node.column : String(((node.column as Node)?.expr as Node)?.value);
      this.pendingColumns.push([typeof node.table === 'string' ? node.table : null, column]);
      return;
    }
    if (type === 'function' || type === 'aggr_func') {
      const name = functionName(node);
      if (name !== '') this.c.functions.add(name);
    }
    if (type === 'binary_expr' && typeof node.operator === 'string')
      this.c.operators.add(node.operator.toLowerCase());
    if (isTableRef(node)) this.tableRef(node);
    for (const key in node) {
      if (key === 'loc') continue;
      const v = node[key];
      if (typeof v === 'object' && v !== null) {
        if (key === 'where') this.c.anyWhere = true;
        this.walk(v);
      }
    }
  }

  tableRef(node: Node): void {
    const name = tableName(node);
    const alias = typeof node.as === 'string' ? node.as : undefined;
    if (!node.db && this.ctes.has(String(node.table))) {
      this.aliases.set(alias ?? String(node.table), '');
      return;
    }
    this.c.addTable(name, this.targets.has(node) ? 'write' : 'read');
    this.aliases.set(alias ?? String(node.table), name);
  }

  /** Marks the table references directly under `value` as written. */
  markTargets(value: unknown): void {
    if (!Array.isArray(value)) {
      if (typeof value === 'object' && value !== null && isTableRef(value as Node)) this.targets.add(value);
      return;
    }
    for (const item of value) {
      if (Array.isArray(item)) this.markTargets(item);
      else if (typeof item === 'object' && item !== null && isTableRef(item as Node)) this.targets.add(item);
    }
  }

  qualifyColumns(): void {
    const tables = [...this.c.tables];
    const only = tables.length === 1 ? tables[0] : undefined;
    for (const [qualifier, column] of this.pendingColumns) {
      if (qualifier !== null) {
        const table = this.aliases.get(qualifier) ?? qualifier;
        this.c.addColumn(table === '' ? column : `${table}.${column}`, true);
      } else this.c.addColumn(only === undefined ? column : `${only}.${column}`, true);
    }
  }
}

function genericStatementFacts(ast: Node, text: string, fingerprint: string): StatementFacts {
  const w = new GenericWalk();
  let root = ast;
  const type = String(ast.type ?? 'unknown').toLowerCase();
  const kind: StatementKind = { type, category: CATEGORY[type] ?? 'unknown' };
  for (const cte of Array.isArray(ast.with) ? ast.with : []) {
    const name = ((cte as Node).name as Node | undefined)?.value;
    if (typeof name === 'string') w.ctes.add(name);
  }
  switch (type) {
    case 'insert':
    case 'replace': {
      w.markTargets(ast.table);
      const target = list(ast.table)[0];
      const table = target === undefined ? undefined : tableName(target);
      for (const col of Array.isArray(ast.columns) ? ast.columns : []) {
        if (typeof col === 'string') w.c.addColumn(table === undefined ? col : `${table}.${col}`, false);
      }
      break;
    }
    case 'update': {
      const tables = list(ast.table);
      const setAliases = new Set(
        list(ast.set)
          .map((s) => s.table)
          .filter(Boolean),
      );
      tables.forEach((t, i) => {
        if (
          i === 0 ? setAliases.size === 0 || setAliases.has(t.as ?? t.table) : setAliases.has(t.as ?? t.table)
        ) {
          w.targets.add(t);
        }
      });
      if (w.targets.size === 0 && tables[0] !== undefined) w.targets.add(tables[0]);
      w.c.targetWhere = restrictsRows(ast.where);
      break;
    }
    case 'delete': {
      const named = new Set(list(ast.table).map((t) => String(t.table)));
      const from = list(ast.from);
      for (const f of from)
        if (named.has(String(f.as ?? f.table)) || named.has(String(f.table))) w.targets.add(f);
      if (w.targets.size === 0 && from[0] !== undefined) w.targets.add(from[0]);
      // The DELETE's own table list repeats names already found in FROM (and may be aliases).
      root = { ...ast, table: null };
      w.c.targetWhere = restrictsRows(ast.where);
      break;
    }
    case 'create':
    case 'alter':
    case 'drop':
    case 'truncate': {
      const keyword = typeof ast.keyword === 'string' ? ast.keyword.toLowerCase() : 'table';
      if (type !== 'truncate') {
        kind.type = type === 'drop' ? 'drop' : `${type}_${keyword.replace(/\s+/g, '_')}`;
        kind.object_type = keyword.replace(/\s+/g, '_');
      } else kind.object_type = 'table';
      if (ROLE_KEYWORDS.has(keyword)) kind.category = 'dcl';
      if (RELATION_KEYWORDS.has(keyword) || type === 'alter' || type === 'truncate') {
        w.markTargets(ast.table);
        w.markTargets(ast.name);
        w.markTargets(ast.view);
      }
      if (keyword === 'index') w.markTargets(ast.table);
      break;
    }
    case 'rename':
      kind.object_type = 'table';
      w.markTargets(ast.table);
      break;
    case 'load_data': {
      w.markTargets(ast.table);
      const file = (ast.file as Node | undefined)?.value;
      w.c.copy = {
        direction: 'from',
        program: false,
        stdio: false,
        ...(typeof file === 'string' ? { target: file } : {}),
      };
      break;
    }
    case 'call':
    case 'exec':
    case 'execute':
    case 'if':
      w.c.dynamic = true;
      break;
    case 'grant':
    case 'revoke':
      kind.object_type = 'table';
      break;
    case 'select': {
      const into = ast.into as Node | null | undefined;
      if (into?.type === 'into') {
        kind.category = 'write';
        const keyword = typeof into.keyword === 'string' ? into.keyword.toLowerCase() : '';
        if (typeof into.expr === 'string' && keyword !== 'outfile' && keyword !== 'dumpfile') {
          w.c.addTable(into.expr, 'write');
        }
      }
      break;
    }
  }
  if (kind.category === 'dcl' && Array.isArray(ast.user)) {
    const names = ast.user.map((u) =>
      String((((u as Node).user as Node)?.name as Node)?.value ?? '').toLowerCase(),
    );
    w.c.role = { names: names.filter((n) => n !== ''), attributes: [] };
  }
  w.walk(root);
  if (type === 'call' || type === 'exec') {
    const module = ast.module as Node | undefined;
    if (module !== undefined && typeof module.table === 'string')
      w.c.functions.add(tableName(module).toLowerCase());
    // EXEC names a procedure, not a table.
    if (module !== undefined) {
      const name = tableName(module);
      w.c.tables.delete(name);
      w.c.reads.delete(name);
    }
  }
  if (type === 'lock') w.c.lock = mysqlTableLock(ast);
  w.qualifyColumns();
  return w.c.toFacts(kind, text, fingerprint);
}

/**
 * MySQL's LOCK TABLES in PostgreSQL's terms, the strongest of its tables: WRITE keeps every
 * other session out of the table (`access_exclusive`), READ lets them read but not write
 * (`share`). A lock type this does not know is taken as WRITE.
 */
function mysqlTableLock(ast: Node): TableLockMode {
  let lock: TableLockMode = 'share';
  for (const entry of list(ast.tables)) {
    const type = ((entry as Node).lock_type as Node | undefined)?.type;
    if (type !== 'read') lock = 'access_exclusive';
  }
  return lock;
}

/**
 * Whether a WHERE condition can tell rows apart, as far as its shape shows (pg-statement-facts
 * has the same check on PostgreSQL's tree): a condition naming no column restricts nothing, an
 * OR restricts only when every branch does, AND when one does, NOT when what it negates does,
 * and a column compared with itself restricts nothing. Anything else that names a column counts as restricting.
 */
/** Levels of a WHERE tree the restriction check reads. */
const MAX_CONDITION_DEPTH = 500;

function restrictsRows(node: unknown, depth = 0): boolean {
  if (node === null || typeof node !== 'object') return false;
  // Deeper than any condition a person writes: taken as restricting nothing, so the write is
  // held rather than let through (nesting `1 = 1 AND (…)` was a way past the check).
  if (depth > MAX_CONDITION_DEPTH) return false;
  const n = node as { type?: unknown; operator?: unknown; left?: unknown; right?: unknown };
  // NOT restricts when what it negates does, as on PostgreSQL's tree.
  const negated = notOperand(node);
  if (negated !== undefined) return restrictsRows(negated, depth + 1);
  if (n.type === 'binary_expr') {
    const op = String(n.operator).toUpperCase();
    if (op === 'OR') return restrictsRows(n.left, depth + 1) && restrictsRows(n.right, depth + 1);
    if (op === 'AND') return restrictsRows(n.left, depth + 1) || restrictsRows(n.right, depth + 1);
    if ((op === '=' || op === '>=' || op === '<=') && sameColumn(n.left, n.right)) return false;
  }
  return mentionsColumn(node, depth);
}

/** What a NOT negates: the parser gives `NOT x` as a unary expression, `NOT (x)` as a call of NOT. */
function notOperand(node: object): unknown {
  const n = node as {
    type?: unknown;
    operator?: unknown;
    expr?: unknown;
    name?: { name?: { value?: unknown }[] };
    args?: { value?: unknown[] };
  };
  if (n.type === 'unary_expr' && String(n.operator).toUpperCase() === 'NOT') return n.expr;
  const args = n.args?.value;
  if (n.type === 'function' && String(n.name?.name?.[0]?.value).toUpperCase() === 'NOT' && args?.length === 1)
    return args[0];
  return undefined;
}

function sameColumn(a: unknown, b: unknown): boolean {
  const x = a as { type?: unknown; table?: unknown; column?: unknown } | null;
  const y = b as { type?: unknown; table?: unknown; column?: unknown } | null;
  return (
    x?.type === 'column_ref' &&
    y?.type === 'column_ref' &&
    JSON.stringify([x.table ?? null, x.column]) === JSON.stringify([y.table ?? null, y.column])
  );
}

function mentionsColumn(node: unknown, depth: number): boolean {
  if (node === null || typeof node !== 'object') return false;
  if (depth > MAX_CONDITION_DEPTH) return false;
  if (Array.isArray(node)) return node.some((n) => mentionsColumn(n, depth + 1));
  if ((node as { type?: unknown }).type === 'column_ref') return true;
  return Object.values(node).some((v) => mentionsColumn(v, depth + 1));
}
