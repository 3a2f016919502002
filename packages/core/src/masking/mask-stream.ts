/**
 * Masking text that arrives in chunks, without node:stream. `write` returns the masked text
 * that is settled so far; it holds back only a tail in which a secret could still be
 * starting: the longest possible match of the active scanners (a few hundred characters for
 * the built-in detectors), less where the scanners' alphabets or anchors rule starts out.
 * A PEM block is held from its BEGIN line until its END line (at most 16 KiB of body); a
 * JWT or bearer token until it ends. `end` flushes the rest. The concatenated output equals
 * `maskText` of the concatenated input, however the input is cut.
 *
 * Chunks are strings; decode bytes first (TextDecoderStream, or TextDecoder with
 * `{ stream: true }`) so a multi-byte character split between chunks is joined.
 */

import { InvalidRequestError } from '../errors.js';
import type { TextFeatures } from './prefilter.js';
import { CONTEXT, codePointBoundary, type Hit, type ScanState } from './scan-engine.js';
import { foldForScan } from './scan-folding.js';

export interface MaskStream {
  /** Mask a chunk; returns the output that can be released now (possibly ''). */
  write(chunk: string): string;
  /** No more input: returns the rest of the output. */
  end(): string;
  /** Characters of input held back, waiting for more. */
  readonly pending: number;
}

/**
 * A run of the input as a span stream settles it, in input offsets (UTF-16, from the start of
 * the stream): passed as it came, or replaced whole by `replacement`.
 */
export interface MaskedSpan {
  start: number;
  end: number;
  /** Absent when the run is output unchanged. */
  replacement?: string;
}

/**
 * A mask stream that says where its output comes from, for callers that must put something
 * back between the characters it scanned (terminal escape sequences kept out of the scan).
 * The spans of successive calls are consecutive and cover the input once.
 */
export interface SpanMaskStream {
  write(chunk: string): MaskedSpan[];
  end(): MaskedSpan[];
}

/** Turns a group of overlapping hits (covering [start, end)) into replacement text. */
export type RenderGroup = (text: string, hits: readonly Hit[]) => string;

/**
 * The engine behind `maskText` and `createStream`: buffers input, scans what is settled,
 * merges overlapping hits into groups and renders each group once nothing can join it.
 */
export class IncrementalMasker implements MaskStream {
  private buffer = '';
  /** `buffer` as the detectors read it (scan-folding.ts): the same length, offset for offset. */
  private folded = '';
  private bufferStart = 0;
  private emitted = 0;
  private hits: Hit[] = [];
  private ended = false;
  private readonly state: ScanState;

  constructor(
    state: ScanState,
    private readonly render: RenderGroup,
  ) {
    this.state = state;
  }

  get pending(): number {
    return this.bufferStart + this.buffer.length - this.emitted;
  }

  write(chunk: string): string;
  write(chunk: string, spans: MaskedSpan[]): '';
  /** With `spans`, the settled output goes there as spans (see SpanMaskStream) instead. */
  write(chunk: string, spans?: MaskedSpan[]): string {
    if (this.ended) throw new InvalidRequestError('mask stream: write after end');
    if (typeof chunk !== 'string') throw new InvalidRequestError('mask stream: chunks must be strings');
    if (chunk === '') return '';
    this.buffer += chunk;
    this.folded += foldForScan(chunk);
    return this.advance(false, undefined, spans);
  }

  end(): string;
  end(spans: MaskedSpan[]): '';
  end(spans?: MaskedSpan[]): string {
    if (this.ended) return '';
    this.ended = true;
    return this.advance(true, undefined, spans);
  }

  /**
   * The whole input at once, on an unused masker: `write(text) + end()` in a single final
   * scan (what `maskText` uses). `folded` is `foldForScan(text)` and `features` its
   * `textFeatures`, if the caller has them.
   */
  maskAll(text: string, features?: TextFeatures, folded: string = foldForScan(text)): string {
    if (this.ended || this.buffer !== '' || this.bufferStart !== 0) {
      throw new InvalidRequestError('mask stream: maskAll on a used stream');
    }
    this.ended = true;
    this.buffer = text;
    this.folded = folded;
    return this.advance(true, features);
  }

  private advance(final: boolean, features?: TextFeatures, spans?: MaskedSpan[]): string {
    const bufferEnd = this.bufferStart + this.buffer.length;
    this.state.scan(this.folded, this.bufferStart, final, this.hits, features, this.buffer);
    const settled = final ? bufferEnd : this.state.settled(bufferEnd);
    const hits = this.hits;
    // Earliest start first, then the longest, then rule order: the first hit of a group
    // decides how the group is masked.
    hits.sort((a, b) => a.start - b.start || b.end - a.end || a.scanner - b.scanner);

    const out: string[] = [];
    let pos = this.emitted;
    let cut = settled;
    let i = 0;
    while (i < hits.length) {
      const first = hits[i] as Hit;
      let end = first.end;
      let j = i + 1;
      while (j < hits.length && (hits[j] as Hit).start < end) {
        end = Math.max(end, (hits[j] as Hit).end);
        j++;
      }
      if (first.start >= settled || end > settled) {
        // A later hit could still overlap this group: hold it back whole.
        cut = Math.min(settled, first.start);
        break;
      }
      const replacement = this.render(this.slice(first.start, end), hits.slice(i, j));
      if (spans) {
        if (first.start > pos) spans.push({ start: pos, end: first.start });
        spans.push({ start: first.start, end, replacement });
      } else out.push(this.slice(pos, first.start), replacement);
      pos = end;
      i = j;
    }
    // Output chunks end on code point boundaries, so each can be encoded on its own.
    if (cut > pos && codePointBoundary(this.buffer, cut - this.bufferStart) !== cut - this.bufferStart) cut--;
    if (!spans) out.push(this.slice(pos, cut));
    else if (cut > pos) spans.push({ start: pos, end: cut });
    this.hits = hits.slice(i);
    this.emitted = cut;
    // Never start the buffer between the halves of a surrogate pair.
    let keepFrom = Math.max(0, cut - CONTEXT);
    if (
      keepFrom > this.bufferStart &&
      codePointBoundary(this.buffer, keepFrom - this.bufferStart) !== keepFrom - this.bufferStart
    ) {
      keepFrom--;
    }
    if (keepFrom > this.bufferStart) {
      this.buffer = this.buffer.slice(keepFrom - this.bufferStart);
      this.folded = this.folded.slice(keepFrom - this.bufferStart);
      this.bufferStart = keepFrom;
    }
    return out.join('');
  }

  private slice(from: number, to: number): string {
    return from >= to ? '' : this.buffer.slice(from - this.bufferStart, to - this.bufferStart);
  }
}

/** A WHATWG TransformStream of strings around a mask stream (for fetch bodies and the like). */
export function toTransformStream(stream: MaskStream): TransformStream<string, string> {
  return new TransformStream<string, string>({
    transform(chunk, controller) {
      const out = stream.write(chunk);
      if (out !== '') controller.enqueue(out);
    },
    flush(controller) {
      const out = stream.end();
      if (out !== '') controller.enqueue(out);
    },
  });
}
