import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { parseDuration } from '@portcullis/core';
import type { Logger } from 'pino';
import { shippedPolicyDir } from '../cli/policy-paths.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import { type Gateway, startGateway } from '../gateway/start-gateway.js';
import { generateApiKey, hashApiKey } from '../identity/api-key-hash.js';
import { DEMO_SCHEMA } from './demo-schema.js';

export interface StartDemoOptions {
  /** Where state.db and audit.jsonl go; default a fresh temporary directory. */
  dir?: string;
  /** Gateway HTTP port; default 0 (a free one). */
  httpPort?: number;
  /** The demo-db proxy's port; default 0. */
  pgPort?: number;
  /** How long a held statement waits; default 10m. */
  wait?: string;
  logger?: Logger;
}

export interface DemoLogin {
  user: string;
  password: string;
  kind: 'human' | 'agent';
}

export interface Demo {
  gateway: Gateway;
  dir: string;
  /** The proxy's port for demo-db. */
  port: number;
  agent: DemoLogin;
  human: DemoLogin;
  /** A reviewer's API key (dana, group dba) for the approvals page and API. */
  reviewer: { id: string; key: string };
  auditPath: string;
  statePath: string;
  close(): Promise<void>;
}

const UPSTREAM_SECRET_VAR = 'PORTCULLIS_DEMO_UPSTREAM_PASSWORD';

/**
 * `portcullis up`: PGlite (PostgreSQL in wasm) served over the wire on loopback, seeded with
 * personal data, behind a gateway running the shipped policy with `env=prod` on the resource.
 * pglite-socket does no authentication (any password is accepted and no SASL exchange is
 * offered), so the proxy's upstream login is a formality here; the gateway's own client
 * authentication is the real one.
 */
export async function startDemo(options: StartDemoOptions = {}): Promise<Demo> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'portcullis-up-'));
  const db = await PGlite.create();
  let socket: PGLiteSocketServer | undefined;
  try {
    await db.exec(DEMO_SCHEMA);
    // Each proxied session opens a second upstream connection for catalog lookups (masking).
    socket = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
    await socket.start();
    const upstreamPort = Number(socket.getServerConn().split(':').pop());

    const wait = options.wait ?? '10m';
    const reviewerKey = generateApiKey();
    const config: GatewayConfig = {
      baseDir: dir,
      server: { host: '127.0.0.1', port: options.httpPort ?? 0 },
      resources: [
        {
          type: 'postgres',
          name: 'demo-db',
          labels: { env: 'prod' },
          listen: { host: '127.0.0.1', port: options.pgPort ?? 0 },
          upstream: {
            host: '127.0.0.1',
            port: upstreamPort,
            user: 'postgres',
            database: 'postgres',
            password: { from: 'env', name: UPSTREAM_SECRET_VAR },
          },
        },
      ],
      policy: { kind: 'rego', path: shippedPolicyDir(), entrypoint: 'portcullis/decision' },
      identity: {
        apiKeys: [{ id: 'dana', kind: 'human', groups: ['dba'], hash: hashApiKey(reviewerKey, 'sha256') }],
      },
      state: { path: join(dir, 'state.db') },
      recordings: { path: join(dir, 'recordings') },
      audit: { path: join(dir, 'audit.jsonl'), fsync: false },
      approvals: { wait, waitMs: parseDuration(wait, 'wait'), ttl: '1h', ttlMs: 3_600_000 },
    };
    const gateway = await startGateway({
      config,
      env: { [UPSTREAM_SECRET_VAR]: 'pglite-accepts-any-password' },
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const agent = await gateway.credentials.issue({
      subject: 'agent-7',
      kind: 'agent',
      resource: 'demo-db',
      ttl: '1h',
    });
    const human = await gateway.credentials.issue({
      subject: 'alice',
      kind: 'human',
      groups: ['eng'],
      resource: 'demo-db',
      ttl: '1h',
    });
    const pgSocket = socket;
    let closed: Promise<void> | undefined;
    return {
      gateway,
      dir,
      port: gateway.resources.get('demo-db')!.port,
      agent: { user: agent.subject, password: agent.token, kind: 'agent' },
      human: { user: human.subject, password: human.token, kind: 'human' },
      reviewer: { id: 'dana', key: reviewerKey },
      auditPath: config.audit.path,
      statePath: config.state.path,
      close() {
        closed ??= (async () => {
          await gateway.close();
          await pgSocket.stop();
          await db.close();
        })();
        return closed;
      },
    };
  } catch (err) {
    await socket?.stop().catch(() => {});
    await db.close().catch(() => {});
    throw err;
  }
}
