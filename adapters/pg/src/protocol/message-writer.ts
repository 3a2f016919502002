/**
 * Builds outgoing messages into one growing buffer, so a batch of messages (an ErrorResponse
 * and its ReadyForQuery, a run of masked DataRows) becomes one socket write and one
 * allocation rather than one per message. `begin` reserves the length word; `end` fills it.
 */
export class MessageWriter {
  private buf: Buffer;
  private pos = 0;
  private lengthAt = -1;

  constructor(initialSize = 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Start a typed message. */
  begin(type: number): this {
    this.ensure(5);
    this.buf[this.pos++] = type;
    this.lengthAt = this.pos;
    this.pos += 4;
    return this;
  }

  /** Start a startup-phase packet (no type byte). */
  beginUntyped(): this {
    this.ensure(4);
    this.lengthAt = this.pos;
    this.pos += 4;
    return this;
  }

  end(): this {
    this.buf.writeInt32BE(this.pos - this.lengthAt, this.lengthAt);
    this.lengthAt = -1;
    return this;
  }

  byte(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  /** A NUL-terminated string; an embedded NUL would end it early, so it is dropped. */
  cstring(s: string): this {
    const text = s.includes('\0') ? s.replaceAll('\0', '') : s;
    const n = Buffer.byteLength(text);
    this.ensure(n + 1);
    this.buf.write(text, this.pos, 'utf8');
    this.pos += n;
    this.buf[this.pos++] = 0;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Raw bytes already framed (a message forwarded unchanged). */
  raw(b: Uint8Array): this {
    return this.bytes(b);
  }

  /**
   * Hand out what was written and start over. The buffer handed out is never written again
   * (a fresh one is allocated), so it is safe to pass to socket.write.
   */
  flush(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(Math.max(1024, Math.min(this.buf.length, 64 * 1024)));
    this.pos = 0;
    return out;
  }
}
