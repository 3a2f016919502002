/**
 * The guarded request's parts on their own, without the network or a framework: a decision
 * cache hit (key and lookup, what a repeated request costs the middleware), HTTP fact
 * extraction, and a whole uncached `engine.decide` with the shipped policy. CPU time
 * (process.cpuUsage) per operation, the median of three interleaved rounds: on a shared
 * machine it moves far less than requests/s do.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/http/overhead.ts [iterations]
 */
import { fileURLToPath } from 'node:url';
import {
  createEngine,
  type Engine,
  extractHttpFacts,
  type PolicyRequest,
  RequestDecisionCache,
} from '@portcullis/core';
import { createRegoEvaluator, loadFiles } from '@portcullis/rego';

const N = Number(process.argv[2] ?? 20_000);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const human: PolicyRequest['subject'] = { id: 'alice@example.com', kind: 'human' };
const resource = { name: 'customers-api', labels: { env: 'prod' } };
// What autocannon sends.
const HEADERS = { host: '127.0.0.1:3000', connection: 'keep-alive', 'user-agent': 'autocannon' };

async function loadEngine(): Promise<Engine> {
  const files = await loadFiles([`${repoRoot}rego`]);
  const evaluator = await createRegoEvaluator({
    policy: files.sources.filter((s) => !s.file.endsWith('_test.rego')),
    entrypoint: 'portcullis/decision',
    data: files.data,
  });
  return createEngine({ evaluator });
}

/** CPU microseconds per call of `op`, after a warm-up of a fifth as many. */
async function perOp(op: (i: number) => unknown, n: number): Promise<number> {
  for (let i = 0; i < n / 5; i++) await op(i);
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await op(i);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

async function main(): Promise<void> {
  const engine = await loadEngine();
  const cache = new RequestDecisionCache(engine, { maxEntries: 10_000, ttlMs: 60_000 });
  const request = { method: 'GET', url: '/customers/17?page=2', headers: HEADERS };
  const policyRequest: PolicyRequest = {
    subject: human,
    resource: { type: 'http', ...resource },
    session: { id: 'http:alice@example.com', source: '127.0.0.1' },
    http: request,
  };
  const parts = {
    subject: human,
    sessionId: 'http:alice@example.com',
    source: '127.0.0.1',
    method: request.method,
    url: request.url,
    headers: HEADERS,
    body: undefined,
    approvals: [],
  };
  const now = Date.now();
  cache.set(cache.key(parts, now)!, await engine.decide(policyRequest), now, engine.generation);
  const subjects: [string, (i: number) => unknown, number][] = [
    ['decision cache hit (key + peek)', () => cache.peek(cache.key(parts, now)!, now), N],
    ['extractHttpFacts', () => extractHttpFacts(request), N],
    ['engine.decide, shipped policy (uncached)', () => engine.decide(policyRequest), N / 4],
  ];
  const seen = new Map<string, number[]>(subjects.map(([name]) => [name, []]));
  // Interleaved, so drift in the machine's load touches every subject alike; medians reported.
  for (let round = 0; round < 3; round++)
    for (const [name, op, n] of subjects) seen.get(name)!.push(await perOp(op, n));
  for (const [name, runs] of seen) {
    const sorted = [...runs].sort((a, b) => a - b);
    console.log(
      `${name.padEnd(44)} ${sorted[1]!.toFixed(1).padStart(7)} µs CPU/op  (runs ${runs.map((r) => r.toFixed(1)).join(', ')})`,
    );
  }
  await engine.close();
}

await main();
