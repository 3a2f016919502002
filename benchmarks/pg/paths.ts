/**
 * The paths the pg benchmarks drive, each started as its own process: pgbouncer (session
 * pooling), the Portcullis proxy (proxy-server.ts) and a bare Node relay (node-relay.ts);
 * plus psql and pgbench runners. Shared by pg.ts (throughput) and cpu.ts (CPU per
 * transaction).
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../../adapters/pg/test/support/postgres-server.js';
import { generateApiKey, hashApiKey } from '../../packages/gateway/src/identity/api-key-hash.js';

export const run = promisify(execFile);
export const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const PGBOUNCER = process.env.PGBOUNCER ?? '/usr/sbin/pgbouncer';
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface Upstream {
  /** 127.0.0.1 when absent; a directory is the server's Unix-domain socket (UPSTREAM_SOCKET=1). */
  host?: string;
  port: number;
  password: string;
}

export interface StartedPath {
  port: number;
  child: ChildProcess;
  /** The password pgbench gives as user postgres, where it is not the upstream's. */
  password?: string;
  /** The process doing the relaying (pgbouncer runs under runuser). */
  pid(): Promise<number>;
}

async function osUser(name: string): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', name])).stdout.trim());
  const gid = Number((await run('id', ['-g', name])).stdout.trim());
  return { uid, gid };
}

/** Waits for a child to print a line matching `ready`, or fails after `timeoutMs`. */
function waitFor(child: ChildProcess, ready: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready:\n${out}`));
    });
  });
}

export async function startPgbouncer(
  upstream: Upstream,
  dir: string,
  poolSize: number,
): Promise<StartedPath> {
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  const users = join(dir, 'userlist.txt');
  writeFileSync(users, `"postgres" "${upstream.password}"\n`);
  // Session pooling: pgbouncer 1.18 cannot carry named prepared statements across
  // transactions, so -M prepared needs it; the pool is as large as the most clients run.
  writeFileSync(
    ini,
    [
      '[databases]',
      `postgres = host=${upstream.host ?? '127.0.0.1'} port=${upstream.port} dbname=postgres`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      "unix_socket_dir = ''",
      'auth_type = plain',
      `auth_file = ${users}`,
      'pool_mode = session',
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 200',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  const { uid, gid } = await osUser('postgres');
  for (const f of [dir, ini, users]) chownSync(f, uid, gid);
  // pgbouncer refuses to run as root.
  const child = spawn('runuser', ['-u', 'postgres', '--', PGBOUNCER, ini], { stdio: 'ignore' });
  const pid = async () => {
    const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
    return Number(children.split(' ')[0]);
  };
  for (let i = 0; i < 100; i++) {
    try {
      await psql(port, upstream.password, 'SELECT 1');
      return { port, child, pid };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`pgbouncer did not start: ${readFileSync(join(dir, 'pgbouncer.log'), 'utf8')}`);
}

async function startNodeScript(
  script: string,
  upstream: Upstream,
  extraEnv: Record<string, string>,
  nodeArgs: readonly string[],
  root: string = repoRoot,
): Promise<StartedPath> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--conditions=portcullis-source', '--import', 'tsx', join(root, script)],
    {
      cwd: root,
      env: {
        ...process.env,
        PG_HOST: upstream.host ?? '127.0.0.1',
        PG_PORT: String(upstream.port),
        PG_USER: 'postgres',
        PG_PASSWORD: upstream.password,
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const line = await waitFor(child, /\{"port":\d+\}/, 180_000);
  return {
    port: (JSON.parse(line) as { port: number }).port,
    child,
    pid: async () => child.pid as number,
  };
}

/** The Portcullis proxy in its own process; `nodeArgs` such as `--cpu-prof`. */
export function startPortcullis(
  upstream: Upstream,
  extraEnv: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
  /** A checkout to run the proxy from (another commit, for a before/after run). */
  root: string = repoRoot,
): Promise<StartedPath> {
  return startNodeScript('benchmarks/pg/proxy-server.ts', upstream, extraEnv, nodeArgs, root);
}

/**
 * The whole gateway (`portcullis start`, from the sources) with one PostgreSQL resource as
 * users run it: the shipped policy library, the hash-chained JSONL audit log and the SQLite
 * state file with its audit index, in `dir`. pgbench logs in as an agent API key named
 * `postgres` (the resource's labels and subject kind match proxy-server.ts).
 */
export async function startGateway(
  upstream: Upstream,
  dir: string,
  nodeArgs: readonly string[] = [],
  /** A checkout to run the gateway from (another commit, for a before/after run). */
  root: string = repoRoot,
): Promise<StartedPath> {
  const home = join(dir, 'gateway');
  mkdirSync(home, { recursive: true });
  const key = generateApiKey();
  const config = join(home, 'portcullis.json');
  writeFileSync(
    config,
    JSON.stringify({
      server: { listen: { port: 0 } },
      resources: [
        {
          name: 'bench-db',
          labels: { env: 'prod' },
          listen: { port: 0 },
          upstream: {
            host: '127.0.0.1',
            port: upstream.port,
            database: 'postgres',
            user: 'postgres',
            password: 'env:PC_UPSTREAM_PASSWORD',
          },
        },
      ],
      policy: { rego: join(root, 'rego') },
      identity: { api_keys: [{ id: 'postgres', kind: 'agent', hash: hashApiKey(key, 'sha256') }] },
      state: { path: join(home, 'state.db') },
      audit: { path: join(home, 'audit.jsonl') },
    }),
  );
  const entry = join(root, 'packages/gateway/test/support/portcullis-source.ts');
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--conditions=portcullis-source', '--import', 'tsx', entry, 'start', '--config', config],
    {
      cwd: root,
      env: { ...process.env, PC_UPSTREAM_PASSWORD: upstream.password },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const line = await waitFor(child, /bench-db: listening on [^\s]+:(\d+)/, 180_000);
  return {
    port: Number(/:(\d+)$/.exec(line)?.[1]),
    child,
    password: key,
    pid: async () => child.pid as number,
  };
}

/** The bare Node relay (node-relay.ts): Node's floor for relaying the same bytes. */
export function startNodeRelay(upstream: Upstream, nodeArgs: readonly string[] = []): Promise<StartedPath> {
  return startNodeScript('benchmarks/pg/node-relay.ts', upstream, {}, nodeArgs);
}

/** The bare relay on the proxy's own handle I/O (node-handle-relay.ts). */
export function startNodeHandleRelay(
  upstream: Upstream,
  nodeArgs: readonly string[] = [],
): Promise<StartedPath> {
  return startNodeScript('benchmarks/pg/node-handle-relay.ts', upstream, {}, nodeArgs);
}

/** The relay whose bytes are copied in C inside Node's loop (node-native-relay.ts). */
export function startNodeNativeRelay(upstream: Upstream): Promise<StartedPath> {
  return startNodeScript('benchmarks/pg/node-native-relay.ts', upstream, {}, []);
}

/** `pgbench -i -s <scale>` on a fresh cluster (the tables every pgbench cell reads). */
export async function initPgbench(server: Upstream, scale: number): Promise<void> {
  await run(
    join(BIN, 'pgbench'),
    [
      '-i',
      '-q',
      '-s',
      String(scale),
      '-h',
      '127.0.0.1',
      '-p',
      String(server.port),
      '-U',
      'postgres',
      'postgres',
    ],
    { env: { ...process.env, PGPASSWORD: server.password }, timeout: 600_000 },
  );
}

export function psql(port: number, password: string, sql: string): Promise<{ stdout: string }> {
  return run(
    join(BIN, 'psql'),
    ['-X', '-q', '-At', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', sql],
    { env: { ...process.env, PGPASSWORD: password }, maxBuffer: 1 << 30, timeout: 600_000 },
  );
}

export interface PgbenchRun {
  tps: number;
  latency_ms: number;
  /** Transactions pgbench completed. */
  transactions: number;
  failed: boolean;
}

export async function pgbench(
  port: number,
  password: string,
  args: string[],
  timeoutMs: number,
): Promise<PgbenchRun> {
  try {
    const { stdout } = await run(
      join(BIN, 'pgbench'),
      ['-n', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', ...args, 'postgres'],
      { env: { ...process.env, PGPASSWORD: password }, timeout: timeoutMs },
    );
    const tps = /tps = ([\d.]+)/.exec(stdout);
    const lat = /latency average = ([\d.]+) ms/.exec(stdout);
    const tx = /number of transactions actually processed: (\d+)/.exec(stdout);
    return {
      tps: Number(tps?.[1] ?? 0),
      latency_ms: Number(lat?.[1] ?? 0),
      transactions: Number(tx?.[1] ?? 0),
      failed: !tps,
    };
  } catch (err) {
    process.stderr.write(`pgbench ${args.join(' ')} on ${port} failed: ${(err as Error).message}\n`);
    return { tps: 0, latency_ms: 0, transactions: 0, failed: true };
  }
}

/** User plus system CPU a process has used, in microseconds (from /proc/<pid>/stat). */
export function cpuMicros(pid: number): number {
  const { user, system } = cpuSplitMicros(pid);
  return user + system;
}

/** A process's user and system CPU so far, in µs, from /proc/<pid>/stat. */
export function cpuSplitMicros(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    user: (Number(fields[11]) * 1_000_000) / CLOCK_TICKS,
    system: (Number(fields[12]) * 1_000_000) / CLOCK_TICKS,
  };
}

/** sysconf(_SC_CLK_TCK); 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100;
