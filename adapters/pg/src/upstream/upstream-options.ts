import type { ConnectionOptions } from 'node:tls';

/** Where and as whom the proxy connects to PostgreSQL: the operator's credentials. */
export interface UpstreamOptions {
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
  /** How long connecting and authenticating may take; default 10 000 ms. */
  connectTimeoutMs?: number;
}
