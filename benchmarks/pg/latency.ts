/**
 * Added latency and CPU per transaction of each relay path, A/B style for a noisy machine:
 * short pgbench runs (one client by default, where every microsecond a relay holds a
 * message shows as latency), the paths interleaved round by round in a rotating order, and
 * the medians over the rounds of pgbench's "latency average", tps and the relay process's
 * CPU (user + system) per transaction.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/pg/latency.ts
 *
 * Settings (environment): PATHS (node-handle-relay,portcullis; also direct, pgbouncer, node-relay,
 * node-native-relay (the bytes copied in C inside Node's loop),
 * portcullis-streams: the proxy with `directSocketIo: false`; portcullis-reuse: with
 * `upstream.reuse` (ended sessions' upstream connections handed on); portcullis-audited: with a JSONL
 * audit log; portcullis-audited-pool: the same log written through the thread pool; gateway:
 * `portcullis start` with the audit log and its SQLite index, as users run it; gateway-base: the
 * same from the checkout at BASE_ROOT, for a before/after run; portcullis-base: the proxy from the
 * checkout at BASE_ROOT, likewise, and portcullis-audited-base the audited one; NAME@V: portcullis, node-handle-relay or gateway started
 * with the Node flags in NODE_ARGS_V, such as `portcullis@gc` with NODE_ARGS_gc), CELLS
 * (select-only:simple,select-only:prepared; also tpcb-like:…, and autocommit-update:…, one
 * UPDATE of a random account per transaction with no BEGIN/END, and autocommit-insert:…, one
 * INSERT of one row into pgbench_history likewise; a third part `:connect` runs pgbench with
 * `-C`, a new connection per transaction, as clients that connect per task do), CLIENTS (1), ROUNDS (5),
 * DURATION seconds per run (3), SCALE (10). PG_PORT and PG_PASSWORD reuse a running server
 * already initialised with `pgbench -i` instead of starting a cluster. OUT writes the medians
 * and every run as JSON. GATEWAY_NODE_ARGS passes Node flags to the gateway's process
 * (`--cpu-prof --cpu-prof-dir=DIR` writes its profile when it stops).
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../../adapters/pg/test/support/postgres-server.js';
import { median } from '../support/median.js';
import {
  cpuMicros,
  initPgbench,
  pgbench,
  type StartedPath,
  startGateway,
  startNodeHandleRelay,
  startNodeNativeRelay,
  startNodeRelay,
  startPgbouncer,
  startPortcullis,
  type Upstream,
} from './paths.js';

const PATHS = (process.env.PATHS ?? 'node-handle-relay,portcullis').split(',');
const CELLS = (process.env.CELLS ?? 'select-only:simple,select-only:prepared').split(',');
const CLIENTS = Number(process.env.CLIENTS ?? 1);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
// Node flags for the gateway path, such as `--cpu-prof --cpu-prof-dir=/tmp/p` (profile on exit).
const GATEWAY_NODE_ARGS = (process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
const DURATION = Number(process.env.DURATION ?? 3);
const SCALE = Number(process.env.SCALE ?? 10);

async function main(): Promise<void> {
  let upstream: Upstream;
  let stopServer = async () => {};
  if (process.env.PG_PORT && process.env.PG_PASSWORD) {
    upstream = { port: Number(process.env.PG_PORT), password: process.env.PG_PASSWORD };
  } else {
    const server = await startPostgres();
    upstream = server;
    stopServer = () => server.stop();
    await initPgbench(server, SCALE);
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'portcullis-latency-'));
  const started: StartedPath[] = [];
  try {
    const paths = new Map<string, { port: number; pid?: number; password: string }>();
    if (PATHS.includes('direct')) paths.set('direct', { port: upstream.port, password: upstream.password });
    const add = async (name: string, path: StartedPath) => {
      started.push(path);
      paths.set(name, {
        port: path.port,
        pid: await path.pid(),
        password: path.password ?? upstream.password,
      });
    };
    if (PATHS.includes('pgbouncer')) await add('pgbouncer', await startPgbouncer(upstream, dir, CLIENTS + 2));
    if (PATHS.includes('node-relay')) await add('node-relay', await startNodeRelay(upstream));
    if (PATHS.includes('node-handle-relay'))
      await add('node-handle-relay', await startNodeHandleRelay(upstream));
    if (PATHS.includes('node-native-relay'))
      await add('node-native-relay', await startNodeNativeRelay(upstream));
    if (PATHS.includes('portcullis')) await add('portcullis', await startPortcullis(upstream));
    if (PATHS.includes('portcullis-reuse'))
      await add('portcullis-reuse', await startPortcullis(upstream, { UPSTREAM_REUSE: '1' }));
    if (PATHS.includes('portcullis-audited'))
      await add(
        'portcullis-audited',
        await startPortcullis(upstream, { AUDIT_LOG: join(dir, 'audit.jsonl') }),
      );
    if (PATHS.includes('portcullis-audited-pool'))
      await add(
        'portcullis-audited-pool',
        await startPortcullis(upstream, { AUDIT_LOG: join(dir, 'audit-pool.jsonl'), AUDIT_SYNC_WRITES: '0' }),
      );
    if (PATHS.includes('gateway')) await add('gateway', await startGateway(upstream, dir, GATEWAY_NODE_ARGS));
    if (PATHS.includes('gateway-base')) {
      if (!process.env.BASE_ROOT) throw new Error('gateway-base needs BASE_ROOT, a checkout to run it from');
      await add('gateway-base', await startGateway(upstream, join(dir, 'base'), [], process.env.BASE_ROOT));
    }
    if (PATHS.includes('portcullis-base')) {
      if (!process.env.BASE_ROOT)
        throw new Error('portcullis-base needs BASE_ROOT, a checkout to run it from');
      await add('portcullis-base', await startPortcullis(upstream, {}, [], process.env.BASE_ROOT));
    }
    if (PATHS.includes('portcullis-audited-base')) {
      if (!process.env.BASE_ROOT)
        throw new Error('portcullis-audited-base needs BASE_ROOT, a checkout to run it from');
      await add(
        'portcullis-audited-base',
        await startPortcullis(
          upstream,
          { AUDIT_LOG: join(dir, 'audit-base.jsonl') },
          [],
          process.env.BASE_ROOT,
        ),
      );
    }
    if (PATHS.includes('portcullis-streams'))
      await add('portcullis-streams', await startPortcullis(upstream, { DIRECT_SOCKET_IO: '0' }));
    // NAME@V: path NAME (portcullis, node-handle-relay or gateway) with the Node flags in
    // NODE_ARGS_V, run interleaved with NAME itself, to try V8 and Node settings.
    for (const variant of PATHS.filter((p) => p.includes('@'))) {
      const [base, tag] = variant.split('@') as [string, string];
      const args = (process.env[`NODE_ARGS_${tag}`] ?? '').split(' ').filter(Boolean);
      if (args.length === 0) throw new Error(`${variant} needs NODE_ARGS_${tag}, the Node flags to try`);
      if (base === 'portcullis') await add(variant, await startPortcullis(upstream, {}, args));
      else if (base === 'node-handle-relay') await add(variant, await startNodeHandleRelay(upstream, args));
      else if (base === 'gateway') await add(variant, await startGateway(upstream, join(dir, tag), args));
      else throw new Error(`${variant}: flags can be tried on portcullis, node-handle-relay or gateway`);
    }
    const names = PATHS.filter((p) => paths.has(p));

    const autocommitUpdate = join(dir, 'autocommit-update.sql');
    writeFileSync(
      autocommitUpdate,
      '\\set aid random(1, 100000 * :scale)\n\\set delta random(-5000, 5000)\n' +
        'UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;\n',
    );
    const autocommitInsert = join(dir, 'autocommit-insert.sql');
    writeFileSync(
      autocommitInsert,
      '\\set aid random(1, 100000 * :scale)\n' +
        'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :aid, 1, CURRENT_TIMESTAMP);\n',
    );
    const argsOf = (cell: string): string[] => {
      const [script, protocol = 'simple', connect] = cell.split(':');
      return [
        ...(connect === 'connect' ? ['-C'] : []),
        ...(script === 'select-only' ? ['-S'] : []),
        ...(script === 'autocommit-update' ? ['-f', autocommitUpdate] : []),
        ...(script === 'autocommit-insert' ? ['-f', autocommitInsert] : []),
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
    };
    // Warm every path (JIT, decision memo, plans) before anything is timed.
    for (const name of names)
      for (const cell of CELLS)
        await pgbench(
          paths.get(name)!.port,
          paths.get(name)!.password,
          argsOf(cell).slice(0, -1).concat('1'),
          60_000,
        );

    const runs = new Map<string, { latency: number[]; tps: number[]; cpu: number[] }>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const cell of CELLS) {
        // Rotate the order so that no path always runs first (or right after another).
        const order = names.map((_, i) => names[(i + round) % names.length] as string);
        for (const name of order) {
          const p = paths.get(name)!;
          const cpu0 = p.pid ? cpuMicros(p.pid) : 0;
          const r = await pgbench(p.port, p.password, argsOf(cell), (DURATION + 60) * 1000);
          const cpu = p.pid ? cpuMicros(p.pid) - cpu0 : 0;
          const key = `${cell} ${name}`;
          const acc = runs.get(key) ?? { latency: [], tps: [], cpu: [] };
          acc.latency.push(r.latency_ms * 1000);
          acc.tps.push(r.tps);
          if (p.pid && r.transactions > 0) acc.cpu.push(cpu / r.transactions);
          runs.set(key, acc);
        }
      }
      process.stderr.write(`round ${round + 1}/${ROUNDS} done (load ${os.loadavg()[0]?.toFixed(1)})\n`);
    }
    const summary: Record<string, unknown>[] = [];
    const flags = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('NODE_ARGS_')));
    for (const cell of CELLS) {
      for (const name of names) {
        const acc = runs.get(`${cell} ${name}`);
        if (!acc) continue;
        summary.push({
          cell,
          clients: CLIENTS,
          path: name,
          latency_us_median: Math.round(median(acc.latency)),
          tps_median: Math.round(median(acc.tps)),
          cpu_us_per_tx_median: acc.cpu.length > 0 ? Math.round(median(acc.cpu)) : null,
          runs: acc,
        });
        const cpu = acc.cpu.length > 0 ? `${median(acc.cpu).toFixed(0)} µs` : '-';
        process.stdout.write(
          `${cell.padEnd(20)} c=${CLIENTS} ${name.padEnd(10)} latency ${median(acc.latency).toFixed(0).padStart(5)} µs` +
            `  tps ${median(acc.tps).toFixed(0).padStart(6)}  cpu/tx ${cpu}` +
            `  (latency runs ${acc.latency.map((x) => x.toFixed(0)).join(' ')})\n`,
        );
      }
    }
    if (process.env.OUT) {
      const machine = { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version };
      const load = os.loadavg();
      writeFileSync(
        process.env.OUT,
        `${JSON.stringify({ benchmark: 'pg-latency', date: new Date().toISOString(), machine, loadavg_end: load, settings: { PATHS, CELLS, CLIENTS, ROUNDS, DURATION, ...flags, ...baseCommit() }, cells: summary }, null, 1)}\n`,
      );
      process.stderr.write(`wrote ${process.env.OUT}\n`);
    }
  } finally {
    for (const p of started) p.child.kill('SIGTERM');
    await stopServer();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The commit gateway-base or portcullis-base ran from, for the record. */
function baseCommit(): { base_commit?: string } {
  const root = process.env.BASE_ROOT;
  if (!root || !(PATHS.includes('gateway-base') || PATHS.includes('portcullis-base'))) return {};
  try {
    return {
      base_commit: execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
    };
  } catch {
    return {};
  }
}

await main();
