/**
 * Catalog connections (see catalog-client.ts) that ended sessions leave behind, kept for the
 * next session that starts with the same startup parameters. Opening one costs a server
 * backend, a login and the backend's first catalog reads, and the first result a session
 * reads waits for all of that; a client that connects per task paid it on every connection.
 *
 * A session still holds its catalog connection for as long as it lives, as it did, so no
 * session's lookup ever queues behind another's (a lookup can wait on its own session's
 * locks up to `catalogTimeoutMs`). Only the proxy's own queries run there, in autocommit, so
 * nothing a session did stays on the connection for the next: describing a client's
 * statement uses the unnamed statement, which the next Parse replaces. A connection goes back
 * only in step (its last exchange read to a ReadyForQuery with no transaction open) and is
 * closed after `idleMs` unused, or when the server closes it.
 */

import type { Socket } from 'node:net';
import { writeTerminate } from '../protocol/frontend-writers.js';
import { MessageWriter } from '../protocol/message-writer.js';
import type { FrameSource } from './frame-source.js';
import { IdleConnections, type IdleOptions, startupKey } from './idle-connections.js';

export interface CatalogConnection {
  socket: Socket;
  source: FrameSource;
  processId: number;
  secretKey: number;
  /** Taken from the pool and not yet used since: a failure may be the server's idle close. */
  reused?: boolean;
  /** Out of step (its socket failed, or a reply ended otherwise than idle): never pooled. */
  broken?: boolean;
}

export type CatalogPoolOptions = IdleOptions;

export const DEFAULT_CATALOG_POOL: CatalogPoolOptions = { maxIdle: 8, idleMs: 30_000 };

/** Send Terminate and close: the server ends the backend at once rather than on a reset. */
export function terminateCatalogConnection({ socket, source }: CatalogConnection): void {
  source.detach();
  if (socket.destroyed) return;
  // The listeners went with the source; an error while closing has nobody else to hear it.
  socket.on('error', () => {});
  const w = new MessageWriter(8);
  writeTerminate(w);
  socket.end(w.flush());
}

export class CatalogPool {
  readonly #idle: IdleConnections<CatalogConnection>;

  constructor(options: CatalogPoolOptions = DEFAULT_CATALOG_POOL) {
    this.#idle = new IdleConnections(options, terminateCatalogConnection);
  }

  /** An idle connection opened with these startup parameters, if one is kept. */
  take(parameters: Readonly<Record<string, string>>): CatalogConnection | undefined {
    const connection = this.#idle.take(startupKey(parameters));
    if (connection) connection.reused = true;
    return connection;
  }

  /** A session is done with `connection`: keep it for the next, or close it. */
  give(parameters: Readonly<Record<string, string>>, connection: CatalogConnection): void {
    if (connection.broken || !this.#idle.keep(startupKey(parameters), connection))
      terminateCatalogConnection(connection);
  }

  get idle(): number {
    return this.#idle.size;
  }

  /** Close every idle connection; connections given back later are closed too. */
  close(): void {
    this.#idle.close();
  }
}
