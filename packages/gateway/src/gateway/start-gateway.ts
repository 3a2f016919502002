import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { type ApprovalStore, createJsonlAuditSink, type Engine, InvalidOptionError } from '@portcullis/core';
import pino, { type Logger } from 'pino';
import type { GatewayConfig } from '../config/gateway-config.js';
import { resolveSecret } from '../config/secret-ref.js';
import { createBearerAuthenticator, gatewayCredentialsApi } from '../identity/gateway-identity.js';
import { StaticKeyVerifier } from '../identity/static-keys.js';
import { loadPolicyEngine } from '../policy/load-policy-engine.js';
import type { ResourceContext, RunningResource } from '../resources/resource-context.js';
import { startResource } from '../resources/start-resource.js';
import { createGatewayHttpServer, listenHttp } from '../server/gateway-http-server.js';
import { GatewayMetrics } from '../server/gateway-metrics.js';
import { recordingsRoutes } from '../server/recordings-routes.js';
import { type AuditIndexStore, indexedAuditSink } from '../state/audit-index.js';
import { startIndexPruner } from '../state/audit-index-retention.js';
import type { Credentials } from '../state/credential-rules.js';
import { openStateStores } from '../state/open-state-stores.js';
import { startStatePruner } from '../state/state-retention.js';
import { withWebhook } from './approval-webhook.js';
import { CREDENTIAL_CLAIM, guardEngine } from './guarded-engine.js';
import { observedAuditSink } from './observed-audit-sink.js';
import { passwordAuthenticator } from './password-authenticator.js';
import { startRecordingsSweeper } from './recordings-retention.js';

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
  /** SQLite answers synchronously, the shared PostgreSQL store with promises: await either. */
  readonly credentials: Credentials;
  readonly approvals: ApprovalStore;
  readonly auditIndex: AuditIndexStore;
  readonly logger: Logger;
  /** Stop listening, close sessions, flush the audit log and close the state database. */
  close(): Promise<void>;
}

/**
 * Starts the gateway a config describes: one proxy per resource, all deciding
 * through one engine, holding statements in the approval store (SQLite, or PostgreSQL shared
 * with other gateways), writing every decision
 * to the hash-chained audit log (and its index), and the HTTP server beside them.
 */
export async function startGateway(options: StartGatewayOptions): Promise<Gateway> {
  if (typeof options?.config !== 'object' || options.config === null)
    throw new InvalidOptionError('config', 'must be a validated GatewayConfig (loadConfig gives one)');
  const { config } = options;
  const logger =
    options.logger ?? pino({ name: 'portcullis', level: config.log?.level ?? 'info' }, pino.destination(2));
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
    const state = await openStateStores(config.state, {
      resolveSecret: (ref) => resolveSecret(ref, options.env),
      approvals: { defaultWait: config.approvals.wait, maxTtl: config.approvals.ttl },
      onListenError: (err) => logger.warn({ err }, 'state database listener lost; reconnecting'),
    });
    cleanups.push(() => state.close());
    const { credentials, auditIndex } = state;
    const keys = new StaticKeyVerifier(config.identity.apiKeys);
    const bearer = createBearerAuthenticator(config, keys, logger);

    const running = new Map<string, RunningResource>();
    // What each running resource reports, by name, read at each scrape.
    const perResource =
      <T>(read: (r: RunningResource) => T | undefined) =>
      (): Record<string, T> => {
        const out: Record<string, T> = {};
        for (const [name, r] of running) {
          const value = read(r);
          if (value !== undefined) out[name] = value;
        }
        return out;
      };
    const metrics = new GatewayMetrics(
      perResource((r) => r.sessions),
      perResource((r) => r.nativeLane),
      perResource((r) => r.catalogIdle),
      perResource((r) => r.upstreamIdle),
    );

    const inner =
      options.engine ?? (await loadPolicyEngine(config.policy, logger.child({ component: 'engine' })));
    if (!options.engine) cleanups.push(() => inner.close());
    const engine = guardEngine(inner, {
      credentialActive: (id) => credentials.isActive(id),
      observe: (result, ms) => metrics.observeDecision(result, ms),
    });

    mkdirSync(dirname(config.audit.path), { recursive: true });
    const log = await createJsonlAuditSink({
      path: config.audit.path,
      fsync: config.audit.fsync,
      rotateBytes: config.audit.rotateBytes ?? 0,
      onRotated: (rotated) => logger.info({ rotated, log: config.audit.path }, 'audit log rotated'),
      onRotateError: (err) =>
        logger.error(
          { err, log: config.audit.path },
          'audit log rotation failed; records go on to the current file',
        ),
    });
    const indexed = indexedAuditSink(log, auditIndex, (err) =>
      logger.error({ err }, 'audit index write failed'),
    );
    const audit = observedAuditSink(indexed, (record) => metrics.observeAudit(record));
    mkdirSync(config.recordings.path, { recursive: true, mode: 0o700 });
    cleanups.push(() => audit.close());
    const openRecordings = new Set<string>();
    if ((config.recordings.retentionMs ?? 0) > 0) {
      const sweeper = startRecordingsSweeper(config.recordings.path, {
        retentionMs: config.recordings.retentionMs as number,
        open: openRecordings,
        onSwept: (deleted) => logger.info({ deleted }, 'session recordings past retention deleted'),
        onError: (err) => logger.error({ err }, 'session recordings sweep failed'),
      });
      cleanups.push(() => sweeper.stop());
    }
    const stateRetentionMs = config.state.retentionMs ?? 0;
    if (stateRetentionMs > 0) {
      const pruner = startStatePruner(state.history, {
        retentionMs: stateRetentionMs,
        onPruned: (count, beforeMs) =>
          logger.info(
            { count, before: new Date(beforeMs).toISOString() },
            'settled approvals and expired credentials past retention removed',
          ),
        onError: (err) => logger.error({ err }, 'state pruning failed'),
      });
      cleanups.push(() => pruner.stop());
    }
    const retentionMs = config.audit.indexRetentionMs ?? 0;
    if (retentionMs > 0) {
      const pruner = startIndexPruner(auditIndex, {
        retentionMs,
        onPruned: (count, before) =>
          logger.info({ count, before }, 'audit index entries past retention removed'),
        onError: (err) => logger.error({ err }, 'audit index pruning failed'),
      });
      cleanups.push(() => pruner.stop());
    }

    // Links in held-statement notices and webhooks need the HTTP address, known only once
    // the server listens; the closure reads it then.
    let base = config.approvals.publicUrl?.replace(/\/$/, '') ?? '';
    const approveUrl = (id: string) => `${base}/approvals#${encodeURIComponent(id)}`;
    let approvals: ApprovalStore = state.approvals;
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
      authenticate: (token) => bearer.tryAuthenticate(token),
      recordings: recordingsRoutes(config.recordings.path),
      credentials: gatewayCredentialsApi(config, {
        credentials,
        bearer,
        address: (name) => running.get(name)?.address,
        logger,
      }),
      ready: () => ready,
      onVote: (outcome, settled) => metrics.observeVote(outcome, settled),
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

    const ctx: ResourceContext = {
      engine,
      approvals,
      approvalWaitMs: config.approvals.waitMs,
      approveUrl,
      audit,
      authenticatePassword: passwordAuthenticator(credentials, keys, logger),
      decisionsHold: (subject) => {
        const id = subject.claims?.[CREDENTIAL_CLAIM];
        // API keys come from the config and live as long as the gateway's config does.
        if (typeof id !== 'string') return true;
        // SQLite answers on the spot; the shared PostgreSQL store with a round trip.
        return credentials.isActiveNow ? credentials.isActiveNow(id) : credentials.isActive(id);
      },
      logger,
      recordingsDir: config.recordings.path,
      openRecordings,
      resolveSecret: (ref) => resolveSecret(ref, options.env),
    };
    const addresses = new Map<string, AddressInfo>();
    for (const resource of config.resources) {
      const r = await startResource(ctx, resource);
      running.set(resource.name, r);
      addresses.set(resource.name, r.address);
      // Resources close before the audit sink and the database they write to.
      cleanups.push(() => r.close());
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
      auditIndex: indexed.index,
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
