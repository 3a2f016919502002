import type { AuditSink, Engine, EngineLogger, PolicyRequest } from '@portcullis/core';
import type { UpstreamOptions } from '../upstream/upstream-options.js';

/** What the client sent at startup, for the authenticate hook. */
export interface ClientStartup {
  /** The `user` startup parameter. */
  user: string;
  database: string | undefined;
  /** Every startup parameter, as sent. */
  parameters: Readonly<Record<string, string>>;
  /** The client's address as the proxy saw it. */
  source: string;
}

/** Who the authenticate hook says the client is. */
export interface AuthenticatedClient {
  subject: PolicyRequest['subject'];
}

export type Authenticate = (startup: ClientStartup, password: string) => Promise<AuthenticatedClient | null>;

export interface PgProxyOptions {
  engine: Engine;
  /** The PostgreSQL server and the operator's credentials for it; never shown to clients. */
  upstream: UpstreamOptions;
  /**
   * Checks the password the client sent (asked for in cleartext) and names the subject.
   * Resolve null to refuse (28P01). Without it every client is refused: the proxy never
   * lets a connection through on the upstream's credentials alone.
   */
  authenticate?: Authenticate;
  /** The resource in every policy input: `{ type: 'postgres', name, labels }`. */
  resource: { name: string; labels?: Record<string, string> };
  /** Largest frontend or backend message accepted, in bytes; default 64 MiB. */
  maxMessageSize?: number;
  /** How long a client may take from connecting to finishing authentication; default 60 000 ms. */
  authenticationTimeoutMs?: number;
  /** Key for `hash` masks (at least 16 bytes), so hashes are stable across processes. */
  maskHashKey?: string | Uint8Array;
  /** pino-shaped; nothing is logged without it. */
  logger?: EngineLogger;
  /** Every decision is written here before it is enforced; a failed write denies. */
  audit?: AuditSink;
}
