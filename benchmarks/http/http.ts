/**
 * HTTP middleware benchmark: requests per second and latency of an express and a fastify JSON
 * endpoint without Portcullis, with the middleware and the shipped policy (rego/, compiled to
 * wasm) with the adapters' decision cache on (the default) and off, and with the shipped policy
 * masking the response (e-mails, phones, cards). The `-varied` subjects send a different
 * request-target with every request (`/customers/<n>`), so the decision cache never hits: the
 * honest figure for an API whose requests do not repeat. Each subject also reports the
 * server's CPU time per request (process.cpuUsage of the server process / requests served),
 * which a busy machine moves far less than requests/s.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/http/http.ts           # 5 × 5 s each
 *   node --conditions=portcullis-source --import tsx benchmarks/http/http.ts --quick   # 1 × 1 s, writes nothing
 *
 * Environment: BENCH_RUNS, BENCH_SECONDS, BENCH_CONNECTIONS override the defaults.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { median } from '../support/median.js';

const quick = process.argv.includes('--quick');
const RUNS = Number(process.env.BENCH_RUNS ?? (quick ? 1 : 5));
const SECONDS = Number(process.env.BENCH_SECONDS ?? (quick ? 1 : 5));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const WARMUP_SECONDS = quick ? 1 : 3;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const FRAMEWORKS = ['express', 'fastify'] as const;
const VARIANTS = ['unguarded', 'policy', 'policy-uncached', 'masking'] as const;
type Framework = (typeof FRAMEWORKS)[number];
type Variant = (typeof VARIANTS)[number];

interface Server {
  framework: Framework;
  variant: Variant;
  origin: string;
  decision: unknown;
  child: ChildProcessWithoutNullStreams;
  lines: AsyncIterator<string>;
}

/** One measured column: a server, loaded with one repeated request or with varied ones. */
interface Subject {
  server: Server;
  name: string;
  varied: boolean;
}

interface Run {
  rps: number;
  cpu_us_per_request: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  errors: number;
  non2xx: number;
}

const round = (x: number, places = 2) => Math.round(x * 10 ** places) / 10 ** places;

async function startServer(framework: Framework, variant: Variant): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=portcullis-source',
      '--import',
      'tsx',
      `${repoRoot}benchmarks/http/server.ts`,
      framework,
      variant,
    ],
    { cwd: repoRoot },
  );
  child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error(`${framework}/${variant} exited before listening`);
  const { port, decision } = JSON.parse(first.value) as { port: number; decision: unknown };
  return { framework, variant, origin: `http://127.0.0.1:${port}`, decision, child, lines };
}

/** The server's CPU time so far (µs) and requests served, from its stdin/stdout protocol. */
async function serverCpu(s: Server): Promise<{ cpu_us: number; requests: number }> {
  s.child.stdin.write('cpu\n');
  const line = await s.lines.next();
  if (line.done) throw new Error(`${s.framework}/${s.variant} exited`);
  return JSON.parse(line.value) as { cpu_us: number; requests: number };
}

let sequence = 0;

async function measure(subject: Subject, seconds: number): Promise<Run> {
  const { server } = subject;
  const options = subject.varied
    ? {
        url: server.origin,
        connections: CONNECTIONS,
        duration: seconds,
        // A new n for every request: no two requests share a decision cache key.
        requests: [
          { method: 'GET', setupRequest: (r: object) => ({ ...r, path: `/customers/${sequence++}` }) },
        ],
      }
    : { url: `${server.origin}/customers`, connections: CONNECTIONS, duration: seconds };
  const before = await serverCpu(server);
  const result = await autocannon(options);
  const after = await serverCpu(server);
  return {
    rps: result.requests.average,
    cpu_us_per_request: (after.cpu_us - before.cpu_us) / Math.max(1, after.requests - before.requests),
    latency_p50_ms: result.latency.p50,
    latency_p99_ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

async function main(): Promise<void> {
  const loadAtStart = loadavg().map((x) => round(x));
  const servers: Server[] = [];
  for (const framework of FRAMEWORKS)
    for (const variant of VARIANTS) servers.push(await startServer(framework, variant));
  const subjects: Subject[] = servers.map((server) => ({ server, name: server.variant, varied: false }));
  for (const server of servers) {
    if (server.variant === 'unguarded' || server.variant === 'policy')
      subjects.push({ server, name: `${server.variant}-varied`, varied: true });
  }
  try {
    // Each answer is checked once before timing: guarded servers must really be guarded.
    for (const s of servers) {
      const res = await fetch(`${s.origin}/customers`);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${s.framework}/${s.variant} answered ${res.status}: ${text}`);
      if ((s.variant === 'masking') === text.includes('customer0@example.com')) {
        throw new Error(`${s.framework}/${s.variant}: masking is ${s.variant === 'masking' ? 'off' : 'on'}`);
      }
    }
    for (const s of subjects) await measure(s, WARMUP_SECONDS);
    const runs = new Map<Subject, Run[]>(subjects.map((s) => [s, []]));
    // Interleaved round by round, so drift in the machine's load spreads over every subject.
    for (let r = 0; r < RUNS; r++) {
      for (const s of subjects) {
        const run = await measure(s, SECONDS);
        runs.get(s)!.push(run);
        console.error(
          `round ${r + 1}/${RUNS} ${s.server.framework}/${s.name}: ${Math.round(run.rps)} req/s, ` +
            `${run.cpu_us_per_request.toFixed(1)} µs CPU/request`,
        );
      }
    }

    const results: Record<string, Record<string, unknown>> = {};
    for (const framework of FRAMEWORKS) {
      // Each subject is compared with the unguarded server under the same kind of load.
      const baseOf = (varied: boolean) => {
        const rs = runs.get(
          subjects.find(
            (s) =>
              s.server.framework === framework && s.server.variant === 'unguarded' && s.varied === varied,
          )!,
        )!;
        return { rps: median(rs.map((r) => r.rps)), cpu: median(rs.map((r) => r.cpu_us_per_request)) };
      };
      results[framework] = {};
      for (const s of subjects.filter((x) => x.server.framework === framework)) {
        const rs = runs.get(s)!;
        const rps = median(rs.map((r) => r.rps));
        const cpu = median(rs.map((r) => r.cpu_us_per_request));
        const base = baseOf(s.varied);
        results[framework]![s.name] = {
          rps_median: round(rps, 0),
          ratio_to_unguarded: round(rps / base.rps, 3),
          cpu_us_per_request_median: round(cpu, 1),
          cpu_ratio_to_unguarded: round(base.cpu / cpu, 3),
          latency_p50_ms_median: round(median(rs.map((r) => r.latency_p50_ms))),
          latency_p99_ms_median: round(median(rs.map((r) => r.latency_p99_ms))),
          errors: rs.reduce((n, r) => n + r.errors + r.non2xx, 0),
          runs: rs.map((r) => ({
            ...r,
            rps: round(r.rps, 0),
            cpu_us_per_request: round(r.cpu_us_per_request, 1),
          })),
          decision: s.server.decision,
        };
      }
    }

    const report = {
      benchmark:
        'HTTP middleware: express and fastify JSON endpoint, unguarded / shipped policy (decision cache on, off) / shipped policy with masking',
      date: new Date().toISOString(),
      quick,
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        memory_bytes: totalmem(),
        platform: `${platform()} ${release()}`,
        node: process.version,
        load_average_at_start: loadAtStart,
        load_average_at_end: loadavg().map((x) => round(x)),
      },
      method:
        `autocannon (programmatic API) against GET /customers (10 customers, ~1.4 KB of JSON), ${CONNECTIONS} connections, ` +
        `${RUNS} runs of ${SECONDS} s per subject after a ${WARMUP_SECONDS} s warm-up, interleaved round by round; ` +
        'each server in its own Node process, autocannon in the parent. policy: the middleware with rego/ (without _test.rego) ' +
        "compiled to wasm, subject a human (allowed, no masks), with the adapters' decision cache on (default: 10000 entries, 5 s TTL); " +
        'policy-uncached: the same with decisionCache: false, so every request is evaluated. masking: the same, subject an agent (the shipped policy masks ' +
        'e-mails, phones and cards by JSONPath and detector). unguarded-varied / policy-varied: the unguarded and policy servers ' +
        'loaded with GET /customers/<n>, n new for every request (autocannon setupRequest), so the decision cache never hits. ' +
        'Reported: median over runs of requests/s (autocannon average per run) and of p50/p99 latency; ratio to the unguarded ' +
        'median of the same framework under the same load (same or varied); the server process CPU time (process.cpuUsage) per ' +
        'request served, and the unguarded CPU per request divided by it (cpu_ratio_to_unguarded).',
      results,
    };
    console.log(JSON.stringify(report, null, 2));
    if (!quick) {
      mkdirSync(`${repoRoot}benchmarks/http/results`, { recursive: true });
      const out = `${repoRoot}benchmarks/http/results/http-${report.date.slice(0, 10)}.json`;
      writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
      console.error(`wrote ${out}`);
    }
  } finally {
    for (const s of servers) s.child.stdin.end();
  }
}

await main();
