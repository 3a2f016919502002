/**
 * Two gateways on one PostgreSQL state database (issue 5): a statement held on gateway A is
 * released by an approval given through gateway B's API, and a credential revoked through B
 * stops the next statement of a live session on A. Debian's PostgreSQL is both the state
 * database and the upstream; psql and the pg driver are the clients.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedPolicyDir } from '../src/cli/policy-paths.js';
import { validateConfig } from '../src/config/validate-config.js';
import { type Gateway, startGateway } from '../src/gateway/start-gateway.js';
import { generateApiKey, hashApiKey } from '../src/identity/api-key-hash.js';
import { createDatabase, type PgCluster, startPgCluster } from './support/pg-cluster.js';

const exec = promisify(execFile);

let cluster: PgCluster;
let a: Gateway;
let b: Gateway;
const reviewerKey = generateApiKey();

function gatewayConfig(dir: string) {
  return validateConfig(
    {
      server: { listen: { port: 0 } },
      resources: [
        {
          name: 'prod-db',
          labels: { env: 'prod' },
          listen: { port: 0 },
          upstream: {
            host: '127.0.0.1',
            port: cluster.port,
            database: 'app',
            user: 'postgres',
            password: 'env:PC_UPSTREAM_PASSWORD',
          },
        },
      ],
      policy: { rego: shippedPolicyDir() },
      identity: {
        api_keys: [{ id: 'dana', kind: 'human', groups: ['dba'], hash: hashApiKey(reviewerKey, 'sha256') }],
      },
      state: {
        postgres: {
          url: `postgres://postgres@127.0.0.1:${cluster.port}/portcullis_state`,
          password: 'env:PC_STATE_PASSWORD',
        },
      },
      audit: { path: join(dir, 'audit.jsonl') },
      approvals: { wait: '30s' },
    },
    dir,
  );
}

async function start(name: string): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), `pc-${name}-`));
  return startGateway({
    config: gatewayConfig(dir),
    env: { PC_UPSTREAM_PASSWORD: cluster.password, PC_STATE_PASSWORD: cluster.password },
    logger: pino({ level: 'silent' }),
  });
}

async function direct(sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({
    host: cluster.host,
    port: cluster.port,
    user: cluster.user,
    password: cluster.password,
    database: 'app',
  });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

async function api(gateway: Gateway, method: string, path: string) {
  const res = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${reviewerKey}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface Pending {
  id: string;
  summary: string;
  subject: string;
  resource: string;
}

async function pendingOn(gateway: Gateway, subject: string): Promise<Pending> {
  for (let i = 0; i < 200; i++) {
    const list = (await api(gateway, 'GET', '/api/approvals?state=pending')).body as unknown as Pending[];
    const found = list.find((r) => r.subject === subject);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no pending request for ${subject}`);
}

beforeAll(async () => {
  cluster = await startPgCluster();
  await createDatabase(cluster, 'app');
  await createDatabase(cluster, 'portcullis_state');
  await direct(
    'CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance int); INSERT INTO accounts VALUES (1, $$ann$$, 10), (2, $$bo$$, 20), (3, $$cy$$, 30)',
  );
  // Started together: the schema is created once, under the advisory lock.
  [a, b] = await Promise.all([start('a'), start('b')]);
}, 180_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await cluster?.stop();
});

describe('two gateways on one PostgreSQL state store', () => {
  it('releases a statement held on A when a reviewer approves it through B', async () => {
    const login = await a.credentials.issue({
      subject: 'agent-7',
      kind: 'agent',
      resource: 'prod-db',
      ttl: '15m',
    });
    const port = a.resources.get('prod-db')!.port;
    const held = exec(
      'psql',
      [
        '-X',
        '-v',
        'ON_ERROR_STOP=1',
        '-At',
        `host=127.0.0.1 port=${port} user=agent-7 dbname=app`,
        '-c',
        'UPDATE accounts SET balance = 0',
      ],
      { env: { ...process.env, PGPASSWORD: login.token, PGCONNECT_TIMEOUT: '10' }, timeout: 60_000 },
    );
    const pending = await pendingOn(b, 'agent-7');
    expect(pending).toMatchObject({ summary: 'UPDATE accounts SET balance = 0', resource: 'prod-db' });
    // Still held: nothing has reached the upstream.
    await new Promise((r) => setTimeout(r, 300));
    expect((await direct('SELECT sum(balance)::int AS s FROM accounts')).rows[0].s).toBe(60);

    const approvedAt = Date.now();
    const vote = await api(b, 'POST', `/api/approvals/${pending.id}/approve`);
    expect(vote).toMatchObject({ status: 200, body: { state: 'approved' } });
    const { stdout, stderr } = await held;
    const releasedMs = Date.now() - approvedAt;
    expect(stdout.trim()).toBe('UPDATE 3');
    expect(stderr).toContain(pending.id);
    expect((await direct('SELECT sum(balance)::int AS s FROM accounts')).rows[0].s).toBe(0);
    // LISTEN/NOTIFY, not the 2 s safety-net poll, woke the waiter on A.
    expect(releasedMs).toBeLessThan(1500);
    // Both gateways see the same decided request.
    expect((await api(a, 'GET', `/api/approvals/${pending.id}`)).body.state).toBe('approved');
  }, 60_000);

  it('stops the next statement of a live session on A when the credential is revoked through B', async () => {
    const login = await a.credentials.issue({ subject: 'alice', resource: 'prod-db', ttl: '15m' });
    const session = new pg.Client({
      host: '127.0.0.1',
      port: a.resources.get('prod-db')!.port,
      user: 'alice',
      password: login.token,
      database: 'app',
    });
    await session.connect();
    try {
      expect((await session.query('SELECT count(*)::int AS n FROM accounts')).rows[0].n).toBe(3);
      expect(await b.credentials.revoke(login.id)).toBe(true);
      await expect(session.query('SELECT count(*)::int AS n FROM accounts')).rejects.toThrow(
        /revoked or has expired/,
      );
    } finally {
      await session.end().catch(() => {});
    }
    const again = new pg.Client({
      host: '127.0.0.1',
      port: a.resources.get('prod-db')!.port,
      user: 'alice',
      password: login.token,
      database: 'app',
    });
    await expect(again.connect()).rejects.toThrow();
    // A credential issued through B opens sessions on A.
    const fromB = await b.credentials.issue({ subject: 'alice', resource: 'prod-db', ttl: '5m' });
    const viaA = new pg.Client({
      host: '127.0.0.1',
      port: a.resources.get('prod-db')!.port,
      user: 'alice',
      password: fromB.token,
      database: 'app',
    });
    await viaA.connect();
    expect((await viaA.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    await viaA.end();
  }, 60_000);

  it("shows A's audit records through B's index", async () => {
    const entries = await b.auditIndex.query({ subject: 'agent-7' });
    const update = entries.filter((e) => e.summary === 'UPDATE accounts SET balance = 0');
    // The held decision, and the re-run the approval let through (the adapter may add
    // completion records beside them).
    expect(update.map((e) => [e.effect, e.rules])).toEqual(
      expect.arrayContaining([
        ['allow', ['sql.write_without_where', 'portcullis.approval_granted']],
        ['approve', ['sql.write_without_where']],
      ]),
    );
  });
});
