/**
 * Facts for PostgreSQL statements, from the raw parse tree libpg-query returns. One walk per
 * statement collects tables (with read/write access), columns, functions and WHERE presence and
 * emits the parts the fingerprint is computed from, so the tree is visited exactly once.
 *
 * Most nodes need no special case: the generic walk finds every RangeVar, ColumnRef and
 * FuncCall wherever it sits (subqueries, joins, LATERAL, function arguments). The statements
 * below are special only where access or scope depends on position: DML targets, CTE names,
 * aliases, and the places where a statement holds another one (CTE, EXPLAIN, PREPARE, DO,
 * function bodies, rules, COPY (query)).
 */

import type { InnerStatementSource, SqlParseError, StatementFacts, TableLockMode } from '../contract.js';
import { FactCollector, type StatementKind } from './fact-collector.js';
import { fingerprintParts } from './fingerprint.js';
import { innerTextAfterKeyword, parenthesisedText } from './inner-text.js';
import type { PgParseResult } from './parser-loader.js';
import { type PlpgsqlPiece, scanPlpgsql } from './plpgsql-facts.js';
import { SourceText } from './source-text.js';
import { pgStatementKind } from './statement-kind.js';

type Node = Record<string, unknown>;
type Access = 'read' | 'write' | 'none';
type Effects = 'all' | 'reads' | 'none';

/** Code run inside code (EXECUTE of a string holding a DO block …) is followed this deep. */
const MAX_NESTING = 8;

const DML = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
/** Statements whose constants are data, so the fingerprint drops them (as pg_query does). */
const CONSTANTS_ARE_DATA = new Set([
  'SelectStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'MergeStmt',
  'ExplainStmt',
  'DeclareCursorStmt',
  'ExecuteStmt',
  'CallStmt',
]);
/** Top-level fields that name the object a DDL statement creates or changes. */
const TARGET_FIELDS = new Set(['relation', 'relations', 'objects', 'view', 'sequence', 'into', 'table']);
/** DROP kinds whose objects are relations, so they count as tables written. */
const RELATION_DROPS = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_SEQUENCE',
]);
const LANGUAGES_WITHOUT_BODY = new Set(['internal']);
const SKIP_SELECT = new Set(['withClause', 'fromClause', 'intoClause', 'larg', 'rarg', 'op']);

const ROLE_FLAGS: Record<string, readonly [string, string]> = {
  superuser: ['superuser', 'nosuperuser'],
  createrole: ['createrole', 'nocreaterole'],
  createdb: ['createdb', 'nocreatedb'],
  canlogin: ['login', 'nologin'],
  isreplication: ['replication', 'noreplication'],
  bypassrls: ['bypassrls', 'nobypassrls'],
  inherit: ['inherit', 'noinherit'],
};
const ROLE_OPTIONS: Record<string, string> = {
  password: 'password',
  connectionlimit: 'connection_limit',
  validUntil: 'valid_until',
  addroleto: 'in_role',
  rolemembers: 'role',
  adminmembers: 'admin',
  sysid: 'sysid',
};

/** State shared by the statements of one input: prepared names, the grammar, nesting depth. */
export interface PgEnv {
  parsePg(query: string): PgParseResult;
  prepared: Map<string, StatementFacts>;
  depth: number;
}

interface Scope {
  parent: Scope | undefined;
  /** Alias or bare name → table; '' for a CTE or subquery (known, but not a table). */
  aliases: Map<string, string>;
  /** Relations of this level's FROM, in order, for unqualified columns. */
  rels: string[];
  ctes: Set<string> | undefined;
  /** An aliased join (`(a JOIN b USING (id)) AS j`) → the tables under it. */
  joins: Map<string, string[]> | undefined;
  /** Aliases of functions in FROM; '' when one has none. */
  functions: Set<string> | undefined;
}

const newScope = (parent: Scope | undefined): Scope => ({
  parent,
  aliases: new Map(),
  rels: [],
  ctes: undefined,
  joins: undefined,
  functions: undefined,
});

/** Where a statement's text sits: its source, and its byte range there. */
export interface StatementSpan {
  source: SourceText;
  start: number;
  end: number;
  text: string;
}

/** Facts for one statement of a parse result. */
export function pgStatementFacts(wrapped: Node, span: StatementSpan, env: PgEnv): StatementFacts {
  const c = new FactCollector();
  const kind = new PgWalk(c, env, span, undefined).statement(wrapped);
  return c.toFacts(kind, span.text, fingerprintParts(c.fp));
}

/** Parses `sql` and returns facts for each statement, or the parse error. */
export function pgParseFacts(sql: string, env: PgEnv): StatementFacts[] | SqlParseError {
  if (sql.includes('\u0000'))
    return { message: 'NUL character in SQL text', position: sql.indexOf('\u0000') };
  if (sql.trim() === '') return [];
  let tree: PgParseResult;
  try {
    tree = env.parsePg(sql);
  } catch (error) {
    return pgParseError(error);
  }
  const source = new SourceText(sql);
  const out: StatementFacts[] = [];
  for (const raw of tree.stmts ?? []) {
    if (raw.stmt === undefined) continue;
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len === undefined || raw.stmt_len === 0 ? source.byteLength : start + raw.stmt_len;
    const text = source.sliceBytes(start, end).trim();
    out.push(pgStatementFacts(raw.stmt, { source, start, end, text }, env));
  }
  return out;
}

export function pgParseError(error: unknown): SqlParseError {
  const message = error instanceof Error ? error.message : String(error);
  const details = (error as { sqlDetails?: { cursorPosition?: unknown } } | null)?.sqlDetails;
  const position = details?.cursorPosition;
  return typeof position === 'number' ? { message, position } : { message };
}

/**
 * Whether a WHERE condition can tell rows apart, as far as its shape shows: a condition that
 * names no column (`WHERE true`, `WHERE 1 = 1`, an uncorrelated EXISTS) holds for every row or
 * for none; an OR with such a branch (`WHERE id = 5 OR 1 = 1`) holds for every row when that
 * branch does; a column compared with itself (`WHERE id = id`) holds for every row it is not
 * NULL in. AND restricts when one side does; `CURRENT OF` a cursor restricts. Anything else
 * that names a column counts as restricting: this is a syntactic check, not a proof.
 */
/** Levels of a WHERE tree the restriction check reads. */
const MAX_CONDITION_DEPTH = 500;

function restrictsRows(node: unknown, depth = 0): boolean {
  if (node === null || typeof node !== 'object') return false;
  // Deeper than any condition a person writes: taken as restricting nothing, so the write is
  // held rather than let through (nesting `1 = 1 AND (…)` was a way past the check).
  if (depth > MAX_CONDITION_DEPTH) return false;
  const n = node as Node;
  const bool = n.BoolExpr as Node | undefined;
  if (bool !== undefined) {
    const args = (bool.args as unknown[] | undefined) ?? [];
    if (bool.boolop === 'OR_EXPR') return args.length > 0 && args.every((a) => restrictsRows(a, depth + 1));
    return args.some((a) => restrictsRows(a, depth + 1));
  }
  const test = n.BooleanTest as Node | undefined;
  if (test !== undefined && (test.booltesttype === 'IS_TRUE' || test.booltesttype === 'IS_NOT_FALSE'))
    return restrictsRows(test.arg, depth + 1);
  const expr = n.A_Expr as Node | undefined;
  if (
    expr?.kind === 'AEXPR_OP' &&
    SELF_TRUE_OPERATORS.has(str((expr.name as unknown[] | undefined)?.[0]) ?? '')
  ) {
    const l = (expr.lexpr as Node | undefined)?.ColumnRef as Node | undefined;
    const r = (expr.rexpr as Node | undefined)?.ColumnRef as Node | undefined;
    if (l !== undefined && r !== undefined && sameColumn(l, r)) return false;
  }
  return mentionsColumn(node, depth);
}

/** Operators that hold whenever both sides are the same non-NULL value. */
const SELF_TRUE_OPERATORS = new Set(['=', '>=', '<=']);

function sameColumn(a: Node, b: Node): boolean {
  const left = names(a.fields);
  return left.length > 0 && JSON.stringify(left) === JSON.stringify(names(b.fields));
}

/** Whether anything under `node` references a column (a whole-row reference too) or a cursor. */
function mentionsColumn(node: unknown, depth: number): boolean {
  if (node === null || typeof node !== 'object') return false;
  if (depth > MAX_CONDITION_DEPTH) return false;
  if (Array.isArray(node)) return node.some((n) => mentionsColumn(n, depth + 1));
  for (const [key, value] of Object.entries(node)) {
    if (key === 'ColumnRef' || key === 'CurrentOfExpr') return true;
    if (mentionsColumn(value, depth + 1)) return true;
  }
  return false;
}

function firstKey(node: Node): string | undefined {
  for (const key in node) return key;
  return undefined;
}

/** Built-ins that run a query given as text, by the position of that argument. */
const SQL_TEXT_ARGUMENT: Record<string, number> = {
  query_to_xml: 0,
  query_to_xmlschema: 0,
  query_to_xml_and_xmlschema: 0,
  ts_stat: 0,
  // ts_rewrite(query, select): the two-argument form runs the select.
  ts_rewrite: 1,
};

/** Built-ins that read a whole table given by name (or regclass). */
const TABLE_ARGUMENT = new Set(['table_to_xml', 'table_to_xmlschema', 'table_to_xml_and_xmlschema']);

/** Functions that read data the statement cannot show: many tables, a cursor, another database. */
const OPAQUE_READS = new Set([
  'schema_to_xml',
  'schema_to_xmlschema',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xmlschema',
  'database_to_xml_and_xmlschema',
  'cursor_to_xml',
  'cursor_to_xmlschema',
  'dblink',
  'dblink_open',
  'dblink_fetch',
  'dblink_send_query',
  'dblink_get_result',
]);

function lastSegmentOf(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/** The text of a string constant, also cast (`'users'::regclass`); undefined for anything else. */
function stringConstant(node: unknown): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const cast = (node as Node).TypeCast as Node | undefined;
  if (cast !== undefined) return stringConstant(cast.arg);
  const value = ((node as Node).A_Const as Node | undefined)?.sval as Node | undefined;
  return typeof value?.sval === 'string' ? value.sval : undefined;
}

function str(node: unknown): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const s = (node as Node).String as Node | undefined;
  return typeof s?.sval === 'string' ? s.sval : undefined;
}

function names(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const item of list) {
    const s = str(item);
    if (s !== undefined) out.push(s);
  }
  return out;
}

function defElems(list: unknown): Node[] {
  if (!Array.isArray(list)) return [];
  const out: Node[] = [];
  for (const item of list) {
    const d = (item as Node).DefElem as Node | undefined;
    if (d !== undefined) out.push(d);
  }
  return out;
}

function defString(arg: unknown): string | undefined {
  const s = str(arg);
  if (s !== undefined) return s;
  const list = (arg as Node | undefined)?.List as Node | undefined;
  return list === undefined ? undefined : str((list.items as unknown[] | undefined)?.[0]);
}

/** A boolean option as EXPLAIN and role options write them: absent argument means true. */
function defTrue(arg: unknown): boolean {
  if (arg === undefined) return true;
  const node = arg as Node;
  if (node.Boolean !== undefined) return (node.Boolean as Node).boolval === true;
  if (node.Integer !== undefined) return ((node.Integer as Node).ival ?? 0) !== 0;
  const s = str(arg)?.toLowerCase();
  return s === 'true' || s === 'on' || s === 'yes' || s === '1';
}

function roleName(spec: unknown): string | undefined {
  const node = ((spec as Node | undefined)?.RoleSpec ?? spec) as Node | undefined;
  if (node === undefined) return undefined;
  if (typeof node.rolename === 'string') return node.rolename;
  switch (node.roletype) {
    case 'ROLESPEC_CURRENT_USER':
      return 'current_user';
    case 'ROLESPEC_SESSION_USER':
      return 'session_user';
    case 'ROLESPEC_CURRENT_ROLE':
      return 'current_role';
    case 'ROLESPEC_PUBLIC':
      return 'public';
    default:
      return undefined;
  }
}

function constValue(node: Node): string {
  for (const key in node) {
    if (key === 'location') continue;
    const v = node[key];
    if (typeof v === 'object' && v !== null) {
      for (const k in v as Node) return String((v as Node)[k]);
      return '';
    }
    return String(v);
  }
  return 'null';
}

/** LockStmt.mode: PostgreSQL's LOCKMODE numbers (lockdefs.h). */
const LOCK_MODES: Record<number, TableLockMode> = {
  1: 'access_share',
  2: 'row_share',
  3: 'row_exclusive',
  4: 'share_update_exclusive',
  5: 'share',
  6: 'share_row_exclusive',
  7: 'exclusive',
  8: 'access_exclusive',
};

/**
 * The table lock of a maintenance statement, as PostgreSQL's documentation gives it for each
 * command (https://www.postgresql.org/docs/current/explicit-locking.html). A mode number
 * this table does not know is taken as the strongest.
 */
function maintenanceLock(type: string, node: Node): TableLockMode {
  switch (type) {
    case 'LockStmt':
      return LOCK_MODES[typeof node.mode === 'number' ? node.mode : 8] ?? 'access_exclusive';
    case 'VacuumStmt':
      return node.is_vacuumcmd === true && optionOn(node.options, 'full')
        ? 'access_exclusive'
        : 'share_update_exclusive';
    case 'ReindexStmt':
      return optionOn(node.params, 'concurrently') ? 'share_update_exclusive' : 'share';
    case 'RefreshMatViewStmt':
      return node.concurrent === true ? 'exclusive' : 'access_exclusive';
    default:
      return 'access_exclusive';
  }
}

/**
 * Whether a statement's option list turns `name` on, as the server's defGetBoolean reads it:
 * no value, a non-zero integer, or true/on. A value the server would refuse counts as on.
 */
function optionOn(options: unknown, name: string): boolean {
  if (!Array.isArray(options)) return false;
  for (const item of options) {
    const def = (item as Node).DefElem as Node | undefined;
    if (def?.defname !== name) continue;
    const arg = def.arg as Node | undefined;
    if (arg === undefined) return true;
    if (arg.Integer !== undefined) return ((arg.Integer as Node).ival ?? 0) !== 0;
    if (arg.Boolean !== undefined) return (arg.Boolean as Node).boolval === true;
    const text = (arg.String as Node | undefined)?.sval;
    return !(typeof text === 'string' && ['false', 'off'].includes(text.toLowerCase()));
  }
  return false;
}

class PgWalk {
  readonly c: FactCollector;
  readonly env: PgEnv;
  readonly span: StatementSpan;
  scope: Scope;
  access: Access = 'read';
  keepConstants = false;

  constructor(c: FactCollector, env: PgEnv, span: StatementSpan, parent: Scope | undefined) {
    this.c = c;
    this.env = env;
    this.span = span;
    this.scope = newScope(parent);
  }

  statement(wrapped: Node): StatementKind {
    const type = firstKey(wrapped) ?? 'unknown';
    const node = (wrapped[type] ?? {}) as Node;
    const kind = pgStatementKind(type, node);
    this.keepConstants = !CONSTANTS_ARE_DATA.has(type);
    this.c.fp.push(type);
    switch (type) {
      case 'SelectStmt':
        this.select(node);
        if (node.intoClause !== undefined) kind.category = 'write';
        break;
      case 'InsertStmt':
        this.insert(node);
        break;
      case 'UpdateStmt':
        this.update(node);
        break;
      case 'DeleteStmt':
        this.delete(node);
        break;
      case 'MergeStmt':
        this.merge(node);
        break;
      case 'CopyStmt':
        this.copy(node);
        kind.category = node.is_from === true ? 'write' : 'read';
        break;
      case 'ExplainStmt': {
        const analyze = this.explain(node);
        kind.category = analyze ? (this.c.explain?.executes_write ? 'write' : 'read') : 'utility';
        break;
      }
      case 'PrepareStmt':
        this.prepare(node);
        break;
      case 'ExecuteStmt':
        this.execute(node);
        break;
      case 'DoStmt':
        this.doBlock(node);
        break;
      case 'CreateFunctionStmt':
        this.createFunction(node);
        break;
      case 'CallStmt':
        this.c.dynamic = true;
        if (node.funccall !== undefined) this.funcCall(node.funccall as Node);
        break;
      case 'CreateRoleStmt':
      case 'AlterRoleStmt':
      case 'AlterRoleSetStmt':
      case 'DropRoleStmt':
      case 'GrantRoleStmt':
        this.roleStatement(type, node);
        this.fields(node);
        break;
      case 'DropStmt':
        this.drop(node);
        break;
      case 'RuleStmt':
        this.rule(node);
        break;
      case 'LockStmt':
      case 'VacuumStmt':
      case 'ClusterStmt':
      case 'ReindexStmt':
      case 'RefreshMatViewStmt':
        this.c.lock = maintenanceLock(type, node);
        this.ddl(node, kind);
        break;
      case 'CreateTrigStmt': {
        const fn = names(node.funcname);
        if (fn.length > 0) this.c.functions.add(fn.join('.').toLowerCase());
        this.ddl(node, kind);
        break;
      }
      default:
        this.ddl(node, kind);
    }
    return kind;
  }

  // --- the generic walk ------------------------------------------------------------------

  visit(value: unknown): void {
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const item of value) this.visit(item);
      return;
    }
    const obj = value as Node;
    const key = firstKey(obj);
    if (key === undefined) return;
    const c0 = key.charCodeAt(0);
    // Node-typed fields are wrapped as { TypeName: {...} }; struct-typed fields are not.
    if (c0 >= 65 && c0 <= 90) this.node(key, obj[key] as Node);
    else this.fields(obj);
  }

  node(type: string, node: Node): void {
    switch (type) {
      case 'RangeVar':
        this.rangeVar(node, this.access);
        return;
      case 'ColumnRef':
        this.columnRef(node);
        return;
      case 'FuncCall':
        this.funcCall(node);
        return;
      case 'JoinExpr': {
        const before = this.scope.rels.length;
        this.c.fp.push(type);
        this.fields(node);
        // `JOIN t USING (id)` compares the column of that name on both sides: read, though no
        // expression names it.
        if (Array.isArray(node.usingClause))
          for (const u of node.usingClause) {
            const name = str(u);
            if (name !== undefined) this.c.addColumn(name, true);
          }
        const alias = (node.alias as Node | undefined)?.aliasname;
        if (typeof alias === 'string') {
          const tables = [...new Set(this.scope.rels.slice(before).filter((r) => r !== ''))];
          this.scope.joins ??= new Map();
          this.scope.joins.set(alias, tables);
          // Its columns renamed by position, as for a table (see rangeVar).
          if (hasColumnAliases(node.alias)) for (const t of tables) this.c.addColumn(`${t}.*`, true);
        }
        return;
      }
      case 'A_Const':
        this.c.fp.push(this.keepConstants ? constValue(node) : '?');
        return;
      case 'ParamRef':
        this.c.fp.push('$');
        return;
      case 'String':
        this.c.fp.push(String(node.sval));
        return;
      case 'SelectStmt':
        this.c.fp.push(type);
        this.select(node);
        return;
      case 'RangeSubselect':
        this.c.fp.push(type);
        this.visit(node.subquery);
        this.alias(node.alias, '');
        return;
      case 'RangeFunction': {
        this.c.fp.push(type);
        this.fields(node);
        this.alias(node.alias, '');
        const alias = (node.alias as Node | undefined)?.aliasname;
        this.scope.functions ??= new Set();
        this.scope.functions.add(typeof alias === 'string' ? alias : '');
        return;
      }
      default:
        this.expressionFacts(type, node);
        if (DML.has(type)) {
          // A data-modifying statement where a query was expected (e.g. COPY (DELETE …) TO).
          this.inner({ [type]: node }, 'subquery', 'all', this.span.text);
          return;
        }
        this.c.fp.push(type);
        this.fields(node);
    }
  }

  fields(node: Node, skip?: Set<string>): void {
    if (typeof node.relname === 'string') {
      this.rangeVar(node, this.access);
      return;
    }
    const fp = this.c.fp;
    for (const key in node) {
      if (key === 'location' || skip?.has(key)) continue;
      const v = node[key];
      if (typeof v === 'object' && v !== null) {
        if (key === 'whereClause') this.c.anyWhere = true;
        fp.push(key);
        if (key === 'returningList') this.returning(v);
        else this.visit(v);
      } else if (v !== undefined) fp.push(key, String(v));
    }
  }

  // --- names -----------------------------------------------------------------------------

  rangeVar(node: Node, access: Access): string | undefined {
    const rel = node.relname as string;
    const schema = node.schemaname as string | undefined;
    const catalog = node.catalogname as string | undefined;
    const alias = (node.alias as Node | undefined)?.aliasname as string | undefined;
    const name = catalog ? `${catalog}.${schema ?? ''}.${rel}` : schema ? `${schema}.${rel}` : rel;
    this.c.fp.push('RV', name);
    if (schema === undefined && catalog === undefined && this.isCte(rel)) {
      this.scope.aliases.set(alias ?? rel, '');
      this.scope.rels.push('');
      return undefined;
    }
    this.c.addTable(name, access);
    // `FROM creds AS c(a, b)` renames the table's columns by their position, which the text
    // does not show: `c.b` may be the password. Every column may be read, as by a star.
    if (hasColumnAliases(node.alias)) this.c.addColumn(`${name}.*`, true);
    this.scope.aliases.set(alias ?? rel, name);
    if (alias !== undefined) this.scope.aliases.set(name, name);
    this.scope.rels.push(name);
    return name;
  }

  isCte(name: string): boolean {
    for (let s: Scope | undefined = this.scope; s !== undefined; s = s.parent) {
      if (s.ctes?.has(name)) return true;
    }
    return false;
  }

  alias(alias: unknown, table: string): void {
    const name = (alias as Node | undefined)?.aliasname;
    if (typeof name === 'string') this.scope.aliases.set(name, table);
    this.scope.rels.push(table);
  }

  resolve(qualifier: string): string | undefined {
    for (let s: Scope | undefined = this.scope; s !== undefined; s = s.parent) {
      const t = s.aliases.get(qualifier);
      if (t !== undefined) return t;
    }
    return undefined;
  }

  columnRef(node: Node): void {
    const fields = node.fields as unknown[] | undefined;
    if (fields === undefined) return;
    const parts: string[] = [];
    let star = false;
    for (const f of fields) {
      const s = str(f);
      if (s !== undefined) parts.push(s);
      else if ((f as Node).A_Star !== undefined) star = true;
    }
    const column = star ? '*' : (parts.pop() ?? '*');
    const qualifier = parts.join('.');
    this.c.fp.push('CR', qualifier, column);
    if (star) {
      // A star over subqueries, CTEs, functions and VALUES lists only: it expands to what their
      // own target lists name, which this walk reports where it reads them.
      if (this.derivedOnly(qualifier)) return;
      // Over an aliased join: every table under it.
      const joined = qualifier === '' ? undefined : this.joinTables(qualifier);
      if (joined) {
        for (const t of joined) this.c.addColumn(`${t}.*`, true);
        return;
      }
    }
    this.c.addColumn(this.qualify(qualifier, column), true);
    // A name that is also a table (or an aliased join) of the query may be a whole-row
    // reference (`SELECT c FROM creds c`): a composite of every column, as a star is.
    // PostgreSQL prefers a column of that name when there is one; both are reported. (A
    // subquery's whole row is its columns.)
    if (!star) {
      const whole = qualifier === '' ? column : `${qualifier}.${column}`;
      for (const table of this.wholeRow(whole)) this.c.addColumn(`${table}.*`, true);
    }
  }

  /** The tables under an aliased join of this name, if one is in scope. */
  joinTables(name: string): string[] | undefined {
    for (let s: Scope | undefined = this.scope; s !== undefined; s = s.parent) {
      const tables = s.joins?.get(name);
      if (tables) return tables;
      if (s.aliases.has(name)) return undefined;
    }
    return undefined;
  }

  /**
   * Whether a star with this qualifier covers only subqueries, CTEs and VALUES lists. A
   * function's rows are not in the facts: a star over one stays, so that the policy knows
   * the statement's columns are not all named.
   */
  derivedOnly(qualifier: string): boolean {
    if (qualifier !== '') return this.resolve(qualifier) === '' && !this.fromFunction(qualifier);
    const rels = this.scope.rels;
    return rels.length > 0 && rels.every((r) => r === '') && this.scope.functions === undefined;
  }

  /** Whether this name is the alias of a function in FROM, in the scope that declares it. */
  fromFunction(name: string): boolean {
    for (let s: Scope | undefined = this.scope; s !== undefined; s = s.parent) {
      if (s.aliases.has(name)) return s.functions?.has(name) === true;
    }
    return false;
  }

  /** The tables a name refers to as a whole row, if it names a table or an aliased join. */
  wholeRow(name: string): string[] {
    const joined = this.joinTables(name);
    if (joined) return joined;
    const alias = this.resolve(name);
    if (alias !== undefined) return alias === '' ? [] : [alias];
    for (let s: Scope | undefined = this.scope; s !== undefined; s = s.parent) {
      if (s.rels.includes(name)) return [name];
    }
    return [];
  }

  /** What an expression node shows beyond its children: the operators it applies, the fields it reads. */
  expressionFacts(type: string, node: Node): void {
    switch (type) {
      case 'A_Indirection':
        this.indirection(node);
        return;
      case 'A_Expr':
        this.operator(node.name, node.kind);
        return;
      case 'SubLink':
        this.operator(node.operName, undefined);
        return;
      case 'CaseExpr':
        // `CASE x WHEN 1 …` compares with `=`, looked up by name as a written one is.
        if (node.arg !== undefined) this.c.operators.add('=');
        return;
      case 'SortBy':
        this.operator(node.useOp, undefined);
        return;
    }
  }

  /**
   * `(c).password`, `(row).*`: the fields a composite value is read for. Their names are the
   * columns they are when the composite is a whole row, so they are reported as columns read.
   */
  indirection(node: Node): void {
    for (const item of (node.indirection as unknown[] | undefined) ?? []) {
      const field = str(item);
      if (field !== undefined) this.c.addColumn(field, true);
      else if ((item as Node).A_Star !== undefined) this.c.addColumn('*', true);
    }
  }

  qualify(qualifier: string, column: string): string {
    if (qualifier !== '') {
      // An aliased join's column is one of its tables': bare, so a rule on the name applies.
      if (this.joinTables(qualifier)) return column;
      const table = this.resolve(qualifier) ?? qualifier;
      return table === '' ? column : `${table}.${column}`;
    }
    const rels = this.scope.rels;
    return rels.length === 1 && rels[0] !== '' ? `${rels[0]}.${column}` : column;
  }

  funcCall(node: Node): void {
    const name = names(node.funcname).join('.').toLowerCase();
    this.c.functions.add(name);
    this.c.fp.push('F', name);
    this.functionReads(name, (node.args as unknown[] | undefined) ?? []);
    for (const key in node) {
      if (key === 'funcname' || key === 'location') continue;
      const v = node[key];
      if (typeof v === 'object' && v !== null) this.visit(v);
      else if (v !== undefined) this.c.fp.push(key, String(v));
    }
  }

  /**
   * Built-ins that read data a statement does not name: a query held in a string
   * (`query_to_xml('SELECT password FROM creds', …)` returned the passwords, and its SQL was
   * never judged), a table given by name, every table of a schema or database, a cursor, a
   * query run over dblink. A constant query is recorded as an inner statement; anything else
   * makes the statement opaque.
   */
  functionReads(qualified: string, args: readonly unknown[]): void {
    const name = qualified.startsWith('pg_catalog.') ? qualified.slice('pg_catalog.'.length) : qualified;
    const sqlAt = SQL_TEXT_ARGUMENT[name];
    if (sqlAt !== undefined && !(name === 'ts_rewrite' && args.length !== 2)) {
      const sql = stringConstant(args[sqlAt]);
      if (sql === undefined || !this.parsedInner(sql, 'sql_text', 'all')) this.c.opaque = true;
      return;
    }
    if (TABLE_ARGUMENT.has(name)) {
      const table = stringConstant(args[0]);
      if (table === undefined || table.includes('"')) {
        this.c.opaque = true;
        return;
      }
      const relation = table.trim().toLowerCase();
      this.c.addTable(relation, 'read');
      this.c.addColumn(`${relation}.*`, true);
      return;
    }
    if (OPAQUE_READS.has(lastSegmentOf(name))) this.c.opaque = true;
  }

  /**
   * An operator the statement applies, as written (`=`, `myschema.==>`). Each runs a function,
   * which may be one of the user's. BETWEEN is reported as the `>=` and `<=` it applies.
   */
  operator(list: unknown, kind: unknown): void {
    const parts = names(list);
    if (parts.length === 0) return;
    if (typeof kind === 'string' && kind.includes('BETWEEN')) {
      this.c.operators.add('>=');
      this.c.operators.add('<=');
      return;
    }
    this.c.operators.add(parts.join('.').toLowerCase());
  }

  // --- queries and DML -------------------------------------------------------------------

  enter(): { scope: Scope; access: Access } {
    const saved = { scope: this.scope, access: this.access };
    this.scope = newScope(this.scope);
    this.access = 'read';
    return saved;
  }

  leave(saved: { scope: Scope; access: Access }): void {
    this.scope = saved.scope;
    this.access = saved.access;
  }

  select(node: Node): void {
    const saved = this.enter();
    if (node.withClause !== undefined) this.withClause(node.withClause as Node);
    const op = node.op;
    if (typeof op === 'string' && op !== 'SETOP_NONE') {
      this.c.fp.push(op, String(node.all === true));
      if (node.larg !== undefined) this.select(node.larg as Node);
      if (node.rarg !== undefined) this.select(node.rarg as Node);
    } else {
      if (node.fromClause !== undefined) this.visit(node.fromClause);
      const into = node.intoClause as Node | undefined;
      const rel = into?.rel as Node | undefined;
      if (rel !== undefined) this.rangeVar(rel, 'write');
    }
    this.fields(node, SKIP_SELECT);
    this.leave(saved);
  }

  withClause(w: Node): void {
    const ctes = (w.ctes as unknown[] | undefined) ?? [];
    this.scope.ctes ??= new Set();
    for (const item of ctes) {
      const cte = (item as Node).CommonTableExpr as Node | undefined;
      if (typeof cte?.ctename === 'string') this.scope.ctes.add(cte.ctename);
    }
    this.c.fp.push('WITH', String(w.recursive === true));
    for (const item of ctes) {
      const cte = (item as Node).CommonTableExpr as Node | undefined;
      const query = cte?.ctequery as Node | undefined;
      if (cte === undefined || query === undefined) continue;
      this.c.fp.push('CTE', String(cte.ctename));
      const type = firstKey(query);
      if (type !== undefined && DML.has(type)) {
        const text = this.textAt(cte.location, (t) => parenthesisedText(t, 'as'));
        this.inner(query, 'cte', 'all', text);
      } else this.visit(query);
    }
  }

  /** A write's RETURNING list: what it reads goes to the client (see returned_columns). */
  returning(list: unknown): void {
    const outer = this.c.inReturning;
    this.c.inReturning = true;
    this.visit(list);
    this.c.inReturning = outer;
  }

  target(node: Node): string | undefined {
    const rel = node.relation as Node | undefined;
    return rel === undefined ? undefined : this.rangeVar(rel, 'write');
  }

  /** ResTarget names of INSERT/UPDATE/MERGE are columns of the target table. */
  targetColumns(list: unknown, table: string | undefined, visitValues: boolean): void {
    if (!Array.isArray(list)) return;
    for (const item of list) {
      const rt = (item as Node).ResTarget as Node | undefined;
      if (rt === undefined) continue;
      if (typeof rt.name === 'string') {
        this.c.addColumn(table === undefined ? rt.name : `${table}.${rt.name}`, false);
        this.c.fp.push('COL', rt.name);
      }
      if (rt.indirection !== undefined) this.visit(rt.indirection);
      if (visitValues && rt.val !== undefined) this.visit(rt.val);
    }
  }

  insert(node: Node): void {
    const saved = this.enter();
    const source = node.selectStmt as Node | undefined;
    const values = (source?.SelectStmt as Node | undefined)?.valuesLists;
    if (source === undefined) this.c.valuesRows = 1;
    else if (Array.isArray(values)) this.c.valuesRows = values.length;
    if (node.withClause !== undefined) this.withClause(node.withClause as Node);
    const table = this.target(node);
    this.targetColumns(node.cols, table, false);
    this.fields(node, new Set(['withClause', 'relation', 'cols']));
    this.leave(saved);
  }

  update(node: Node): void {
    const saved = this.enter();
    if (node.withClause !== undefined) this.withClause(node.withClause as Node);
    const table = this.target(node);
    if (node.fromClause !== undefined) this.visit(node.fromClause);
    this.targetColumns(node.targetList, table, true);
    this.whereOfTarget(node.whereClause);
    if (node.returningList !== undefined) this.returning(node.returningList);
    this.leave(saved);
  }

  delete(node: Node): void {
    const saved = this.enter();
    if (node.withClause !== undefined) this.withClause(node.withClause as Node);
    this.target(node);
    if (node.usingClause !== undefined) this.visit(node.usingClause);
    this.whereOfTarget(node.whereClause);
    if (node.returningList !== undefined) this.returning(node.returningList);
    this.leave(saved);
  }

  whereOfTarget(where: unknown): void {
    if (where === undefined) return;
    // A condition that names no column (`WHERE true`, `WHERE 1 = 1`, an uncorrelated EXISTS)
    // holds for every row or for none: it restricts nothing, so the write counts as unrestricted.
    this.c.targetWhere = restrictsRows(where);
    this.c.anyWhere = true;
    this.c.fp.push('whereClause');
    this.visit(where);
  }

  merge(node: Node): void {
    const saved = this.enter();
    if (node.withClause !== undefined) this.withClause(node.withClause as Node);
    const table = this.target(node);
    if (node.sourceRelation !== undefined) this.visit(node.sourceRelation);
    // Rows of the target are restricted by the ON condition, or else by the condition of every
    // WHEN clause that updates or deletes them (`ON true WHEN MATCHED THEN DELETE` empties it).
    let whensRestrict = true;
    if (node.joinCondition !== undefined) this.visit(node.joinCondition);
    for (const item of (node.mergeWhenClauses as unknown[] | undefined) ?? []) {
      const when = (item as Node).MergeWhenClause as Node | undefined;
      if (when === undefined) continue;
      if (
        (when.commandType === 'CMD_UPDATE' || when.commandType === 'CMD_DELETE') &&
        !restrictsRows(when.condition)
      )
        whensRestrict = false;
      this.c.fp.push('WHEN', String(when.matchKind), String(when.commandType));
      if (when.condition !== undefined) this.visit(when.condition);
      this.targetColumns(when.targetList, table, true);
      if (when.values !== undefined) this.visit(when.values);
    }
    this.c.targetWhere = restrictsRows(node.joinCondition) || whensRestrict;
    if (node.returningList !== undefined) this.returning(node.returningList);
    this.leave(saved);
  }

  copy(node: Node): void {
    const isFrom = node.is_from === true;
    const rel = node.relation as Node | undefined;
    if (rel !== undefined) {
      const table = this.rangeVar(rel, isFrom ? 'write' : 'read');
      const columns = names(node.attlist);
      // No column list: every column of the table, as a star.
      if (columns.length === 0) columns.push('*');
      for (const col of columns) {
        this.c.addColumn(table === undefined ? col : `${table}.${col}`, !isFrom);
      }
    }
    const query = node.query as Node | undefined;
    if (query !== undefined) {
      const type = firstKey(query);
      if (type !== undefined && DML.has(type)) {
        this.inner(query, 'subquery', 'all', parenthesisedText(this.span.text, 'copy'));
      } else this.visit(query);
    }
    if (node.options !== undefined) this.visit(node.options);
    const filename = node.filename;
    this.c.fp.push('COPY', String(isFrom), String(node.is_program === true), String(filename));
    this.c.copy = {
      direction: isFrom ? 'from' : 'to',
      program: node.is_program === true,
      stdio: typeof filename !== 'string',
      ...(typeof filename === 'string' ? { target: filename } : {}),
    };
  }

  // --- statements holding statements ---------------------------------------------------

  /** Walks a nested statement with its own collector and records it on this one. */
  inner(wrapped: Node, via: InnerStatementSource, effects: Effects, text: string): StatementFacts {
    const child = new FactCollector();
    const walk = new PgWalk(child, this.env, this.span, this.scope);
    const kind = walk.statement(wrapped);
    const facts = child.toFacts(kind, text, fingerprintParts(child.fp));
    this.c.addInner(facts, via, effects);
    this.c.fp.push(facts.fingerprint);
    return facts;
  }

  explain(node: Node): boolean {
    let analyze = false;
    for (const opt of defElems(node.options)) {
      this.c.fp.push(String(opt.defname));
      if (opt.defname === 'analyze') analyze = defTrue(opt.arg);
    }
    const query = node.query as Node | undefined;
    let writes = false;
    if (query !== undefined) {
      const text = innerTextAfterKeyword(this.span.text, 'explain');
      const facts = this.inner(query, 'explain', analyze ? 'all' : 'reads', text);
      writes = facts.writes.length > 0;
    }
    this.c.explain = { analyze, executes_write: analyze && writes };
    return analyze;
  }

  prepare(node: Node): void {
    this.c.dynamic = true;
    if (node.argtypes !== undefined) this.visit(node.argtypes);
    const query = node.query as Node | undefined;
    if (query === undefined) return;
    // Counted as if run now: a policy should judge what PREPARE arms, not wait for EXECUTE.
    const facts = this.inner(query, 'prepare', 'all', innerTextAfterKeyword(this.span.text, 'as'));
    if (typeof node.name === 'string') this.env.prepared.set(node.name, facts);
  }

  execute(node: Node): void {
    this.c.dynamic = true;
    const prepared = typeof node.name === 'string' ? this.env.prepared.get(node.name) : undefined;
    if (prepared === undefined) this.c.opaque = true;
    else {
      this.c.addInner(prepared, 'prepare', 'all');
      this.c.fp.push(prepared.fingerprint);
    }
    if (node.params !== undefined) this.visit(node.params);
  }

  doBlock(node: Node): void {
    this.c.dynamic = true;
    let body = '';
    let language = 'plpgsql';
    for (const opt of defElems(node.args)) {
      if (opt.defname === 'as') body = defString(opt.arg) ?? '';
      else if (opt.defname === 'language') language = (defString(opt.arg) ?? language).toLowerCase();
    }
    this.c.fp.push('DO', language, body);
    this.body(language, body, 'do', 'all');
  }

  createFunction(node: Node): void {
    this.c.dynamic = true;
    let language = 'sql';
    let body: string | undefined;
    for (const opt of defElems(node.options)) {
      if (opt.defname === 'language') language = (defString(opt.arg) ?? language).toLowerCase();
      else if (opt.defname === 'as') body = defString(opt.arg);
    }
    this.fields(node, new Set(['sql_body']));
    if (node.sql_body !== undefined) this.sqlStandardBody(node.sql_body);
    else if (body !== undefined) this.body(language, body, 'function_body', 'none');
  }

  /** BEGIN ATOMIC … END and RETURN expr bodies arrive already parsed. */
  sqlStandardBody(body: unknown): void {
    const pending: unknown[] = [body];
    while (pending.length > 0) {
      const item = pending.shift() as Node;
      const type = typeof item === 'object' && item !== null ? firstKey(item) : undefined;
      if (type === undefined) continue;
      const node = item[type] as Node;
      if (type === 'List') pending.push(...((node.items as unknown[] | undefined) ?? []));
      else if (type === 'ReturnStmt') {
        const child = new FactCollector();
        const walk = new PgWalk(child, this.env, this.span, undefined);
        walk.visit(node.returnval);
        const facts = child.toFacts(
          { type: 'select', category: 'read' },
          this.span.text,
          fingerprintParts(child.fp),
        );
        this.c.addInner(facts, 'function_body', 'none');
      } else if (type.endsWith('Stmt')) this.inner(item, 'function_body', 'none', this.span.text);
    }
  }

  /** A routine or DO body in `language`: PL/pgSQL and SQL are read, anything else is opaque. */
  body(language: string, body: string, via: InnerStatementSource, effects: Effects): void {
    if (this.env.depth >= MAX_NESTING) {
      this.c.opaque = true;
      return;
    }
    if (language === 'plpgsql') {
      for (const piece of scanPlpgsql(body)) this.piece(piece, via, effects);
    } else if (language === 'sql') {
      if (!this.parsedInner(body, via, effects)) this.c.opaque = true;
    } else if (!LANGUAGES_WITHOUT_BODY.has(language)) {
      this.c.opaque = true;
    }
  }

  piece(piece: PlpgsqlPiece, via: InnerStatementSource, effects: Effects): void {
    switch (piece.kind) {
      case 'sql':
        if (!this.parsedInner(piece.sql, via, effects, piece.text)) this.c.opaque = true;
        return;
      case 'expr':
        this.expression(piece.sql, via, effects);
        return;
      case 'execute':
        if (piece.literal !== undefined) {
          if (!this.parsedInner(piece.literal, via, effects)) this.c.opaque = true;
        } else {
          // EXECUTE of a built string: what runs is decided at run time.
          this.c.opaque = true;
          this.expression(piece.sql, via, effects);
        }
        return;
      case 'opaque':
        this.c.opaque = true;
        return;
    }
  }

  /** An expression PL/pgSQL evaluates with SELECT; surfaced when it reaches tables or functions. */
  expression(expr: string, via: InnerStatementSource, effects: Effects): void {
    const env = { ...this.env, depth: this.env.depth + 1 };
    const parsed = pgParseFacts(`SELECT ${expr}`, env);
    if (!Array.isArray(parsed) || parsed.length !== 1) {
      this.c.opaque = true;
      return;
    }
    const facts = parsed[0]!;
    if (facts.tables.length === 0 && facts.functions.length === 0 && facts.inner.length === 0) return;
    this.c.addInner({ ...facts, text: expr }, via, effects);
  }

  /** Parses SQL held in a string and records each statement; false when it does not parse. */
  parsedInner(sql: string, via: InnerStatementSource, effects: Effects, text?: string): boolean {
    const env = { ...this.env, depth: this.env.depth + 1 };
    const parsed = pgParseFacts(sql, env);
    if (!Array.isArray(parsed)) return false;
    for (const facts of parsed) {
      const shown = text !== undefined && parsed.length === 1 ? { ...facts, text } : facts;
      this.c.addInner(shown, via, effects);
      this.c.fp.push(facts.fingerprint);
    }
    return true;
  }

  rule(node: Node): void {
    const rel = node.relation as Node | undefined;
    if (rel !== undefined) this.rangeVar(rel, 'write');
    if (node.whereClause !== undefined) {
      this.c.anyWhere = true;
      this.visit(node.whereClause);
    }
    this.c.fp.push('RULE', String(node.rulename), String(node.event), String(node.instead === true));
    const text = innerTextAfterKeyword(this.span.text, 'do');
    for (const action of (node.actions as unknown[] | undefined) ?? []) {
      if (typeof action === 'object' && action !== null) this.inner(action as Node, 'rule', 'none', text);
    }
  }

  // --- DDL, DCL and utility --------------------------------------------------------------

  /** Top-level relation fields are the statement's target; everything below them is read. */
  ddl(node: Node, kind: StatementKind): void {
    const targetAccess: Access = kind.category === 'ddl' || kind.category === 'write' ? 'write' : 'none';
    for (const key in node) {
      if (key === 'location') continue;
      const v = node[key];
      if (typeof v === 'object' && v !== null) {
        this.c.fp.push(key);
        this.access = TARGET_FIELDS.has(key) ? targetAccess : 'read';
        this.visit(v);
      } else if (v !== undefined) this.c.fp.push(key, String(v));
    }
    this.access = 'read';
  }

  drop(node: Node): void {
    this.c.fp.push(String(node.removeType), String(node.behavior), String(node.missing_ok === true));
    const relations = RELATION_DROPS.has(String(node.removeType));
    for (const obj of (node.objects as unknown[] | undefined) ?? []) {
      const list = (obj as Node).List as Node | undefined;
      if (list !== undefined) {
        const name = names(list.items).join('.');
        this.c.fp.push(name);
        if (relations && name !== '') this.c.addTable(name, 'write');
      } else this.visit(obj);
    }
  }

  roleStatement(type: string, node: Node): void {
    const roles: string[] = [];
    const attributes: string[] = [];
    const add = (name: string | undefined) => {
      const lower = name?.toLowerCase();
      if (lower !== undefined && !roles.includes(lower)) roles.push(lower);
    };
    if (typeof node.role === 'string') add(node.role);
    else add(roleName(node.role));
    for (const r of (node.roles as unknown[] | undefined) ?? []) add(roleName(r));
    if (type === 'GrantRoleStmt') {
      for (const r of (node.granted_roles as unknown[] | undefined) ?? []) {
        const priv = (r as Node).AccessPriv as Node | undefined;
        add(typeof priv?.priv_name === 'string' ? priv.priv_name : undefined);
      }
      for (const r of (node.grantee_roles as unknown[] | undefined) ?? []) add(roleName(r));
    }
    let login = false;
    for (const opt of defElems(type === 'GrantRoleStmt' ? node.opt : node.options)) {
      const name = String(opt.defname);
      const flag = ROLE_FLAGS[name];
      if (flag !== undefined) {
        attributes.push(defTrue(opt.arg) ? flag[0] : flag[1]);
        if (name === 'canlogin') login = true;
        continue;
      }
      attributes.push(ROLE_OPTIONS[name] ?? name.toLowerCase());
      if (name === 'addroleto' || name === 'rolemembers' || name === 'adminmembers') {
        for (const r of (opt.arg as Node | undefined)?.List !== undefined
          ? ((((opt.arg as Node).List as Node).items as unknown[] | undefined) ?? [])
          : ((opt.arg as unknown[] | undefined) ?? [])) {
          add(roleName(r));
        }
      }
    }
    // CREATE USER is CREATE ROLE … LOGIN.
    if (type === 'CreateRoleStmt' && node.stmt_type === 'ROLESTMT_USER' && !login) attributes.push('login');
    if (type === 'AlterRoleSetStmt') {
      const set = node.setstmt as Node | undefined;
      if (typeof set?.name === 'string') attributes.push(`set:${set.name}`);
    }
    this.c.role = { names: roles, attributes };
  }

  /** Text of a node located at byte `location` of the statement's source. */
  textAt(location: unknown, pick: (text: string) => string): string {
    if (typeof location !== 'number') return this.span.text;
    const from = this.span.source.sliceBytes(location, this.span.end);
    const picked = pick(from);
    return picked === '' ? this.span.text : picked;
  }
}

/** An alias with a column list (`AS t(a, b)`). */
function hasColumnAliases(alias: unknown): boolean {
  const names = (alias as Node | undefined)?.colnames;
  return Array.isArray(names) && names.length > 0;
}
