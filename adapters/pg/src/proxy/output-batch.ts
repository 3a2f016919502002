import { MessageWriter } from '../protocol/message-writer.js';

/**
 * What one pass over incoming messages sends on: forwarded messages as views of the bytes
 * they arrived in, and messages the proxy built. Adjacent views of the same received chunk
 * are merged, so a chunk that passes through untouched goes out as the same bytes in one
 * write, with no copy.
 */
export class OutputBatch {
  readonly writer = new MessageWriter();
  private parts: Buffer[] = [];
  /** Bytes batched so far, not counting what is still in the writer. */
  private counted = 0;
  /** Sees every byte as it is batched, in order (for response digests); unset by default. */
  tap: ((bytes: Buffer) => void) | undefined;

  /** Bytes batched since this batch was made: an offset into everything it has sent. */
  get position(): number {
    return this.counted + this.writer.length;
  }

  get empty(): boolean {
    return this.parts.length === 0 && this.writer.length === 0;
  }

  private settleWriter(): void {
    if (this.writer.length === 0) return;
    const built = this.writer.flush();
    this.counted += built.length;
    this.tap?.(built);
    this.parts.push(built);
  }

  /** Hand what the writer holds to `tap` now, so later bytes are told apart from it. */
  settle(): void {
    this.settleWriter();
  }

  /** Forward a message's raw bytes after whatever was written so far. */
  forward(raw: Buffer): void {
    this.settleWriter();
    this.counted += raw.length;
    this.tap?.(raw);
    const last = this.parts[this.parts.length - 1];
    if (last && last.buffer === raw.buffer && last.byteOffset + last.length === raw.byteOffset) {
      this.parts[this.parts.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + raw.length);
    } else {
      this.parts.push(raw);
    }
  }

  /** Everything batched, as one buffer (undefined when empty), and start over. */
  take(): Buffer | undefined {
    this.settleWriter();
    const parts = this.parts;
    if (parts.length === 0) return undefined;
    this.parts = [];
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}
