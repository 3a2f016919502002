/**
 * The Portcullis SSH proxy as the benchmark runs it: its own process (so the proxy does not
 * share the orchestrator's event loop, which times keystrokes), the shipped policy library
 * compiled to wasm, every client authenticated as a human.
 *
 *   UPSTREAM_PORT=… UPSTREAM_KEY=path UPSTREAM_FINGERPRINT=SHA256:… HOST_KEY=path USER_FINGERPRINT=SHA256:… \
 *     node --conditions=portcullis-source --import tsx benchmarks/ssh/proxy-server.ts
 *
 * Prints `{"port":N}` on stdout once listening. POLICY=function uses an allow-all function
 * evaluator instead of Rego (the floor the proxy itself costs).
 */

import { readFileSync } from 'node:fs';
import { createEngine } from '@portcullis/core';
import { createSshProxy } from '@portcullis/ssh';
import { benchEvaluator, requiredEnv } from '../support/bench-evaluator.js';

const engine = createEngine({ evaluator: await benchEvaluator() });
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
});
const { port } = await proxy.listen(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port })}\n`);

const stop = async () => {
  await proxy.close();
  await engine.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
