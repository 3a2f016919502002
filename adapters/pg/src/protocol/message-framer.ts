import { PgProtocolError } from './protocol-error.js';

/** One whole message: its type byte (0 for a startup-phase packet), body and raw bytes. */
export interface Frame {
  /** Type byte; 0 for startup-phase packets, which have none. */
  type: number;
  /** The message after its type byte and length. */
  body: Buffer;
  /** The whole message as received, to forward without re-encoding. */
  raw: Buffer;
}

export interface FramerOptions {
  /** Largest message accepted, length word included; larger is a PgProtocolError. */
  maxMessageSize: number;
  /** Start in the startup phase (a client connection); a server connection starts typed. */
  startup?: boolean;
}

/** PostgreSQL's own limit on a startup packet (MAX_STARTUP_PACKET_LENGTH). */
const MAX_STARTUP_PACKET = 10_000;
/** First byte of a TLS record carrying a handshake: PostgreSQL 17's direct TLS. */
const TLS_HANDSHAKE = 0x16;
const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into messages. Frames are pulled one at a time with `next()` so the
 * caller can switch `startup` between them (an SSLRequest is followed by another startup
 * packet; a StartupMessage by typed messages). Frames are views of the received chunks,
 * never copied unless a message spans chunks; a buffer handed out is never written again.
 * A length is checked against the maximum as soon as it is read, so an oversized message is
 * refused before it is buffered.
 */
export class MessageFramer {
  startup: boolean;
  private readonly maxMessageSize: number;
  private buffer: Buffer = Buffer.alloc(0);
  private offset = 0;

  constructor(options: FramerOptions) {
    this.maxMessageSize = options.maxMessageSize;
    this.startup = options.startup ?? false;
  }

  /** Bytes received and not yet returned as a frame. */
  get buffered(): number {
    return this.buffer.length - this.offset;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.offset >= this.buffer.length) {
      this.buffer = chunk;
    } else {
      this.buffer = Buffer.concat([this.buffer.subarray(this.offset), chunk]);
    }
    this.offset = 0;
  }

  /**
   * Copy the bytes not yet framed into a buffer of the framer's own, for a caller whose
   * chunks are views of a buffer it reuses (see ReusedReads).
   */
  ownRest(): void {
    if (this.offset >= this.buffer.length) {
      this.buffer = EMPTY;
      this.offset = 0;
      return;
    }
    this.buffer = Buffer.from(this.buffer.subarray(this.offset));
    this.offset = 0;
  }

  /** The next whole frame, or undefined until more bytes arrive. Throws PgProtocolError. */
  next(): Frame | undefined {
    const buf = this.buffer;
    const at = this.offset;
    const available = buf.length - at;
    if (this.startup) {
      if (available >= 1 && buf[at] === TLS_HANDSHAKE) {
        throw new PgProtocolError('direct TLS connections are not supported; send SSLRequest first');
      }
      if (available < 4) return undefined;
      const length = buf.readInt32BE(at);
      const limit = Math.min(MAX_STARTUP_PACKET, this.maxMessageSize);
      if (length < 8 || length > limit) throw new PgProtocolError(`invalid startup packet length ${length}`);
      if (available < length) return undefined;
      this.offset = at + length;
      return { type: 0, body: buf.subarray(at + 4, at + length), raw: buf.subarray(at, at + length) };
    }
    if (available < 5) return undefined;
    const type = buf[at] as number;
    const length = buf.readInt32BE(at + 1);
    if (length < 4) throw new PgProtocolError(`invalid message length ${length}`);
    if (length + 1 > this.maxMessageSize) {
      throw new PgProtocolError(
        `message of ${length + 1} bytes exceeds the maximum of ${this.maxMessageSize}`,
      );
    }
    if (available < length + 1) return undefined;
    this.offset = at + length + 1;
    return { type, body: buf.subarray(at + 5, at + 1 + length), raw: buf.subarray(at, at + 1 + length) };
  }
}
