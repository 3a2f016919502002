/**
 * Keeps typed input out of a recording while the terminal does not echo it (a password at a
 * sudo, su or ssh prompt, `read -s`, `stty -echo`). The proxy cannot see the host pty's ECHO
 * flag, so it judges from what comes back:
 *
 * 1. Prompt patterns: once the output ends in something like `Password:` or
 *    `[sudo] password for alice:`, every keystroke up to and including the next Enter is
 *    dropped, echoed or not.
 * 2. Echo observation: input carrying printable characters is held back, and written only
 *    once those characters have come back in the output, in order, within `windowMs`; input
 *    that is not echoed in time is dropped. Output that arrives meanwhile waits behind it, so
 *    the recording stays in time order. Input with nothing printable (Enter, arrows, Ctrl-C)
 *    reveals nothing and is kept.
 *
 * Limits: keystrokes a full-screen program takes as commands without echoing them (vi's `j`)
 * are dropped too; a secret typed at a prompt no pattern knows, and that the host echoes
 * anyway, is recorded, as it is on the screen; a secret whose characters happen to appear in
 * unrelated output within the window is kept.
 */

export type GateEvent = { kind: 'o' | 'i' | 'r' | 'm'; at: number; data: string };

/** A marker naming a command line: the line's text goes in only if all of it was echoed. */
type LineMarker = { kind: 'line'; at: number; prefix: string; line: string };

/** Matched against the last line of the output only: a prompt is what the cursor waits after. */
const PROMPT =
  /(?:\bpass(?:word|phrase|code)?|\bpin|\bsecret|\btoken|\bverification code|\bone-time code)\b[^\n]{0,60}?[:?]\s*$|^\[sudo\] .*:\s*$/i;

// ESC [ … final, ESC ] … BEL/ST, and two-byte ESC sequences: none of them is echoed text.
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
const CONTROLS = /[\x00-\x1f\x7f]/g;

interface PendingInput {
  event: GateEvent;
  /** The printable characters still to be seen in the output. */
  expect: string;
  deadline: number;
  echoed: boolean;
}

/**
 * Whether terminal output ends in a prompt for a secret (`Password:`, `[sudo] password for
 * alice:` …): what is typed next is a secret, whether or not it is echoed.
 */
export function endsWithSecretPrompt(output: string): boolean {
  const shown = output.replace(ESCAPES, '').replace(/\r/g, '');
  return PROMPT.test(shown.slice(shown.lastIndexOf('\n') + 1));
}

export class EchoGate {
  readonly #emit: (event: GateEvent) => void;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #queue: (GateEvent | PendingInput | LineMarker)[] = [];
  #tail = '';
  #secret = false;
  /** Some input since the last line marker was left out: the next line was typed blind. */
  #blind = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: { emit: (event: GateEvent) => void; windowMs: number; now: () => number }) {
    this.#emit = options.emit;
    this.#windowMs = options.windowMs;
    this.#now = options.now;
  }

  /** True while a prompt for a secret is waiting for its Enter. */
  get secret(): boolean {
    return this.#secret;
  }

  /**
   * A marker for the command line just entered, written once the keystrokes before it are
   * judged: `<prefix> <line>`, or `<prefix> [input not echoed]` if any of them was left out.
   */
  lineMarker(at: number, prefix: string, line: string): void {
    this.#enqueue({ kind: 'line', at, prefix, line });
  }

  output(at: number, text: string): void {
    this.#tail = (this.#tail + text).slice(-4096);
    const visible = text.replace(ESCAPES, '').replace(CONTROLS, '');
    for (const ch of visible) {
      const head = this.#queue.find((e): e is PendingInput => 'expect' in e && !e.echoed);
      if (!head) break;
      if (head.expect.startsWith(ch)) {
        head.expect = head.expect.slice(ch.length);
        if (head.expect === '') head.echoed = true;
      }
    }
    if (endsWithSecretPrompt(this.#tail)) this.#secret = true;
    this.#enqueue({ kind: 'o', at, data: text });
  }

  /** An event that is neither output nor input (resize, marker): kept in its place in time. */
  other(at: number, kind: 'r' | 'm', data: string): void {
    this.#enqueue({ kind, at, data });
  }

  input(at: number, text: string): void {
    if (this.#secret) {
      this.#blind = true;
      if (/[\r\n]/.test(text)) {
        this.#secret = false;
        this.#tail = '';
      }
      return;
    }
    const printable = text.replace(ESCAPES, '').replace(CONTROLS, '');
    const event: GateEvent = { kind: 'i', at, data: text };
    if (printable === '') {
      this.#enqueue(event);
      return;
    }
    this.#queue.push({ event, expect: printable, deadline: at + this.#windowMs, echoed: false });
    this.#arm();
  }

  /** Drop whatever is still unconfirmed and write the rest. */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    for (const e of this.#queue) this.#write(e, true);
    this.#queue.length = 0;
  }

  /** Write a judged entry; false for pending input still within its window. */
  #write(e: GateEvent | PendingInput | LineMarker, final = false): boolean {
    if ('expect' in e) {
      if (e.echoed) this.#emit(e.event);
      else if (final || this.#now() >= e.deadline) this.#blind = true;
      else return false;
    } else if (e.kind === 'line') {
      this.#emit({ kind: 'm', at: e.at, data: `${e.prefix} ${this.#blind ? '[input not echoed]' : e.line}` });
      this.#blind = false;
    } else this.#emit(e);
    return true;
  }

  #enqueue(event: GateEvent | LineMarker): void {
    if (this.#queue.length === 0) this.#write(event);
    else {
      this.#queue.push(event);
      this.#drain();
    }
  }

  #drain(): void {
    // Input not echoed in time is left out of the recording (and makes its line blind).
    while (this.#queue.length > 0 && this.#write(this.#queue[0] as GateEvent | PendingInput | LineMarker)) {
      this.#queue.shift();
    }
    this.#arm();
  }

  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const head = this.#queue[0];
    if (!head || !('expect' in head)) return;
    const wait = Math.max(0, head.deadline - this.#now());
    this.#timer = setTimeout(() => this.#drain(), wait + 1);
    this.#timer.unref?.();
  }
}
