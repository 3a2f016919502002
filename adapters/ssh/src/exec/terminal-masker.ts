/**
 * Masking terminal output with its escape sequences kept out of the scan and in place.
 *
 * `grep --color` writes `ESC[01;31mESC[K4111ESC[mESC[K 1111 1111 1111`: scanned as it comes,
 * the escape sequences split the card number so no detector sees it, and a detector can match
 * into a sequence (`K@example.com` takes the `K` that ends `ESC[K`), which breaks it. Here the
 * detectors see only the text a terminal shows; the sequences are put back where they were:
 * between the characters of a masked value when its mask keeps the length (`partial`, `format`),
 * before and after it when not (`redact`, `hash`).
 *
 * What counts as a sequence (ECMA-48, as xterm reads it): CSI (`ESC [` parameters,
 * intermediates, a final byte), other escape sequences (`ESC` intermediates and a final byte),
 * and the introducer and terminator of OSC, DCS, SOS, PM and APC strings. The payload of such a
 * string is scanned as text: a window title (`ESC ]0;…BEL`) is shown to the user too.
 */

import type { MaskedSpan, Masker, SpanMaskStream } from '@portcullis/core';

const ESC = '\x1b';
const BEL = '\x07';
/** Longest incomplete sequence held for the next chunk; past it, the bytes are text. */
const MAX_SEQUENCE = 256;
/** After ESC, the bytes that open a control string (OSC, DCS, SOS, PM, APC). */
const STRING_INTRODUCERS = new Set([']', 'P', 'X', '^', '_']);

const between = (c: string | undefined, lo: number, hi: number): boolean => {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  return code >= lo && code <= hi;
};

/**
 * The length of the escape sequence at `text[i]` (an ESC), 0 when it is cut by the end of
 * `text`, or -1 when ESC starts nothing this reader knows (the ESC is then kept alone).
 */
function sequenceLength(text: string, i: number, inString: boolean): number {
  const next = text[i + 1];
  if (next === undefined) return 0;
  if (inString && next === '\\') return 2;
  if (next === '[') {
    let j = i + 2;
    while (between(text[j], 0x30, 0x3f)) j++;
    while (between(text[j], 0x20, 0x2f)) j++;
    if (j >= text.length) return 0;
    return between(text[j], 0x40, 0x7e) ? j + 1 - i : -1;
  }
  if (STRING_INTRODUCERS.has(next)) return 2;
  let j = i + 1;
  while (between(text[j], 0x20, 0x2f)) j++;
  if (j >= text.length) return 0;
  return between(text[j], 0x30, 0x7e) ? j + 1 - i : -1;
}

export class TerminalMasker {
  private stream: SpanMaskStream;
  /** Text fed to the stream and not yet output, from visible offset `base`. */
  private visible = '';
  private base = 0;
  /** Visible characters fed to the stream so far. */
  private fed = 0;
  /** Sequences not yet output, each before the visible character at offset `at`. */
  private readonly sequences: { at: number; text: string }[] = [];
  /** A sequence cut by the end of the last chunk. */
  private carry = '';
  /** Inside an OSC/DCS/… string: its payload is text, its terminator a sequence. */
  private inString = false;

  constructor(private readonly masker: Masker) {
    this.stream = masker.createSpanStream();
  }

  /** Whether output is held back, waiting for what follows it to tell whether it is a secret. */
  get holding(): boolean {
    return this.visible.length > 0 || this.sequences.length > 0;
  }

  /**
   * The output has paused (a prompt waiting for a key): what is held back is masked as if the
   * output ended here and returned, and masking starts afresh with what comes next. A secret
   * split by the pause is then judged in two halves. An unfinished escape sequence stays held.
   */
  settle(): string {
    const out = this.render(this.stream.end(), true);
    this.stream = this.masker.createSpanStream();
    this.visible = '';
    this.base = 0;
    this.fed = 0;
    return out;
  }

  write(chunk: string): string {
    const text = this.split(this.carry + chunk);
    this.visible += text;
    return this.render(this.stream.write(text));
  }

  end(): string {
    // An unfinished sequence at the very end cannot hide anything: it goes out as it came.
    const rest = this.carry;
    this.carry = '';
    if (rest !== '') this.sequences.push({ at: this.fed, text: rest });
    return this.render(this.stream.end(), true);
  }

  /** Takes the sequences out of `text`, noting where they were, and returns the rest. */
  private split(text: string): string {
    this.carry = '';
    let out = '';
    let from = 0;
    const keep = (to: number) => {
      out += text.slice(from, to);
      this.fed += to - from;
    };
    // Only ESC (and BEL inside a string) matter: jump between them, not over every character.
    for (let i = text.indexOf(ESC); ; ) {
      if (this.inString) {
        const bel = text.indexOf(BEL, from);
        if (bel >= 0 && (i < 0 || bel < i)) {
          keep(bel);
          this.sequences.push({ at: this.fed, text: BEL });
          this.inString = false;
          from = bel + 1;
          continue;
        }
      }
      if (i < 0) break;
      const n = sequenceLength(text, i, this.inString);
      if (n === 0) {
        if (text.length - i <= MAX_SEQUENCE) {
          keep(i);
          this.carry = text.slice(i);
          return out;
        }
        i = text.indexOf(ESC, i + 1);
        continue;
      }
      keep(i);
      const length = n < 0 ? 1 : n;
      const sequence = text.slice(i, i + length);
      this.sequences.push({ at: this.fed, text: sequence });
      if (this.inString) this.inString = false;
      else if (length === 2 && STRING_INTRODUCERS.has(sequence[1] as string)) this.inString = true;
      from = i + length;
      i = text.indexOf(ESC, from);
    }
    keep(text.length);
    return out;
  }

  /** The output for these spans, with the sequences put back. */
  private render(spans: readonly MaskedSpan[], final = false): string {
    let out = '';
    let done = this.base;
    for (const span of spans) {
      const { start, end, replacement } = span;
      if (replacement === undefined || replacement.length === end - start) {
        // Same length: every sequence goes back before the character it preceded.
        const source = replacement ?? this.visible.slice(start - this.base, end - this.base);
        let p = start;
        while (this.sequences.length > 0 && (this.sequences[0] as { at: number }).at < end) {
          const s = this.sequences.shift() as { at: number; text: string };
          out += source.slice(p - start, s.at - start) + s.text;
          p = s.at;
        }
        out += source.slice(p - start);
      } else {
        // Another length: what preceded the value goes before the mask, what was inside it after.
        while (this.sequences.length > 0 && (this.sequences[0] as { at: number }).at <= start)
          out += (this.sequences.shift() as { text: string }).text;
        out += replacement;
        while (this.sequences.length > 0 && (this.sequences[0] as { at: number }).at < end)
          out += (this.sequences.shift() as { text: string }).text;
      }
      done = end;
    }
    // Sequences before text still held back go out now: they precede it whatever it becomes.
    while (this.sequences.length > 0 && (this.sequences[0] as { at: number }).at <= (final ? Infinity : done))
      out += (this.sequences.shift() as { text: string }).text;
    this.visible = this.visible.slice(done - this.base);
    this.base = done;
    return out;
  }
}
