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

import type { Socket } from 'node:net';
import { readParameterStatus, readReadyForQuery } from '../protocol/backend-messages.js';
import { writeQuery, writeTerminate } from '../protocol/frontend-writers.js';
import { BackendCode } from '../protocol/message-codes.js';
import { type Frame, MessageFramer } from '../protocol/message-framer.js';
import { MessageWriter } from '../protocol/message-writer.js';
import type { UpstreamConnection } from '../upstream/connect-upstream.js';
import { IdleConnections, type IdleOptions, startupKey } from '../upstream/idle-connections.js';
import type { DirectSocket } from './direct-socket.js';

export interface UpstreamReuseOptions extends IdleOptions {
  /** How long `DISCARD ALL` may take. */
  resetTimeoutMs: number;
  maxMessageSize: number;
}

export const DEFAULT_UPSTREAM_REUSE = { maxIdle: 8, idleMs: 30_000, resetTimeoutMs: 5_000 } as const;

/** ReadyForQuery's status outside a transaction block. */
const TRANSACTION_IDLE = 0x49;

/** An upstream connection ready for a session, and its direct I/O if it had one. */
export interface ReusedUpstream {
  connection: UpstreamConnection;
  io: DirectSocket | undefined;
}

interface Kept extends ReusedUpstream {
  readonly socket: Socket;
  /** A session took it: the reset's reader must not act on it again. */
  taken(): void;
}

export class UpstreamReuse {
  readonly #kept: IdleConnections<Kept>;
  /** Resets under way, by what ends each, so that close() can end them too. */
  readonly #resetting = new Set<() => void>();
  #closed = false;
  #handedOn = 0;

  constructor(private readonly options: UpstreamReuseOptions) {
    this.#kept = new IdleConnections(options, (kept) => terminate(kept.connection));
  }

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
    const framer = new MessageFramer({ maxMessageSize: this.options.maxMessageSize });
    const current = new Map(connection.parameters);
    let state: 'resetting' | 'kept' | 'over' = 'resetting';
    let failed = false;
    let timer: NodeJS.Timeout | undefined;
    const kept: Kept = {
      socket,
      connection,
      io,
      taken: () => {
        state = 'over';
      },
    };
    const stopResetting = (): void => {
      clearTimeout(timer);
      socket.off('close', fail);
      socket.off('error', fail);
      this.#resetting.delete(fail);
    };
    const fail = (): void => {
      if (state !== 'resetting') return;
      state = 'over';
      stopResetting();
      terminate(connection);
    };
    const keep = (): void => {
      stopResetting();
      state = 'kept';
      kept.connection = { ...connection, parameters: [...current] };
      if (framer.buffered > 0 || !this.#kept.keep(startupKey(parameters), kept)) {
        state = 'over';
        terminate(connection);
      }
    };
    const onFrame = (frame: Frame): void => {
      if (state === 'kept') {
        // The server spoke to a connection nobody holds: not one to hand to a session.
        state = 'over';
        this.#kept.remove(kept);
        return;
      }
      if (state === 'over') return;
      if (frame.type === BackendCode.ParameterStatus) {
        const { name, value } = readParameterStatus(frame.body);
        current.set(name, value);
      } else if (frame.type === BackendCode.ErrorResponse) failed = true;
      else if (frame.type === BackendCode.ReadyForQuery) {
        if (failed || readReadyForQuery(frame.body).status !== TRANSACTION_IDLE) fail();
        else keep();
      }
    };
    const consume = (chunk: Buffer): boolean => {
      try {
        framer.push(chunk);
        for (let f = framer.next(); f; f = framer.next()) onFrame(f);
        framer.ownRest();
      } catch {
        if (state !== 'kept') fail();
        else {
          state = 'over';
          this.#kept.remove(kept);
        }
      }
      return false;
    };
    socket.on('close', fail);
    socket.on('error', fail);
    this.#resetting.add(fail);
    timer = setTimeout(fail, this.options.resetTimeoutMs).unref();
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
    const kept = this.#kept.take(startupKey(parameters));
    if (!kept) return undefined;
    kept.taken();
    this.#handedOn++;
    return {
      connection: {
        ...kept.connection,
        framer: new MessageFramer({ maxMessageSize: this.options.maxMessageSize }),
        pending: [],
        status: TRANSACTION_IDLE,
      },
      io: kept.io,
    };
  }

  get idle(): number {
    return this.#kept.size;
  }

  /** Connections a session took from the pool, since it started. */
  get handedOn(): number {
    return this.#handedOn;
  }

  /** Close every kept connection and every reset under way; later releases close theirs. */
  close(): void {
    this.#closed = true;
    for (const fail of [...this.#resetting]) fail();
    this.#kept.close();
  }
}

function terminate({ socket }: UpstreamConnection): void {
  if (socket.destroyed) return;
  socket.on('error', () => {});
  const w = new MessageWriter(8);
  writeTerminate(w);
  socket.end(w.flush());
}
