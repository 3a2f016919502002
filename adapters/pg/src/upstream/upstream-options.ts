import type { ConnectionOptions } from 'node:tls';

/** Where and as whom the proxy connects to PostgreSQL: the operator's credentials. */
export interface UpstreamOptions {
  /**
   * The server's host name or IP address; or, as libpq's `host=/var/run/postgresql`, the
   * directory of its Unix-domain socket (an absolute path), to which the proxy connects as
   * `<host>/.s.PGSQL.<port>`. A proxy beside its server saves the TCP stack's work on every
   * message that way. PostgreSQL offers no TLS there, so `ssl` must be off.
   */
  host: string;
  port: number;
  user: string;
  password: string;
  /** Defaults to the database the client asked for. */
  database?: string;
  /**
   * TLS to the server. `true` verifies the certificate and host name against the system CAs
   * (verify-full); an object is passed to tls.connect (give `ca` for a private CA). Off when
   * absent or false.
   */
  ssl?: boolean | ConnectionOptions;
  /**
   * SCRAM channel binding to the server's TLS certificate (SCRAM-SHA-256-PLUS), as libpq's
   * `channel_binding`. `'prefer'` (the default) binds whenever the server offers it over TLS;
   * `'require'` refuses any server that does not authenticate so (a cleartext or MD5 request,
   * plain SCRAM, `trust`, no TLS), before any password or proof is sent: a man in the middle
   * holding a certificate the proxy accepts (a CA's mistake, a leaked key) then learns nothing
   * it can replay. `'disable'` never binds.
   */
  channelBinding?: 'prefer' | 'require' | 'disable';
  /** How long connecting and authenticating may take; default 10 000 ms. */
  connectTimeoutMs?: number;
  /**
   * How long one of the proxy's own catalog queries (which table a result column comes from,
   * what a view reads) may take; default 5 000 ms. Past it the query is canceled, and the
   * statement that needed it is refused or its result withheld.
   */
  catalogTimeoutMs?: number;
  /**
   * Catalog connections (the proxy's own, for those lookups) kept open when their session
   * ends, for the next session that starts with the same startup parameters: a client that
   * connects per task then does not wait for a second server backend and login before its
   * first result. At most `maxIdle` (default 8) are kept, each for `idleMs` (default 30 000)
   * unused. A session holds its catalog connection while it lives either way. `false` closes
   * each with its session.
   */
  catalogPool?: { maxIdle?: number; idleMs?: number } | false;
  /**
   * Hand an ended session's connection to the next session that starts with the same startup
   * parameters, reset with `DISCARD ALL`, as pgbouncer's session pooling does: a client that
   * connects per task then skips the server's new backend and login. Only a session that ends
   * with Terminate and nothing under way (outside a transaction, no response owed) hands its
   * connection on, and only over a plain TCP or Unix socket. Off by default: what `DISCARD
   * ALL` leaves (a dblink connection kept by name, a procedural language's session globals)
   * would reach the next session, whoever it is. `true` keeps at most 8, each for 30 000 ms;
   * `resetTimeoutMs` (default 5 000) bounds the reset.
   */
  reuse?: boolean | { maxIdle?: number; idleMs?: number; resetTimeoutMs?: number };
}

/** The Unix-domain socket `options` name (a `host` that is an absolute path), else undefined. */
export function upstreamSocketPath(options: Pick<UpstreamOptions, 'host' | 'port'>): string | undefined {
  return options.host.startsWith('/')
    ? `${options.host.replace(/\/+$/, '')}/.s.PGSQL.${options.port}`
    : undefined;
}
