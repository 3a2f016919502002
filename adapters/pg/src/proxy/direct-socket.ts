import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/**
 * Reads and writes of a plain TCP or Unix socket made on its libuv handle, past Node's stream
 * machinery. A relay pays that machinery on every message: for each read a push, a 'data'
 * event and its listeners; for each write a Writable state update, a write request object and
 * a callback on the next tick. On this repository's benchmark (pgbench select-only through a
 * bare relay) the handle path costs about half the user CPU per transaction of `pipe`.
 *
 * These are Node internals: `process.binding('stream_wrap')` for the write request class and
 * the shared state the handle reports into, and the handle's `onread`, `useUserBuffer`,
 * `writeBuffer`, `readStart` and `readStop`. `directSocket` checks their shape and returns
 * undefined when anything is missing, and the caller keeps to the stream API.
 *
 * What stays with the Socket: connecting, errors other than a failed write, end of stream
 * (a read that is not data goes to the Socket's own handler), `end` and `destroy`. Writes made
 * through the Socket after direct ones still reach the handle in order, because libuv queues
 * every write on the handle behind those not yet done.
 */
export interface DirectSocket {
  /**
   * Write `data` now. True when the kernel took all of it; false when the rest waits in the
   * handle's queue, holding `data` until it is written (its memory must not be reused until
   * `pending` is false again).
   */
  write(data: Buffer): boolean;
  /** Some write has not finished: its bytes are still read from the buffers given. */
  readonly pending: boolean;
  /** Bytes waiting in the handle's write queue. */
  readonly queuedBytes: number;
  /** Called once when the last pending write finishes. */
  onDrain: (() => void) | undefined;
  /**
   * Take the socket's reads, and start reading: each read lands in a buffer that is used again
   * for the next one, and `consume` gets a view of it. `consume` returns true when some view
   * of that buffer must outlive the call; the next read then gets a new buffer. Called again,
   * the reads go to the new `consume` from the next one on (a connection handed from one
   * holder to another: upstream-reuse.ts).
   */
  takeReads(consume: (chunk: Buffer) => boolean): void;
  /**
   * Stop and restart reading, after `takeReads` (the Socket's own pause and resume no longer
   * reach the handle's reads): what a FlowGate calls.
   */
  pause(): void;
  resume(): void;
  readonly destroyed: boolean;
  /** The socket's descriptor, where the handle tells it (for the native lane). */
  readonly fd: number | undefined;
}

interface WriteRequest {
  handle: StreamHandle;
  oncomplete: (status: number) => void;
  /** Keeps the bytes alive while libuv still reads them. */
  buffer: Buffer | null;
}

interface StreamHandle {
  writeBuffer(req: WriteRequest, data: Buffer): number;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Buffer): void;
  onread: (this: StreamHandle, arrayBuffer: unknown) => unknown;
  /** The Socket's note that the handle is reading; while true, the Socket never starts it. */
  reading: boolean;
  readonly writeQueueSize: number;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteRequest;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

const READ_BUFFER_BYTES = 64 * 1024;

let binding: StreamWrapBinding | null | undefined;

function streamWrap(): StreamWrapBinding | undefined {
  if (binding === undefined) {
    binding = null;
    try {
      const loaded = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding(
        'stream_wrap',
      );
      if (
        typeof loaded.WriteWrap === 'function' &&
        loaded.streamBaseState instanceof Int32Array &&
        typeof loaded.kReadBytesOrError === 'number' &&
        typeof loaded.kLastWriteWasAsync === 'number'
      ) {
        binding = loaded as StreamWrapBinding;
      }
    } catch {
      // Not offered by this runtime: stay on streams.
    }
  }
  return binding ?? undefined;
}

function isStreamHandle(handle: unknown): handle is StreamHandle {
  if (typeof handle !== 'object' || handle === null) return false;
  const h = handle as Record<string, unknown>;
  return (
    typeof h.writeBuffer === 'function' &&
    typeof h.readStart === 'function' &&
    typeof h.readStop === 'function' &&
    typeof h.useUserBuffer === 'function' &&
    typeof h.onread === 'function' &&
    typeof h.writeQueueSize === 'number'
  );
}

/**
 * Direct I/O on `socket`, or undefined when it is not a connected plain socket with nothing
 * queued in its stream, or this runtime's internals are not the ones expected.
 */
export function directSocket(socket: Socket): DirectSocket | undefined {
  if (socket instanceof TLSSocket || socket.destroyed || socket.connecting) return undefined;
  if (socket.writableLength > 0 || socket.writableEnded || socket.readableLength > 0) return undefined;
  const handle = (socket as unknown as { _handle?: unknown })._handle;
  const wrap = streamWrap();
  if (!wrap || !isStreamHandle(handle)) return undefined;
  return new HandleIo(socket, handle, wrap);
}

class HandleIo implements DirectSocket {
  private request: WriteRequest;
  private writesPending = 0;
  onDrain: (() => void) | undefined;
  private readsTaken = false;

  constructor(
    private readonly socket: Socket,
    private readonly handle: StreamHandle,
    private readonly wrap: StreamWrapBinding,
  ) {
    this.request = this.newRequest();
  }

  private newRequest(): WriteRequest {
    const req = new this.wrap.WriteWrap();
    req.handle = this.handle;
    req.oncomplete = this.completed;
    req.buffer = null;
    return req;
  }

  get pending(): boolean {
    return this.writesPending > 0;
  }

  get queuedBytes(): number {
    return this.handle.writeQueueSize;
  }

  write(data: Buffer): boolean {
    if (this.socket.destroyed) return true;
    const req = this.request;
    req.buffer = data;
    const err = this.handle.writeBuffer(req, data);
    if (err !== 0) {
      req.buffer = null;
      this.socket.destroy(writeError(err));
      return true;
    }
    if (this.wrap.streamBaseState[this.wrap.kLastWriteWasAsync] === 0) {
      // Done at once: libuv kept nothing, so the same request serves the next write.
      req.buffer = null;
      return true;
    }
    this.writesPending++;
    this.request = this.newRequest();
    return false;
  }

  private readonly completed = (status: number): void => {
    this.writesPending--;
    if (status < 0) {
      this.socket.destroy(writeError(status));
      return;
    }
    if (this.writesPending === 0) {
      const drain = this.onDrain;
      this.onDrain = undefined;
      drain?.();
    }
  };

  private consume: (chunk: Buffer) => boolean = () => false;

  takeReads(consume: (chunk: Buffer) => boolean): void {
    this.consume = consume;
    if (this.readsTaken) return;
    const io = this;
    const handle = this.handle;
    const state = this.wrap.streamBaseState;
    const slot = this.wrap.kReadBytesOrError;
    const streamRead = handle.onread;
    const socket = this.socket;
    let buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    this.readsTaken = true;
    handle.useUserBuffer(buffer);
    handle.onread = function onDirectRead(this: StreamHandle, arrayBuffer: unknown): unknown {
      const n = state[slot] as number;
      // End of stream and errors: the Socket's own handler, as if nothing had changed.
      if (n <= 0) return streamRead.call(this, arrayBuffer);
      let keep: boolean;
      try {
        keep = io.consume(buffer.subarray(0, n));
      } catch (err) {
        // Thrown into libuv's callback it would end the process: end this connection instead.
        socket.destroy(err instanceof Error ? err : new Error(String(err)));
        return undefined;
      }
      if (!keep) return undefined;
      // Returning a buffer makes the handle read into it from now on.
      buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
      return buffer;
    };
    // Set first, so the Socket does not call readStart itself later (a second start fails
    // with EALREADY, which the Socket takes for a read error). Ours may fail so, harmlessly.
    handle.reading = true;
    handle.readStart();
  }

  pause(): void {
    // `reading` stays as the Socket set it, so the Socket does not start reading on its own.
    if (this.readsTaken && !this.socket.destroyed) this.handle.readStop();
  }

  resume(): void {
    if (this.readsTaken && !this.socket.destroyed) this.handle.readStart();
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  get fd(): number | undefined {
    const fd = (this.handle as unknown as { fd?: unknown }).fd;
    return typeof fd === 'number' && fd >= 0 ? fd : undefined;
  }
}

function writeError(status: number): Error {
  const err = new Error(`write failed (libuv status ${status})`) as NodeJS.ErrnoException;
  err.errno = status;
  err.syscall = 'write';
  return err;
}
