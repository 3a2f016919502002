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
   * Forwarded bytes not yet in `parts`: bytes `runStart` to `runEnd` of `run`, the chunk the
   * messages were received in. Kept open so a run of forwarded messages costs one view, made
   * when the run ends (none when the run is the whole chunk).
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
      this.runStart === 0 && this.runEnd === run.length ? run : run.subarray(this.runStart, this.runEnd),
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

  /** Forward a received message as it came, with no view made of it unless `tap` needs one. */
  forwardFrame(frame: Frame): void {
    this.settleWriter();
    const { source, start, end } = frame;
    this.counted += end - start;
    this.tap?.(frame.raw);
    if (this.run === source && this.runEnd === start) {
      this.runEnd = end;
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
