/**
 * A cluster with an `app` database, and a proxy in front of it with the test policy: DROP is
 * denied on prod, agents see users.email masked, anything touching `payroll` needs approval.
 * The policy is a function given to core's staticEvaluator, so these tests need no Rego.
 */

import {
  createEngine,
  type Decision,
  type InputDocument,
  type MaskRule,
  staticEvaluator,
} from '@portcullis/core';
import pg from 'pg';
import { createPgProxy, type PgProxy, type PgProxyOptions } from '../../src/index.js';
import { type PostgresServer, type PostgresServerOptions, startPostgres } from './postgres-server.js';

export const USERS = {
  alice: { password: 'alice-pw', subject: { id: 'alice@example.com', kind: 'human' as const } },
  agent: { password: 'agent-pw', subject: { id: 'support-agent', kind: 'agent' as const } },
};

export function testPolicy(input: InputDocument): Decision {
  const statements = input.action.sql?.statements ?? [];
  if (input.action.sql && !input.action.sql.parsed) {
    return {
      effect: 'deny',
      reasons: [{ rule: 'sql.unparsed', message: 'statement does not parse' }],
      masks: [],
    };
  }
  if (input.resource.labels.env === 'prod' && statements.some((s) => s.type === 'drop')) {
    return {
      effect: 'deny',
      reasons: [{ rule: 'sql.no_drop', message: 'DROP is not allowed on production' }],
      masks: [],
    };
  }
  if (statements.some((s) => s.tables.includes('payroll'))) {
    return {
      effect: 'approve',
      reasons: [{ rule: 'sql.payroll_review', message: 'payroll needs a reviewer' }],
      masks: [],
      approval: { reviewers: ['group:dba'], quorum: 1, scope: 'statement', ttl: '15m' },
    };
  }
  if (input.subject.kind === 'agent') {
    return {
      effect: 'allow',
      reasons: [{ rule: 'pii.mask_for_agents', message: 'agents see masked personal data' }],
      masks: [{ column: 'users.email', strategy: 'partial', keep: 4 }],
    };
  }
  return { effect: 'allow', reasons: [], masks: [] };
}

/** The test policy, with these masks added to what it allows an agent. */
export function withAgentMasks(masks: readonly MaskRule[]): (input: InputDocument) => Decision {
  return (input) => {
    const decision = testPolicy(input);
    if (decision.effect !== 'allow' || input.subject.kind !== 'agent') return decision;
    return { ...decision, masks: [...decision.masks, ...masks] };
  };
}

/** A pg client on a proxy at `port`, to the `app` database; the user's fixture password by default. */
export async function clientOn(
  port: number,
  user: keyof typeof USERS | string,
  password?: string,
  config?: pg.ClientConfig,
): Promise<pg.Client> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port,
    user,
    password: password ?? USERS[user as keyof typeof USERS]?.password ?? '',
    database: 'app',
    ...config,
  });
  await c.connect();
  return c;
}

export interface ProxyFixture {
  server: PostgresServer;
  proxy: PgProxy;
  port: number;
  /** The cluster as a proxy's `upstream` (plain TCP), for tests that start another proxy on it. */
  upstream: PgProxyOptions['upstream'];
  /** A direct connection to the cluster's `app` database, as the superuser. */
  direct(): Promise<pg.Client>;
  /** A pg client through the proxy; `config` adds to the client's settings (ssl, say). */
  through(user: keyof typeof USERS | string, password?: string, config?: pg.ClientConfig): Promise<pg.Client>;
  /**
   * A second proxy on the same cluster, with the fixture's engine, resource and logins, and
   * these options over them (`unresolvedColumns: 'mask'`, say). Closed by `stop`.
   */
  anotherProxy(options: Partial<PgProxyOptions>): Promise<{ proxy: PgProxy; port: number }>;
  stop(): Promise<void>;
}

export interface ProxyFixtureOptions {
  /** Added to (and overriding) the proxy's options. */
  proxy?: Partial<PgProxyOptions>;
  postgres?: PostgresServerOptions;
  /** TLS toward the cluster (`upstream.ssl`). */
  upstreamSsl?: PgProxyOptions['upstream']['ssl'];
}

export async function startProxyFixture(options: ProxyFixtureOptions = {}): Promise<ProxyFixture> {
  const server = await startPostgres(options.postgres);
  const admin = new pg.Client({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: 'postgres',
  });
  await admin.connect();
  await admin.query('CREATE DATABASE app');
  await admin.end();
  const direct = async () => {
    const c = new pg.Client({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database: 'app',
    });
    await c.connect();
    return c;
  };
  const setup = await direct();
  await setup.query(`
    CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL);
    INSERT INTO users VALUES (1, 'Ada', 'ada@example.com'), (2, 'Grace', 'grace@example.org');
    CREATE TABLE victim (id int);
    CREATE TABLE log (note text);
    CREATE TABLE payroll (salary int);
  `);
  await setup.end();

  const engine = createEngine({ evaluator: staticEvaluator(testPolicy, 'test-policy') });
  const upstream = { host: server.host, port: server.port, user: server.user, password: server.password };
  const base: PgProxyOptions = {
    engine,
    upstream: { ...upstream, ...(options.upstreamSsl !== undefined ? { ssl: options.upstreamSsl } : {}) },
    resource: { name: 'prod-db', labels: { env: 'prod' } },
    async authenticate(startup, password) {
      const user = USERS[startup.user as keyof typeof USERS];
      return user && user.password === password ? { subject: user.subject } : null;
    },
    ...options.proxy,
  };
  const proxy = createPgProxy(base);
  const { port } = await proxy.listen(0, '127.0.0.1');
  const others: PgProxy[] = [];
  return {
    server,
    proxy,
    port,
    upstream,
    direct,
    through(user, password, config) {
      return clientOn(port, user, password, config);
    },
    async anotherProxy(more) {
      const other = createPgProxy({ ...base, ...more });
      others.push(other);
      return { proxy: other, port: (await other.listen(0, '127.0.0.1')).port };
    },
    async stop() {
      for (const other of others) await other.close();
      await proxy.close();
      await engine.close();
      await server.stop();
    },
  };
}
