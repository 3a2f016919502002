/**
 * One server of the HTTP benchmark, in its own process so that autocannon (in the parent)
 * and the server do not share an event loop:
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/http/server.ts <express|fastify> <unguarded|policy|masking>
 *
 * `policy-uncached` is `policy` with the adapters' decision cache turned off
 * (`decisionCache: false`), so every request is decided by the compiled policy.
 *
 * `GET /customers/<n>` answers the same document for any n: the `varied` load sends a
 * different n with every request, so no two requests share a decision cache key.
 *
 * Prints `{"port":…, "decision":…}` on stdout once listening. Each `cpu` line on stdin is
 * answered with `{"cpu_us":…, "requests":…}` (process.cpuUsage user + system, and requests
 * served so far), so the parent can compute CPU time per request, which survives a noisy
 * machine better than requests/s. Exits when stdin closes.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createEngine, type Engine, type PolicyRequest } from '@portcullis/core';
import { portcullisExpress, portcullisFastify } from '@portcullis/http';
import { createRegoEvaluator, loadFiles } from '@portcullis/rego';
import express from 'express';
import Fastify from 'fastify';

const [framework, variant] = process.argv.slice(2) as [
  'express' | 'fastify',
  'unguarded' | 'policy' | 'policy-uncached' | 'masking',
];
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A small customer list, the kind of JSON an API returns and an agent reads. */
const PAYLOAD = {
  customers: Array.from({ length: 10 }, (_, i) => ({
    id: i,
    name: `Customer ${i}`,
    email: `customer${i}@example.com`,
    phone: '+1 415 555 0100',
    card: '4111 1111 1111 1111',
    city: 'Paris',
  })),
};

// The shipped policy masks for agents only: a human is allowed unmasked, an agent masked.
const subject: PolicyRequest['subject'] =
  variant === 'masking' ? { id: 'agent-7', kind: 'agent' } : { id: 'alice@example.com', kind: 'human' };
const resource = { name: 'customers-api', labels: { env: 'prod' } };

async function loadEngine(): Promise<Engine> {
  const files = await loadFiles([`${repoRoot}rego`]);
  const evaluator = await createRegoEvaluator({
    policy: files.sources.filter((s) => !s.file.endsWith('_test.rego')),
    entrypoint: 'portcullis/decision',
    data: files.data,
  });
  return createEngine({ evaluator });
}

async function main(): Promise<void> {
  const engine = variant === 'unguarded' ? undefined : await loadEngine();
  const decisionCache = variant === 'policy-uncached' ? { decisionCache: false as const } : {};
  let port: number;
  if (framework === 'express') {
    const app = express();
    if (engine) app.use(portcullisExpress({ engine, resource, subject: () => subject, ...decisionCache }));
    app.get('/customers', (_req, res) => {
      res.json(PAYLOAD);
    });
    app.get('/customers/:n', (_req, res) => {
      res.json(PAYLOAD);
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
    countRequests(server);
  } else {
    const app = Fastify();
    if (engine)
      await app.register(portcullisFastify, { engine, resource, subject: () => subject, ...decisionCache });
    app.get('/customers', async () => PAYLOAD);
    app.get('/customers/:n', async () => PAYLOAD);
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
    countRequests(app.server);
  }
  const decision = engine
    ? (
        await engine.decide({
          subject,
          resource: { type: 'http', ...resource },
          http: { method: 'GET', url: `http://127.0.0.1:${port}/customers`, headers: {} },
        })
      ).decision
    : null;
  process.stdout.write(`${JSON.stringify({ port, decision })}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() !== 'cpu') return;
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpu_us: user + system, requests })}\n`);
  });
  lines.on('close', () => process.exit(0));
}

let requests = 0;
function countRequests(server: Server): void {
  server.on('request', () => {
    requests++;
  });
}

await main();
