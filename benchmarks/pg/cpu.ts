/**
 * CPU per transaction of each relay path, the measure that survives a busy machine better
 * than throughput: pgbench through pgbouncer, two bare Node relays (node-relay.ts with
 * `pipe`, node-handle-relay.ts with the proxy's handle I/O) and the
 * Portcullis proxy (agent subject, shipped policy; `portcullis-lane` in PATHS adds it with
 * `nativeLane: true`), with the CPU each relay process used
 * (/proc/<pid>/stat, user + system) divided by the transactions pgbench completed; then a
 * masked stream of STREAM_ROWS rows, as CPU per row. Direct runs are listed for scale.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/pg/cpu.ts
 *
 * Settings (environment): DURATION seconds per run (5), CLIENTS (4), SCALE (10), WARMUP
 * seconds per path (2), STREAM_ROWS (200000), STREAM_RUNS (1), STREAM_ONLY=1 to skip pgbench
 * (no `pgbench -i`, warm-up or cells: only the masked stream), PROFILE_DIR to write a CPU
 * profile of the proxy (PROFILE_PATH: `portcullis`, the default, or `portcullis-lane`) for every
 * cell (`<n>.cpuprofile`, read with profile-top.ts), OUT to
 * write the results as JSON, UPSTREAM_SOCKET=1 to have every relay reach the server over its
 * Unix-domain socket instead of TCP, PROXY_NODE_ARGS Node flags for the proxy's process (V8 flags to
 * try). Prints one line per path and cell; writes nothing under results/.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../../adapters/pg/test/support/postgres-server.js';
import {
  cpuMicros,
  cpuSplitMicros,
  initPgbench,
  pgbench,
  psql,
  type StartedPath,
  startNodeHandleRelay,
  startNodeRelay,
  startPgbouncer,
  startPortcullis,
} from './paths.js';

const DURATION = Number(process.env.DURATION ?? 5);
const CLIENTS = Number(process.env.CLIENTS ?? 4);
const SCALE = Number(process.env.SCALE ?? 10);
const WARMUP = Number(process.env.WARMUP ?? 2);
const STREAM_ROWS = Number(process.env.STREAM_ROWS ?? 200_000);
const STREAM_RUNS = Number(process.env.STREAM_RUNS ?? 1);
const STREAM_ONLY = process.env.STREAM_ONLY === '1';
const PROFILE_DIR = process.env.PROFILE_DIR;
/** The path PROFILE_DIR profiles: `portcullis` (default) or `portcullis-lane`. */
const PROFILE_PATH = process.env.PROFILE_PATH ?? 'portcullis';
const UPSTREAM_SOCKET = process.env.UPSTREAM_SOCKET === '1';
const PROXY_NODE_ARGS = (process.env.PROXY_NODE_ARGS ?? '').split(' ').filter(Boolean);
const PATHS = (process.env.PATHS ?? 'direct,pgbouncer,node-relay,node-handle-relay,portcullis').split(',');

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const server = await startPostgres();
  const dir = mkdtempSync(join(os.tmpdir(), 'portcullis-cpu-'));
  const started: StartedPath[] = [];
  try {
    const { password } = server;
    const _env = { ...process.env, PGPASSWORD: password };
    if (!STREAM_ONLY) await initPgbench(server, SCALE);
    await psql(
      server.port,
      password,
      `CREATE TABLE bench_people AS SELECT g AS id, 'user' || g || '@example.com' AS email,
         '+1-555-' || lpad(g::text, 7, '0') AS phone, 'note ' || g AS note
       FROM generate_series(1, ${STREAM_ROWS}) g`,
    );
    const paths = new Map<string, { port: number; pid?: number; path?: StartedPath }>();
    paths.set('direct', { port: server.port });
    const add = async (name: string, path: StartedPath) => {
      started.push(path);
      paths.set(name, { port: path.port, pid: await path.pid(), path });
    };
    // The relays reach the server over TCP, or with UPSTREAM_SOCKET=1 over its Unix-domain socket.
    const upstream = UPSTREAM_SOCKET ? { ...server, host: server.socketDir } : server;
    if (PATHS.includes('pgbouncer')) await add('pgbouncer', await startPgbouncer(upstream, dir, CLIENTS + 2));
    if (PATHS.includes('node-relay')) await add('node-relay', await startNodeRelay(upstream));
    if (PATHS.includes('node-handle-relay'))
      await add('node-handle-relay', await startNodeHandleRelay(upstream));
    const profiled = (name: string) =>
      PROFILE_DIR && name === PROFILE_PATH ? { CPU_PROFILE_DIR: PROFILE_DIR } : {};
    if (PATHS.includes('portcullis'))
      await add(
        'portcullis',
        await startPortcullis(upstream, { NATIVE_LANE: '0', ...profiled('portcullis') }, PROXY_NODE_ARGS),
      );
    if (PATHS.includes('portcullis-lane'))
      await add(
        'portcullis-lane',
        await startPortcullis(
          upstream,
          { NATIVE_LANE: '1', ...profiled('portcullis-lane') },
          PROXY_NODE_ARGS,
        ),
      );
    const names = PATHS.filter((p) => paths.has(p));

    const proxy = paths.get(PROFILE_PATH)?.path;
    const profileLines: string[] = [];
    proxy?.child.stdout?.on('data', (d: Buffer) => profileLines.push(...d.toString().split('\n')));
    const toggleProfile = async (label: string) => {
      if (!PROFILE_DIR || !proxy) return;
      const before = profileLines.length;
      proxy.child.kill('SIGUSR2');
      if (label === '') return;
      for (let i = 0; i < 100 && !profileLines.slice(before).some((l) => l.includes('profile')); i++)
        await new Promise((r) => setTimeout(r, 50));
      const line = profileLines.slice(before).find((l) => l.includes('profile'));
      process.stderr.write(`  profile ${label}: ${line ?? 'not written'}\n`);
    };

    for (const name of STREAM_ONLY ? [] : names) {
      const p = paths.get(name)!;
      await psql(p.port, password, 'SELECT count(*) FROM pgbench_branches');
      for (const mode of ['simple', 'prepared'])
        await pgbench(
          p.port,
          password,
          ['-M', mode, '-c', String(CLIENTS), '-j', '2', '-T', String(WARMUP)],
          60_000,
        );
    }

    const cells: Record<string, unknown>[] = [];
    for (const script of STREAM_ONLY ? [] : (['select-only', 'tpcb-like'] as const)) {
      for (const protocol of ['simple', 'prepared'] as const) {
        const args = [
          ...(script === 'select-only' ? ['-S'] : []),
          ...[
            '-M',
            protocol,
            '-c',
            String(CLIENTS),
            '-j',
            String(Math.min(CLIENTS, 2)),
            '-T',
            String(DURATION),
          ],
        ];
        for (const name of names) {
          const p = paths.get(name)!;
          if (name === PROFILE_PATH) await toggleProfile('');
          const split0 = p.pid ? cpuSplitMicros(p.pid) : { user: 0, system: 0 };
          const r = await pgbench(p.port, password, args, (DURATION + 60) * 1000);
          const split1 = p.pid ? cpuSplitMicros(p.pid) : { user: 0, system: 0 };
          const user = split1.user - split0.user;
          const system = split1.system - split0.system;
          const cpu = user + system;
          if (name === PROFILE_PATH) await toggleProfile(`${script} ${protocol}`);
          const perTx = r.transactions > 0 && p.pid ? round(cpu / r.transactions) : null;
          const userPerTx = r.transactions > 0 && p.pid ? round(user / r.transactions) : null;
          cells.push({
            script,
            protocol,
            clients: CLIENTS,
            path: name,
            tps: r.tps,
            transactions: r.transactions,
            cpu_us: cpu,
            cpu_us_per_tx: perTx,
            user_us_per_tx: userPerTx,
          });
          process.stderr.write(
            `${script.padEnd(11)} ${protocol.padEnd(8)} ${name.padEnd(10)} tps ${String(round(r.tps, 0)).padStart(6)}  cpu/tx ${perTx ?? '-'} µs (user ${userPerTx ?? '-'})\n`,
          );
        }
      }
    }

    const streamSql = 'SELECT id, email, phone, note FROM bench_people';
    const stream: Record<string, unknown>[] = [];
    for (let r = 0; r < STREAM_RUNS; r++)
      for (const name of names) {
        const p = paths.get(name)!;
        if (name === PROFILE_PATH) await toggleProfile('');
        const cpu0 = p.pid ? cpuMicros(p.pid) : 0;
        const t0 = performance.now();
        const { stdout } = await psql(p.port, password, streamSql);
        const seconds = (performance.now() - t0) / 1000;
        const cpu = p.pid ? cpuMicros(p.pid) - cpu0 : 0;
        if (name === PROFILE_PATH) await toggleProfile('stream');
        if (name.startsWith('portcullis') && stdout.includes('user1@example.com'))
          throw new Error('stream not masked');
        const perRow = p.pid ? round((cpu / STREAM_ROWS) * 1000, 0) : null;
        stream.push({
          path: name,
          rows: STREAM_ROWS,
          seconds: round(seconds, 3),
          cpu_us: cpu,
          cpu_ns_per_row: perRow,
        });
        process.stderr.write(
          `stream ${STREAM_ROWS} rows ${name.padEnd(10)} ${round(seconds, 2)} s  cpu/row ${perRow ?? '-'} ns\n`,
        );
      }
    if (process.env.OUT)
      writeFileSync(
        process.env.OUT,
        `${JSON.stringify({ date: new Date().toISOString(), loadavg: os.loadavg(), duration_s: DURATION, clients: CLIENTS, cells, stream }, null, 2)}\n`,
      );
  } finally {
    for (const p of started) p.child.kill('SIGTERM');
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
