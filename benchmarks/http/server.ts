/**
 * One server of the HTTP benchmark, in its own process so that autocannon (in the parent)
 * and the server do not share an event loop:
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/http/server.ts <express|fastify> <unguarded|policy|masking>
 *
 * `policy-uncached` is `policy` with the adapters' decision cache turned off
 * (`decisionCache: false`), so every request is decided by the compiled policy.
 *
 * Prints `{"port":…, "decision":…}` on stdout once listening, and exits when stdin closes.
 */
import type { AddressInfo } from 'node:net';
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
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  } else {
    const app = Fastify();
    if (engine)
      await app.register(portcullisFastify, { engine, resource, subject: () => subject, ...decisionCache });
    app.get('/customers', async () => PAYLOAD);
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
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
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

await main();
