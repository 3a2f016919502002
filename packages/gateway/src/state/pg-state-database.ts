import pg, { type ClientConfig, type Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import { StateStoreError } from '../errors.js';

/** How to reach the PostgreSQL state database; the password is already resolved. */
export interface PgStateConnection {
  /** `postgres://user@host:port/db`; the other fields override its parts. */
  url?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** Pool size; default 10. */
  max?: number;
}

/** Channel a NOTIFY with the request id goes out on whenever an approval leaves `pending`. */
export const APPROVALS_CHANNEL = 'portcullis_approvals';

// Each entry runs once, in order, under an advisory lock so that gateways starting together
// against an empty database do not race; `portcullis_schema.version` counts them.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE portcullis_approvals (
     id text PRIMARY KEY,
     seq bigserial NOT NULL,
     state text NOT NULL,
     subject text NOT NULL,
     resource text NOT NULL,
     fingerprint text,
     session_id text NOT NULL,
     scope text NOT NULL,
     created_ms bigint NOT NULL,
     expires_ms bigint NOT NULL,
     valid_until_ms bigint,
     ttl_ms bigint NOT NULL,
     doc text NOT NULL
   );
   CREATE INDEX portcullis_approvals_state ON portcullis_approvals (state, created_ms);
   CREATE INDEX portcullis_approvals_grant ON portcullis_approvals (subject, resource, state);
   -- Whoever decides a request (a gateway, the CLI, another tool), waiters everywhere hear it.
   CREATE FUNCTION portcullis_approval_decided() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM pg_notify('${APPROVALS_CHANNEL}', NEW.id);
     RETURN NEW;
   END $$;
   CREATE TRIGGER portcullis_approval_decided
     AFTER UPDATE OF state ON portcullis_approvals
     FOR EACH ROW WHEN (OLD.state = 'pending' AND NEW.state <> 'pending')
     EXECUTE FUNCTION portcullis_approval_decided();
   CREATE TABLE portcullis_credentials (
     id text PRIMARY KEY,
     seq bigserial NOT NULL,
     token_hash text NOT NULL UNIQUE,
     subject text NOT NULL,
     kind text NOT NULL,
     groups text NOT NULL,
     resource text NOT NULL,
     issued_ms bigint NOT NULL,
     expires_ms bigint NOT NULL,
     revoked_ms bigint
   );
   CREATE INDEX portcullis_credentials_subject ON portcullis_credentials (subject);
   CREATE TABLE portcullis_audit_index (
     record_id text PRIMARY KEY,
     seq bigserial NOT NULL,
     time text NOT NULL,
     session_id text NOT NULL,
     subject text NOT NULL,
     resource text NOT NULL,
     action text NOT NULL,
     effect text NOT NULL,
     rules text NOT NULL,
     approval_id text,
     summary text NOT NULL
   );
   CREATE INDEX portcullis_audit_index_subject ON portcullis_audit_index (subject, time);
   CREATE INDEX portcullis_audit_index_time ON portcullis_audit_index (time);`,
  // For state retention (state-retention.ts): settled approvals and expired credentials go.
  `CREATE INDEX portcullis_approvals_expires ON portcullis_approvals (expires_ms);
   CREATE INDEX portcullis_credentials_expires ON portcullis_credentials (expires_ms);`,
];

/**
 * The parts of a `postgres://` URL, taken apart here rather than given to pg as a
 * connectionString, which would override the password given beside it. `sslmode` follows
 * libpq: require encrypts, verify-ca and verify-full also check the certificate.
 */
function fromUrl(url: string): ClientConfig {
  const u = new URL(url);
  const config: ClientConfig = {};
  if (u.hostname !== '') config.host = decodeURIComponent(u.hostname.replace(/^\[|\]$/g, ''));
  if (u.port !== '') config.port = Number(u.port);
  if (u.username !== '') config.user = decodeURIComponent(u.username);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database !== '') config.database = database;
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode === 'require') config.ssl = { rejectUnauthorized: false };
  else if (sslmode === 'verify-ca' || sslmode === 'verify-full') config.ssl = { rejectUnauthorized: true };
  return config;
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

export interface PgListenHandlers {
  onNotification(payload: string): void;
  /** The listening connection was (re)established: notifications may have been missed before it. */
  onReconnect(): void;
  onError(err: unknown): void;
}

/**
 * The gateway's state in PostgreSQL, shared by several gateways: a connection pool for
 * queries and transactions, the schema brought up to date on open, and one dedicated
 * connection that LISTENs for decided approvals (re-established with backoff if it drops).
 */
export class PgStateDatabase {
  readonly pool: Pool;
  readonly #config: ClientConfig;
  #listener: pg.Client | undefined;
  #listenHandlers: PgListenHandlers[] = [];
  #reconnect: NodeJS.Timeout | undefined;
  #backoffMs = RECONNECT_MIN_MS;
  #closed = false;

  private constructor(config: ClientConfig, max: number) {
    this.#config = config;
    this.pool = new pg.Pool({ ...config, max });
    // An idle client that loses its connection emits on the pool; without a listener that
    // would end the process. The next query gets a fresh connection.
    this.pool.on('error', () => {});
  }

  /** Connects, creates or upgrades the schema, and starts listening. */
  static async open(connection: PgStateConnection): Promise<PgStateDatabase> {
    const config: ClientConfig = {
      ...(connection.url !== undefined ? fromUrl(connection.url) : {}),
      ...(connection.host !== undefined ? { host: connection.host } : {}),
      ...(connection.port !== undefined ? { port: connection.port } : {}),
      ...(connection.database !== undefined ? { database: connection.database } : {}),
      ...(connection.user !== undefined ? { user: connection.user } : {}),
      ...(connection.password !== undefined ? { password: connection.password } : {}),
      application_name: 'portcullis-gateway',
      connectionTimeoutMillis: 10_000,
    };
    const db = new PgStateDatabase(config, connection.max ?? 10);
    try {
      await db.#migrate();
      await db.#connectListener();
    } catch (err) {
      await db.close();
      throw new StateStoreError(`cannot open the PostgreSQL state database: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return db;
  }

  query<R extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  /** Runs `fn` in a transaction on one connection; commits what it returns, rolls back what it throws. */
  async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Subscribes to decided approvals on the shared listening connection. */
  onApprovalDecided(handlers: PgListenHandlers): () => void {
    this.#listenHandlers.push(handlers);
    return () => {
      this.#listenHandlers = this.#listenHandlers.filter((h) => h !== handlers);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnect);
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => {});
    await this.pool.end().catch(() => {});
  }

  async #migrate(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext('portcullis_state_schema'))");
      await client.query('CREATE TABLE IF NOT EXISTS portcullis_schema (version integer NOT NULL)');
      const { rows } = await client.query<{ version: number }>('SELECT version FROM portcullis_schema');
      let version = rows[0]?.version ?? 0;
      if (rows.length === 0) await client.query('INSERT INTO portcullis_schema (version) VALUES (0)');
      if (version > MIGRATIONS.length)
        throw new Error(
          `its schema version ${version} is newer than this gateway knows (${MIGRATIONS.length})`,
        );
      for (; version < MIGRATIONS.length; version++) await client.query(MIGRATIONS[version]!);
      await client.query('UPDATE portcullis_schema SET version = $1', [MIGRATIONS.length]);
    });
  }

  async #connectListener(): Promise<void> {
    const client = new pg.Client(this.#config);
    client.on('notification', (msg) => {
      if (msg.channel !== APPROVALS_CHANNEL || msg.payload === undefined) return;
      for (const h of this.#listenHandlers) h.onNotification(msg.payload);
    });
    const lost = (err?: unknown) => {
      if (this.#listener !== client) return;
      this.#listener = undefined;
      client.end().catch(() => {});
      if (err !== undefined) for (const h of this.#listenHandlers) h.onError(err);
      this.#scheduleReconnect();
    };
    client.on('error', (err) => lost(err));
    client.on('end', () => lost());
    await client.connect();
    await client.query(`LISTEN ${APPROVALS_CHANNEL}`);
    this.#listener = client;
    this.#backoffMs = RECONNECT_MIN_MS;
  }

  #scheduleReconnect(): void {
    if (this.#closed) return;
    this.#reconnect = setTimeout(() => {
      this.#connectListener().then(
        () => {
          for (const h of this.#listenHandlers) h.onReconnect();
        },
        (err: unknown) => {
          for (const h of this.#listenHandlers) h.onError(err);
          this.#backoffMs = Math.min(this.#backoffMs * 2, RECONNECT_MAX_MS);
          this.#scheduleReconnect();
        },
      );
    }, this.#backoffMs);
    this.#reconnect.unref?.();
  }
}
