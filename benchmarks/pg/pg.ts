/**
 * PostgreSQL proxy benchmark: pgbench through three paths to one throw-away PostgreSQL 15
 * cluster, side by side in one run — direct, through pgbouncer (session pooling), and
 * through the Portcullis proxy with the shipped policy library (rego/) and an agent subject,
 * so every result row goes through the masker — plus the time to stream a 1,000,000-row
 * result with two masked columns, direct and through the proxy.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/pg/pg.ts
 *
 * Settings (environment): DURATION seconds per pgbench run (10), RUNS per cell (3), WARMUP
 * seconds of untimed pgbench per path and protocol before the first cell (3), CLIENTS
 * ("1,4,8"), SCALE (10), STREAM_ROWS (1000000), STREAM_RUNS (3), PRELIMINARY=1 with NOTE to
 * mark a run made on a busy machine, UNCACHED=1 to add the proxy without its decision cache,
 * SUBJECT_KIND=human for a subject without masks. Writes benchmarks/pg/results/pg-<date>.json
 * (or OUT).
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, startPostgres } from '../../adapters/pg/test/support/postgres-server.js';

const run = promisify(execFile);
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const PGBOUNCER = process.env.PGBOUNCER ?? '/usr/sbin/pgbouncer';
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const DURATION = Number(process.env.DURATION ?? 10);
const RUNS = Number(process.env.RUNS ?? 3);
const CLIENTS = (process.env.CLIENTS ?? '1,4,8').split(',').map(Number);
const SCALE = Number(process.env.SCALE ?? 10);
const WARMUP = Number(process.env.WARMUP ?? 3);
const STREAM_ROWS = Number(process.env.STREAM_ROWS ?? 1_000_000);
const STREAM_RUNS = Number(process.env.STREAM_RUNS ?? 3);
/** UNCACHED=1 adds the proxy with its decision cache off, to show what the cache is worth. */
const UNCACHED = process.env.UNCACHED === '1';
const TARGETS = ['direct', 'pgbouncer', 'portcullis', ...(UNCACHED ? ['portcullis-uncached'] : [])];
const STREAM_TARGETS = ['direct', 'pgbouncer', 'portcullis'];
type Target = string;
const perTarget = <T>(targets: readonly string[], make: () => T): Record<Target, T> =>
  Object.fromEntries(targets.map((t) => [t, make()]));

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

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

async function startPgbouncer(
  upstream: { port: number; password: string },
  dir: string,
): Promise<{ port: number; child: ChildProcess }> {
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
      `postgres = host=127.0.0.1 port=${upstream.port} dbname=postgres`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      "unix_socket_dir = ''",
      'auth_type = plain',
      `auth_file = ${users}`,
      'pool_mode = session',
      `default_pool_size = ${Math.max(...CLIENTS) + 2}`,
      'max_client_conn = 200',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  const { uid, gid } = await osUser('postgres');
  for (const f of [dir, ini, users]) chownSync(f, uid, gid);
  // pgbouncer refuses to run as root.
  const child = spawn('runuser', ['-u', 'postgres', '--', PGBOUNCER, ini], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      await psql(port, upstream.password, 'SELECT 1');
      return { port, child };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`pgbouncer did not start: ${readFileSync(join(dir, 'pgbouncer.log'), 'utf8')}`);
}

async function startPortcullis(
  upstream: { port: number; password: string },
  extraEnv: Record<string, string> = {},
): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--conditions=portcullis-source', '--import', 'tsx', join(repoRoot, 'benchmarks/pg/proxy-server.ts')],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        PG_HOST: '127.0.0.1',
        PG_PORT: String(upstream.port),
        PG_USER: 'postgres',
        PG_PASSWORD: upstream.password,
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const line = await waitFor(child, /\{"port":\d+\}/, 180_000);
  return { port: (JSON.parse(line) as { port: number }).port, child };
}

function psql(port: number, password: string, sql: string): Promise<{ stdout: string }> {
  return run(
    join(BIN, 'psql'),
    ['-X', '-q', '-At', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', sql],
    { env: { ...process.env, PGPASSWORD: password }, maxBuffer: 1 << 30, timeout: 600_000 },
  );
}

interface PgbenchRun {
  tps: number;
  latency_ms: number;
  failed: boolean;
}

async function pgbench(port: number, password: string, args: string[]): Promise<PgbenchRun> {
  try {
    const { stdout } = await run(
      join(BIN, 'pgbench'),
      ['-n', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', ...args, 'postgres'],
      { env: { ...process.env, PGPASSWORD: password }, timeout: (DURATION + 60) * 1000 },
    );
    const tps = /tps = ([\d.]+)/.exec(stdout);
    const lat = /latency average = ([\d.]+) ms/.exec(stdout);
    return { tps: Number(tps?.[1] ?? 0), latency_ms: Number(lat?.[1] ?? 0), failed: !tps };
  } catch (err) {
    process.stderr.write(`pgbench ${args.join(' ')} on ${port} failed: ${(err as Error).message}\n`);
    return { tps: 0, latency_ms: 0, failed: true };
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const load: { start: number[]; end?: number[] } = { start: os.loadavg() };
  const server = await startPostgres();
  const dir = mkdtempSync(join(os.tmpdir(), 'portcullis-bench-'));
  const children: ChildProcess[] = [];
  try {
    const { password } = server;
    process.stderr.write(`cluster on ${server.port}; pgbench -i -s ${SCALE}\n`);
    await run(
      join(BIN, 'pgbench'),
      [
        '-i',
        '-q',
        '-s',
        String(SCALE),
        '-h',
        '127.0.0.1',
        '-p',
        String(server.port),
        '-U',
        'postgres',
        'postgres',
      ],
      { env: { ...process.env, PGPASSWORD: password }, timeout: 600_000 },
    );
    const bouncer = await startPgbouncer(server, dir);
    children.push(bouncer.child);
    const portcullis = await startPortcullis(server);
    children.push(portcullis.child);
    const ports: Record<Target, number> = {
      direct: server.port,
      pgbouncer: bouncer.port,
      portcullis: portcullis.port,
    };
    const portOf = (t: Target): number => {
      const port = ports[t];
      if (port === undefined) throw new Error(`no port for ${t}`);
      return port;
    };
    if (UNCACHED) {
      const uncached = await startPortcullis(server, { DECISION_CACHE: 'off' });
      children.push(uncached.child);
      ports['portcullis-uncached'] = uncached.port;
    }
    // Every path must work before anything is timed.
    for (const t of TARGETS) await psql(portOf(t), password, 'SELECT count(*) FROM pgbench_branches');
    // Untimed: lets the proxy's JIT and the policy's wasm warm up before the first timed run.
    for (const t of TARGETS)
      for (const mode of ['simple', 'prepared'])
        await pgbench(portOf(t), password, ['-M', mode, '-c', '4', '-j', '2', '-T', String(WARMUP)]);

    const cells: Record<string, unknown>[] = [];
    for (const script of ['select-only', 'tpcb-like'] as const) {
      for (const protocol of ['simple', 'prepared'] as const) {
        for (const clients of CLIENTS) {
          const runs = perTarget<PgbenchRun[]>(TARGETS, () => []);
          const args = [
            ...(script === 'select-only' ? ['-S'] : []),
            '-M',
            protocol,
            '-c',
            String(clients),
            '-j',
            String(Math.min(clients, 2)),
            '-T',
            String(DURATION),
          ];
          // Interleaved round by round, so a change in the machine's load hits every path alike.
          for (let r = 0; r < RUNS; r++) {
            for (const t of TARGETS) runs[t]?.push(await pgbench(portOf(t), password, args));
          }
          const summary = Object.fromEntries(
            TARGETS.map((t) => {
              const ok = (runs[t] ?? []).filter((x) => !x.failed);
              return [
                t,
                {
                  tps_median: round(median(ok.map((x) => x.tps)), 1),
                  latency_ms_median: round(median(ok.map((x) => x.latency_ms)), 3),
                  runs: runs[t],
                },
              ];
            }),
          ) as Record<Target, { tps_median: number; latency_ms_median: number }>;
          const ratio = (t: Target) =>
            round((summary[t]?.tps_median ?? 0) / (summary.direct?.tps_median ?? 1), 3);
          const cell = {
            script,
            protocol,
            clients,
            ...summary,
            ratio_to_direct: Object.fromEntries(
              TARGETS.filter((t) => t !== 'direct').map((t) => [t, ratio(t)]),
            ),
            portcullis_to_pgbouncer: round(ratio('portcullis') / ratio('pgbouncer'), 3),
          };
          cells.push(cell);
          process.stderr.write(
            `${script.padEnd(11)} ${protocol.padEnd(8)} c=${clients} tps ` +
              TARGETS.map((t) => `${t} ${summary[t]?.tps_median} (${t === 'direct' ? 1 : ratio(t)})`).join(
                ' ',
              ) +
              '\n',
          );
        }
      }
    }

    // A 1,000,000-row result with two columns the shipped policy masks for agents (email,
    // phone) and two it does not.
    await psql(
      server.port,
      password,
      `CREATE TABLE bench_people AS SELECT g AS id, 'user' || g || '@example.com' AS email,
         '+1-555-' || lpad(g::text, 7, '0') AS phone, 'note ' || g AS note
       FROM generate_series(1, ${STREAM_ROWS}) g`,
    );
    const sample = await psql(
      portOf('portcullis'),
      password,
      'SELECT email, phone FROM bench_people WHERE id = 1',
    );
    const masked = !sample.stdout.includes('user1@example.com');
    if (!masked && process.env.SUBJECT_KIND !== 'human')
      throw new Error(`the proxy did not mask the stream: ${sample.stdout}`);
    const streamSql = 'SELECT id, email, phone, note FROM bench_people';
    const stream = perTarget<number[]>(STREAM_TARGETS, () => []);
    for (let r = 0; r < STREAM_RUNS; r++) {
      for (const t of STREAM_TARGETS) {
        const t0 = performance.now();
        const { stdout } = await psql(portOf(t), password, streamSql);
        stream[t]?.push(round((performance.now() - t0) / 1000, 3));
        if (stdout.length < STREAM_ROWS) throw new Error(`short result through ${t}`);
      }
    }
    const streamSummary = Object.fromEntries(
      STREAM_TARGETS.map((t) => [t, { seconds_median: median(stream[t] ?? []), runs_s: stream[t] }]),
    ) as Record<Target, { seconds_median: number }>;
    process.stderr.write(
      `stream ${STREAM_ROWS} rows: ${STREAM_TARGETS.map((t) => `${t} ${streamSummary[t]?.seconds_median}s`).join(', ')}\n`,
    );

    load.end = os.loadavg();
    const cpus = os.cpus();
    const pgVersion = (await run(join(BIN, 'postgres'), ['--version'])).stdout.trim();
    const bouncerVersion = (await run(PGBOUNCER, ['--version'])).stdout.split('\n')[0]?.trim();
    const date = started.toISOString().slice(0, 10);
    const result = {
      benchmark: 'pg',
      date: started.toISOString(),
      ...(process.env.PRELIMINARY
        ? { preliminary: true, note: process.env.NOTE ?? 'machine shared with other work' }
        : {}),
      machine: {
        cpu: cpus[0]?.model ?? 'unknown',
        cores: cpus.length,
        memory_gib: round(os.totalmem() / 2 ** 30, 1),
        os: `${os.type()} ${os.release()} ${os.arch()}`,
        node: process.version,
        postgres: pgVersion,
        pgbouncer: bouncerVersion,
        loadavg: load,
      },
      method: {
        duration_s: DURATION,
        runs: RUNS,
        clients: CLIENTS,
        warmup_s: WARMUP,
        scale: SCALE,
        pgbench:
          'pgbench -n [-S] -M simple|prepared -c C -j min(C,2) -T DURATION; interleaved direct, pgbouncer, portcullis per round; medians over runs',
        placement:
          'one host, no CPU pinning: PostgreSQL, pgbench, pgbouncer (one process) and the Portcullis proxy (its own Node process) share the cores',
        pgbouncer: 'pool_mode=session, auth_type=plain, TCP on 127.0.0.1',
        portcullis: `createPgProxy, rego/ without _test.rego compiled to wasm, subject kind ${process.env.SUBJECT_KIND === 'human' ? 'human (no masks)' : 'agent (column masks and detectors)'}, resource labels env=prod, default decision cache`,
        stream: `psql -At -c "${streamSql}" > memory; ${STREAM_ROWS} rows; email and phone masked through the proxy; median of ${STREAM_RUNS}`,
      },
      pgbench: cells,
      stream: { rows: STREAM_ROWS, masked_through_portcullis: masked, ...streamSummary },
    };
    const outDir = join(repoRoot, 'benchmarks/pg/results');
    mkdirSync(outDir, { recursive: true });
    const file = process.env.OUT ?? join(outDir, `pg-${date}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(`wrote ${file}\n`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
