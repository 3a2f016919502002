/**
 * The floor any Node relay costs: a `net.Server` that pipes every client connection to
 * PostgreSQL and back, byte for byte, with no framing, no policy and no masking. The
 * benchmark runs it in its own process beside the Portcullis proxy, so their CPU per
 * transaction can be compared.
 *
 *   PG_HOST=127.0.0.1 PG_PORT=5432 node benchmarks/pg/node-relay.ts
 *
 * Prints `{"port":N}` on stdout once listening.
 */

import { connect, createServer } from 'node:net';

// Not from ../support/bench-evaluator.js: that module loads the Rego toolchain, which a
// bare relay should not carry in its heap.
const host = process.env.PG_HOST ?? '127.0.0.1';
const port = Number(process.env.PG_PORT);
if (!Number.isInteger(port)) throw new Error('PG_PORT is required');

const server = createServer((client) => {
  const upstream = connect({ host, port });
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
});
server.listen(Number(process.env.PROXY_PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object')
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});

const stop = () => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
