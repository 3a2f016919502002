/**
 * The floor a Node relay costs with the proxy's own socket I/O: a `net.Server` that copies
 * every client connection to PostgreSQL and back through `directSocket`
 * (adapters/pg/src/proxy/direct-socket.ts: reads into a reused buffer on the libuv handle,
 * writes with `writeBuffer`), with no framing, no policy and no masking. Beside node-relay.ts
 * (`socket.pipe`), it shows what the stream machinery costs and what is left of a Node relay
 * without it.
 *
 *   PG_HOST=127.0.0.1 PG_PORT=5432 node --import tsx benchmarks/pg/node-handle-relay.ts
 *
 * Prints `{"port":N}` on stdout once listening.
 */

import { type DirectSocket, directSocket } from '../../adapters/pg/src/proxy/direct-socket.js';
import { serveRelay } from './serve-relay.js';

/** Bytes queued toward one side before reading from the other stops, as in the proxy. */
const BACKLOG = 256 * 1024;

/** Copy `from`'s reads to `to`; the read buffer is kept by a write that could not finish. */
function relay(from: DirectSocket, to: DirectSocket): void {
  from.takeReads((chunk) => {
    if (to.write(chunk)) return false;
    if (to.queuedBytes >= BACKLOG) {
      from.pause();
      to.onDrain = () => from.resume();
    }
    return true;
  });
}

serveRelay((client, upstream, close) => {
  const c = directSocket(client);
  const u = directSocket(upstream);
  if (!c || !u) {
    process.stderr.write('direct socket I/O is not available on this runtime\n');
    close();
    return;
  }
  relay(c, u);
  relay(u, c);
});
