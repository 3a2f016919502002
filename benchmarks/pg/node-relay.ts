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

import { serveRelay } from './serve-relay.js';

// Not from ../support/bench-evaluator.js: that module loads the Rego toolchain, which a
// bare relay should not carry in its heap.
serveRelay((client, upstream) => {
  client.pipe(upstream);
  upstream.pipe(client);
});
