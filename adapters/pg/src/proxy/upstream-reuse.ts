/**
 * Upstream connections that ended sessions leave behind, reset and kept for the next session
 * with the same startup parameters (`upstream.reuse`, off by default). A client that connects
 * per task (an agent's tool call, `pgbench -C`) otherwise waits for a new server backend and
 * its login every time: on this repository's benchmark machine that was about 20 ms of each
 * connection, where pgbouncer, which keeps backends logged in, answers in one.
 *
 * A connection is offered back only by a session that ended politely (Terminate) with nothing
 * under way: outside a transaction block, no response owed, no COPY, nothing held, nothing
 * queued either way, the native lane stopped. It is then reset with `DISCARD ALL`, as
 * pgbouncer's `server_reset_query` does: temporary tables, prepared statements, cursors,
 * `LISTEN`s, advisory locks, session settings (`SET`, `SET ROLE`, `SET SESSION
 * AUTHORIZATION`) and cached plans go. What `DISCARD ALL` does not reset stays for the next
 * session: a dblink connection kept by name, a procedural language's session globals. That is
 * why reuse is off unless asked for. A reset that fails, answers from inside a transaction or
 * does not answer within `resetTimeoutMs` closes the connection instead. Anything the server
 * says while a connection is kept (a NOTICE, a FATAL before it closes the backend) closes it
 * too: nothing of one session's backend reaches the next session's client.
 * https://www.postgresql.org/docs/current/sql-discard.html
 */

import { readParameterStatus, readReadyForQuery } from '../protocol/backend-messages.js';
import { writeQuery, writeTerminate } from '../protocol/frontend-writers.js';
import { BackendCode } from '../protocol/message-codes.js';
import { type Frame, MessageFramer } from '../protocol/message-framer.js';
import { MessageWriter } from '../protocol/message-writer.js';
import { catalogPoolKey } from '../upstream/catalog-pool.js';
import type { UpstreamConnection } from '../upstream/connect-upstream.js';
import type { DirectSocket } from './direct-socket.js';

export interface UpstreamReuseOptions {
  /** Connections kept (over all startup parameters). */
  maxIdle: number;
  /** How long a kept connection may wait for a session. */
  idleMs: number;
  /** How long `DISCARD ALL` may take. */
  resetTimeoutMs: number;
  maxMessageSize: number;
}

export const DEFAULT_UPSTREAM_REUSE = { maxIdle: 8, idleMs: 30_000, resetTimeoutMs: 5_000 } as const;

/** ReadyForQuery's status outside a transaction block. */
const TRANSACTION_IDLE = 0x49;

interface Kept {
  key: string;
  connection: UpstreamConnection;
  io: DirectSocket | undefined;
  /** Closes the connection and drops the entry. */
  end(): void;
  /** Drops the pool's timer and listeners, leaving the connection open for a session. */
  detach(): void;
}

/** An upstream connection ready for a session, and its direct I/O if it had one. */
export interface ReusedUpstream {
  connection: UpstreamConnection;
  io: DirectSocket | undefined;
}

export class UpstreamReuse {
  readonly #kept: Kept[] = [];
  /** Connections being reset, so that close() can end them too. */
  readonly #resetting = new Set<() => void>();
  #closed = false;
  #handedOn = 0;

  constructor(private readonly options: UpstreamReuseOptions) {}

  /**
   * An ended session's connection, with nothing under way on it (see the module comment):
   * reset it and keep it, or close it. `connection.reads` must be there (a plain or Unix
   * socket): the reads go to whoever holds the connection by swapping their consumer.
   */
  release(
    parameters: Readonly<Record<string, string>>,
    connection: UpstreamConnection,
    io: DirectSocket | undefined,
  ): void {
    const { socket, reads } = connection;
    if (this.#closed || this.options.maxIdle <= 0 || !reads || socket.destroyed) {
      terminate(connection);
      return;
    }
    const key = catalogPoolKey(parameters);
    const framer = new MessageFramer({ maxMessageSize: this.options.maxMessageSize });
    const current = new Map(connection.parameters);
    let failed = false;
    let entry: Kept | undefined;
    let timer: NodeJS.Timeout | undefined;
    /** A session took it, or it was closed: nothing here touches it again. */
    let taken = false;
    let ended = false;
    const detach = (): void => {
      clearTimeout(timer);
      socket.off('close', end);
      socket.off('error', end);
      this.#resetting.delete(end);
    };
    const end = (): void => {
      if (taken || ended) return;
      ended = true;
      detach();
      if (entry) {
        const i = this.#kept.indexOf(entry);
        if (i >= 0) this.#kept.splice(i, 1);
        entry = undefined;
      }
      terminate(connection);
    };
    const onFrame = (frame: Frame): void => {
      if (ended) return;
      if (entry) {
        // The server spoke to a connection nobody holds: not one to hand to a session.
        end();
        return;
      }
      if (frame.type === BackendCode.ParameterStatus) {
        const { name, value } = readParameterStatus(frame.body);
        current.set(name, value);
      } else if (frame.type === BackendCode.ErrorResponse) failed = true;
      else if (frame.type === BackendCode.ReadyForQuery) {
        if (failed || readReadyForQuery(frame.body).status !== TRANSACTION_IDLE) end();
        else keep();
      }
    };
    const consume = (chunk: Buffer): boolean => {
      try {
        framer.push(chunk);
        for (let f = framer.next(); f; f = framer.next()) onFrame(f);
        framer.ownRest();
      } catch {
        end();
      }
      return false;
    };
    const keep = (): void => {
      clearTimeout(timer);
      this.#resetting.delete(end);
      if (framer.buffered > 0) {
        end();
        return;
      }
      if (this.#kept.length >= this.options.maxIdle) this.#kept[0]?.end();
      const kept: Kept = {
        key,
        connection: { ...connection, parameters: [...current] },
        io,
        end,
        detach() {
          taken = true;
          detach();
        },
      };
      entry = kept;
      this.#kept.push(kept);
      timer = setTimeout(end, this.options.idleMs).unref();
    };
    socket.on('close', end);
    socket.on('error', end);
    this.#resetting.add(end);
    timer = setTimeout(end, this.options.resetTimeoutMs).unref();
    if (io) io.takeReads(consume);
    else reads.consume(consume);
    const w = new MessageWriter(32);
    writeQuery(w, 'DISCARD ALL');
    const reset = w.flush();
    if (io) {
      io.resume();
      io.write(reset);
    } else {
      socket.resume();
      socket.write(reset);
    }
  }

  /** A kept connection opened with these startup parameters, taken out of the pool. */
  take(parameters: Readonly<Record<string, string>>): ReusedUpstream | undefined {
    const key = catalogPoolKey(parameters);
    for (let i = this.#kept.length - 1; i >= 0; i--) {
      const kept = this.#kept[i] as Kept;
      if (kept.key !== key) continue;
      this.#kept.splice(i, 1);
      const { connection, io } = kept;
      if (connection.socket.destroyed) {
        kept.end();
        continue;
      }
      // Its listeners and timer go; the socket stays open for the session.
      kept.detach();
      this.#handedOn++;
      return {
        connection: {
          ...connection,
          framer: new MessageFramer({ maxMessageSize: this.options.maxMessageSize }),
          pending: [],
          status: TRANSACTION_IDLE,
        },
        io,
      };
    }
    return undefined;
  }

  get idle(): number {
    return this.#kept.length;
  }

  /** Connections a session took from the pool, since it started. */
  get handedOn(): number {
    return this.#handedOn;
  }

  /** Close every kept connection and every reset under way; later releases close theirs. */
  close(): void {
    this.#closed = true;
    for (const end of [...this.#resetting]) end();
    for (const kept of [...this.#kept]) kept.end();
  }
}

function terminate({ socket }: UpstreamConnection): void {
  if (socket.destroyed) return;
  socket.on('error', () => {});
  const w = new MessageWriter(8);
  writeTerminate(w);
  socket.end(w.flush());
}
