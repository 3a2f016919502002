import type { AddressInfo } from 'node:net';
import type { ApprovalStore, AuditSink, Engine, PolicyRequest, Subject } from '@portcullis/core';
import type { Logger } from 'pino';
import type { SecretRef } from '../config/gateway-config.js';

/**
 * What the gateway hands every resource it starts: one engine, one approval store, one audit
 * sink, one way to check a password. A resource type (postgres, ssh, http) is a function from
 * this context and its own config to a running listener.
 */
export interface ResourceContext {
  engine: Engine;
  approvals: ApprovalStore;
  /** How long a held action waits for reviewers, ms. */
  approvalWaitMs: number;
  /** Where reviewers approve request `id`; valid once the gateway's HTTP server listens. */
  approveUrl: (id: string) => string;
  audit: AuditSink;
  /**
   * Checks a login: `user` as the client gave it, `password` a gateway credential for this
   * resource or a static API key of that user. The subject it returns carries the credential
   * id in its claims so every decision re-checks it.
   */
  authenticatePassword: (
    resource: string,
    user: string,
    password: string,
    source: string,
  ) => Promise<Subject | null>;
  /**
   * Whether a session's earlier decisions still hold for `subject`: false once the credential
   * it logged in with is revoked or expired (then the engine, which checks it at every
   * decision, is asked). A promise where the state store needs a round trip. See
   * `decisionsHold` in @portcullis/pg.
   */
  decisionsHold: (subject: PolicyRequest['subject']) => boolean | Promise<boolean>;
  logger: Logger;
  /** Directory for session recordings (SSH); it exists when a resource starts. */
  recordingsDir: string;
  /** Names of the recordings being written, kept by the resources (see recordings-retention.ts). */
  openRecordings: Set<string>;
  /** Reads a secret the config refers to (environment or file); never log the result. */
  resolveSecret: (ref: SecretRef) => Promise<string>;
}

export interface RunningResource {
  readonly address: AddressInfo;
  /** Open client sessions, for metrics. */
  readonly sessions: number;
  /** What a PostgreSQL resource's native lane relayed (see @portcullis/pg `nativeLane`), for metrics. */
  readonly nativeLane?: { readonly statements: number; readonly handoffs: number };
  /** Server backends a PostgreSQL resource keeps for later sessions' catalog lookups (@portcullis/pg `catalogIdle`). */
  readonly catalogIdle?: number;
  /** Upstream connections a PostgreSQL resource keeps, reset, for later sessions (@portcullis/pg `upstreamReuse`). */
  readonly upstreamIdle?: number;
  close(): Promise<void>;
}
