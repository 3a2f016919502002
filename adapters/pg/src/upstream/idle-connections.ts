/**
 * Server connections kept open with nobody on them, for whoever asks next with the same key
 * (a session's startup parameters): the catalog pool's and `upstream.reuse`'s. The most
 * recently kept goes first; at most `maxIdle` are kept (the oldest goes), each for `idleMs`;
 * one whose socket closes or fails meanwhile goes at once. Whatever goes is handed to `drop`,
 * which closes it.
 */

import type { Socket } from 'node:net';

export interface IdleOptions {
  /** Connections kept (over all keys); 0 keeps none. */
  maxIdle: number;
  /** How long a connection is kept unused. */
  idleMs: number;
}

interface Entry<T> {
  key: string;
  connection: T;
  timer: NodeJS.Timeout;
  /** Listens for the socket's close and error while it is kept. */
  gone: () => void;
}

/** Keys made, by startup parameters object (asked for at each take and keep). */
const keys = new WeakMap<Readonly<Record<string, string>>, string>();

/** The key of a session's startup parameters (an object not changed after): equal parameters, equal key. */
export function startupKey(parameters: Readonly<Record<string, string>>): string {
  let key = keys.get(parameters);
  if (key === undefined) {
    key = JSON.stringify(Object.entries(parameters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    keys.set(parameters, key);
  }
  return key;
}

export class IdleConnections<T extends { readonly socket: Socket }> {
  /** Most recently kept last. */
  readonly #idle: Entry<T>[] = [];
  #closed = false;

  constructor(
    private readonly options: IdleOptions,
    private readonly drop: (connection: T) => void,
  ) {}

  /** Keep `connection` under `key`; false when it cannot be (closed, maxIdle 0, socket gone): the caller closes it. */
  keep(key: string, connection: T): boolean {
    if (this.#closed || this.options.maxIdle <= 0 || connection.socket.destroyed) return false;
    if (this.#idle.length >= this.options.maxIdle) this.#end(this.#idle[0] as Entry<T>);
    const entry: Entry<T> = {
      key,
      connection,
      timer: setTimeout(() => this.#end(entry), this.options.idleMs).unref(),
      gone: () => this.#end(entry),
    };
    connection.socket.once('close', entry.gone);
    connection.socket.on('error', entry.gone);
    this.#idle.push(entry);
    return true;
  }

  /** The most recently kept connection under `key`, no longer kept, if there is one. */
  take(key: string): T | undefined {
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      const entry = this.#idle[i] as Entry<T>;
      if (entry.key !== key) continue;
      this.#forget(entry);
      if (!entry.connection.socket.destroyed) return entry.connection;
      this.drop(entry.connection);
    }
    return undefined;
  }

  /** Drop `connection` if it is kept (the server spoke to it, say). */
  remove(connection: T): void {
    const entry = this.#idle.find((e) => e.connection === connection);
    if (entry) this.#end(entry);
  }

  get size(): number {
    return this.#idle.length;
  }

  /** Drop every kept connection; none is kept from now on. */
  close(): void {
    this.#closed = true;
    for (const entry of [...this.#idle]) this.#end(entry);
  }

  #end(entry: Entry<T>): void {
    if (!this.#forget(entry)) return;
    this.drop(entry.connection);
  }

  /** Stop keeping `entry`: its timer and listeners go. False when it was not kept. */
  #forget(entry: Entry<T>): boolean {
    const i = this.#idle.indexOf(entry);
    if (i < 0) return false;
    this.#idle.splice(i, 1);
    clearTimeout(entry.timer);
    entry.connection.socket.off('close', entry.gone);
    entry.connection.socket.off('error', entry.gone);
    return true;
  }
}
