import { PgProtocolError } from './protocol-error.js';

/**
 * One whole message: its type byte (0 for a startup-phase packet) and where it lies in the
 * chunk it was received in. The views `raw` and `body` are made on first use: a message the
 * proxy only forwards needs neither (see OutputBatch.forwardFrame), and two views per message
 * were most of the framer's cost.
 */
export class Frame {
  /** Type byte; 0 for startup-phase packets, which have none. */
  readonly type: number;
  /** The received bytes the message lies in, from `start` (its first byte) to `end`. */
  readonly source: Buffer;
  readonly start: number;
  readonly end: number;
  /** Bytes before the body: the type byte, if any, and the length word. */
  private readonly header: number;
  private rawView: Buffer | undefined;
  private bodyView: Buffer | undefined;

  constructor(type: number, source: Buffer, start: number, end: number, header: number) {
    this.type = type;
    this.source = source;
    this.start = start;
    this.end = end;
    this.header = header;
  }

  /** The whole message as received, to forward without re-encoding. */
  get raw(): Buffer {
    if (this.rawView === undefined)
      this.rawView =
        this.start === 0 && this.end === this.source.length
          ? this.source
          : this.source.subarray(this.start, this.end);
    return this.rawView;
  }

  /** The message after its type byte and length. */
  get body(): Buffer {
    if (this.bodyView === undefined) this.bodyView = this.source.subarray(this.start + this.header, this.end);
    return this.bodyView;
  }

  /** The message's length in bytes, header included. */
  get length(): number {
    return this.end - this.start;
  }
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
 *
 * A message that spans chunks is copied once, when its last byte has arrived, and only that
 * message: the chunks are queued until then. (Joining the rest to each new chunk instead
 * copies a large message again on every read: a 64 MiB message in 64 KiB reads would take
 * tens of seconds of the event loop.)
 */
export class MessageFramer {
  startup: boolean;
  private readonly maxMessageSize: number;
  /** The chunk frames are cut from, from `offset` on. */
  private buffer: Buffer = EMPTY;
  private offset = 0;
  /** Chunks received after `buffer`, while a message spans them; `moreBytes` long in all. */
  private more: Buffer[] = [];
  private moreBytes = 0;

  constructor(options: FramerOptions) {
    this.maxMessageSize = options.maxMessageSize;
    this.startup = options.startup ?? false;
  }

  /** Bytes received and not yet returned as a frame. */
  get buffered(): number {
    return this.buffer.length - this.offset + this.moreBytes;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.offset >= this.buffer.length && this.moreBytes === 0) {
      this.buffer = chunk;
      this.offset = 0;
      return;
    }
    this.more.push(chunk);
    this.moreBytes += chunk.length;
  }

  /**
   * Copy the bytes not yet framed of the last chunk pushed into a buffer of the framer's own,
   * for a caller whose chunks are views of a buffer it reuses (see ReusedReads). Only the
   * last chunk can still be such a view: the caller owned up to each one before the next read.
   */
  ownRest(): void {
    const last = this.more.length - 1;
    if (last >= 0) {
      this.more[last] = Buffer.from(this.more[last] as Buffer);
      return;
    }
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
    if (this.offset >= this.buffer.length && this.moreBytes > 0) {
      // The first chunk is used up: frame the next one in place.
      this.buffer = this.more.shift() as Buffer;
      this.offset = 0;
      this.moreBytes -= this.buffer.length;
    }
    const buf = this.buffer;
    const at = this.offset;
    const inFirst = buf.length - at;
    const available = inFirst + this.moreBytes;
    if (this.startup) {
      if (available >= 1 && this.byteAt(0) === TLS_HANDSHAKE) {
        throw new PgProtocolError('direct TLS connections are not supported; send SSLRequest first');
      }
      if (available < 4) return undefined;
      const length = inFirst >= 4 ? buf.readInt32BE(at) : this.int32At(0);
      const limit = Math.min(MAX_STARTUP_PACKET, this.maxMessageSize);
      if (length < 8 || length > limit) throw new PgProtocolError(`invalid startup packet length ${length}`);
      if (available < length) return undefined;
      if (inFirst >= length) {
        this.offset = at + length;
        return new Frame(0, buf, at, at + length, 4);
      }
      const raw = this.stitch(length);
      return new Frame(0, raw, 0, length, 4);
    }
    if (available < 5) return undefined;
    const type = inFirst >= 1 ? (buf[at] as number) : this.byteAt(0);
    const length = inFirst >= 5 ? buf.readInt32BE(at + 1) : this.int32At(1);
    if (length < 4) throw new PgProtocolError(`invalid message length ${length}`);
    if (length + 1 > this.maxMessageSize) {
      throw new PgProtocolError(
        `message of ${length + 1} bytes exceeds the maximum of ${this.maxMessageSize}`,
      );
    }
    if (available < length + 1) return undefined;
    if (inFirst >= length + 1) {
      this.offset = at + length + 1;
      return new Frame(type, buf, at, at + 1 + length, 5);
    }
    const raw = this.stitch(length + 1);
    return new Frame(type, raw, 0, length + 1, 5);
  }

  /** The byte `i` bytes past the framing point, across chunks (a header cut by a read). */
  private byteAt(i: number): number {
    let rest = i;
    const inFirst = this.buffer.length - this.offset;
    if (rest < inFirst) return this.buffer[this.offset + rest] as number;
    rest -= inFirst;
    for (const chunk of this.more) {
      if (rest < chunk.length) return chunk[rest] as number;
      rest -= chunk.length;
    }
    throw new RangeError('byteAt past the bytes received');
  }

  private int32At(i: number): number {
    return (
      ((this.byteAt(i) << 24) |
        (this.byteAt(i + 1) << 16) |
        (this.byteAt(i + 2) << 8) |
        this.byteAt(i + 3)) >>
      0
    );
  }

  /** The next `size` bytes, which span chunks, copied into one buffer; the rest stays queued. */
  private stitch(size: number): Buffer {
    const out = Buffer.allocUnsafe(size);
    let filled = this.buffer.copy(out, 0, this.offset);
    let used = 0;
    let chunk: Buffer = EMPTY;
    let taken = 0;
    while (filled < size) {
      chunk = this.more[used++] as Buffer;
      this.moreBytes -= chunk.length;
      taken = Math.min(chunk.length, size - filled);
      chunk.copy(out, filled, 0, taken);
      filled += taken;
    }
    // The chunk the message ended in becomes the one framing goes on in.
    this.buffer = chunk;
    this.offset = taken;
    this.more = used === this.more.length ? [] : this.more.slice(used);
    return out;
  }
}
