/**
 * A real PostgreSQL server behind the gateway, with the shipped policy library, a production
 * resource `prod-db` and one agent API key: what real clients meet when an agent uses them.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type PostgresServer, startPostgres } from '@portcullis/pg/test-support/postgres-server';
import pg from 'pg';
import pino from 'pino';
import { validateConfig } from '../../src/config/validate-config.js';
import { type Gateway, startGateway } from '../../src/gateway/start-gateway.js';
import { generateApiKey, hashApiKey } from '../../src/identity/api-key-hash.js';
import { repoRoot } from '../cli-helpers.js';

export interface AgentGateway {
  upstream: PostgresServer;
  gateway: Gateway;
  /** The port of `prod-db`. */
  port: number;
  /** The agent's user name and API key (its password). */
  user: string;
  key: string;
  /** The API keys of the people `options.humans` named, by name. */
  humanKeys: Record<string, string>;
  /** The gateway's audit log. */
  auditPath: string;
  /** A connection to the server itself, as its superuser. */
  direct(): Promise<pg.Client>;
  stop(): Promise<void>;
}

/**
 * One psql session on `prod-db` as `user` with API key `key` (psql sends Terminate when
 * done): what it printed, unaligned and without headers, trimmed.
 */
export async function psqlOn(g: AgentGateway, user: string, key: string, sql: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    'psql',
    [
      '-X',
      '-At',
      '-v',
      'ON_ERROR_STOP=1',
      `host=127.0.0.1 port=${g.port} user=${user} dbname=postgres`,
      '-c',
      sql,
    ],
    { env: { ...process.env, PGPASSWORD: key, PGCONNECT_TIMEOUT: '10' }, timeout: 60_000 },
  );
  return stdout.trim();
}

export interface AgentGatewayOptions {
  /** People with API keys too (`kind: human`). */
  humans?: string[];
  /** `prod-db`'s `upstream.reuse`. */
  reuse?: boolean;
}

/** Starts the server, runs `schema` on it directly, then starts the gateway in front of it. */
export async function startAgentGateway(
  schema: string,
  user = 'test-agent',
  options: AgentGatewayOptions = {},
): Promise<AgentGateway> {
  const upstream = await startPostgres();
  const direct = async () => {
    const client = new pg.Client({
      host: upstream.host,
      port: upstream.port,
      user: upstream.user,
      password: upstream.password,
      database: 'postgres',
    });
    await client.connect();
    return client;
  };
  const setup = await direct();
  await setup.query(schema);
  await setup.end();
  const key = generateApiKey();
  const humanKeys = Object.fromEntries((options.humans ?? []).map((h) => [h, generateApiKey()]));
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-gw-agent-'));
  const config = validateConfig(
    {
      server: { listen: { port: 0 } },
      policy: { rego: join(repoRoot, 'rego') },
      state: { path: join(dir, 'state.db') },
      audit: { path: join(dir, 'audit.jsonl') },
      identity: {
        api_keys: [
          { id: user, kind: 'agent', hash: hashApiKey(key, 'sha256') },
          ...Object.entries(humanKeys).map(([id, k]) => ({
            id,
            kind: 'human',
            hash: hashApiKey(k, 'sha256'),
          })),
        ],
      },
      resources: [
        {
          name: 'prod-db',
          labels: { env: 'prod' },
          listen: { port: 0 },
          upstream: {
            host: upstream.host,
            port: upstream.port,
            user: upstream.user,
            database: 'postgres',
            password: 'env:UPSTREAM_PASSWORD',
            ...(options.reuse ? { reuse: true } : {}),
          },
        },
      ],
    },
    dir,
  );
  const gateway = await startGateway({
    config,
    env: { UPSTREAM_PASSWORD: upstream.password },
    logger: pino({ level: 'silent' }),
  });
  const port = gateway.resources.get('prod-db')?.port;
  if (port === undefined) throw new Error('prod-db has no port');
  return {
    upstream,
    gateway,
    port,
    user,
    key,
    humanKeys,
    auditPath: join(dir, 'audit.jsonl'),
    direct,
    async stop() {
      await gateway.close();
      await upstream.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
