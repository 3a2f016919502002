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
  /**
   * Forwarded bytes not yet in `parts`: `runLength` bytes from the start of `run`, which may
   * reach past `run`'s own view into the same received chunk (adjacent messages). Kept open
   * so a run of forwarded messages costs one view, made when the run ends.
   */
  private run: Buffer | undefined;
  private runLength = 0;
  /** Bytes batched so far, not counting what is still in the writer. */
  private counted = 0;
  /** Sees every byte as it is batched, in order (for response digests); unset by default. */
  tap: ((bytes: Buffer) => void) | undefined;

  /** Bytes batched since this batch was made: an offset into everything it has sent. */
  get position(): number {
    return this.counted + this.writer.length;
  }

  get empty(): boolean {
    return this.parts.length === 0 && this.run === undefined && this.writer.length === 0;
  }

  private closeRun(): void {
    const run = this.run;
    if (run === undefined) return;
    this.run = undefined;
    this.parts.push(
      this.runLength === run.length ? run : Buffer.from(run.buffer, run.byteOffset, this.runLength),
    );
  }

  private settleWriter(): void {
    if (this.writer.length === 0) return;
    this.closeRun();
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
    const run = this.run;
    if (
      run !== undefined &&
      run.buffer === raw.buffer &&
      run.byteOffset + this.runLength === raw.byteOffset
    ) {
      this.runLength += raw.length;
      return;
    }
    this.closeRun();
    this.run = raw;
    this.runLength = raw.length;
  }

  /** Everything batched, as one buffer (undefined when empty), and start over. */
  take(): Buffer | undefined {
    this.settleWriter();
    this.closeRun();
    const parts = this.parts;
    if (parts.length === 0) return undefined;
    this.parts = [];
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }
}
