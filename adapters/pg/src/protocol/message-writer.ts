/** Up to this many bytes, a loop copies or fills faster than Buffer#copy or #fill. */
const SMALL = 64;

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
    const length = this.pos - this.lengthAt;
    const buf = this.buf;
    const at = this.lengthAt;
    // By hand (see int32); a message longer than 2 GiB cannot be built in one buffer.
    buf[at] = length >>> 24;
    buf[at + 1] = length >>> 16;
    buf[at + 2] = length >>> 8;
    buf[at + 3] = length;
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
    // Anything but an int16 gets writeInt16BE's RangeError, as before; by hand otherwise.
    if ((v << 16) >> 16 !== v) this.buf.writeInt16BE(v, this.pos);
    this.buf[this.pos] = v >>> 8;
    this.buf[this.pos + 1] = v;
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    const buf = this.buf;
    const at = this.pos;
    // Anything but an int32 gets writeInt32BE's RangeError, as before.
    if ((v | 0) !== v) buf.writeInt32BE(v, at);
    // By hand otherwise: writeInt32BE's checks cost more than the write.
    buf[at] = v >>> 24;
    buf[at + 1] = v >>> 16;
    buf[at + 2] = v >>> 8;
    buf[at + 3] = v;
    this.pos = at + 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  /**
   * A NUL-terminated string, in UTF-8 or (`latin1`) one byte per code unit; an embedded NUL
   * would end it early, so it is dropped.
   */
  cstring(s: string, encoding: 'utf8' | 'latin1' = 'utf8'): this {
    const text = s.includes('\0') ? s.replaceAll('\0', '') : s;
    const n = Buffer.byteLength(text, encoding);
    this.ensure(n + 1);
    this.buf.write(text, this.pos, encoding);
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

  /** Bytes `start` to `end` of `src`, without a view of them being made first. */
  bytesOf(src: Buffer, start: number, end: number): this {
    const n = end - start;
    this.ensure(n);
    const buf = this.buf;
    if (n <= SMALL) {
      // Buffer#copy costs more in argument checks than a short loop takes.
      let at = this.pos;
      for (let i = start; i < end; i++) buf[at++] = src[i] as number;
    } else src.copy(buf, this.pos, start, end);
    this.pos += n;
    return this;
  }

  /** `count` copies of one byte. */
  repeat(v: number, count: number): this {
    this.ensure(count);
    const buf = this.buf;
    const end = this.pos + count;
    if (count <= SMALL) for (let i = this.pos; i < end; i++) buf[i] = v;
    else buf.fill(v, this.pos, end);
    this.pos = end;
    return this;
  }

  /**
   * A value as DataRow carries it: an Int32 byte length, then `s` in UTF-8, preceded by the
   * byte `prefix` when one is given (counted in the length). Written in place, so no Buffer
   * is made for the string.
   */
  lengthPrefixedUtf8(s: string, prefix = -1): this {
    return this.lengthPrefixedText(s, prefix, 'utf8');
  }

  /** As `lengthPrefixedUtf8`, in `utf8` or `latin1` (one byte per code unit). */
  lengthPrefixedText(s: string, prefix: number, encoding: 'utf8' | 'latin1'): this {
    const head = prefix >= 0 ? 1 : 0;
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    this.ensure(4 + head + s.length * 3);
    const at = this.pos;
    if (head) this.buf[at + 4] = prefix;
    const n = this.buf.write(s, at + 4 + head, encoding);
    this.buf.writeInt32BE(n + head, at);
    this.pos = at + 4 + head + n;
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
