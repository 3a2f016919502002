/**
 * The Portcullis SSH proxy as the benchmark runs it: its own process (so the proxy does not
 * share the orchestrator's event loop, which times keystrokes), the shipped policy library
 * compiled to wasm, every client authenticated as a human.
 *
 *   UPSTREAM_PORT=… UPSTREAM_KEY=path UPSTREAM_FINGERPRINT=SHA256:… HOST_KEY=path USER_FINGERPRINT=SHA256:… \
 *     node --conditions=portcullis-source --import tsx benchmarks/ssh/proxy-server.ts
 *
 * Prints `{"port":N}` on stdout once listening. POLICY=function uses an allow-all function
 * evaluator instead of Rego (the floor the proxy itself costs). PROXY_CIPHERS (comma-separated)
 * is the proxy's `ciphers` option: what it offers clients.
 *
 * SIGUSR2 toggles a measurement window (profile.ts uses it): the first starts it, the second
 * prints `{"cpu_us":…,"elu":…,"max_rss_mb":…}` (the CPU time this process used in between, and
 * its peak resident memory so far) and, with
 * PROFILE_OUT set, writes a CPU profile of the first window there.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { createEngine, staticEvaluator } from '@portcullis/core';
import { createSshProxy } from '@portcullis/ssh';

const requiredEnv = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};

// With POLICY=function the Rego toolchain is not loaded at all: run from source under tsx, its
// compiler's dependency (binaryen) alone keeps ~220 MB live on the heap (28 MB when not loaded
// through tsx), which makes every full GC of this process several times dearer than it is in a
// built gateway.
const evaluator =
  process.env.POLICY === 'function'
    ? staticEvaluator(() => ({ effect: 'allow', reasons: [], masks: [] }), 'allow-all')
    : await (await import('../support/bench-evaluator.js')).benchEvaluator();
const engine = createEngine({ evaluator });
const userFingerprint = requiredEnv('USER_FINGERPRINT');
const proxy = createSshProxy({
  engine,
  hostKeys: [readFileSync(requiredEnv('HOST_KEY'))],
  authenticate: {
    publicKey: (ctx) =>
      ctx.fingerprint === userFingerprint ? { subject: { id: 'bench@example.com', kind: 'human' } } : null,
  },
  upstream: {
    host: '127.0.0.1',
    port: Number(requiredEnv('UPSTREAM_PORT')),
    username: 'root',
    privateKey: readFileSync(requiredEnv('UPSTREAM_KEY')),
    hostKeyFingerprint: requiredEnv('UPSTREAM_FINGERPRINT'),
  },
  resource: { name: 'bench-host', labels: { env: 'bench' } },
  ...(process.env.PROXY_CIPHERS ? { ciphers: process.env.PROXY_CIPHERS.split(',') } : {}),
});
const { port } = await proxy.listen(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port })}\n`);

let window: { cpu: NodeJS.CpuUsage; elu: ReturnType<typeof performance.eventLoopUtilization> } | undefined;
// Only the first window is profiled.
let inspector = process.env.PROFILE_OUT ? new Session() : undefined;
process.on('SIGUSR2', async () => {
  if (!window) {
    if (inspector) {
      inspector.connect();
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.setSamplingInterval', { interval: 200 });
      await inspector.post('Profiler.start');
    }
    window = { cpu: process.cpuUsage(), elu: performance.eventLoopUtilization() };
    process.stdout.write('{"window":"started"}\n');
    return;
  }
  const cpu = process.cpuUsage(window.cpu);
  const elu = performance.eventLoopUtilization(window.elu);
  window = undefined;
  if (inspector && process.env.PROFILE_OUT) {
    const { profile } = await inspector.post('Profiler.stop');
    writeFileSync(process.env.PROFILE_OUT, JSON.stringify(profile));
    inspector.disconnect();
    inspector = undefined;
  }
  process.stdout.write(
    `${JSON.stringify({
      cpu_us: cpu.user + cpu.system,
      user_us: cpu.user,
      system_us: cpu.system,
      elu: elu.utilization,
      max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  );
});

const stop = async () => {
  await proxy.close();
  await engine.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
