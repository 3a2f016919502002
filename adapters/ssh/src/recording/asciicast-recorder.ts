/**
 * One channel's recording in asciicast v2, the asciinema format
 * (https://docs.asciinema.org/manual/asciicast/v2/): a JSON header line, then one JSON array
 * per event, `[seconds, code, data]`: "o" output as the client saw it (after masking), "i"
 * input (only what the echo gate lets through), "r" resize as `COLSxROWS`, and "m" markers
 * carrying each decision on the channel.
 */

import { EchoGate, type GateEvent } from './echo-gate.js';

/** Where one recording's lines go; `write` must not throw (queue, and report failures on close). */
export interface RecordingWriter {
  write(line: string): void;
  close(): Promise<void>;
}

export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  /** Unix time in seconds the recording started. */
  timestamp: number;
  title?: string;
  env: Record<string, string>;
}

export interface RecorderOptions {
  width: number;
  height: number;
  env: Record<string, string>;
  title?: string;
  /** How long typed input may wait for its echo; default 250 ms. */
  echoWindowMs?: number;
}

export class AsciicastRecorder {
  readonly #writer: RecordingWriter;
  readonly #gate: EchoGate;
  readonly #start = performance.now();
  readonly #out = new TextDecoder('utf-8');
  readonly #in = new TextDecoder('utf-8');
  #closed = false;

  constructor(writer: RecordingWriter, options: RecorderOptions) {
    this.#writer = writer;
    const header: AsciicastHeader = {
      version: 2,
      width: options.width,
      height: options.height,
      timestamp: Math.floor(Date.now() / 1000),
      ...(options.title === undefined ? {} : { title: options.title }),
      env: options.env,
    };
    writer.write(JSON.stringify(header));
    this.#gate = new EchoGate({
      emit: (e) => this.#line(e.at, e.kind, e.data),
      windowMs: options.echoWindowMs ?? 250,
      now: () => performance.now() - this.#start,
    });
  }

  /** True while a prompt for a secret is waiting for its Enter: input now is not to be shown. */
  get secret(): boolean {
    return this.#gate.secret;
  }

  output(chunk: Buffer | string): void {
    if (this.#closed) return;
    const text = typeof chunk === 'string' ? chunk : this.#out.decode(chunk, { stream: true });
    if (text !== '') this.#gate.output(this.#at(), text);
  }

  input(chunk: Buffer): void {
    if (this.#closed) return;
    const text = this.#in.decode(chunk, { stream: true });
    if (text !== '') this.#gate.input(this.#at(), text);
  }

  resize(width: number, height: number): void {
    if (!this.#closed) this.#gate.other(this.#at(), 'r', `${width}x${height}`);
  }

  marker(label: string): void {
    if (!this.#closed) this.#gate.other(this.#at(), 'm', label);
  }

  /**
   * A marker for a command line typed at the terminal: `<prefix> <line>`, with the line
   * replaced by `[input not echoed]` when any keystroke since the last line was typed blind
   * (so a password entered at a prompt never lands in a marker).
   */
  lineMarker(prefix: string, line: string): void {
    if (!this.#closed) this.#gate.lineMarker(this.#at(), prefix, line);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const rest = this.#out.decode();
    if (rest !== '') this.#gate.output(this.#at(), rest);
    this.#gate.close();
    this.#closed = true;
    await this.#writer.close();
  }

  #at(): number {
    return performance.now() - this.#start;
  }

  #line(atMs: number, code: GateEvent['kind'], data: string): void {
    this.#writer.write(JSON.stringify([Math.round(atMs * 1000) / 1e6, code, data]));
  }
}
