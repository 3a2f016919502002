import { PgProtocolError } from './protocol-error.js';

/**
 * A bounds-checked cursor over one message body. Every read that would run past the end, and
 * a string without its terminating NUL, is a PgProtocolError, never a RangeError.
 */
export class MessageReader {
  private pos = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new PgProtocolError(`${this.what}: message too short`);
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A count that must not be negative (int16 list lengths). */
  count16(): number {
    const n = this.int16();
    if (n < 0) throw new PgProtocolError(`${this.what}: negative count ${n}`);
    return n;
  }

  /** A NUL-terminated string, in UTF-8 or (`latin1`) one character per byte. */
  cstring(encoding: 'utf8' | 'latin1' = 'utf8'): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new PgProtocolError(`${this.what}: unterminated string`);
    const s = this.buf.toString(encoding, this.pos, end);
    this.pos = end + 1;
    return s;
  }

  bytes(n: number): Buffer {
    if (n < 0) throw new PgProtocolError(`${this.what}: negative length ${n}`);
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Step over `n` bytes that must be there. */
  skip(n: number): void {
    if (n < 0) throw new PgProtocolError(`${this.what}: negative length ${n}`);
    this.need(n);
    this.pos += n;
  }

  /** Step over a length-prefixed value (int32 length, -1 meaning NULL), checked as `nullableBytes`. */
  skipNullable(): void {
    const n = this.int32();
    if (n !== -1) this.skip(n);
  }

  /** A length-prefixed value: int32 length, -1 meaning NULL. */
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    return this.bytes(n);
  }

  rest(): Buffer {
    const v = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return v;
  }

  /** The message must have been read to its last byte, as the server itself insists. */
  end(): void {
    if (this.pos !== this.buf.length) throw new PgProtocolError(`${this.what}: trailing bytes in message`);
  }
}
