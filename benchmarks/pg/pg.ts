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
 * NODE_RELAY=1 to add three bare relays (node-relay.ts, node-handle-relay.ts, node-native-relay.ts) as reference paths,
 * NATIVE_LANE=1 to add the proxy with its native lane (`nativeLane: true`) as `portcullis-lane`,
 * AUDITED=1 to add the proxy writing an audit log and the gateway,
 * SUBJECT_KIND=human for a subject without masks, STREAM_ONLY=1 to time only the masked stream
 * (no pgbench; nothing written unless OUT is set). Writes benchmarks/pg/results/pg-<date>.json
 * (or OUT).
 */

import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../../adapters/pg/test/support/postgres-server.js';
import { median } from '../support/median.js';
import {
  BIN,
  initPgbench,
  type PgbenchRun,
  psql,
  repoRoot,
  run,
  pgbench as runPgbench,
  startGateway,
  startNodeHandleRelay,
  startNodeNativeRelay,
  startNodeRelay,
  startPgbouncer,
  startPortcullis,
} from './paths.js';

const PGBOUNCER = process.env.PGBOUNCER ?? '/usr/sbin/pgbouncer';
const DURATION = Number(process.env.DURATION ?? 10);
const RUNS = Number(process.env.RUNS ?? 3);
const CLIENTS = (process.env.CLIENTS ?? '1,4,8').split(',').map(Number);
const SCALE = Number(process.env.SCALE ?? 10);
const WARMUP = Number(process.env.WARMUP ?? 3);
const STREAM_ROWS = Number(process.env.STREAM_ROWS ?? 1_000_000);
const STREAM_RUNS = Number(process.env.STREAM_RUNS ?? 3);
/** UNCACHED=1 adds the proxy with its decision cache off, to show what the cache is worth. */
const UNCACHED = process.env.UNCACHED === '1';
/**
 * NODE_RELAY=1 adds three bare relays as reference paths: `node-relay` (node-relay.ts,
 * `socket.pipe`), `node-handle-relay` (node-handle-relay.ts, the proxy's own handle I/O) and
 * `node-native-relay` (node-native-relay.ts, the bytes copied in C inside Node's loop).
 */
const NODE_RELAY = process.env.NODE_RELAY === '1';
/** NATIVE_LANE=1 adds `portcullis-lane`: the same proxy with `nativeLane: true`. */
const NATIVE_LANE = process.env.NATIVE_LANE === '1';
/**
 * AUDITED=1 adds the paths that write an audit log: `portcullis-audited` (the plain proxy
 * with a JSONL log) and `gateway` (`portcullis start` as users run it: the log, its SQLite
 * index, recorded sessions), so the grid shows what an audited statement costs.
 */
const AUDITED = process.env.AUDITED === '1';
const UPSTREAM_SOCKET = process.env.UPSTREAM_SOCKET === '1';
/** STREAM_ONLY=1 skips pgbench (initialisation, warm-up and cells): only the stream is timed. */
const STREAM_ONLY = process.env.STREAM_ONLY === '1';
const TARGETS = [
  'direct',
  'pgbouncer',
  'portcullis',
  ...(NATIVE_LANE ? ['portcullis-lane'] : []),
  ...(UNCACHED ? ['portcullis-uncached'] : []),
  ...(AUDITED ? ['portcullis-audited', 'gateway'] : []),
  ...(NODE_RELAY ? ['node-relay', 'node-handle-relay', 'node-native-relay'] : []),
];
const STREAM_TARGETS = ['direct', 'pgbouncer', 'portcullis', ...(NATIVE_LANE ? ['portcullis-lane'] : [])];
type Target = string;
const perTarget = <T>(targets: readonly string[], make: () => T): Record<Target, T> =>
  Object.fromEntries(targets.map((t) => [t, make()]));

const pgbench = (port: number, password: string, args: string[]) =>
  runPgbench(port, password, args, (DURATION + 60) * 1000);

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const started = new Date();
  const load: { start: number[]; end?: number[] } = { start: os.loadavg() };
  const server = await startPostgres();
  const dir = mkdtempSync(join(os.tmpdir(), 'portcullis-bench-'));
  const children: ChildProcess[] = [];
  try {
    const { password } = server;
    process.stderr.write(`cluster on ${server.port}${STREAM_ONLY ? '' : `; pgbench -i -s ${SCALE}`}\n`);
    if (!STREAM_ONLY) await initPgbench(server, SCALE);
    // The relays reach the server over TCP, or with UPSTREAM_SOCKET=1 over its Unix-domain socket.
    const upstream = UPSTREAM_SOCKET ? { ...server, host: server.socketDir } : server;
    const bouncer = await startPgbouncer(upstream, dir, Math.max(...CLIENTS) + 2);
    children.push(bouncer.child);
    // This script's own NATIVE_LANE must not reach the plain proxy's environment.
    const portcullis = await startPortcullis(upstream, { NATIVE_LANE: '0' });
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
    if (NATIVE_LANE) {
      const lane = await startPortcullis(upstream, { NATIVE_LANE: '1' });
      children.push(lane.child);
      ports['portcullis-lane'] = lane.port;
    }
    if (UNCACHED) {
      const uncached = await startPortcullis(upstream, { DECISION_CACHE: 'off' });
      children.push(uncached.child);
      ports['portcullis-uncached'] = uncached.port;
    }
    // The gateway takes an API key of its own as pgbench's password.
    const passwords: Record<Target, string> = {};
    const passwordOf = (t: Target): string => passwords[t] ?? password;
    if (AUDITED) {
      const audited = await startPortcullis(upstream, {
        NATIVE_LANE: '0',
        AUDIT_LOG: join(dir, 'audit.jsonl'),
      });
      children.push(audited.child);
      ports['portcullis-audited'] = audited.port;
      const gateway = await startGateway(upstream, dir);
      children.push(gateway.child);
      ports.gateway = gateway.port;
      if (gateway.password !== undefined) passwords.gateway = gateway.password;
    }
    if (NODE_RELAY) {
      const relay = await startNodeRelay(upstream);
      children.push(relay.child);
      ports['node-relay'] = relay.port;
      const handleRelay = await startNodeHandleRelay(upstream);
      children.push(handleRelay.child);
      ports['node-handle-relay'] = handleRelay.port;
      const nativeRelay = await startNodeNativeRelay(upstream);
      children.push(nativeRelay.child);
      ports['node-native-relay'] = nativeRelay.port;
    }
    // Every path must work before anything is timed.
    for (const t of TARGETS)
      await psql(
        portOf(t),
        passwordOf(t),
        STREAM_ONLY ? 'SELECT 1' : 'SELECT count(*) FROM pgbench_branches',
      );
    // Untimed: lets the proxy's JIT and the policy's wasm warm up before the first timed run.
    for (const t of STREAM_ONLY ? [] : TARGETS)
      for (const mode of ['simple', 'prepared'])
        await pgbench(portOf(t), passwordOf(t), ['-M', mode, '-c', '4', '-j', '2', '-T', String(WARMUP)]);

    const cells: Record<string, unknown>[] = [];
    for (const script of STREAM_ONLY ? [] : (['select-only', 'tpcb-like'] as const)) {
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
            for (const t of TARGETS) runs[t]?.push(await pgbench(portOf(t), passwordOf(t), args));
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
            ...(NATIVE_LANE
              ? { portcullis_lane_to_pgbouncer: round(ratio('portcullis-lane') / ratio('pgbouncer'), 3) }
              : {}),
            ...(AUDITED
              ? {
                  portcullis_audited_to_pgbouncer: round(ratio('portcullis-audited') / ratio('pgbouncer'), 3),
                  gateway_to_pgbouncer: round(ratio('gateway') / ratio('pgbouncer'), 3),
                }
              : {}),
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
        upstream: UPSTREAM_SOCKET
          ? 'every relay reaches PostgreSQL over its Unix-domain socket (clients still connect over TCP)'
          : 'every relay reaches PostgreSQL over TCP on 127.0.0.1',
        portcullis: `createPgProxy, rego/ without _test.rego compiled to wasm, subject kind ${process.env.SUBJECT_KIND === 'human' ? 'human (no masks)' : 'agent (column masks and detectors)'}, resource labels env=prod, default decision cache`,
        ...(NATIVE_LANE
          ? {
              'portcullis-lane':
                'the same proxy with nativeLane: true (simple Queries judged before relayed in C)',
            }
          : {}),
        ...(AUDITED
          ? {
              'portcullis-audited':
                'the plain proxy with a JSONL audit log (createJsonlAuditSink, synchronous writes)',
              gateway:
                'portcullis start with one PostgreSQL resource, the shipped library, the hash-chained JSONL log, its SQLite index, recorded sessions; pgbench logs in with an agent API key',
            }
          : {}),
        stream: `psql -At -c "${streamSql}" > memory; ${STREAM_ROWS} rows; email and phone masked through the proxy; median of ${STREAM_RUNS}`,
      },
      pgbench: cells,
      stream: { rows: STREAM_ROWS, masked_through_portcullis: masked, ...streamSummary },
    };
    // A stream-only run is a check while working, not a result to commit.
    if (STREAM_ONLY && process.env.OUT === undefined) return;
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
