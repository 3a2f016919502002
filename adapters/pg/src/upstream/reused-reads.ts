import type { Socket } from 'node:net';

/** Size of the buffer reads land in: as large as a stream socket's own reads. */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * Reads of a plain TCP socket into one buffer that is used again for the next read
 * (`net.connect`'s `onread`), instead of a fresh buffer, a stream push and a 'data' event
 * per read: the relay's hot path. Until a consumer takes the bytes in place (`consume`),
 * each read is emitted as 'data' with a copy, so the startup conversation reads the socket
 * as any other. A consumer gets a view that is valid only during its call, and returns true
 * when some view of it must outlive the call (a queued write, a message waiting on a
 * lookup): the next read then goes to a new buffer, and the old one is left to its holders.
 */
export class ReusedReads {
  private buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  private retained = false;
  private consumer: ((chunk: Buffer) => boolean) | undefined;
  private socket: Socket | undefined;

  /** For `net.connect({ onread })`. */
  readonly onread = {
    buffer: (): Buffer => {
      if (this.retained) {
        this.retained = false;
        this.buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
      }
      return this.buffer;
    },
    /** Always true: pausing is the FlowGate's business, through `socket.pause()`. */
    callback: (n: number, buf: Uint8Array): boolean => {
      const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
      const consumer = this.consumer;
      if (consumer) {
        if (consumer(chunk)) this.retained = true;
      } else this.socket?.emit('data', Buffer.from(chunk));
      return true;
    },
  };

  /** The socket whose reads these are (made with `onread`). */
  bind(socket: Socket): void {
    this.socket = socket;
  }

  /** Take every later read in place; see the class comment for what `consumer` returns. */
  consume(consumer: (chunk: Buffer) => boolean): void {
    this.consumer = consumer;
  }
}
