import type { ApprovalStore } from '@portcullis/core';
import type { GatewayConfig } from '../config/gateway-config.js';
import { AuditIndex, type AuditIndexStore, asyncAuditIndex, PgAuditIndex } from './audit-index.js';
import type { Credentials } from './credential-rules.js';
import { asyncCredentials, CredentialStore } from './credential-store.js';
import { PgApprovalStore } from './pg-approval-store.js';
import { PgCredentialStore } from './pg-credential-store.js';
import { PgStateDatabase } from './pg-state-database.js';
import { SqliteApprovalStore } from './sqlite-approval-store.js';
import { openStateDatabase } from './state-database.js';
import { pgStateHistory, type StateHistory, sqliteStateHistory } from './state-retention.js';

export interface StateStores {
  /** `sqlite` (one file, one host) or `postgres` (shared by several gateways). */
  readonly kind: 'sqlite' | 'postgres';
  readonly credentials: Credentials;
  readonly approvals: ApprovalStore;
  readonly auditIndex: AuditIndexStore;
  /** Settled approvals and expired credentials, for `state.retention`. */
  readonly history: StateHistory;
  close(): Promise<void>;
}

export interface OpenStateStoresOptions {
  /** Reads `state.postgres.password`; never log what it returns. */
  resolveSecret: (
    ref: NonNullable<NonNullable<GatewayConfig['state']['postgres']>['password']>,
  ) => Promise<string>;
  approvals?: { defaultWait?: string; maxTtl?: string };
  /** Told when the PostgreSQL listening connection drops (it reconnects by itself). */
  onListenError?: (err: unknown) => void;
}

/** Opens the configured state store: the SQLite file, or the shared PostgreSQL database. */
export async function openStateStores(
  state: GatewayConfig['state'],
  options: OpenStateStoresOptions,
): Promise<StateStores> {
  const approvalOptions = options.approvals ?? {};
  if (state.postgres) {
    const pg = state.postgres;
    const db = await PgStateDatabase.open({
      ...(pg.url !== undefined ? { url: pg.url } : {}),
      ...(pg.host !== undefined ? { host: pg.host } : {}),
      ...(pg.port !== undefined ? { port: pg.port } : {}),
      ...(pg.database !== undefined ? { database: pg.database } : {}),
      ...(pg.user !== undefined ? { user: pg.user } : {}),
      ...(pg.password !== undefined ? { password: await options.resolveSecret(pg.password) } : {}),
    });
    const approvals = new PgApprovalStore({
      db,
      ...approvalOptions,
      ...(options.onListenError ? { onListenError: options.onListenError } : {}),
    });
    return {
      kind: 'postgres',
      credentials: new PgCredentialStore({ db }),
      approvals,
      auditIndex: new PgAuditIndex(db),
      history: pgStateHistory(db),
      async close() {
        approvals.close();
        await db.close();
      },
    };
  }
  const db = openStateDatabase(state.path);
  return {
    kind: 'sqlite',
    credentials: asyncCredentials(new CredentialStore({ db })),
    approvals: new SqliteApprovalStore({ db, ...approvalOptions }),
    auditIndex: asyncAuditIndex(new AuditIndex(db)),
    history: sqliteStateHistory(db),
    async close() {
      db.close();
    },
  };
}
