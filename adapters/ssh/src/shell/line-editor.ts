/**
 * Follows what a readline-style shell has in its line buffer, from the keystrokes a terminal
 * sends, so the line can be decided when Enter is pressed. Keys whose effect on the buffer
 * cannot be known from here (history, completion, search, yank, transpose, Alt-keys) mark
 * the line untracked: it is then refused rather than guessed at.
 *
 * Keystrokes pass through as typed (the host echoes them and edits its own buffer); only the
 * Enter is held back, and surfaces here as an `enter` event.
 */

/** Terminal input bytes the editor treats specially (ASCII control codes). */
export const Key = {
  ctrlA: 0x01,
  ctrlB: 0x02,
  ctrlC: 0x03,
  ctrlD: 0x04,
  ctrlE: 0x05,
  ctrlF: 0x06,
  backspace: 0x08,
  tab: 0x09,
  lineFeed: 0x0a,
  ctrlK: 0x0b,
  ctrlL: 0x0c,
  carriageReturn: 0x0d,
  ctrlU: 0x15,
  ctrlW: 0x17,
  escape: 0x1b,
  delete: 0x7f,
} as const;

/** Bracketed paste markers (xterm): the terminal wraps pasted text in these. */
const PASTE_START = '[200~';
const PASTE_END = '[201~';

export type EditorEvent =
  /** Bytes to pass to the host as they are. */
  | { kind: 'forward'; bytes: Buffer }
  /** Enter: `line` is the buffer as the shell has it; `enter` the byte(s) to send if allowed. */
  | { kind: 'enter'; line: string; tracked: boolean; enter: Buffer }
  /** Ctrl-C: the shell drops its buffer (already forwarded). */
  | { kind: 'interrupt' };

export class LineEditor {
  #chars: string[] = [];
  #cursor = 0;
  #tracked = true;
  #paste = false;
  #escape: string | undefined;
  #decoder = new TextDecoder('utf-8');

  /** The current line, as far as it is known. */
  get line(): string {
    return this.#chars.join('');
  }

  get tracked(): boolean {
    return this.#tracked;
  }

  /** Forget the line (after Enter was answered, or the line was erased upstream). */
  reset(): void {
    this.#chars = [];
    this.#cursor = 0;
    this.#tracked = true;
    this.#paste = false;
    this.#escape = undefined;
  }

  feed(chunk: Buffer): EditorEvent[] {
    const events: EditorEvent[] = [];
    let from = 0;
    // Byte by byte, so the held Enter is cut out of the raw input exactly, whatever the
    // input's encoding (invalid UTF-8 included); the decoder only builds the line's text.
    for (let i = 0; i < chunk.length; i++) {
      for (const ch of this.#decoder.decode(chunk.subarray(i, i + 1), { stream: true })) {
        const code = ch.codePointAt(0) ?? 0;
        const plain = !this.#paste && this.#escape === undefined;
        if (plain && (code === Key.carriageReturn || code === Key.lineFeed)) {
          if (i > from) events.push({ kind: 'forward', bytes: chunk.subarray(from, i) });
          events.push({
            kind: 'enter',
            line: this.line,
            tracked: this.#tracked,
            enter: chunk.subarray(i, i + 1),
          });
          this.reset();
          from = i + 1;
        } else if (plain && code === Key.ctrlC) {
          events.push({ kind: 'forward', bytes: chunk.subarray(from, i + 1) });
          events.push({ kind: 'interrupt' });
          this.reset();
          from = i + 1;
        } else {
          this.#key(ch, code);
        }
      }
    }
    if (chunk.length > from) events.push({ kind: 'forward', bytes: chunk.subarray(from) });
    return events;
  }

  #key(ch: string, code: number): void {
    if (this.#escape !== undefined) {
      this.#escape += ch;
      this.#escapeSequence();
      return;
    }
    if (code === Key.escape) {
      this.#escape = '';
      return;
    }
    if (this.#paste) {
      this.#insert(code === Key.carriageReturn ? '\n' : ch);
      return;
    }
    switch (code) {
      case Key.delete:
      case Key.backspace:
        if (this.#cursor > 0) {
          this.#chars.splice(this.#cursor - 1, 1);
          this.#cursor--;
        }
        return;
      case Key.ctrlU:
        this.#chars.splice(0, this.#cursor);
        this.#cursor = 0;
        return;
      case Key.ctrlK:
        this.#chars.splice(this.#cursor);
        return;
      case Key.ctrlW: {
        let start = this.#cursor;
        while (start > 0 && /\s/.test(this.#chars[start - 1] ?? '')) start--;
        while (start > 0 && !/\s/.test(this.#chars[start - 1] ?? '')) start--;
        this.#chars.splice(start, this.#cursor - start);
        this.#cursor = start;
        return;
      }
      case Key.ctrlA:
        this.#cursor = 0;
        return;
      case Key.ctrlE:
        this.#cursor = this.#chars.length;
        return;
      case Key.ctrlB:
        this.#cursor = Math.max(0, this.#cursor - 1);
        return;
      case Key.ctrlF:
        this.#cursor = Math.min(this.#chars.length, this.#cursor + 1);
        return;
      case Key.ctrlD:
        // On an empty line it logs out (passed through); otherwise it deletes forward.
        this.#chars.splice(this.#cursor, 1);
        return;
      case Key.ctrlL:
        return;
      default:
        if (code < 0x20) this.#tracked = false;
        else this.#insert(ch);
    }
  }

  #insert(ch: string): void {
    this.#chars.splice(this.#cursor, 0, ch);
    this.#cursor++;
  }

  /** Called after each character of an escape sequence; acts once the sequence is complete. */
  #escapeSequence(): void {
    const seq = this.#escape ?? '';
    const first = seq[0];
    if (first === '[') {
      // CSI: parameters, then a final byte in @–~.
      const last = seq.charCodeAt(seq.length - 1);
      if (seq.length < 2 || last < 0x40 || last > 0x7e) return;
    } else if (first === 'O') {
      if (seq.length < 2) return;
    }
    this.#escape = undefined;
    if (seq === PASTE_START) {
      this.#paste = true;
      return;
    }
    if (seq === PASTE_END) {
      this.#paste = false;
      return;
    }
    if (this.#paste) {
      // Any other escape inside a paste is pasted text to the shell, which drops it.
      return;
    }
    switch (seq) {
      case '[C':
      case 'OC':
        this.#cursor = Math.min(this.#chars.length, this.#cursor + 1);
        return;
      case '[D':
      case 'OD':
        this.#cursor = Math.max(0, this.#cursor - 1);
        return;
      case '[H':
      case 'OH':
      case '[1~':
      case '[7~':
        this.#cursor = 0;
        return;
      case '[F':
      case 'OF':
      case '[4~':
      case '[8~':
        this.#cursor = this.#chars.length;
        return;
      case '[3~':
        this.#chars.splice(this.#cursor, 1);
        return;
      default:
        // Up/Down (history), Alt-keys, function keys: the buffer may now hold anything.
        this.#tracked = false;
    }
  }
}

/**
 * Whether Enter after this line only continues it (an odd number of trailing backslashes),
 * so the shell runs nothing yet. A `#` anywhere disqualifies it, since in a comment the
 * backslash does not continue the line and the shell would run what came before.
 */
export function continuesLine(line: string): boolean {
  if (line.includes('#')) return false;
  const trailing = /\\+$/.exec(line)?.[0].length ?? 0;
  return trailing % 2 === 1;
}
