import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { type ApprovalStore, createJsonlAuditSink, type Engine, InvalidOptionError } from '@portcullis/core';
import { type Authenticate, createPgProxy, type PgProxy } from '@portcullis/pg';
import pino, { type Logger } from 'pino';
import type { GatewayConfig, PostgresResourceConfig } from '../config/gateway-config.js';
import { resolveSecret } from '../config/secret-ref.js';
import { GatewayStartError } from '../errors.js';
import { StaticKeyVerifier } from '../identity/static-keys.js';
import { loadPolicyEngine } from '../policy/load-policy-engine.js';
import { createGatewayHttpServer, listenHttp } from '../server/gateway-http-server.js';
import { GatewayMetrics } from '../server/gateway-metrics.js';
import { AuditIndex, indexedAuditSink } from '../state/audit-index.js';
import { CredentialStore } from '../state/credential-store.js';
import { SqliteApprovalStore } from '../state/sqlite-approval-store.js';
import { openStateDatabase, type StateDatabase } from '../state/state-database.js';
import { withWebhook } from './approval-webhook.js';
import { CREDENTIAL_CLAIM, guardEngine } from './guarded-engine.js';

export interface StartGatewayOptions {
  config: GatewayConfig;
  /** pino logger; default JSON lines on stderr at `info`. */
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** An engine already built (tests, `up`): skips loading `config.policy`. */
  engine?: Engine;
}

export interface Gateway {
  /** Base URL of the HTTP server (health, metrics, approvals). */
  readonly url: string;
  /** Where each resource's proxy listens, by resource name. */
  readonly resources: ReadonlyMap<string, AddressInfo>;
  readonly credentials: CredentialStore;
  readonly approvals: ApprovalStore;
  readonly auditIndex: AuditIndex;
  readonly logger: Logger;
  /** Stop listening, close sessions, flush the audit log and close the state database. */
  close(): Promise<void>;
}

/**
 * Starts the gateway a config describes: one PostgreSQL proxy per resource, all deciding
 * through one engine, holding statements in the SQLite approval store, writing every decision
 * to the hash-chained audit log (and its index), and the HTTP server beside them.
 */
export async function startGateway(options: StartGatewayOptions): Promise<Gateway> {
  if (typeof options?.config !== 'object' || options.config === null)
    throw new InvalidOptionError('config', 'must be a validated GatewayConfig (loadConfig gives one)');
  const { config } = options;
  const logger = options.logger ?? pino({ name: 'portcullis' }, pino.destination(2));
  const cleanups: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        logger.error({ err }, 'error while shutting down');
      }
    }
  };
  let ready = false;

  try {
    const passwords = new Map<string, string>();
    for (const r of config.resources)
      passwords.set(r.name, await resolveSecret(r.upstream.password, options.env));

    const db: StateDatabase = openStateDatabase(config.state.path);
    cleanups.push(() => {
      db.close();
    });
    const credentials = new CredentialStore({ db });
    const auditIndex = new AuditIndex(db);
    const keys = new StaticKeyVerifier(config.identity.apiKeys);

    const proxies = new Map<string, PgProxy>();
    const metrics = new GatewayMetrics(() =>
      Object.fromEntries([...proxies].map(([name, proxy]) => [name, proxy.sessions])),
    );

    const inner =
      options.engine ?? (await loadPolicyEngine(config.policy, logger.child({ component: 'engine' })));
    if (!options.engine) cleanups.push(() => inner.close());
    const engine = guardEngine(inner, {
      credentialActive: (id) => credentials.isActive(id),
      observe: (result, ms) => metrics.observeDecision(result, ms),
    });

    mkdirSync(dirname(config.audit.path), { recursive: true });
    const log = await createJsonlAuditSink({ path: config.audit.path, fsync: config.audit.fsync });
    const audit = indexedAuditSink(log, auditIndex, (err) =>
      logger.error({ err }, 'audit index write failed'),
    );
    cleanups.push(() => audit.close());

    // Links in held-statement notices and webhooks need the HTTP address, known only once
    // the server listens; the closure reads it then.
    let base = config.approvals.publicUrl?.replace(/\/$/, '') ?? '';
    const approveUrl = (id: string) => `${base}/approvals#${encodeURIComponent(id)}`;
    let approvals: ApprovalStore = new SqliteApprovalStore({
      db,
      defaultWait: config.approvals.wait,
      maxTtl: config.approvals.ttl,
    });
    if (config.approvals.webhook) {
      approvals = withWebhook(approvals, {
        url: config.approvals.webhook,
        approveUrl,
        onError: (err) => logger.warn({ err }, 'approval webhook failed'),
      });
    }

    const http: Server = createGatewayHttpServer({
      approvals,
      metrics,
      authenticate: (token) => keys.verify(token),
      ready: () => ready,
      onVote: (outcome) => metrics.observeVote(outcome),
    });
    const httpAddress = await listenHttp(http, config.server.port, config.server.host);
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        }),
    );
    const host = httpAddress.address.includes(':') ? `[${httpAddress.address}]` : httpAddress.address;
    const url = `http://${host}:${httpAddress.port}`;
    if (base === '') base = url;

    const addresses = new Map<string, AddressInfo>();
    for (const resource of config.resources) {
      const proxy = createPgProxy({
        engine,
        resource: { name: resource.name, labels: resource.labels },
        upstream: upstreamOf(resource, passwords.get(resource.name)!),
        authenticate: authenticator(resource, credentials, keys, logger),
        approvals: { store: approvals, waitMs: config.approvals.waitMs, approveUrl },
        audit,
        // Every decision re-checks the session's credential, so a revocation stops the very next
        // statement; reusing earlier decisions would let a revoked credential run on for the
        // reuse window.
        decisionCache: false,
        logger: logger.child({ resource: resource.name }),
      });
      proxies.set(resource.name, proxy);
      try {
        addresses.set(resource.name, await proxy.listen(resource.listen.port, resource.listen.host));
      } catch (err) {
        throw new GatewayStartError(
          `resource ${resource.name} cannot listen on ${resource.listen.host}:${resource.listen.port}: ${(err as Error).message}`,
          { cause: err },
        );
      }
      // Proxies close before the audit sink and the database they write to.
      cleanups.push(() => proxy.close());
    }
    ready = true;
    logger.info(
      { url, resources: Object.fromEntries([...addresses].map(([n, a]) => [n, a.port])) },
      'gateway ready',
    );

    let closed: Promise<void> | undefined;
    return {
      url,
      resources: addresses,
      credentials,
      approvals,
      auditIndex,
      logger,
      close() {
        ready = false;
        closed ??= closeAll();
        return closed;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function upstreamOf(resource: PostgresResourceConfig, password: string) {
  const u = resource.upstream;
  return {
    host: u.host,
    port: u.port,
    user: u.user,
    password,
    ...(u.database !== undefined ? { database: u.database } : {}),
  };
}

/**
 * A client logs in with user = its subject id and, as password, either a gateway credential
 * for this resource or a static API key of that subject. The credential's id goes into the
 * subject's claims so each statement re-checks it (see guardEngine).
 */
function authenticator(
  resource: PostgresResourceConfig,
  credentials: CredentialStore,
  keys: StaticKeyVerifier,
  logger: Logger,
): Authenticate {
  return async (startup, password) => {
    const credential = credentials.verify(password);
    if (credential) {
      if (credential.subject !== startup.user || credential.resource !== resource.name) {
        logger.warn(
          { user: startup.user, resource: resource.name, source: startup.source },
          'credential for another subject or resource',
        );
        return null;
      }
      return {
        subject: {
          id: credential.subject,
          kind: credential.kind,
          groups: credential.groups,
          claims: { [CREDENTIAL_CLAIM]: credential.id },
        },
      };
    }
    const key = keys.verify(password, startup.user);
    if (key) return { subject: { id: key.id, kind: key.kind, groups: key.groups, claims: {} } };
    logger.info(
      { user: startup.user, resource: resource.name, source: startup.source },
      'authentication refused',
    );
    return null;
  };
}
