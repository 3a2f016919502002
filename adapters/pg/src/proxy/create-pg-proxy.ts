/**
 * `createPgProxy`: a TCP server speaking the PostgreSQL protocol to clients and, on the
 * operator's credentials, to one upstream server, with every statement decided by the engine.
 */

import { randomBytes, randomInt } from 'node:crypto';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { createMasker, type Decision, InvalidOptionError } from '@portcullis/core';
import { tlsServerEndPoint } from '../protocol/channel-binding.js';
import { CatalogPool, DEFAULT_CATALOG_POOL } from '../upstream/catalog-pool.js';
import { cancelUpstream } from '../upstream/connect-upstream.js';
import { AuditBacklog } from './audit-backlog.js';
import { TypeShapes } from './binary-values.js';
import { DEFAULT_DECISION_CACHE, DEFAULT_SHARED_ENTRIES } from './decision-memo.js';
import type { MaskContext } from './mask-plan.js';
import { nativeLane, nativeLaneError } from './native-lane.js';
import type { PgProxyOptions } from './pg-proxy-options.js';
import { ProxySession, type SessionHost } from './proxy-session.js';
import { SharedDecisions } from './shared-decisions.js';
import { DEFAULT_UPSTREAM_REUSE, UpstreamReuse } from './upstream-reuse.js';

export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;
/** Compiled maskers kept for reuse: a policy returns the same few mask sets over and over. */
const MASKER_CACHE_SIZE = 256;
/**
 * Databases whose types are remembered (see SessionHost.typeShapes); past it, all are
 * forgotten and looked up again.
 */
const TYPE_CACHE_DATABASES = 64;

export interface PgProxy {
  /** Start listening; port 0 picks a free one. Resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  address(): AddressInfo | null;
  /** Stop listening and close every session. */
  close(): Promise<void>;
  /** Open client sessions. */
  readonly sessions: number;
  /** Forget every session's remembered decisions (after a policy reload). */
  clearDecisionCache(): void;
  /** The underlying server, for embedders that need its events. */
  readonly server: Server;
  /**
   * What the native lane (`nativeLane`) did: statements it relayed, and the times a session's
   * lane handed back to JavaScript, counted as sessions hand back and end.
   */
  readonly nativeLane: { readonly statements: number; readonly handoffs: number };
  /**
   * Catalog connections ended sessions left open for the next (`upstream.catalogPool`): server
   * backends the proxy holds with no session on them, at most `maxIdle`.
   */
  readonly catalogIdle: number;
  /**
   * `upstream.reuse`: connections kept, reset, for later sessions (server backends the proxy
   * holds with no session on them), and how many sessions have started on one.
   */
  readonly upstreamReuse: { readonly idle: number; readonly handedOn: number };
}

function validate(options: PgProxyOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'must be an object');
  if (typeof options.engine?.decide !== 'function')
    throw new InvalidOptionError('engine', 'must be an Engine');
  const u = options.upstream;
  if (typeof u !== 'object' || u === null) throw new InvalidOptionError('upstream', 'is required');
  if (typeof u.host !== 'string' || u.host === '')
    throw new InvalidOptionError(
      'upstream.host',
      'must be a host name, or the directory of a Unix-domain socket',
    );
  if (u.host.startsWith('/') && u.ssl)
    throw new InvalidOptionError(
      'upstream.ssl',
      'must be off with a Unix-domain socket (upstream.host is a path): PostgreSQL offers no TLS there',
    );
  if (!Number.isInteger(u.port) || u.port < 1 || u.port > 65535)
    throw new InvalidOptionError('upstream.port', 'must be a TCP port');
  if (typeof u.user !== 'string' || u.user === '')
    throw new InvalidOptionError('upstream.user', 'must be a user name');
  if (typeof u.password !== 'string') throw new InvalidOptionError('upstream.password', 'must be a string');
  if (u.channelBinding !== undefined && !['prefer', 'require', 'disable'].includes(u.channelBinding))
    throw new InvalidOptionError('upstream.channelBinding', "must be 'prefer', 'require' or 'disable'");
  if (u.channelBinding === 'require' && !u.ssl)
    throw new InvalidOptionError(
      'upstream.channelBinding',
      "'require' needs upstream.ssl: SCRAM-SHA-256-PLUS binds to the server's TLS certificate",
    );
  for (const key of ['connectTimeoutMs', 'catalogTimeoutMs'] as const) checkMs(u[key], `upstream.${key}`);
  const reuse = u.reuse;
  if (reuse !== undefined && typeof reuse !== 'boolean') {
    if (typeof reuse !== 'object' || reuse === null)
      throw new InvalidOptionError(
        'upstream.reuse',
        'must be true, false or { maxIdle?, idleMs?, resetTimeoutMs? }',
      );
    checkCount(reuse.maxIdle, 'upstream.reuse.maxIdle');
    checkMs(reuse.idleMs, 'upstream.reuse.idleMs');
    checkMs(reuse.resetTimeoutMs, 'upstream.reuse.resetTimeoutMs');
  }
  const pool = u.catalogPool;
  if (pool !== undefined && pool !== false) {
    if (typeof pool !== 'object' || pool === null)
      throw new InvalidOptionError('upstream.catalogPool', 'must be { maxIdle?, idleMs? } or false');
    checkCount(pool.maxIdle, 'upstream.catalogPool.maxIdle');
    checkMs(pool.idleMs, 'upstream.catalogPool.idleMs');
  }
  if (typeof options.resource?.name !== 'string' || options.resource.name === '')
    throw new InvalidOptionError('resource.name', 'must be a non-empty string');
  if (options.authenticate !== undefined && typeof options.authenticate !== 'function')
    throw new InvalidOptionError(
      'authenticate',
      'must be a function (startup, password) => Promise<{ subject } | null>',
    );
  if (options.decisionsHold !== undefined && typeof options.decisionsHold !== 'function')
    throw new InvalidOptionError(
      'decisionsHold',
      'must be a function (subject) => boolean | Promise<boolean>',
    );
  if (options.tls !== undefined) {
    if (typeof options.tls !== 'object' || options.tls === null)
      throw new InvalidOptionError('tls', 'must be { key, cert, ca? }');
    if (!options.tls.key) throw new InvalidOptionError('tls.key', 'is required (PEM private key)');
    if (!options.tls.cert) throw new InvalidOptionError('tls.cert', 'is required (PEM certificate chain)');
  }
  if (options.requireTls && options.tls === undefined)
    throw new InvalidOptionError('requireTls', 'needs tls: without a certificate no client could connect');
  if (options.scram !== undefined && typeof options.scram !== 'function')
    throw new InvalidOptionError(
      'scram',
      'must be a function (startup) => Promise<{ verifier, client } | null>',
    );
  const a = options.approvals;
  if (a !== undefined) {
    if (typeof a !== 'object' || a === null) throw new InvalidOptionError('approvals', 'must be an object');
    if (typeof a.store?.request !== 'function' || typeof a.store.waitFor !== 'function')
      throw new InvalidOptionError('approvals.store', 'must be an ApprovalStore');
    if (!Number.isInteger(a.waitMs) || a.waitMs < 1)
      throw new InvalidOptionError('approvals.waitMs', 'must be a positive integer of milliseconds');
    if (a.approveUrl !== undefined && typeof a.approveUrl !== 'function')
      throw new InvalidOptionError('approvals.approveUrl', 'must be a function (id) => string');
  }
  const cache = options.decisionCache;
  if (cache !== undefined && cache !== false) {
    if (typeof cache !== 'object' || cache === null)
      throw new InvalidOptionError('decisionCache', 'must be { maxEntries, ttlMs } or false');
    if (!Number.isSafeInteger(cache.maxEntries) || cache.maxEntries < 1)
      throw new InvalidOptionError('decisionCache.maxEntries', 'must be a positive integer');
    if (!Number.isFinite(cache.ttlMs) || cache.ttlMs <= 0)
      throw new InvalidOptionError('decisionCache.ttlMs', 'must be a positive number of milliseconds');
    const shared = cache.sharedEntries;
    if (shared !== undefined && !(Number.isSafeInteger(shared) && shared >= 0))
      throw new InvalidOptionError(
        'decisionCache.sharedEntries',
        'must be a whole number of entries (0 for none)',
      );
  }
  if (options.audit !== undefined && typeof options.audit?.write !== 'function')
    throw new InvalidOptionError('audit', 'must be an AuditSink');
  if (options.recordSession && options.audit === undefined)
    throw new InvalidOptionError('recordSession', 'needs audit: session records are written there');
  const unresolved = options.unresolvedColumns;
  if (unresolved !== undefined && unresolved !== 'mask' && unresolved !== 'deny')
    throw new InvalidOptionError('unresolvedColumns', "must be 'mask' or 'deny'");
  const trust = options.catalogTrustMs;
  if (trust !== undefined && !(typeof trust === 'number' && trust >= 0 && Number.isFinite(trust)))
    throw new InvalidOptionError('catalogTrustMs', 'must be a non-negative number of milliseconds');
  const max = options.maxMessageSize;
  if (max !== undefined && (!Number.isInteger(max) || max < 1024))
    throw new InvalidOptionError('maxMessageSize', 'must be an integer of at least 1024 bytes');
  if (options.directSocketIo !== undefined && typeof options.directSocketIo !== 'boolean')
    throw new InvalidOptionError('directSocketIo', 'must be a boolean');
  if (options.decideConnect !== undefined && typeof options.decideConnect !== 'boolean')
    throw new InvalidOptionError('decideConnect', 'must be a boolean');
  if (options.nativeLane !== undefined && typeof options.nativeLane !== 'boolean')
    throw new InvalidOptionError('nativeLane', 'must be a boolean');
  if (options.nativeLane) {
    if (typeof options.engine.onGeneration !== 'function')
      throw new InvalidOptionError('nativeLane', 'needs an engine with onGeneration (createEngine has it)');
    if (!nativeLane()) throw new InvalidOptionError('nativeLane', `is not available: ${nativeLaneError()}`);
    const without = laneWithout(options);
    if (without) throw new InvalidOptionError('nativeLane', `cannot be used: ${without}`);
  }
}

function checkMs(ms: number | undefined, name: string): void {
  // setTimeout caps its delay at 2^31 - 1 ms and fires at once past it.
  if (ms !== undefined && !(Number.isInteger(ms) && ms > 0 && ms <= 2_147_483_647))
    throw new InvalidOptionError(name, 'must be a positive whole number of milliseconds');
}

function checkCount(n: number | undefined, name: string): void {
  if (n !== undefined && !(Number.isInteger(n) && n >= 0))
    throw new InvalidOptionError(name, 'must be a whole number, 0 or more');
}

/** What keeps every session of this proxy off the native lane, whatever its build and engine. */
function laneWithout(options: PgProxyOptions): string | undefined {
  if (options.decisionCache === false)
    return 'the decision cache is off (decisionCache: false), and the lane relays what it remembers';
  // Every statement must reach the audit sink and the decisionsHold hook: the lane asks the
  // session before each one, which needs a sink that stores a record on the spot.
  if (options.audit && typeof options.audit.writeNow !== 'function')
    return 'the audit sink has no writeNow, to store a record before the lane sends its statement';
  return undefined;
}

export function createPgProxy(options: PgProxyOptions): PgProxy {
  validate(options);
  const sessions = new Set<ProxySession>();
  const cancelKeys = new Map<string, ProxySession>();
  const keyOf = new WeakMap<ProxySession, string>();
  const maskers = new Map<string, MaskContext>();
  // Remembered decisions come back as the same object: skip serialising their masks again.
  const maskerOf = new WeakMap<Decision, MaskContext>();
  let secureContext: SecureContext | undefined;
  if (options.tls) {
    try {
      secureContext = createSecureContext({
        key: options.tls.key,
        cert: options.tls.cert,
        ...(options.tls.ca !== undefined ? { ca: options.tls.ca } : {}),
      });
    } catch (err) {
      throw new InvalidOptionError('tls', `is not a usable key and certificate: ${(err as Error).message}`);
    }
  }

  const auditBacklog = options.audit ? new AuditBacklog(options.audit, options.logger) : undefined;
  const decisionCache =
    options.decisionCache === false ? undefined : (options.decisionCache ?? DEFAULT_DECISION_CACHE);
  const sharedEntries = decisionCache?.sharedEntries ?? DEFAULT_SHARED_ENTRIES;
  const sharedDecisions =
    decisionCache && sharedEntries > 0
      ? new SharedDecisions({ maxEntries: sharedEntries, ttlMs: decisionCache.ttlMs }, options.engine)
      : undefined;
  const laneBarred = laneWithout(options);
  // Unasked for, the lane is used where it can be (validate refuses `true` where it cannot,
  // so `true` here means the engine has onGeneration and the addon loads).
  const lane =
    !laneBarred && options.nativeLane !== false && typeof options.engine.onGeneration === 'function'
      ? nativeLane()
      : undefined;
  if (options.nativeLane === undefined && !lane)
    options.logger?.info?.(
      { reason: laneBarred ?? nativeLaneError() ?? 'the engine has no onGeneration' },
      'pg proxy: no native lane',
    );
  const reuseOptions = options.upstream.reuse;
  const upstreamReuse = reuseOptions
    ? new UpstreamReuse({
        ...DEFAULT_UPSTREAM_REUSE,
        ...(reuseOptions === true ? {} : reuseOptions),
        maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      })
    : undefined;
  const poolOptions = options.upstream.catalogPool;
  const catalogPool =
    poolOptions === false ? undefined : new CatalogPool({ ...DEFAULT_CATALOG_POOL, ...poolOptions });
  const laneCounts = { statements: 0, handoffs: 0 };
  const stopGenerations = lane
    ? options.engine.onGeneration?.(() => {
        for (const s of sessions) s.laneForget();
      })
    : undefined;
  const typesByDatabase = new Map<string, TypeShapes>();
  const host: SessionHost = {
    options,
    auditBacklog,
    maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    logger: options.logger,
    secureContext,
    decisionCache,
    sharedDecisions,
    catalogPool,
    upstreamReuse,
    lane,
    laneHandedBack(statements) {
      laneCounts.statements += statements;
      laneCounts.handoffs++;
    },
    scramMockKey: randomBytes(32),
    channelBinding: options.tls ? tlsServerEndPoint(options.tls.cert) : undefined,
    maskContext(decision: Decision) {
      if (decision.masks.length === 0) return undefined;
      const known = maskerOf.get(decision);
      if (known) return known;
      const key = JSON.stringify(decision.masks);
      let context = maskers.get(key);
      if (!context) {
        const masker = createMasker({
          rules: decision.masks,
          ...(options.maskHashKey !== undefined ? { hashKey: options.maskHashKey } : {}),
        });
        context = {
          masker,
          hasColumnRules: decision.masks.some((m) => 'column' in m || 'column_pattern' in m),
          hasTextRules: decision.masks.some((m) => 'detector' in m || 'pattern' in m),
        };
        if (maskers.size >= MASKER_CACHE_SIZE) maskers.delete(maskers.keys().next().value as string);
        maskers.set(key, context);
      }
      maskerOf.set(decision, context);
      return context;
    },
    typeShapes(database) {
      let types = typesByDatabase.get(database);
      if (!types) {
        if (typesByDatabase.size >= TYPE_CACHE_DATABASES) typesByDatabase.clear();
        types = new TypeShapes();
        typesByDatabase.set(database, types);
      }
      return types;
    },
    registerCancelKey(session) {
      // The client gets a key of our own: the upstream's pid and secret stay with the proxy.
      for (;;) {
        const processId = randomInt(1, 2 ** 31 - 1);
        const secretKey = randomInt(-(2 ** 31), 2 ** 31 - 1);
        const key = `${processId}:${secretKey}`;
        if (cancelKeys.has(key)) continue;
        cancelKeys.set(key, session);
        keyOf.set(session, key);
        return { processId, secretKey };
      }
    },
    cancel(processId, secretKey) {
      const session = cancelKeys.get(`${processId}:${secretKey}`);
      // A statement held for approval has not reached the server: end the wait instead.
      if (!session || session.cancelHeld()) return;
      const target = session.upstreamKey;
      if (target) cancelUpstream(options.upstream, target.processId, target.secretKey);
    },
    closed(session) {
      sessions.delete(session);
      const key = keyOf.get(session);
      if (key !== undefined) cancelKeys.delete(key);
    },
  };

  const server = createServer((socket: Socket) => {
    sessions.add(new ProxySession(host, socket));
  });

  return {
    server,
    get catalogIdle() {
      return catalogPool?.idle ?? 0;
    },
    get upstreamReuse() {
      return { idle: upstreamReuse?.idle ?? 0, handedOn: upstreamReuse?.handedOn ?? 0 };
    },
    get sessions() {
      return sessions.size;
    },
    get nativeLane() {
      return { ...laneCounts };
    },
    clearDecisionCache() {
      sharedDecisions?.clear();
      for (const s of sessions) s.clearDecisions();
    },
    listen(port = 0, hostname = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, hostname, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    address() {
      const a = server.address();
      return a !== null && typeof a === 'object' ? a : null;
    },
    async close() {
      stopGenerations?.();
      await new Promise<void>((resolve) => {
        for (const s of sessions) s.close();
        if (!server.listening) {
          resolve();
          return;
        }
        server.close(() => resolve());
      });
      // The sessions ended first, so their catalog connections are closed, not kept.
      catalogPool?.close();
      upstreamReuse?.close();
      // The ended sessions' unwritten audit records get a last attempt.
      await auditBacklog?.close();
    },
  };
}
