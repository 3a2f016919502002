/**
 * The incremental scanner under both `maskText` and the chunk stream. Each scanner (one regex
 * plus its validation) resumes from its own position, and a match is only taken once no more
 * input could change it; so scanning a text in one piece or in any chunking finds the same
 * hits, which is what makes the stream's output equal `maskText` of the whole input.
 *
 * When is a match (or the absence of one) at position q settled? A regex attempt at q reads
 * at most `maxSpan` units past q, and validation reads `CONTEXT` units either side. So every q
 * below `end - maxSpan - CONTEXT` is settled. Two hints settle more and keep the held-back
 * tail short: an alphabet (every match is a run of these characters, so an attempt stops at
 * the first other one) and anchors (every match starts with one of these strings). A scanner
 * whose validation must read further than that (a PEM body, a JWT) says `'more'`.
 */

import type { DetectorName } from '../contract.js';
import { type Prefilter, type TextFeatures, textFeatures } from './prefilter.js';
import { compileRegex, type RegexEngine, type ScanRegex } from './regex-engine.js';

/** Characters a validator may read before a match's start and after its end. */
export const CONTEXT = 2;

/** Offsets into the text a scanner was given, end exclusive. */
export interface Span {
  start: number;
  end: number;
}

/** Accepted secret spans (empty: the match is not a secret), or `'more'` when more input is needed. */
export type AcceptResult = readonly Span[] | 'more';

export interface ScannerSpec {
  readonly kind: DetectorName | 'pattern';
  readonly source: string;
  /** Upper bound on a match's length in UTF-16 units. */
  readonly maxSpan: number;
  /**
   * Every match consists of these characters only (UTF-16 codes). `previous` is the code before
   * this one (NaN where it is not known: answer as if it could be anything), for a character a
   * match holds only after another (the `#` of `&#64;`, which must not hold back a `#` prompt).
   */
  readonly alphabet?: (code: number, previous: number) => boolean;
  /** Every match starts with one of these strings. */
  readonly anchors?: readonly string[];
  /**
   * False only when the scanner cannot report a hit anywhere in the text (see prefilter.ts);
   * the scanner then skips its regex on a final scan.
   */
  readonly prefilter?: Prefilter;
  /** Validate a match of [start, end) in `text`; `final` means no more input will come. */
  accept?(text: string, start: number, end: number, final: boolean): AcceptResult;
  /** Where to resume after a match (default: after the last accepted span, or start + 1). */
  resume?(text: string, start: number, end: number, spans: readonly Span[]): number;
}

/** An accepted span in absolute offsets, with the index of the scanner that found it. */
export interface Hit {
  start: number;
  end: number;
  scanner: number;
}

export interface CompiledScanner {
  readonly spec: ScannerSpec;
  readonly regex: ScanRegex;
}

// Compiled regexes are shared per spec and engine: scanning is synchronous, so the shared
// `lastIndex` is never used by two scans at once.
const compiled = new WeakMap<ScannerSpec, Map<RegexEngine, ScanRegex>>();

export function compileScanners(specs: readonly ScannerSpec[], engine: RegexEngine): CompiledScanner[] {
  return specs.map((spec) => {
    let byEngine = compiled.get(spec);
    if (!byEngine) {
      byEngine = new Map();
      compiled.set(spec, byEngine);
    }
    let regex = byEngine.get(engine);
    if (!regex) {
      regex = compileRegex(spec.source, engine);
      byEngine.set(engine, regex);
    }
    return { spec, regex };
  });
}

/**
 * Scanning state over one growing text. `buffer` holds the text from absolute offset
 * `bufferStart`; the caller drops consumed text but keeps `CONTEXT` units before `settled()`.
 */
export class ScanState {
  /** Per scanner: every start before this offset has been scanned and settled. */
  readonly next: number[];

  /**
   * `prefilters: false` runs every regex even where a prefilter rules a match out (tests use
   * it to check that prefilters never change the output).
   */
  constructor(
    private readonly scanners: readonly CompiledScanner[],
    private readonly prefilters = true,
  ) {
    this.next = scanners.map(() => 0);
  }

  /** Offset before which no new hit can start. */
  settled(bufferEnd: number): number {
    let low = bufferEnd;
    for (const n of this.next) if (n < low) low = n;
    return low;
  }

  /**
   * Scan `folded` (the text as the detectors read it, scan-folding.ts) as far as it is settled
   * (to its end when `final`), appending hits to `out`; operator patterns scan `written`, the
   * text as it is, of the same length (by default `folded` itself). On a final scan, a scanner
   * whose prefilter rules out a match anywhere in the text is finished without running its
   * regex; `features` may pass `textFeatures(folded)` when the caller already has it.
   */
  scan(
    folded: string,
    bufferStart: number,
    final: boolean,
    out: Hit[],
    features?: TextFeatures,
    written: string = folded,
  ): void {
    const bufferEnd = bufferStart + folded.length;
    for (let i = 0; i < this.scanners.length; i++) {
      const { spec, regex } = this.scanners[i] as CompiledScanner;
      const buffer = spec.kind === 'pattern' ? written : folded;
      let p = this.next[i] as number;
      if (final && this.prefilters && spec.prefilter && p < bufferEnd) {
        features ??= textFeatures(buffer);
        if (!spec.prefilter(features, buffer)) {
          this.next[i] = bufferEnd;
          continue;
        }
      }
      const fixedZone = final ? Number.POSITIVE_INFINITY : fixedUnsettled(spec, buffer, bufferStart);
      for (;;) {
        if (p >= bufferEnd) break;
        const zone = final ? fixedZone : anchorUnsettled(spec, buffer, bufferStart, p, fixedZone);
        // Any match would start at or after p, so past the zone it could not be taken yet.
        if (p >= zone) break;
        regex.lastIndex = codePointBoundary(buffer, p - bufferStart);
        const m = regex.exec(buffer);
        if (m === null) {
          p = Math.max(p, Math.min(zone, bufferEnd));
          break;
        }
        const localStart = m.index;
        const localEnd = localStart + m[0].length;
        const start = bufferStart + localStart;
        if (start >= zone) {
          p = Math.max(p, zone);
          break;
        }
        if (localEnd === localStart) {
          p = start + 1;
          continue;
        }
        const result = spec.accept
          ? spec.accept(buffer, localStart, localEnd, final)
          : [{ start: localStart, end: localEnd }];
        if (result === 'more') {
          p = start;
          break;
        }
        let last = -1;
        for (const span of result) {
          out.push({ start: bufferStart + span.start, end: bufferStart + span.end, scanner: i });
          if (span.end > last) last = span.end;
        }
        const resumeAt = spec.resume
          ? spec.resume(buffer, localStart, localEnd, result)
          : last > localStart
            ? last
            : localStart + 1;
        p = bufferStart + Math.max(resumeAt, localStart + 1);
      }
      this.next[i] = final ? Math.max(p, bufferEnd) : p;
    }
  }
}

/** First unsettled offset from the span bound and the alphabet hint (independent of the scan position). */
function fixedUnsettled(spec: ScannerSpec, buffer: string, bufferStart: number): number {
  const bufferEnd = bufferStart + buffer.length;
  let zone = bufferEnd - spec.maxSpan - CONTEXT;
  const alphabet = spec.alphabet;
  if (alphabet) {
    // An attempt at q is settled when the alphabet run from q ends early enough for the
    // validator to see CONTEXT characters after it.
    let k = Math.min(bufferEnd, bufferEnd - CONTEXT + 1) - bufferStart;
    while (k > 0 && alphabet(buffer.charCodeAt(k - 1), k > 1 ? buffer.charCodeAt(k - 2) : Number.NaN)) k--;
    zone = Math.max(zone, bufferStart + k);
  }
  return zone;
}

/** First unsettled offset at or after `from`, narrowed by anchors when the scanner has them. */
function anchorUnsettled(
  spec: ScannerSpec,
  buffer: string,
  bufferStart: number,
  from: number,
  fixedZone: number,
): number {
  const anchors = spec.anchors;
  if (!anchors) return fixedZone;
  const bufferEnd = bufferStart + buffer.length;
  const begin = Math.max(from, fixedZone) - bufferStart;
  if (begin >= buffer.length) return bufferEnd;
  let first = buffer.length;
  for (const anchor of anchors) {
    const at = buffer.indexOf(anchor, begin);
    if (at !== -1 && at < first) first = at;
    // A tail that is a proper prefix of an anchor may still become one.
    for (let len = Math.min(anchor.length - 1, buffer.length - begin); len > 0; len--) {
      const at2 = buffer.length - len;
      if (at2 < first && buffer.endsWith(anchor.slice(0, len))) first = at2;
    }
  }
  return bufferStart + first;
}

/**
 * `index`, moved past the low half of a surrogate pair. No match starts inside a code point,
 * and node-re2 (1.24) miscounts its cached UTF-8 offset when `lastIndex` points there, which
 * shifts every later match on the same string by one.
 */
export function codePointBoundary(text: string, index: number): number {
  const code = text.charCodeAt(index);
  if (code >= 0xdc00 && code <= 0xdfff) {
    const before = text.charCodeAt(index - 1);
    if (before >= 0xd800 && before <= 0xdbff) return index + 1;
  }
  return index;
}
