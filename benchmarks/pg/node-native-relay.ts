/**
 * A relay whose data path is C inside Node's own event loop (native-relay/relay.c: uv_poll
 * on the two sockets, read and write in C, no JavaScript per message). Node accepts the client
 * and connects upstream as in the other relays (serve-relay.ts); then the bytes never reach
 * JavaScript. Beside node-handle-relay.ts it separates what Node's process and loop cost from
 * what JavaScript per read and write costs.
 *
 * Built at start with the system C compiler against Node's headers (no node-gyp, no
 * network): `NATIVE_RELAY_CC` (default `cc`), headers from `NODE_INCLUDE` or next to the
 * running node (`<prefix>/include/node`).
 *
 *   PG_HOST=127.0.0.1 PG_PORT=5432 node --import tsx benchmarks/pg/node-native-relay.ts
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveRelay } from './serve-relay.js';

function build(): string {
  const include = process.env.NODE_INCLUDE ?? join(dirname(dirname(process.execPath)), 'include', 'node');
  if (!existsSync(join(include, 'node_api.h')))
    throw new Error(`no node_api.h in ${include}: set NODE_INCLUDE to Node's header directory`);
  const source = join(dirname(fileURLToPath(import.meta.url)), 'native-relay', 'relay.c');
  const out = join(mkdtempSync(join(os.tmpdir(), 'portcullis-native-relay-')), 'relay.node');
  execFileSync(
    process.env.NATIVE_RELAY_CC ?? 'cc',
    ['-O2', '-shared', '-fPIC', `-I${include}`, source, '-o', out],
    {
      stdio: 'inherit',
    },
  );
  return out;
}

const native = createRequire(import.meta.url)(build()) as {
  relay(a: number, b: number, onClose: () => void): void;
};

/** The descriptor of a connected TCP or Unix-domain socket (Node keeps it on its handle). */
function fdOf(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the socket has no descriptor on this platform');
  return fd;
}

serveRelay((client, upstream, close) => {
  // Node must not read either socket: the client was accepted paused, the upstream is
  // paused before its first read.
  upstream.pause();
  native.relay(fdOf(client), fdOf(upstream), close);
});
