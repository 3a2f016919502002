/**
 * The Portcullis proxy as the benchmark runs it: its own process (so it gets a core of its
 * own rather than sharing the orchestrator's event loop), the shipped policy library
 * compiled to wasm, every client authenticated as an agent (so masks apply to its results).
 *
 *   PG_HOST=127.0.0.1 PG_PORT=5432 PG_USER=postgres PG_PASSWORD=… \
 *     node --conditions=portcullis-source --import tsx benchmarks/pg/proxy-server.ts
 *
 * Prints `{"port":N}` on stdout once listening. POLICY=function uses a trivial allow-all
 * function evaluator instead of Rego (the floor the proxy itself costs); SUBJECT_KIND=human
 * turns masks off. Any other setting of DECISION_CACHE than unset disables the proxy's decision cache;
 * DIRECT_SOCKET_IO=0 keeps the proxy's sockets on Node's streams (`directSocketIo: false`);
 * AUDIT_LOG=<file> writes every decision and completion record to a hash-chained JSONL audit
 * log there (core's `createJsonlAuditSink`, no fsync), as the gateway's audit does;
 * AUDIT_SYNC_WRITES=0 writes it through the thread pool instead (`syncWrites: false`);
 * UPSTREAM_REUSE=1 hands ended sessions' upstream connections on (`upstream.reuse: true`).
 * NATIVE_LANE=1 requires the proxy's native lane (`nativeLane: true`), NATIVE_LANE=0 turns it
 * off (`nativeLane: false`); unset, it is the proxy's default (on where the addon is built).
 * With CPU_PROFILE_DIR set, each SIGUSR2 starts or stops a CPU profile of this process and the
 * profile is written there as `<n>.cpuprofile` (cpu.ts profiles one benchmark cell at a time).
 */

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { createEngine, createJsonlAuditSink } from '@portcullis/core';
import { createPgProxy } from '@portcullis/pg';
import { benchEvaluator, requiredEnv } from '../support/bench-evaluator.js';

const engine = createEngine({ evaluator: await benchEvaluator() });
const auditLog = process.env.AUDIT_LOG;
const audit = auditLog
  ? await createJsonlAuditSink({ path: auditLog, syncWrites: process.env.AUDIT_SYNC_WRITES !== '0' })
  : undefined;
const kind = process.env.SUBJECT_KIND === 'human' ? 'human' : 'agent';
const proxy = createPgProxy({
  engine,
  upstream: {
    host: requiredEnv('PG_HOST'),
    port: Number(requiredEnv('PG_PORT')),
    user: requiredEnv('PG_USER'),
    password: requiredEnv('PG_PASSWORD'),
    ...(process.env.UPSTREAM_REUSE === '1' ? { reuse: true } : {}),
  },
  resource: { name: 'bench-db', labels: { env: 'prod' } },
  async authenticate(startup) {
    return { subject: { id: `bench-${startup.user}`, kind } };
  },
  ...(process.env.DECISION_CACHE !== undefined ? { decisionCache: false as const } : {}),
  ...(process.env.DIRECT_SOCKET_IO === '0' ? { directSocketIo: false } : {}),
  ...(process.env.NATIVE_LANE === '1' ? { nativeLane: true } : {}),
  ...(process.env.NATIVE_LANE === '0' ? { nativeLane: false } : {}),
  ...(audit ? { audit } : {}),
});
const { port } = await proxy.listen(Number(process.env.PROXY_PORT ?? 0), '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port })}\n`);

const profileDir = process.env.CPU_PROFILE_DIR;
if (profileDir !== undefined) {
  const session = new Session();
  session.connect();
  let profiling = false;
  let written = 0;
  const post = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  process.on('SIGUSR2', () => {
    if (!profiling) {
      profiling = true;
      void post('Profiler.start');
      return;
    }
    profiling = false;
    void post('Profiler.stop').then((result) => {
      const file = join(profileDir, `${++written}.cpuprofile`);
      writeFileSync(file, JSON.stringify((result as { profile: unknown }).profile));
      process.stdout.write(`${JSON.stringify({ profile: file })}\n`);
    });
  });
}

const stop = async () => {
  await proxy.close();
  await engine.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
