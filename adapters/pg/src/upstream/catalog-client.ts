/**
 * Resolves result columns (table OID, attribute number) to `schema.table.column` through
 * the upstream's catalog, on a connection of its own: the client's connection is busy
 * streaming the very result that needs resolving. Opened on first use, one per session.
 *
 * A lookup may wait on the client's own transaction: describing a statement needs a lock on
 * its tables, which the client may hold (`LOCK TABLE users; UPDATE users … RETURNING …`), and
 * a server that runs one transaction at a time (PGlite) holds every other connection's
 * queries until it ends. The client waits for the proxy, the proxy for the lookup, the lookup
 * for the client: no server sees that deadlock. So a lookup has a time limit
 * (`catalogTimeoutMs`); past it the query is canceled, the connection dropped (the next
 * lookup opens another), and the lookup fails.
 */

import {
  type FieldDescription,
  readDataRow,
  readNoticeFields,
  readRowDescription,
} from '../protocol/backend-messages.js';
import { writeQuery, writeSync } from '../protocol/frontend-writers.js';
import { BackendCode, ErrorField, FrontendCode } from '../protocol/message-codes.js';
import type { Frame } from '../protocol/message-framer.js';
import { MessageWriter } from '../protocol/message-writer.js';
import { type CatalogConnection, type CatalogPool, terminateCatalogConnection } from './catalog-pool.js';
import { cancelUpstream, connectUpstream } from './connect-upstream.js';
import { FrameSource } from './frame-source.js';
import { UpstreamError } from './upstream-error.js';
import type { UpstreamOptions } from './upstream-options.js';

export interface ResolvedColumn {
  schema: string;
  table: string;
  column: string;
  /** pg_class.relkind of the relation: `r` table, `p` partitioned, `v` view, `m` materialized view … */
  kind?: string;
  /** pg_attribute.atttypid, where the lookup asked for it (`tableColumns`). */
  typeOid?: number;
  /**
   * The most characters a value may have, for a `varchar(n)` or `char(n)` column (or one of a
   * domain over such a type), where the lookup asked for it (`tableColumns`).
   */
  maxChars?: number;
  /**
   * A generated column (`GENERATED ALWAYS AS … STORED`), where the lookup asked (`tableColumns`):
   * `COPY table TO` without a column list leaves such columns out.
   */
  generated?: boolean;
  /**
   * For a NOT NULL column (or one of a NOT NULL domain), where the lookup asked
   * (`tableColumns`): the OID of its type, through domains, and whether that type is an array
   * (`A`), a range (`R`) or a multirange (`M`), by its input function (`-` otherwise).
   */
  notNullType?: { oid: number; category: string };
  /**
   * Where its type is composite (or a domain or array of one, at any depth): the names of the
   * fields its values hold, which a mask rule may name though no column does (`resolve`).
   */
  fields?: string[];
}

/** What a view (or materialized view) reads, through any views it is built on. */
export interface DerivedSources {
  /** Columns of base relations it depends on (every column, for a whole-row reference). */
  columns: ResolvedColumn[];
  /** It calls a function that is not the server's own (see SYSTEM_CODE), which could read anything. */
  opaque: boolean;
}

/** A relation a statement names, as the catalog connection's search_path resolves it. */
export interface NamedRelation {
  oid: number;
  kind: string;
}

/** Relation kinds whose columns are stored, not derived from other relations. */
/** A function, as a fast-path call names it only by OID. */
export interface NamedFunction {
  schema: string;
  name: string;
  /** Its result's type OID. */
  resultType: number;
}

export const BASE_RELATION_KINDS = new Set(['r', 'p', 'f']);

const FIELD_SEPARATOR = '\x1f';

/**
 * The field names of a column `a`'s composite type, reached through domains, arrays and the
 * composite's own fields (eight levels deep), joined by FIELD_SEPARATOR; null for any other
 * type. A table's row type is a composite too.
 */
const COMPOSITE_FIELDS_SQL = `
WITH RECURSIVE reach(typ, depth) AS (
  SELECT a.atttypid, 0
  UNION
  SELECT next.typ, reach.depth + 1
  FROM reach
  JOIN pg_catalog.pg_type t ON t.oid = reach.typ
  CROSS JOIN LATERAL (
    SELECT t.typbasetype AS typ WHERE t.typtype = 'd'
    UNION ALL SELECT t.typelem WHERE t.typcategory = 'A' AND t.typelem <> 0
    UNION ALL SELECT f.atttypid FROM pg_catalog.pg_attribute f
      WHERE t.typtype = 'c' AND f.attrelid = t.typrelid AND f.attnum > 0 AND NOT f.attisdropped
  ) next
  WHERE reach.depth < 8
)
SELECT pg_catalog.string_agg(DISTINCT f.attname::text, pg_catalog.chr(31))
FROM reach
JOIN pg_catalog.pg_type t ON t.oid = reach.typ AND t.typtype = 'c'
JOIN pg_catalog.pg_attribute f ON f.attrelid = t.typrelid AND f.attnum > 0 AND NOT f.attisdropped`;

/** Names a statement's taint test asks the catalog about (see CatalogClient.taintLookup). */
export interface TaintNames {
  relations: readonly string[];
  operators: readonly string[];
  functions: readonly string[];
  /** Relations whose columns are asked for (a star over them). */
  columns: readonly string[];
}

export interface TaintFacts {
  relations: Map<string, NamedRelation>;
  /** The columns of each relation of `columns` the catalog knows, with its schema and name. */
  columns: Map<string, ResolvedColumn[]>;
  /** The operator names that can run a function of the user's. */
  operators: Set<string>;
  /**
   * The function names every function of which is the server's own (SYSTEM_CODE). A name not
   * here has a function of the user's, or none the catalog connection can see (one created in
   * the session's open transaction).
   */
  systemFunctions: Set<string>;
}

/**
 * Functions `p` of the server's own: in pg_catalog or information_schema, the schemas initdb
 * fills, where only a superuser creates anything (information_schema's `_pg_char_max_length`
 * and the like are SQL functions over the catalog, which its views call).
 */
const SYSTEM_CODE =
  "p.pronamespace IN ('pg_catalog'::pg_catalog.regnamespace, 'information_schema'::pg_catalog.regnamespace)";

/**
 * A function `p` that can read tables: not the server's own (SYSTEM_CODE), in a language other
 * than C or internal. A C function comes from an extension, installed by a superuser, and is
 * trusted as the server's own are.
 */
const USER_CODE =
  `NOT ${SYSTEM_CODE} AND p.prolang NOT IN ` +
  "(SELECT oid FROM pg_catalog.pg_language WHERE lanname IN ('internal', 'c'))";

/**
 * Dependencies of the rewrite rules of the given views, followed through views of views:
 * (relation, column) pairs, where column 0 is a whole-row reference, and the functions called.
 * Lists every column a view reads, not which output column each feeds, which is all the
 * proxy needs to tell whether a masked column can reach a view's result.
 */
/**
 * The catalogs of planner statistics, whose sample values copy other tables' columns (see
 * unresolved-columns.ts): pg_statistic and pg_statistic_ext_data, by the OIDs their catalog
 * headers fix. Being pinned, they never appear in pg_depend, so a view reading them (pg_stats)
 * is found by its rule's range table instead.
 */
export const STATISTICS_CATALOG_OIDS: ReadonlySet<number> = new Set([2619, 3429]);
const STATISTICS_RELID_PATTERN = `'(:relid (${[...STATISTICS_CATALOG_OIDS].join('|')}) )'`;

const VIEW_SOURCES_SQL = (oids: string) => `
WITH RECURSIVE deps(view, relid, attnum, kind) AS (
  SELECT r.ev_class, d.refobjid, d.refobjsubid::int, c.relkind::text
  FROM pg_catalog.pg_rewrite r
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
    AND d.refclassid = 'pg_catalog.pg_class'::regclass
  JOIN pg_catalog.pg_class c ON c.oid = d.refobjid
  WHERE r.ev_class IN (${oids}) AND d.refobjid <> r.ev_class
  UNION
  SELECT deps.view, d.refobjid, d.refobjsubid::int, c.relkind::text
  FROM deps
  JOIN pg_catalog.pg_rewrite r ON r.ev_class = deps.relid
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
    AND d.refclassid = 'pg_catalog.pg_class'::regclass
  JOIN pg_catalog.pg_class c ON c.oid = d.refobjid
  WHERE deps.kind IN ('v', 'm') AND d.refobjid <> r.ev_class
)
SELECT deps.view, n.nspname, c.relname, a.attname
FROM deps
JOIN pg_catalog.pg_class c ON c.oid = deps.relid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = deps.relid
  AND (a.attnum = deps.attnum OR (deps.attnum = 0 AND a.attnum > 0)) AND NOT a.attisdropped
WHERE deps.kind NOT IN ('v', 'm')
UNION ALL
SELECT DISTINCT r.ev_class, '', '', '(function)'
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
  AND d.refclassid = 'pg_catalog.pg_proc'::regclass
JOIN pg_catalog.pg_proc p ON p.oid = d.refobjid
WHERE NOT ${SYSTEM_CODE}
  AND (r.ev_class IN (${oids}) OR r.ev_class IN (
    SELECT relid FROM deps WHERE kind IN ('v', 'm')))
UNION ALL
SELECT DISTINCT r.ev_class, '', '', '(statistics)'
FROM pg_catalog.pg_rewrite r
WHERE r.ev_action::text ~ ${STATISTICS_RELID_PATTERN}
  AND (r.ev_class IN (${oids}) OR r.ev_class IN (
    SELECT relid FROM deps WHERE kind IN ('v', 'm')))`;

export interface ColumnKey {
  tableOid: number;
  attributeNumber: number;
}

/** A view's columns, as CatalogClient.viewTargets finds them. */
export interface ViewColumns {
  /**
   * By attribute number, the (relation OID, attribute number) a column reads, when it is a
   * plain column of another relation. Expressions, and columns that cannot be traced without
   * doubt, are absent.
   */
  targets: Map<number, ColumnKey>;
  /** Attribute numbers by column name. */
  numbers: Map<string, number>;
}

/** One type as `CatalogClient.types` reads it from pg_type. */
export interface CatalogType {
  oid: number;
  /** pg_type.typtype: b base, c composite, d domain, e enum, p pseudo, r range, m multirange. */
  kind: string;
  /**
   * The send function: a built-in's name (prosrc of a language internal function), a C
   * function's library and symbol (`$libdir/hstore:hstore_send`), or ''.
   */
  send: string;
  /** An array's element type (typelem), a domain's base type, a range's element type (0 if none). */
  element: number;
  base: number;
  subtype: number;
  /** A composite's attribute types. */
  fields: readonly number[];
}

/** ReadyForQuery's status outside a transaction block. */
const TRANSACTION_IDLE = 0x49;

/** Default of `catalogTimeoutMs`. */
export const DEFAULT_CATALOG_TIMEOUT_MS = 5_000;

export class CatalogClient {
  private connection: Promise<CatalogConnection> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: UpstreamOptions,
    private readonly startupParameters: Readonly<Record<string, string>>,
    private readonly maxMessageSize: number,
    /** Where a connection comes from if one is idle, and goes back to at close. */
    private readonly pool?: CatalogPool,
  ) {}

  private closed = false;

  private connect(): Promise<CatalogConnection> {
    // A lookup that starts after close (the session ended while its frames were still being
    // handled) must not open a connection nobody will close: that backend would leak.
    if (this.closed) return Promise.reject(new UpstreamError('the catalog connection is closed'));
    if (this.connection) return this.connection;
    const idle = this.pool?.take(this.startupParameters);
    const connection = idle
      ? Promise.resolve(idle)
      : connectUpstream(this.options, this.startupParameters, this.maxMessageSize).then(
          (c): CatalogConnection => {
            const source = new FrameSource(c.socket, c.framer);
            return { socket: c.socket, source, processId: c.processId, secretKey: c.secretKey };
          },
        );
    this.connection = connection;
    // A connection that failed to open is not kept: the next lookup tries again.
    connection.catch(() => {
      if (this.connection === connection) this.connection = undefined;
    });
    return connection;
  }

  /** Look up columns; keys the catalog does not know (a dropped column) are absent from the result. */
  resolve(keys: readonly ColumnKey[]): Promise<Map<string, ResolvedColumn>> {
    const run = this.queue.then(() => this.lookup(keys));
    this.queue = run.catch(() => {});
    return run;
  }

  /** The columns of a table named as SQL would name it (`users`, `public."Users"`), in order. */
  tableColumns(name: readonly string[]): Promise<ResolvedColumn[]> {
    const run = this.queue.then(() => this.tableLookup(name));
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * The result columns of a statement, as PostgreSQL would describe them (table OID and
   * attribute number included), found by Parse and Describe of an unnamed statement: the
   * statement is analysed, never run. Null when it returns no rows. Rejects with the server's
   * error when it cannot be prepared here (a temporary table or a setting of the client's
   * session, which this connection does not share).
   */
  describe(sql: string): Promise<FieldDescription[] | null> {
    const run = this.queue.then(() => this.describeLookup(sql));
    this.queue = run.catch(() => {});
    return run;
  }

  /** What each of these views reads (see VIEW_SOURCES_SQL). */
  viewSources(oids: readonly number[]): Promise<Map<number, DerivedSources>> {
    const run = this.queue.then(() => this.sourcesLookup(oids));
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * A view's columns (see ViewColumns): their numbers by name, and where each comes from when
   * it is a plain column of another relation.
   */
  viewTargets(oid: number): Promise<ViewColumns> {
    const run = this.queue.then(() => this.targetsLookup(oid));
    this.queue = run.catch(() => {});
    return run;
  }

  private async targetsLookup(oid: number): Promise<ViewColumns> {
    const out: ViewColumns = { targets: new Map(), numbers: new Map() };
    const relation = `${oid >>> 0}::oid`;
    const [rule] = await this.query(
      `SELECT ev_action::text FROM pg_catalog.pg_rewrite WHERE ev_class = ${relation} AND rulename = '_RETURN'`,
    );
    const action = rule?.[0];
    if (!action) return out;
    const columns = await this.query(
      'SELECT attnum, attname FROM pg_catalog.pg_attribute ' +
        `WHERE attrelid = ${relation} AND attnum > 0 AND NOT attisdropped`,
    );
    for (const [attnum, attname = ''] of columns) {
      out.numbers.set(attname, Number(attnum));
      const origin = traceTarget(action, Number(attnum), attname);
      if (origin) out.targets.set(Number(attnum), origin);
    }
    return out;
  }

  /**
   * What the taint test asks the catalog about a statement, in one round trip:
   * - `relations`: what these names (`users`, `public."Users"`) resolve to; unknown names are
   *   absent;
   * - `operators`: which of these operator names (`=`, `==>`) can run a function of the user's
   *   (see USER_CODE): an operator of that name, in any schema and for any types, or its
   *   commutator or negator (the planner may apply either instead), implemented by one;
   * - `functions`: which of these function names (`lower`) are the server's alone: no function
   *   of the user's by that name (an overload for other argument types, or one a search_path
   *   puts first) that a call by that name may run instead of the built-in;
   * - `columns`: the columns of these relations.
   */
  taintLookup(names: TaintNames): Promise<TaintFacts> {
    const run = this.queue.then(() => this.taintQuery(names));
    this.queue = run.catch(() => {});
    return run;
  }

  private async taintQuery(names: TaintNames): Promise<TaintFacts> {
    const out: TaintFacts = {
      relations: new Map(),
      columns: new Map(),
      operators: new Set(),
      systemFunctions: new Set(),
    };
    const list = (values: readonly string[]) => values.map((n) => `'${n.replaceAll("'", "''")}'`).join(',');
    const parts: string[] = [];
    if (names.relations.length > 0)
      parts.push(
        "SELECT 'r', t.name, c.oid::text, c.relkind::text, '', NULL::text " +
          `FROM unnest(ARRAY[${list(names.relations)}]::text[]) AS t(name) ` +
          'JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(t.name)',
      );
    if (names.operators.length > 0)
      parts.push(
        "SELECT DISTINCT 'o', o.oprname::text, '', '', '', NULL::text FROM pg_catalog.pg_operator o " +
          'JOIN pg_catalog.pg_operator r ON r.oid IN (o.oid, o.oprcom, o.oprnegate) ' +
          'JOIN pg_catalog.pg_proc p ON p.oid = r.oprcode ' +
          `WHERE o.oprname::text IN (${list(names.operators)}) AND ${USER_CODE}`,
      );
    if (names.functions.length > 0)
      parts.push(
        "SELECT 'f', p.proname::text, '', '', '', NULL::text FROM pg_catalog.pg_proc p " +
          `WHERE p.proname::text IN (${list(names.functions)}) ` +
          `GROUP BY p.proname HAVING pg_catalog.bool_and(${SYSTEM_CODE})`,
      );
    if (names.columns.length > 0)
      parts.push(
        `SELECT 'c', t.name, n.nspname::text, c.relname::text, a.attname::text, (${COMPOSITE_FIELDS_SQL}) ` +
          `FROM unnest(ARRAY[${list(names.columns)}]::text[]) AS t(name) ` +
          'JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(t.name) ' +
          'JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
          'JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped',
      );
    if (parts.length === 0) return out;
    for (const [kind, name = '', a = '', b = '', c = '', fields] of await this.query(
      parts.join(' UNION ALL '),
    )) {
      if (kind === 'c') {
        const entry: ResolvedColumn = {
          schema: a,
          table: b,
          column: c,
          ...(fields ? { fields: fields.split(FIELD_SEPARATOR) } : {}),
        };
        const known = out.columns.get(name);
        if (known) known.push(entry);
        else out.columns.set(name, [entry]);
      } else if (kind === 'r') out.relations.set(name, { oid: Number(a), kind: b });
      else if (kind === 'o') out.operators.add(name);
      else if (kind === 'f') out.systemFunctions.add(name);
    }
    return out;
  }

  private async sourcesLookup(oids: readonly number[]): Promise<Map<number, DerivedSources>> {
    const out = new Map<number, DerivedSources>();
    if (oids.length === 0) return out;
    for (const oid of oids) out.set(oid >>> 0, { columns: [], opaque: false });
    const list = oids.map((o) => `${o >>> 0}::oid`).join(',');
    const rows = await this.query(VIEW_SOURCES_SQL(list));
    // A function (or a read of planner statistics) is reported against the view that calls it,
    // which may be one the asked-for view is built on: any such makes every asked view opaque.
    let deepFunction = false;
    for (const [view, schema, table, column] of rows) {
      const entry = out.get(Number(view));
      if ((column === '(function)' || column === '(statistics)') && schema === '') {
        if (entry) entry.opaque = true;
        else deepFunction = true;
        continue;
      }
      entry?.columns.push({ schema: schema ?? '', table: table ?? '', column: column ?? '' });
    }
    if (deepFunction) for (const entry of out.values()) entry.opaque = true;
    return out;
  }

  /**
   * How these types send their values (see binary-values.ts): kind, send function, and the
   * types they are made of. OIDs the catalog does not know are absent.
   */
  types(oids: readonly number[]): Promise<CatalogType[]> {
    const run = this.queue.then(() => this.typesLookup(oids));
    this.queue = run.catch(() => {});
    return run;
  }

  private async typesLookup(oids: readonly number[]): Promise<CatalogType[]> {
    if (oids.length === 0) return [];
    const list = oids.map((o) => `${o >>> 0}::oid`).join(',');
    // A language internal function's prosrc names a built-in send function; a C function's
    // names a symbol of its library, told apart by the library (`$libdir/hstore:hstore_send`).
    // A function's own name can be anything.
    const rows = await this.query(
      'SELECT t.oid, t.typtype, CASE WHEN p.prolang = 12 THEN p.prosrc ' +
        "WHEN p.prolang = 13 THEN COALESCE(p.probin, '') || ':' || p.prosrc ELSE '' END, t.typelem, " +
        't.typbasetype, COALESCE(r.rngsubtype, m.rngsubtype, 0), ' +
        "(SELECT pg_catalog.string_agg(a.atttypid::text, ',' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a " +
        'WHERE t.typrelid <> 0 AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) ' +
        'FROM pg_catalog.pg_type t ' +
        'LEFT JOIN pg_catalog.pg_proc p ON p.oid = t.typsend ' +
        'LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid ' +
        'LEFT JOIN pg_catalog.pg_range m ON m.rngmultitypid = t.oid ' +
        `WHERE t.oid IN (${list})`,
    );
    return rows.map(([oid, kind, send, element, base, subtype, fields]) => ({
      oid: Number(oid),
      kind: kind ?? '',
      send: send ?? '',
      element: Number(element),
      base: Number(base),
      subtype: Number(subtype),
      fields: fields ? fields.split(',').map(Number) : [],
    }));
  }

  /** The function with this OID; undefined when there is none. */
  functionByOid(oid: number): Promise<NamedFunction | undefined> {
    const run = this.queue.then(() => this.functionLookup(oid));
    this.queue = run.catch(() => {});
    return run;
  }

  private async functionLookup(oid: number): Promise<NamedFunction | undefined> {
    const [row] = await this.query(
      'SELECT n.nspname, p.proname, p.prorettype FROM pg_catalog.pg_proc p ' +
        'JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace ' +
        `WHERE p.oid = ${oid >>> 0}::oid`,
    );
    if (!row) return undefined;
    return { schema: row[0] ?? '', name: row[1] ?? '', resultType: Number(row[2]) };
  }

  private async tableLookup(name: readonly string[]): Promise<ResolvedColumn[]> {
    const qualified = name.map((part) => `"${part.replaceAll('"', '""')}"`).join('.');
    const rows = await this.query(
      'SELECT n.nspname, c.relname, a.attname, a.atttypid, ' +
        // information_schema's own reading of a column's length limit, through domains.
        'CASE WHEN information_schema._pg_truetypid(a.*, t.*) IN (1042, 1043) THEN ' +
        'information_schema._pg_char_max_length(information_schema._pg_truetypid(a.*, t.*), ' +
        'information_schema._pg_truetypmod(a.*, t.*)) END, ' +
        "a.attgenerated <> '', " +
        'CASE WHEN a.attnotnull OR t.typnotnull THEN ' +
        // How its values are read: an array, a range, a multirange, or by its own OID.
        "(SELECT b.oid::text || ' ' || CASE b.typinput WHEN 'pg_catalog.array_in'::regproc THEN 'A' " +
        "WHEN 'pg_catalog.range_in'::regproc THEN 'R' WHEN 'pg_catalog.multirange_in'::regproc THEN 'M' " +
        "ELSE '-' END FROM pg_catalog.pg_type b " +
        'WHERE b.oid = information_schema._pg_truetypid(a.*, t.*)) END ' +
        'FROM pg_catalog.pg_attribute a ' +
        'JOIN pg_catalog.pg_type t ON t.oid = a.atttypid ' +
        'JOIN pg_catalog.pg_class c ON c.oid = a.attrelid ' +
        'JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
        `WHERE a.attrelid = '${qualified.replaceAll("'", "''")}'::regclass ` +
        'AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum',
    );
    return rows.map(([schema, table, column, type, maxChars, generated, notNull]) => {
      const [base, category] = notNull?.split(' ') ?? [];
      return {
        schema: schema ?? '',
        table: table ?? '',
        column: column ?? '',
        typeOid: Number(type),
        ...(maxChars ? { maxChars: Number(maxChars) } : {}),
        ...(generated === 't' ? { generated: true } : {}),
        ...(base && category ? { notNullType: { oid: Number(base), category } } : {}),
      };
    });
  }

  private async lookup(keys: readonly ColumnKey[]): Promise<Map<string, ResolvedColumn>> {
    const out = new Map<string, ResolvedColumn>();
    if (keys.length === 0) return out;
    // The keys are integers we read from the wire ourselves, so they can be inlined.
    const pairs = keys.map((k) => `(${k.tableOid >>> 0}::oid,${k.attributeNumber | 0}::int2)`).join(',');
    const rows = await this.query(
      `SELECT a.attrelid, a.attnum, n.nspname, c.relname, a.attname, c.relkind, (${COMPOSITE_FIELDS_SQL}) ` +
        'FROM pg_catalog.pg_attribute a ' +
        'JOIN pg_catalog.pg_class c ON c.oid = a.attrelid ' +
        'JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
        `WHERE (a.attrelid, a.attnum) IN (${pairs})`,
    );
    for (const [oid, attnum, schema, table, column, kind, fields] of rows) {
      out.set(columnKey(Number(oid), Number(attnum)), {
        schema: schema ?? '',
        table: table ?? '',
        column: column ?? '',
        kind: kind ?? '',
        ...(fields ? { fields: fields.split(FIELD_SEPARATOR) } : {}),
      });
    }
    return out;
  }

  private async describeLookup(sql: string): Promise<FieldDescription[] | null> {
    const w = new MessageWriter(sql.length + 32);
    // Parse and Describe of the unnamed statement, then Sync: nothing is bound or executed.
    w.begin(FrontendCode.Parse).cstring('').cstring(sql).int16(0).end();
    w.begin(FrontendCode.Describe).byte(0x53).cstring('').end();
    writeSync(w);
    let fields: FieldDescription[] | null = null;
    let parameters = false;
    await this.exchange(w.flush(), (frame) => {
      if (frame.type === BackendCode.RowDescription) fields = readRowDescription(frame.body);
      else if (frame.type === BackendCode.ParameterDescription) parameters = frame.body.readUInt16BE(0) > 0;
    });
    // A Query's text has no parameters; one that has them would fail on the server anyway.
    if (parameters) throw new UpstreamError('the statement has parameters');
    return fields;
  }

  /** One simple-protocol query on the catalog connection; rows as text. */
  private async query(sql: string): Promise<string[][]> {
    const w = new MessageWriter(sql.length + 16);
    writeQuery(w, sql);
    const rows: string[][] = [];
    await this.exchange(w.flush(), (frame) => {
      if (frame.type === BackendCode.DataRow)
        rows.push(readDataRow(frame.body).map((v) => v?.toString('utf8') ?? ''));
    });
    return rows;
  }

  /** Send messages ending in Query or Sync and read up to ReadyForQuery; an ErrorResponse rejects. */
  private async exchange(message: Buffer, onFrame: (frame: Frame) => void): Promise<void> {
    // The limit covers connecting too: a server that runs one transaction at a time does not
    // let a new connection start while the client's is open.
    const timeoutMs = this.options.catalogTimeoutMs ?? DEFAULT_CATALOG_TIMEOUT_MS;
    // Made only when it happens: an error's stack costs more than the lookup's own work.
    let timeout: UpstreamError | undefined;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timeout = new UpstreamError(`a catalog lookup took longer than ${timeoutMs} ms`);
        reject(timeout);
      }, timeoutMs);
    });
    let pending = this.connect();
    const reply = (async () => {
      const connection = await pending;
      try {
        await this.reply(connection, message, onFrame);
      } catch (err) {
        if (!(connection.reused && connection.broken)) throw err;
        // A kept connection the server closed while it was idle (a restart, an idle timeout)
        // before the pool heard of it: once more, on a connection of its own.
        connection.socket.destroy();
        if (this.connection === pending) this.connection = undefined;
        pending = this.connect();
        await this.reply(await pending, message, onFrame);
      }
    })();
    try {
      return await Promise.race([reply, expired]);
    } catch (err) {
      if (timeout !== undefined && err === timeout) {
        // The reply fails once the socket is gone; nobody waits for it any more.
        reply.catch(() => {});
        this.abandon(pending);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Drop the connection (the next lookup opens another), and once it is open, cancel what it
   * runs and close it.
   */
  private abandon(pending: Promise<CatalogConnection>): void {
    if (this.connection === pending) this.connection = undefined;
    pending.then(
      (connection) => {
        cancelUpstream(this.options, connection.processId, connection.secretKey);
        connection.socket.destroy();
      },
      () => {},
    );
  }

  private async reply(
    connection: CatalogConnection,
    message: Buffer,
    onFrame: (frame: Frame) => void,
  ): Promise<void> {
    const { socket, source } = connection;
    socket.write(message);
    let error: Error | undefined;
    for (;;) {
      let frame: Frame;
      try {
        frame = await source.next();
      } catch (err) {
        connection.broken = true;
        throw err;
      }
      if (frame.type === BackendCode.ErrorResponse) {
        const fields = readNoticeFields(frame.body);
        error ??= new UpstreamError(`catalog lookup failed: ${fields.get(ErrorField.Message) ?? ''}`, {
          fields,
        });
      } else if (frame.type === BackendCode.ReadyForQuery) {
        // Autocommit queries only: a transaction left open is not a connection to keep.
        if (frame.body[0] !== TRANSACTION_IDLE) connection.broken = true;
        connection.reused = false;
        if (error) throw error;
        return;
      } else {
        // Read on to ReadyForQuery whatever a message holds, so the next lookup starts in step.
        try {
          onFrame(frame);
        } catch (err) {
          error ??= err as Error;
        }
      }
    }
  }

  close(): void {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    const { pool } = this;
    // With a pool, once the lookups under way have ended: the connection goes back in step.
    const settled = pool ? this.queue.then(() => connection) : connection;
    settled
      .then((c) => (pool ? pool.give(this.startupParameters, c) : terminateCatalogConnection(c)))
      .catch(() => {});
  }
}

/**
 * The origin of a view's output column, read from its `_RETURN` rule (the query tree as
 * PostgreSQL prints it): the target entry with this position and name carries the
 * `resorigtbl`/`resorigcol` that RowDescription would report for it. Target entries of
 * subqueries inside the view can have the same position and name, so every match must agree
 * on one origin, and a plain column (not an expression); otherwise the column is not traced
 * and the caller falls back to everything the view reads.
 */
export function traceTarget(action: string, attnum: number, name: string): ColumnKey | undefined {
  // As outToken prints a name: a backslash before blanks, parentheses, braces and
  // backslashes, and before a first character that would read as another token.
  let printed = name.replace(/[ \n\t(){}\\]/g, (c) => `\\${c}`);
  if (/^(?:[<"0-9]|[+-][0-9.])/.test(name)) printed = `\\${printed}`;
  const needle = `:resno ${attnum} :resname ${printed} :ressortgroupref `;
  let origin: ColumnKey | undefined;
  let found = false;
  for (let at = action.indexOf(needle); at >= 0; at = action.indexOf(needle, at + 1)) {
    const m = /^\d+ :resorigtbl (\d+) :resorigcol (\d+) /.exec(
      action.slice(at + needle.length, at + needle.length + 64),
    );
    if (!m) return undefined;
    const tableOid = Number(m[1]);
    const attributeNumber = Number(m[2]);
    if (tableOid === 0 || attributeNumber <= 0) return undefined;
    if (found && (origin?.tableOid !== tableOid || origin.attributeNumber !== attributeNumber))
      return undefined;
    origin = { tableOid, attributeNumber };
    found = true;
  }
  return origin;
}

export function columnKey(tableOid: number, attributeNumber: number): string {
  return `${tableOid}.${attributeNumber}`;
}
