/**
 * pg_dump through the gateway as an agent, with the shipped policy library, against a real
 * PostgreSQL server: the dump completes, with the schema as it is and every personal value in
 * the table data masked. pg_dump prepares its catalog queries with SQL's PREPARE and runs
 * them with EXECUTE, names settings from pg_settings and reads catalog columns whose names
 * look like secrets, each of which the gateway once refused.
 */

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AgentGateway, startAgentGateway } from './support/agent-gateway.js';

const exec = promisify(execFile);

let g: AgentGateway;

beforeAll(async () => {
  g = await startAgentGateway(
    `
    CREATE TABLE customers (id int PRIMARY KEY, name text, email text, phone text, card_number text, note text);
    INSERT INTO customers VALUES
      (1, 'Ada', 'ada@example.com', '+44 20 7946 0018', '4111 1111 1111 1111', 'call +1 415 555 2671'),
      (2, 'Grace', 'grace@example.org', '+1 415 555 0143', '5500 0000 0000 0004', 'ok');
    CREATE VIEW customer_domains AS SELECT id, split_part(email, '@', 2) AS domain FROM customers;
    CREATE FUNCTION greeting(text) RETURNS text LANGUAGE sql AS $$ SELECT 'hello ' || $1 $$;
    CREATE TABLE patients (id int PRIMARY KEY, date_of_birth date, ward int);
    INSERT INTO patients VALUES (1, '1990-04-01', 3), (2, '1985-12-24', 4);
  `,
    'dump-agent',
  );
}, 120_000);

afterAll(async () => {
  await g?.stop();
});

let dump: string;

it('dumps the schema as it is and the data masked', async () => {
  const { stdout } = await exec(
    'pg_dump',
    ['-h', '127.0.0.1', '-p', String(g.port), '-U', g.user, '-d', 'postgres', '--no-owner'],
    {
      env: { ...process.env, PGPASSWORD: g.key, PGCONNECT_TIMEOUT: '10' },
      timeout: 120_000,
      maxBuffer: 1 << 24,
    },
  );
  expect(stdout).toContain('CREATE TABLE public.customers');
  expect(stdout).toContain('CREATE VIEW public.customer_domains');
  expect(stdout).toContain('CREATE FUNCTION public.greeting(text)');
  expect(stdout).toContain('PostgreSQL database dump complete');
  dump = stdout;
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

it('the masked dump restores into an empty database: a masked date is NULL, not the mask', async () => {
  const d = await g.direct();
  try {
    await d.query('CREATE DATABASE restored');
  } finally {
    await d.end();
  }
  const { host, port, user, password } = g.upstream;
  const target = ['-h', host, '-p', String(port), '-U', user, '-d', 'restored', '-X', '-q'];
  const env = { ...process.env, PGPASSWORD: password };
  const child = spawn('psql', [...target, '-v', 'ON_ERROR_STOP=1'], { env });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(dump);
  const [code] = (await once(child, 'close')) as [number];
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const { stdout } = await exec(
    'psql',
    [...target, '-At', '-c', 'SELECT id, date_of_birth, ward FROM patients ORDER BY id'],
    {
      env,
    },
  );
  expect(stdout.trim().split('\n')).toEqual(['1||3', '2||4']);
}, 120_000);
