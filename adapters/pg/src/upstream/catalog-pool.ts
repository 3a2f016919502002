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

export interface CatalogPoolOptions {
  /** Idle connections kept (over all startup parameters); 0 keeps none. */
  maxIdle: number;
  /** How long an idle connection is kept. */
  idleMs: number;
}

export const DEFAULT_CATALOG_POOL: CatalogPoolOptions = { maxIdle: 8, idleMs: 30_000 };

interface Idle {
  key: string;
  connection: CatalogConnection;
  timer: NodeJS.Timeout;
  onClose: () => void;
}

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

/** Keys made, by the session's startup parameters object (asked for at each take and give). */
const keys = new WeakMap<Readonly<Record<string, string>>, string>();

/** The pool's key of a session's startup parameters (an object not changed after): equal parameters, equal key. */
export function catalogPoolKey(parameters: Readonly<Record<string, string>>): string {
  let key = keys.get(parameters);
  if (key === undefined) {
    key = JSON.stringify(Object.entries(parameters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    keys.set(parameters, key);
  }
  return key;
}

export class CatalogPool {
  /** Most recently returned last. */
  readonly #idle: Idle[] = [];
  #closed = false;

  constructor(private readonly options: CatalogPoolOptions = DEFAULT_CATALOG_POOL) {}

  /** An idle connection opened with these startup parameters, if one is kept. */
  take(parameters: Readonly<Record<string, string>>): CatalogConnection | undefined {
    const key = catalogPoolKey(parameters);
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      const idle = this.#idle[i] as Idle;
      if (idle.key !== key) continue;
      this.#forget(i);
      idle.connection.reused = true;
      return idle.connection;
    }
    return undefined;
  }

  /** A session is done with `connection`: keep it for the next, or close it. */
  give(parameters: Readonly<Record<string, string>>, connection: CatalogConnection): void {
    if (this.#closed || connection.broken || connection.socket.destroyed || this.options.maxIdle <= 0) {
      terminateCatalogConnection(connection);
      return;
    }
    if (this.#idle.length >= this.options.maxIdle) {
      const oldest = this.#idle[0] as Idle;
      this.#forget(0);
      terminateCatalogConnection(oldest.connection);
    }
    const idle: Idle = {
      key: catalogPoolKey(parameters),
      connection,
      timer: setTimeout(() => this.#drop(idle), this.options.idleMs).unref(),
      onClose: () => this.#drop(idle),
    };
    connection.socket.once('close', idle.onClose);
    this.#idle.push(idle);
  }

  get idle(): number {
    return this.#idle.length;
  }

  /** Close every idle connection; connections given back later are closed too. */
  close(): void {
    this.#closed = true;
    for (const idle of this.#idle.splice(0)) {
      clearTimeout(idle.timer);
      idle.connection.socket.off('close', idle.onClose);
      terminateCatalogConnection(idle.connection);
    }
  }

  #drop(idle: Idle): void {
    const i = this.#idle.indexOf(idle);
    if (i < 0) return;
    this.#forget(i);
    terminateCatalogConnection(idle.connection);
  }

  #forget(i: number): void {
    const [idle] = this.#idle.splice(i, 1);
    if (!idle) return;
    clearTimeout(idle.timer);
    idle.connection.socket.off('close', idle.onClose);
  }
}
