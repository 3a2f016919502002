/**
 * The decision contract, version `portcullis.v1`: the input document a policy sees and the
 * decision document it returns at `data.portcullis.decision`. Field-by-field documentation
 * with examples lives in docs/policy-contract.md; the JSON Schemas in schemas/ are the
 * machine-readable form of the same types and are checked against them in tests.
 */

export const CONTRACT_VERSION = 'portcullis.v1' as const;
export type ContractVersion = typeof CONTRACT_VERSION;

// ---------------------------------------------------------------------------------------
// Who, what, where
// ---------------------------------------------------------------------------------------

export type SubjectKind = 'human' | 'agent';

export interface Subject {
  id: string;
  kind: SubjectKind;
  groups: string[];
  /** Verified identity-token claims (OIDC), passed through untouched. */
  claims: Record<string, unknown>;
}

export type ResourceType = 'postgres' | 'ssh' | 'http';

export interface Resource {
  type: ResourceType;
  name: string;
  labels: Record<string, string>;
}

/** An approval already granted to this session, so a policy can let a re-run pass. */
export interface GrantedApproval {
  id: string;
  scope: ApprovalScope;
  /** Statement or command fingerprint the approval covers (statement scope). */
  fingerprint?: string;
  approved_by: string[];
  expires_at: string;
}

export interface Session {
  id: string;
  started_at: string;
  source: string;
  approvals: GrantedApproval[];
}

// ---------------------------------------------------------------------------------------
// SQL facts
// ---------------------------------------------------------------------------------------

export type SqlDialect =
  | 'postgresql'
  | 'mysql'
  | 'mariadb'
  | 'sqlite'
  | 'transactsql'
  | 'bigquery'
  | 'snowflake'
  | 'redshift'
  | 'hive'
  | 'db2'
  | 'flinksql'
  | 'trino';

/** Broad class of a statement, so a policy can say "any DDL" without listing kinds. */
export type StatementCategory =
  | 'read' // SELECT, SHOW, TABLE, VALUES …
  | 'write' // INSERT, UPDATE, DELETE, MERGE, COPY FROM, SELECT INTO …
  | 'ddl' // CREATE / ALTER / DROP / TRUNCATE / COMMENT / RENAME …
  | 'dcl' // GRANT, REVOKE, CREATE/ALTER ROLE, SET ROLE, SET SESSION AUTHORIZATION …
  | 'tcl' // BEGIN, COMMIT, ROLLBACK, SAVEPOINT …
  | 'session' // SET, RESET, SHOW, DISCARD, LISTEN …
  | 'utility' // VACUUM, ANALYZE, CHECKPOINT, LOCK, EXPLAIN without ANALYZE …
  | 'dynamic' // DO, EXECUTE, PREPARE, CALL: runs code whose effects are elsewhere
  | 'unknown';

/** Where a nested statement was found inside its top-level statement. */
export type InnerStatementSource =
  | 'cte' // WITH x AS (DELETE …)
  | 'explain' // EXPLAIN [ANALYZE] <stmt>
  | 'prepare' // PREPARE p AS <stmt>
  | 'do' // a static statement inside a DO block's PL/pgSQL body
  | 'function_body' // a static statement inside CREATE FUNCTION/PROCEDURE … AS $$ … $$
  | 'rule' // CREATE RULE … DO <stmt>
  | 'subquery' // a data-modifying statement in a subquery position (e.g. COPY (…) TO)
  | 'sql_text'; // SQL a built-in runs from a string argument (query_to_xml('SELECT …'), ts_stat)

export interface CopyFacts {
  /** `from` loads into the table (a write); `to` exports from it (a read). */
  direction: 'from' | 'to';
  /** COPY … PROGRAM 'cmd': the server runs a shell command. */
  program: boolean;
  /** The PROGRAM command line or server file name; absent for STDIN/STDOUT. */
  target?: string;
  stdio: boolean;
}

export interface RoleFacts {
  /** Role names created, altered or dropped, lower-cased. */
  names: string[];
  /** Attributes set, lower-cased: superuser, nosuperuser, createrole, createdb, replication, bypassrls, login, password … */
  attributes: string[];
}

export interface ExplainFacts {
  analyze: boolean;
  /** EXPLAIN ANALYZE of a statement that writes: the write really happens. */
  executes_write: boolean;
}

export interface StatementFacts {
  /**
   * Statement kind, snake_case: select, insert, update, delete, merge, copy, create_table,
   * create_index, create_view, create_function, create_procedure, create_role, create_schema,
   * create_extension, create_trigger, create_rule, alter_table, alter_role, alter_system, drop,
   * truncate, grant, revoke, set, reset, show, set_role, transaction, call, do, explain,
   * prepare, execute, deallocate, vacuum, analyze, lock, listen, notify, comment, … unknown.
   */
  type: string;
  category: StatementCategory;
  /** Object kind for DDL (create_*, alter_*, drop, comment): table, index, view, role, schema, database, function … */
  object_type?: string;
  /** Every table or view referenced, read or written, schema-qualified as written, lower-cased unless quoted. */
  tables: string[];
  /** Tables read. */
  reads: string[];
  /** Tables written (INSERT/UPDATE/DELETE/MERGE/COPY FROM/SELECT INTO/TRUNCATE/DDL targets). */
  writes: string[];
  /** Columns referenced: `table.column` where the table is known, else `column`; `*` for star. */
  columns: string[];
  /**
   * Columns whose values the statement reads (in expressions, conditions, a query's output):
   * `columns` except those it only assigns, the targets of UPDATE … SET, of an INSERT's or
   * MERGE's column list and of COPY … FROM, and except what only a write's own RETURNING list
   * reads (see `returned_columns`). What the RETURNING of a write nested in this statement
   * reads (a data-modifying WITH, a function body) feeds the statement, and is read here.
   */
  read_columns: string[];
  /**
   * Columns the RETURNING list of this write reads: its output, which goes to the client as a
   * query's rows do, not into what the write stores.
   */
  returned_columns: string[];
  /**
   * For update/delete (and merge): whether the statement is restricted by a WHERE, as far as its
   * shape shows (`WHERE true`, `WHERE 1 = 1`, `WHERE id = 5 OR 1 = 1` and `WHERE id = id`
   * restrict nothing). Otherwise whether any WHERE appears.
   */
  has_where: boolean;
  /**
   * For INSERT: the most rows it can write, when its text says (the rows of its VALUES list;
   * 1 for DEFAULT VALUES). Absent for INSERT … SELECT and every other statement.
   */
  values_rows?: number;
  /** Functions called, lower-cased, schema-qualified as written (`pg_catalog.pg_read_file`). */
  functions: string[];
  /**
   * Operators applied, as written, lower-cased, schema-qualified as written (`=`, `~~` for LIKE,
   * `myschema.==>` for `OPERATOR(myschema.==>)`); BETWEEN as `>=` and `<=`, a simple CASE as
   * `=`. Each runs a
   * function, which may be one of the user's.
   */
  operators: string[];
  /** The statement runs SQL not written in it directly: DO, EXECUTE, PREPARE, function bodies, CALL. */
  dynamic: boolean;
  /** Some SQL that will run cannot be known statically (EXECUTE of a built string, EXECUTE of an unknown prepared name). */
  opaque: boolean;
  /**
   * The table lock a maintenance statement takes on what it names, PostgreSQL's mode in
   * snake_case: LOCK TABLE (its mode; `access_exclusive` by default), VACUUM and ANALYZE
   * (`share_update_exclusive`; VACUUM FULL `access_exclusive`), CLUSTER (`access_exclusive`),
   * REINDEX (`share`; CONCURRENTLY `share_update_exclusive`), REFRESH MATERIALIZED VIEW
   * (`access_exclusive`; CONCURRENTLY `exclusive`); MySQL's LOCK TABLES (`access_exclusive`
   * with a WRITE lock, else `share`). Absent for other statements.
   */
  lock?: TableLockMode;
  copy?: CopyFacts;
  role?: RoleFacts;
  explain?: ExplainFacts;
  /** Nested statements, flattened depth-first (their own `inner` is always empty). */
  inner: InnerStatementFacts[];
  /** Stable hex fingerprint of the normalised statement (constants removed). */
  fingerprint: string;
  /** The statement's own text, as sent. */
  text: string;
}

/** PostgreSQL's table lock modes, weakest first. https://www.postgresql.org/docs/current/explicit-locking.html */
export type TableLockMode =
  | 'access_share'
  | 'row_share'
  | 'row_exclusive'
  | 'share_update_exclusive'
  | 'share'
  | 'share_row_exclusive'
  | 'exclusive'
  | 'access_exclusive';

export interface InnerStatementFacts extends StatementFacts {
  via: InnerStatementSource;
}

export interface SqlParseError {
  message: string;
  /** 0-based character offset in `raw`, when the parser gives one. */
  position?: number;
}

export interface SqlFacts {
  raw: string;
  dialect: SqlDialect;
  /** False when the text does not parse: `statements` is then empty and `error` says why. */
  parsed: boolean;
  error?: SqlParseError;
  statements: StatementFacts[];
}

// ---------------------------------------------------------------------------------------
// Shell facts
// ---------------------------------------------------------------------------------------

export interface Redirect {
  /** The operator as written: >, >>, <, <>, >|, &>, &>>, >&, <&, <<, <<-, <<< */
  op: string;
  /** File descriptor named before the operator, when given (2> …). */
  fd?: number;
  /** Target word after quoting is removed; the heredoc delimiter for << and <<-. */
  target: string;
}

/** Something that cannot be known without running the line: a policy should hold it. */
export type ShellOpaqueReason =
  | 'parse_error'
  | 'dynamic_program' // $X -rf /, $(echo rm) …
  | 'eval_dynamic' // eval "$cmd"
  | 'heredoc_to_shell' // bash <<EOF …
  | 'inline_code' // python -c, perl -e, node -e, ruby -e …
  | 'script_from_stdin' // … | sh, sh < file
  | 'source_file' // . ./x.sh, source x.sh
  | 'dynamic_argument'; // a wrapper's command word that is a substitution

export interface ShellOpaque {
  reason: ShellOpaqueReason;
  text: string;
}

export interface CommandFacts {
  /** Normalised program basename: quoting removed, path stripped (`/usr/bin/rm`, `\rm`, `r''m` → `rm`). Empty when dynamic. */
  program: string;
  /** The program word after quote removal, path kept. */
  path: string;
  args: string[];
  /** Flags: short flags expanded (`-rf` → `-r`, `-f`), long flags without their `=value` (`--force`). */
  flags: string[];
  /** Variable assignments in front of the command or given to env: NAME → value. */
  assignments: Record<string, string>;
  redirects: Redirect[];
  /** Wrappers this command was found behind, outermost first: sudo, env, sh -c, xargs, find -exec … */
  via: string[];
  /** stdin comes from the previous command of a pipeline. */
  piped: boolean;
  /** Program of the previous pipeline stage, when piped. */
  piped_from?: string;
  /** The command runs inside a command or process substitution. */
  in_substitution: boolean;
  /** Ran in the background (&). */
  background: boolean;
  /** The program cannot be known statically. */
  dynamic: boolean;
  /** Inline code given to an interpreter (python -c CODE). */
  inline_code?: string;
  /** Calls the shell function whose body it is in; piped and in the background, a fork bomb (`:(){ :|:& };:`). */
  recursive?: boolean;
}

export interface ShellFacts {
  raw: string;
  parsed: boolean;
  error?: string;
  /** Every simple command, in order, wrappers and the commands they run each listed. */
  commands: CommandFacts[];
  /** Any command substitution, backticks or process substitution appears. */
  substitutions: boolean;
  /** Every redirection in the line. */
  redirects: Redirect[];
  /** Pipelines whose later stage is a shell or interpreter: `from` → `to` programs. */
  interpreter_pipes: { from: string; to: string }[];
  /** What cannot be known statically; empty when the whole line is understood. */
  opaque: ShellOpaque[];
}

// ---------------------------------------------------------------------------------------
// HTTP facts
// ---------------------------------------------------------------------------------------

export interface HttpFacts {
  method: string;
  url: string;
  scheme: string;
  host: string;
  port: number | null;
  path: string;
  /** Query parameters; repeated keys become arrays. */
  query: Record<string, string | string[]>;
  /** Header names lower-cased; credentials redacted unless the operator opted in. */
  headers: Record<string, string>;
  /** Parsed JSON body, or null when absent or not JSON. */
  body: unknown;
  content_type: string | null;
  body_size: number;
  /** The body claimed to be JSON but did not parse. */
  body_parse_error?: string;
  /** The body was larger than the configured limit and was not parsed (`body` is null). */
  body_too_large?: boolean;
}

// ---------------------------------------------------------------------------------------
// File facts (sftp and scp)
// ---------------------------------------------------------------------------------------

/** What is done to a file: `read`/`write` are opens (write includes create, truncate, append). */
export type FileOperation =
  | 'read'
  | 'write'
  | 'remove'
  | 'rename'
  | 'mkdir'
  | 'rmdir'
  | 'setstat'
  | 'symlink'
  | 'list';

/** How an open asks for the file (SFTP's SSH_FXF_* flags; scp's `-t` is `write`, `create`, `truncate`). */
export type FileOpenFlag = 'read' | 'write' | 'append' | 'create' | 'truncate' | 'exclusive';

export interface FileFacts {
  operation: FileOperation;
  /** The path as the client sent it (relative paths are relative to the login directory). */
  path: string;
  /** rename: the new path; symlink: the link's target (what it points to). */
  target?: string;
  protocol: 'sftp' | 'scp';
  /** read / write: the open flags. */
  flags?: FileOpenFlag[];
}

// ---------------------------------------------------------------------------------------
// The input document
// ---------------------------------------------------------------------------------------

export type ActionType = 'sql' | 'exec' | 'shell' | 'http' | 'connect' | 'file';

export interface Action {
  type: ActionType;
  /**
   * The key approvals are filed under (`session.approvals[].fingerprint`): SQL statements'
   * fingerprints joined by `+`; `sh:`/`http:`/`file:`/`raw:` + a hash for shell lines, HTTP
   * requests, file operations and unparsed SQL. Absent for `connect`.
   */
  fingerprint?: string;
  sql?: SqlFacts;
  shell?: ShellFacts;
  http?: HttpFacts;
  file?: FileFacts;
}

export interface InputDocument {
  version: ContractVersion;
  subject: Subject;
  resource: Resource;
  session: Session;
  action: Action;
  /** RFC 3339, UTC. */
  time: string;
}

// ---------------------------------------------------------------------------------------
// The decision document
// ---------------------------------------------------------------------------------------

export type Effect = 'allow' | 'deny' | 'approve';

export interface Reason {
  rule: string;
  message: string;
}

export type MaskStrategy = 'redact' | 'partial' | 'hash' | 'null' | 'format';

export type DetectorName =
  | 'email'
  | 'credit_card'
  | 'iban'
  | 'us_ssn'
  | 'phone'
  | 'ipv4'
  | 'ipv6'
  | 'jwt'
  | 'aws_access_key'
  | 'private_key'
  | 'api_token'
  | 'password';

interface MaskRuleBase {
  strategy: MaskStrategy;
  /** partial: characters kept at the end (default 4). */
  keep?: number;
}

export interface ColumnMask extends MaskRuleBase {
  /** `table.column`, `schema.table.column` or a bare `column` (matches in any table). */
  column: string;
}
/**
 * A result column of any table whose name matches: what a policy gives when it cannot name
 * the columns (`SELECT *`, a FETCH), so that its name patterns still apply.
 */
export interface ColumnPatternMask extends MaskRuleBase {
  /** An RE2 pattern searched in the column's name, lower-cased (`passw(or)?d|secret`). */
  column_pattern: string;
  /**
   * Columns the pattern matches that the rule leaves alone, as `table.column` or
   * `schema.table.column` (`pg_ts_parser.prstoken`): only where the column's table is known
   * to be that one; a column of unknown origin (an expression) is still masked.
   */
  except?: string[];
}
export interface PathMask extends MaskRuleBase {
  /** JSONPath into a JSON value ($.customers[*].ssn). */
  path: string;
}
export interface DetectorMask extends MaskRuleBase {
  detector: DetectorName;
}
export interface PatternMask extends MaskRuleBase {
  /** An RE2 pattern; never run on a backtracking engine. */
  pattern: string;
}

export type MaskRule = ColumnMask | ColumnPatternMask | PathMask | DetectorMask | PatternMask;

export type ApprovalScope = 'statement' | 'session';

export interface ApprovalRequirement {
  /** `group:dba`, `user:bob@example.com` … */
  reviewers: string[];
  quorum: number;
  scope: ApprovalScope;
  /** Go-style duration: 15m, 1h30m. How long a granted approval stays valid. */
  ttl: string;
}

/**
 * Bounds on what an allowed action may do once it runs, enforced by the adapter where the
 * protocol reports it.
 */
export interface DecisionLimits {
  /**
   * SQL: the most rows one statement may insert, update, delete, merge or copy in, as its
   * command tag reports them. A statement past it is rolled back and fails with 42501.
   */
  affected_rows?: number;
}

export interface Decision {
  effect: Effect;
  reasons: Reason[];
  masks: MaskRule[];
  approval?: ApprovalRequirement;
  limits?: DecisionLimits;
}
