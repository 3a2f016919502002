/**
 * The mutable accumulator one statement's walk fills in, and its conversion to the contract's
 * StatementFacts. Shared by the PostgreSQL and the node-sql-parser extractors so both produce
 * facts with the same rules (ordering, merging of inner statements).
 */

import type {
  CopyFacts,
  ExplainFacts,
  InnerStatementFacts,
  InnerStatementSource,
  RoleFacts,
  StatementCategory,
  StatementFacts,
  TableLockMode,
} from '../contract.js';

export interface StatementKind {
  type: string;
  category: StatementCategory;
  object_type?: string;
}

export class FactCollector {
  readonly tables = new Set<string>();
  readonly reads = new Set<string>();
  readonly writes = new Set<string>();
  readonly columns = new Set<string>();
  /** Columns whose values are read (see StatementFacts.read_columns). */
  readonly readColumns = new Set<string>();
  /** Columns the write's own RETURNING list reads (see StatementFacts.returned_columns). */
  readonly returnedColumns = new Set<string>();
  /** The walk is inside this write's RETURNING list. */
  inReturning = false;
  readonly functions = new Set<string>();
  readonly operators = new Set<string>();
  /** A WHERE anywhere in the statement. */
  anyWhere = false;
  /** The WHERE of the UPDATE/DELETE target itself. */
  targetWhere = false;
  /** INSERT: the rows its VALUES list holds (see StatementFacts.values_rows). */
  valuesRows: number | undefined;
  dynamic = false;
  opaque = false;
  lock: TableLockMode | undefined;
  copy: CopyFacts | undefined;
  role: RoleFacts | undefined;
  explain: ExplainFacts | undefined;
  readonly inner: InnerStatementFacts[] = [];
  /** Normalised parts the fingerprint is computed from. */
  readonly fp: string[] = [];

  /** A column named where its value is read (`true`), or only assigned (`false`). */
  addColumn(name: string, read: boolean): void {
    this.columns.add(name);
    if (read) (this.inReturning ? this.returnedColumns : this.readColumns).add(name);
  }

  addTable(name: string, access: 'read' | 'write' | 'none'): void {
    this.tables.add(name);
    if (access === 'read') this.reads.add(name);
    else if (access === 'write') this.writes.add(name);
  }

  /**
   * Records a nested statement. `effects` says which of its facts happen when the outer
   * statement runs: a DO block's statements run now, a function body's only when called.
   */
  addInner(facts: StatementFacts, via: InnerStatementSource, effects: 'all' | 'reads' | 'none'): void {
    const { inner, ...own } = facts;
    this.inner.push({ ...own, inner: [], via });
    for (const nested of inner) this.inner.push(nested);
    if (facts.opaque) this.opaque = true;
    if (facts.dynamic) this.dynamic = true;
    if (effects === 'none') return;
    if (facts.has_where) this.anyWhere = true;
    for (const t of facts.tables) this.tables.add(t);
    for (const t of facts.reads) this.reads.add(t);
    for (const c of facts.columns) this.columns.add(c);
    for (const c of facts.read_columns) this.readColumns.add(c);
    // An inner write's RETURNING feeds this statement (WITH, INTO a variable), not the client.
    for (const c of facts.returned_columns) this.readColumns.add(c);
    for (const f of facts.functions) this.functions.add(f);
    for (const o of facts.operators) this.operators.add(o);
    // 'reads' (EXPLAIN without ANALYZE): the plan names the target, nothing is written.
    if (effects === 'all') for (const t of facts.writes) this.writes.add(t);
  }

  toFacts(kind: StatementKind, text: string, fingerprint: string): StatementFacts {
    const isTargeted = kind.type === 'update' || kind.type === 'delete' || kind.type === 'merge';
    const facts: StatementFacts = {
      type: kind.type,
      category: kind.category,
      tables: [...this.tables],
      reads: [...this.reads],
      writes: [...this.writes],
      columns: [...this.columns],
      read_columns: [...this.readColumns],
      returned_columns: [...this.returnedColumns],
      has_where: isTargeted ? this.targetWhere : this.anyWhere,
      functions: [...this.functions],
      operators: [...this.operators],
      dynamic: this.dynamic,
      opaque: this.opaque,
      inner: this.inner,
      fingerprint,
      text,
    };
    if (kind.object_type !== undefined) facts.object_type = kind.object_type;
    if (this.lock !== undefined) facts.lock = this.lock;
    if (this.copy !== undefined) facts.copy = this.copy;
    if (this.role !== undefined) facts.role = this.role;
    if (this.explain !== undefined) facts.explain = this.explain;
    if (this.valuesRows !== undefined) facts.values_rows = this.valuesRows;
    return facts;
  }
}
