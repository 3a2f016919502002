/**
 * pg_dump through the gateway as an agent, with the shipped policy library, against a real
 * PostgreSQL server: the dump completes, with the schema as it is and every personal value in
 * the table data masked. pg_dump prepares its catalog queries with SQL's PREPARE and runs
 * them with EXECUTE, names settings from pg_settings and reads catalog columns whose names
 * look like secrets, each of which the gateway once refused.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type PostgresServer, startPostgres } from '@portcullis/pg/test-support/postgres-server';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { validateConfig } from '../src/config/validate-config.js';
import { type Gateway, startGateway } from '../src/gateway/start-gateway.js';
import { generateApiKey, hashApiKey } from '../src/identity/api-key-hash.js';
import { repoRoot } from './cli-helpers.js';

const exec = promisify(execFile);
const key = generateApiKey();

let upstream: PostgresServer;
let gateway: Gateway;
let dir: string;

beforeAll(async () => {
  upstream = await startPostgres();
  const setup = new pg.Client({
    host: upstream.host,
    port: upstream.port,
    user: upstream.user,
    password: upstream.password,
    database: 'postgres',
  });
  await setup.connect();
  await setup.query(`
    CREATE TABLE customers (id int PRIMARY KEY, name text, email text, phone text, card_number text, note text);
    INSERT INTO customers VALUES
      (1, 'Ada', 'ada@example.com', '+44 20 7946 0018', '4111 1111 1111 1111', 'call +1 415 555 2671'),
      (2, 'Grace', 'grace@example.org', '+1 415 555 0143', '5500 0000 0000 0004', 'ok');
    CREATE VIEW customer_domains AS SELECT id, split_part(email, '@', 2) AS domain FROM customers;
    CREATE FUNCTION greeting(text) RETURNS text LANGUAGE sql AS $$ SELECT 'hello ' || $1 $$;
  `);
  await setup.end();
  dir = mkdtempSync(join(tmpdir(), 'portcullis-gw-dump-'));
  const config = validateConfig(
    {
      server: { listen: { port: 0 } },
      policy: { rego: join(repoRoot, 'rego') },
      state: { path: join(dir, 'state.db') },
      audit: { path: join(dir, 'audit.jsonl') },
      identity: { api_keys: [{ id: 'dump-agent', kind: 'agent', hash: hashApiKey(key, 'sha256') }] },
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
          },
        },
      ],
    },
    dir,
  );
  gateway = await startGateway({
    config,
    env: { UPSTREAM_PASSWORD: upstream.password },
    logger: pino({ level: 'silent' }),
  });
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await upstream?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('dumps the schema as it is and the data masked', async () => {
  const port = gateway.resources.get('prod-db')?.port;
  expect(port).toBeTypeOf('number');
  const { stdout } = await exec(
    'pg_dump',
    ['-h', '127.0.0.1', '-p', String(port), '-U', 'dump-agent', '-d', 'postgres', '--no-owner'],
    {
      env: { ...process.env, PGPASSWORD: key, PGCONNECT_TIMEOUT: '10' },
      timeout: 120_000,
      maxBuffer: 1 << 24,
    },
  );
  expect(stdout).toContain('CREATE TABLE public.customers');
  expect(stdout).toContain('CREATE VIEW public.customer_domains');
  expect(stdout).toContain('CREATE FUNCTION public.greeting(text)');
  expect(stdout).toContain('PostgreSQL database dump complete');
  const data = stdout.slice(
    stdout.indexOf('COPY public.customers'),
    stdout.indexOf('\\.', stdout.indexOf('COPY public.customers')),
  );
  const rows = data.split('\n').slice(1).filter(Boolean);
  expect(rows).toHaveLength(2);
  expect(rows[0]?.startsWith('1\tAda\t')).toBe(true);
  for (const clear of [
    'ada@example.com',
    'grace@example.org',
    '7946 0018',
    '4111 1111 1111 1111',
    '5500 0000',
    '555 2671',
    '555 0143',
  ])
    expect(data).not.toContain(clear);
}, 180_000);
