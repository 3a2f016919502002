import type { Frame } from '../protocol/message-framer.js';
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
   * Forwarded bytes not yet in `parts`: bytes `runStart` to `runEnd` counted from the start
   * of `run`, a received chunk, where `runEnd` may reach past `run`'s own view into the same
   * memory (adjacent views). Kept open so a run of forwarded messages costs one view, made
   * when the run ends (none when the run is exactly `run`).
   */
  private run: Buffer | undefined;
  private runStart = 0;
  private runEnd = 0;
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
      this.runStart === 0 && this.runEnd === run.length
        ? run
        : Buffer.from(run.buffer, run.byteOffset + this.runStart, this.runEnd - this.runStart),
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
    this.forwardRange(raw, 0, raw.length);
  }

  /** Forward a received message as it came, with no view made of it unless `tap` needs one. */
  forwardFrame(frame: Frame): void {
    this.forwardRange(frame.source, frame.start, frame.end);
  }

  private forwardRange(source: Buffer, start: number, end: number): void {
    this.settleWriter();
    this.counted += end - start;
    if (this.tap) this.tap(start === 0 && end === source.length ? source : source.subarray(start, end));
    const run = this.run;
    if (
      run !== undefined &&
      (run === source
        ? this.runEnd === start
        : run.buffer === source.buffer && run.byteOffset + this.runEnd === source.byteOffset + start)
    ) {
      this.runEnd += end - start;
      return;
    }
    this.closeRun();
    this.run = source;
    this.runStart = start;
    this.runEnd = end;
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
