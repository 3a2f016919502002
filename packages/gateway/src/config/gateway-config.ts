/** The validated, resolved form of portcullis.yaml: paths absolute, durations in milliseconds. */
import type { CredentialsConfig } from './validate-credentials.js';

/** Where a secret comes from; the value itself is never part of the configuration. */
export type SecretRef = { from: 'env'; name: string } | { from: 'file'; path: string };

export interface ListenConfig {
  host: string;
  port: number;
}

export interface PostgresResourceConfig {
  type: 'postgres';
  name: string;
  labels: Record<string, string>;
  listen: ListenConfig;
  /** TLS toward clients; `require` (default true) refuses clients that do not upgrade. */
  tls?: { cert: SecretRef; key: SecretRef; ca?: SecretRef; require: boolean };
  upstream: {
    host: string;
    port: number;
    /** Defaults to the database the client asks for. */
    database?: string;
    user: string;
    password: SecretRef;
    /**
     * TLS to PostgreSQL, verify-full; `ca` for a private CA, `serverName` to check instead of
     * host; `channelBinding` as the pg adapter's `upstream.channelBinding` (default prefer).
     */
    tls?: { ca?: SecretRef; serverName?: string; channelBinding?: 'prefer' | 'require' | 'disable' };
    /**
     * Hand an ended session's connection, reset with DISCARD ALL, to the next session with the
     * same startup parameters (the pg adapter's `upstream.reuse`). Off by default.
     */
    reuse?: boolean;
  };
}

/** A public key clients log in with, and who it is. */
export interface SshAuthorizedKey {
  /** `<type> <base64>`, the authorized_keys form without comment. */
  key: string;
  id: string;
  kind: 'human' | 'agent';
  groups: string[];
}

export interface SshResourceConfig {
  type: 'ssh';
  name: string;
  labels: Record<string, string>;
  listen: ListenConfig;
  /** Private host keys the gateway presents to ssh clients. */
  hostKeys: SecretRef[];
  /** Public keys mapped to identities; clients may also log in with a credential as password. */
  authorizedKeys: SshAuthorizedKey[];
  /** Ciphers offered to ssh clients (the ssh adapter's `ciphers`); default ssh2's list. */
  ciphers?: string[];
  upstream: {
    host: string;
    port: number;
    user: string;
    /** The operator's key for the host; never the user's. */
    privateKey: SecretRef;
    passphrase?: SecretRef;
    /** Pinned host keys, `SHA256:…`; or a known_hosts file; at least one of the two. */
    hostKeyFingerprints?: string[];
    knownHosts?: string;
  };
}

/** An HTTP API behind the gateway's reverse proxy. */
export interface HttpResourceConfig {
  type: 'http';
  name: string;
  labels: Record<string, string>;
  listen: ListenConfig;
  /** `hold`: a request needing approval waits up to approvals.wait; `accept`: 202 at once. */
  onApprove: 'hold' | 'accept';
  /** Response types passed unmasked under detector masks (`image/*`); others are refused. */
  unmaskedTypes: string[];
  upstream: {
    /** http:// or https:// base URL; request paths are appended to its path. */
    url: string;
    /** Sent with every forwarded request (an API token, say), read like any other secret. */
    headers: Record<string, SecretRef>;
    /** Longest wait for the upstream's headers and between body chunks, ms. */
    timeoutMs: number;
  };
}

export type ResourceConfig = PostgresResourceConfig | SshResourceConfig | HttpResourceConfig;

/** `policy.signing`: keys a bundle's `.signatures.json` must verify with (OPA's format). */
export interface BundleSigningConfig {
  /** By key id: the JWS algorithm, and a PEM public key or certificate (HS*: the shared secret). */
  keys: Record<string, { algorithm: string; key: SecretRef }>;
  /** Verify with this key whatever the token's `kid` says. */
  keyId?: string;
  /** Must equal the signature's `scope` claim. */
  scope?: string;
}

export type PolicyConfig =
  | { kind: 'rego'; path: string; entrypoint: string }
  | { kind: 'wasm'; path: string; entrypoint: string }
  | { kind: 'bundle'; path: string; entrypoint: string; signing?: BundleSigningConfig }
  | {
      /** An OPA bundle served over HTTP(S), polled with ETag / If-None-Match as OPA does. */
      kind: 'remote-bundle';
      url: string;
      entrypoint: string;
      signing?: BundleSigningConfig;
      /** Delay between polls, ms: a random value in [min, max] each time, as OPA's polling. */
      polling: { minDelayMs: number; maxDelayMs: number };
    };

/** The shared PostgreSQL state database (approvals, credentials, revocations, audit index). */
export interface PostgresStateConfig {
  /** `postgres://user@host:port/database`; host, port, database and user override its parts. */
  url?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: SecretRef;
}

export interface OidcConfig {
  issuer: string;
  audience: string;
  claims: {
    /** Claim holding the subject id; default `sub`. */
    subject: string;
    /** Claim holding the groups list; default `groups`. */
    groups: string;
    /** Claim telling an agent from a human, and the values that mean agent. */
    kind: { claim: string; agentValues: string[] };
  };
  /** Tolerated clock difference, ms; default 30 s. */
  clockToleranceMs: number;
}

export interface ApiKeyConfig {
  /** Subject id the key authenticates as. */
  id: string;
  kind: 'human' | 'agent';
  groups: string[];
  /** `scrypt$…` or `sha256$…`, as `portcullis keys generate` prints it. */
  hash: string;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface GatewayConfig {
  /** Directory the file was read from; relative paths were resolved against it. */
  baseDir: string;
  server: ListenConfig;
  resources: ResourceConfig[];
  policy: PolicyConfig;
  identity: { oidc?: OidcConfig; apiKeys: ApiKeyConfig[] };
  /** Limits of credentials issued through the HTTP API; defaults when absent (max 1h, default 15m). */
  credentials?: CredentialsConfig;
  /** `path` is the SQLite file, unused when `postgres` is given. */
  /**
   * `retention` (`retentionMs`): how long settled approvals and expired credentials are kept
   * (state-retention.ts); absent or 0 keeps every one. The config file's default is 2160h.
   */
  state: { path: string; postgres?: PostgresStateConfig; retention?: string; retentionMs?: number };
  /**
   * `rotateBytes`: rotate the log into a new file once it holds this many bytes (absent or 0:
   * never). `indexRetention` (`indexRetentionMs`): how long the audit index keeps an entry;
   * absent or 0 keeps every one. The config file's default is 2160h (90 days).
   */
  audit: {
    path: string;
    fsync: boolean;
    rotateBytes?: number;
    indexRetention?: string;
    indexRetentionMs?: number;
  };
  /**
   * Where SSH session recordings (asciicast v2, one file per channel) are written, and how
   * long one is kept after it was last written to (absent or 0: kept; the default).
   */
  recordings: { path: string; retention?: string; retentionMs?: number };
  /** pino's level for the gateway's JSON logs on stderr; default `info`. */
  log?: { level: LogLevel };
  approvals: {
    /** How long a held statement waits for reviewers. */
    waitMs: number;
    wait: string;
    /** Upper bound on how long a grant stays valid, whatever the policy's ttl. */
    ttlMs: number;
    ttl: string;
    webhook?: string;
    /** Base URL reviewers reach the gateway at, for links; default from server.listen. */
    publicUrl?: string;
  };
}
