/**
 * `policy.bundle: http://…`: the bundle is polled with ETag / If-None-Match as OPA's bundle
 * service does; a new bundle is swapped in without dropping sessions (the next statement of
 * an open psql session is decided by it); a failed download or a bundle that does not load
 * is logged and the last good policy stays. Bundles are built with `portcullis build --bundle`
 * and served by a node:http server.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/validate-config.js';
import { type Gateway, startGateway } from '../src/gateway/start-gateway.js';
import { generateApiKey, hashApiKey } from '../src/identity/api-key-hash.js';
import { runCli } from './cli-helpers.js';
import { createDatabase, type PgCluster, startPgCluster } from './support/pg-cluster.js';

const OPEN = `package portcullis
import rego.v1
decision := {"effect": "allow", "reasons": [], "masks": []}
`;
const CLOSED = `package portcullis
import rego.v1
default decision := {"effect": "allow", "reasons": [], "masks": []}
decision := {"effect": "deny", "reasons": [{"rule": "test.secrets_closed", "message": "the secrets table is closed"}], "masks": []} if {
  some s in input.action.sql.statements
  "secrets" in s.tables
}
`;

let cluster: PgCluster;
let gateway: Gateway;
let server: Server;
const dir = mkdtempSync(join(tmpdir(), 'pc-bundles-'));
const key = generateApiKey();
/** What the server answers: a bundle with its ETag, or a failure. */
let serving: { body: Buffer; etag: string } | { status: number } = { status: 404 };
const requests: { ifNoneMatch: string | undefined; status: number }[] = [];
const logs: Record<string, unknown>[] = [];
let bundles: { open: Buffer; closed: Buffer };

async function build(name: string, source: string): Promise<Buffer> {
  const src = join(dir, name);
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'policy.rego'), source);
  const out = join(dir, `${name}.tar.gz`);
  const result = await runCli(['build', src, '--bundle', '-o', out]);
  expect(result.code, result.stderr).toBe(0);
  return readFileSync(out);
}

/**
 * The gateway's next poll, once it has been answered and what it fetched handled (later polls
 * may follow meanwhile: they are 200-300 ms apart).
 */
async function nextPoll(): Promise<{ ifNoneMatch: string | undefined; status: number }> {
  const index = requests.length;
  while (requests.length <= index) await new Promise((r) => setTimeout(r, 10));
  // The answer is processed (loaded, swapped) a moment after the server logs it.
  await new Promise((r) => setTimeout(r, 150));
  return requests[index]!;
}

/** Waits (up to 20 s) for a log line the gateway writes once a fetched bundle is handled. */
async function logged(match: (line: Record<string, unknown>) => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !logs.some(match); i++) await new Promise((r) => setTimeout(r, 20));
  expect(logs.some(match)).toBe(true);
}

beforeAll(async () => {
  const [open, closed] = await Promise.all([build('open', OPEN), build('closed', CLOSED)]);
  bundles = { open, closed };
  server = createServer((req, res) => {
    const ifNoneMatch = req.headers['if-none-match'];
    let status: number;
    if ('body' in serving) {
      if (ifNoneMatch === serving.etag) {
        status = 304;
        res.writeHead(304, { etag: serving.etag }).end();
      } else {
        status = 200;
        res.writeHead(200, { 'content-type': 'application/gzip', etag: serving.etag }).end(serving.body);
      }
    } else {
      status = serving.status;
      res.writeHead(serving.status).end();
    }
    requests.push({ ifNoneMatch, status });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const bundleUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bundles/portcullis.tar.gz`;
  serving = { body: bundles.open, etag: '"open-1"' };

  cluster = await startPgCluster();
  await createDatabase(cluster, 'app');
  const setup = new pg.Client({
    host: cluster.host,
    port: cluster.port,
    user: cluster.user,
    password: cluster.password,
    database: 'app',
  });
  await setup.connect();
  await setup.query(
    'CREATE TABLE secrets (v text); INSERT INTO secrets VALUES ($$s3cr3t$$); CREATE TABLE notes (v text)',
  );
  await setup.end();

  const config = validateConfig(
    {
      server: { listen: { port: 0 } },
      resources: [
        {
          name: 'app-db',
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
      policy: { bundle: bundleUrl, polling: { min_delay_seconds: 0.2, max_delay_seconds: 0.3 } },
      identity: { api_keys: [{ id: 'alice', kind: 'human', hash: hashApiKey(key, 'sha256') }] },
      state: { path: join(dir, 'state.db') },
      audit: { path: join(dir, 'audit.jsonl') },
    },
    dir,
  );
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  gateway = await startGateway({
    config,
    env: { PC_UPSTREAM_PASSWORD: cluster.password },
    logger: pino({ level: 'info' }, sink),
  });
}, 180_000);

afterAll(async () => {
  await gateway?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await cluster?.stop();
});

describe('policy bundle polling', () => {
  it('polls with If-None-Match and gets 304 while the bundle is unchanged', async () => {
    await nextPoll();
    await nextPoll();
    expect(requests[0]).toEqual({ ifNoneMatch: undefined, status: 200 });
    expect(requests.slice(1).every((r) => r.ifNoneMatch === '"open-1"' && r.status === 304)).toBe(true);
  });

  it('swaps a new bundle in under an open session, and keeps the last good one on failures', async () => {
    const session = new pg.Client({
      host: '127.0.0.1',
      port: gateway.resources.get('app-db')!.port,
      user: 'alice',
      password: key,
      database: 'app',
    });
    await session.connect();
    try {
      expect((await session.query('SELECT v FROM secrets')).rows).toEqual([{ v: 's3cr3t' }]);

      serving = { body: bundles.closed, etag: '"closed-1"' };
      expect(await nextPoll()).toEqual({ ifNoneMatch: '"open-1"', status: 200 });
      await logged((l) => l.msg === 'policy bundle activated' && l.etag === '"closed-1"');
      // Same session, next statement: decided by the new policy.
      await expect(session.query('SELECT v FROM secrets')).rejects.toThrow(/secrets table is closed/);
      expect((await session.query('SELECT count(*)::int AS n FROM notes')).rows).toEqual([{ n: 0 }]);

      // A server error, then a bundle that is not a bundle: both logged, the policy stays.
      serving = { status: 503 };
      expect(await nextPoll()).toEqual({ ifNoneMatch: '"closed-1"', status: 503 });
      serving = { body: Buffer.from('not a tarball'), etag: '"junk"' };
      expect(await nextPoll()).toEqual({ ifNoneMatch: '"closed-1"', status: 200 });
      await logged((l) => l.msg === 'policy bundle download failed; keeping the current policy');
      await logged((l) => l.msg === 'policy bundle does not load; keeping the current policy');
      await expect(session.query('SELECT v FROM secrets')).rejects.toThrow(/secrets table is closed/);

      // The ETag of the junk was not adopted: the good bundle is asked for again by its own.
      serving = { body: bundles.open, etag: '"open-2"' };
      expect(await nextPoll()).toEqual({ ifNoneMatch: '"closed-1"', status: 200 });
      await logged((l) => l.msg === 'policy bundle activated' && l.etag === '"open-2"');
      expect((await session.query('SELECT v FROM secrets')).rows).toEqual([{ v: 's3cr3t' }]);
    } finally {
      await session.end();
    }
  }, 60_000);
});
