import { connect, createServer, type Socket } from 'node:net';

/**
 * What the bare relays (node-relay.ts, node-handle-relay.ts) share: for each client, a
 * connection to PG_HOST:PG_PORT (PG_HOST a directory: the Unix-domain socket in it), both closed when either ends or fails; `relay` is handed the
 * pair once the upstream is connected. Listens on PROXY_PORT (or any port) on loopback and
 * prints `{"port":N}` when ready; exits on SIGTERM or SIGINT.
 */
export function serveRelay(relay: (client: Socket, upstream: Socket, close: () => void) => void): void {
  const host = process.env.PG_HOST ?? '127.0.0.1';
  const port = Number(process.env.PG_PORT);
  if (!Number.isInteger(port)) throw new Error('PG_PORT is required');
  const server = createServer({ pauseOnConnect: true }, (client) => {
    // A directory is the server's Unix-domain socket, as libpq and the proxy read it.
    const upstream = host.startsWith('/')
      ? connect({ path: `${host}/.s.PGSQL.${port}` })
      : connect({ host, port });
    client.setNoDelay(true);
    if (!host.startsWith('/')) upstream.setNoDelay(true);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', close);
      s.on('close', close);
    }
    upstream.once('connect', () => relay(client, upstream, close));
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
}
