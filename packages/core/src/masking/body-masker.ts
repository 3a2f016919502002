import type { BodyMaskErrors } from './body-mask-errors.js';
import type { BodyPlan } from './body-plan.js';
import type { MaskStream } from './mask-stream.js';
import type { Masker } from './masker.js';

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * Where a message ends: for server-sent events a blank line, that is two line ends (CRLF, LF or
 * CR, mixed as a CRLF stream ending in LF would; a bare CR after LF is not taken, which only
 * delays that event to the next end), for JSON lines a line feed.
 */
const MESSAGE_END = { events: /\r\n\r\n|\n\n|\r\r|\n\r\n|\r\n\n/g, lines: /\n/g } as const;
/**
 * Messages were scanned as text before their JSON was read, numbers included (a card number
 * written as a number): they still are.
 */
const NUMBERS = { numbers: true } as const;
/** A message longer than this is not waited for: the rest of the body is streamed as text. */
const MAX_MESSAGE_CHARS = 64 * 1024;

/**
 * Masks a response body that arrives as byte chunks. A `document` body is held until it ends
 * (up to maxBodyBytes) and masked as JSON; past the limit it continues as a text stream when
 * no JSONPath mask needs the whole document, and fails otherwise. A `text` body is masked as
 * it flows, holding back only the tail in which a secret could still be starting. An `events`
 * or `lines` body is masked message by message, each sent as soon as it is whole: a stream of
 * events would otherwise hold the end of each until the next one came, and a client waits for
 * that end. (A value split between two messages is not a value of either, and no detector
 * matches across the framing between them.) Output is UTF-8; the concatenated output does not
 * depend on how the input was cut.
 */
export class BodyMasker {
  #mode: 'document' | 'text';
  /** For `events` and `lines` bodies: where a message ends, and the text of one not yet whole. */
  #messageEnd: RegExp | undefined;
  #message = '';
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  /** Bytes pushed so far. */
  #seen = 0;
  #decoder = new TextDecoder('utf-8');
  #stream: MaskStream | undefined;
  readonly #hasPaths: boolean;

  constructor(
    private readonly masker: Masker,
    plan: Exclude<BodyPlan, 'pass'>,
    private readonly maxBodyBytes: number,
    private readonly errors: BodyMaskErrors,
  ) {
    this.#mode = plan === 'document' ? 'document' : 'text';
    if (plan === 'events' || plan === 'lines') this.#messageEnd = MESSAGE_END[plan];
    this.#hasPaths = masker.rules.some((r) => 'path' in r);
  }

  /** True while output waits for the whole document; no output is released until it is false. */
  get buffering(): boolean {
    return this.#mode === 'document';
  }

  push(chunk: Uint8Array): Uint8Array {
    if (chunk.byteLength === 0) return EMPTY;
    this.#refuseNonUtf8(chunk);
    if (this.#mode === 'text') return this.#text(chunk);
    this.#held.push(chunk);
    this.#heldBytes += chunk.byteLength;
    if (this.#heldBytes <= this.maxBodyBytes) return EMPTY;
    if (this.#hasPaths) throw this.errors.tooLarge(this.maxBodyBytes);
    // Too large to hold, and only scanners apply: they give the same answer on a stream.
    this.#mode = 'text';
    const held = this.#held;
    this.#held = [];
    return concat(held.map((c) => this.#text(c)));
  }

  end(): Uint8Array {
    if (this.#messageEnd) {
      const rest = this.#message + this.#decoder.decode();
      this.#message = '';
      return rest === '' ? EMPTY : encoder.encode(this.#maskMessage(rest));
    }
    if (this.#mode === 'text') {
      const stream = this.#textStream();
      return encoder.encode(stream.write(this.#decoder.decode()) + stream.end());
    }
    if (this.#heldBytes === 0) return EMPTY;
    const text = new TextDecoder('utf-8').decode(concat(this.#held));
    this.#held = [];
    try {
      return encoder.encode(this.masker.maskJsonText(text));
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      if (this.#hasPaths) {
        throw this.errors.unenforceable('the response says it is JSON but does not parse', {
          cause: err,
        });
      }
      return encoder.encode(this.masker.maskText(text));
    }
  }

  #text(chunk: Uint8Array): Uint8Array {
    const decoded = this.#decoder.decode(chunk, { stream: true });
    const out = this.#messageEnd ? this.#messages(decoded) : this.#textStream().write(decoded);
    return out === '' ? EMPTY : encoder.encode(out);
  }

  /**
   * The masks read UTF-8. A body in UTF-16 or UTF-32 (which a server may send with a byte
   * order mark and no charset) decodes to its characters with a NUL beside each ASCII one, so
   * no detector matches and every secret in it would pass, readable to a client that honours
   * the mark. Such a body, and any other holding a NUL byte (binary, which is not text either;
   * JSON cannot hold one unescaped), is refused.
   */
  #refuseNonUtf8(chunk: Uint8Array): void {
    const first = this.#seen === 0;
    this.#seen += chunk.byteLength;
    if (
      first &&
      chunk.byteLength >= 2 &&
      ((chunk[0] === 0xfe && chunk[1] === 0xff) || (chunk[0] === 0xff && chunk[1] === 0xfe))
    )
      throw this.errors.unenforceable(
        'cannot mask a UTF-16 or UTF-32 response (it opens with a byte order mark)',
      );
    if (chunk.indexOf(0) !== -1)
      throw this.errors.unenforceable(
        'cannot mask a response holding a NUL byte (UTF-16, UTF-32 or binary, not UTF-8 text)',
      );
  }

  /** The messages `text` completes, masked; the unfinished one waits. */
  #messages(text: string): string {
    const end = this.#messageEnd as RegExp;
    const pending = this.#message + text;
    let whole = 0;
    let out = '';
    // From a little before the new text: a message end may straddle the two.
    end.lastIndex = Math.max(0, this.#message.length - 3);
    for (let m = end.exec(pending); m !== null; m = end.exec(pending)) {
      // One message at a time, so the output does not depend on which arrive together.
      out += this.#maskMessage(pending.slice(whole, m.index + m[0].length));
      whole = m.index + m[0].length;
    }
    this.#message = pending.slice(whole);
    if (this.#hasPaths && this.#message.length > this.maxBodyBytes) {
      // JSONPath masks need the whole message; the text scanners cannot stand in for them.
      throw this.errors.tooLarge(this.maxBodyBytes);
    }
    if (!this.#hasPaths && this.#message.length > MAX_MESSAGE_CHARS) {
      // Too long to wait for: stream the rest of the body as text from here.
      this.#messageEnd = undefined;
      const rest = this.#message;
      this.#message = '';
      return out + this.#textStream().write(rest);
    }
    return out;
  }

  /**
   * One message, masked. A JSON line goes through the JSON masker (paths, and detectors on
   * its strings as their values); so does an event's data when it is JSON, its other fields
   * through the text scanners. With JSONPath masks, a line that is not JSON is refused, as a
   * JSON document that does not parse is, and so is event data that opens as an object and
   * does not parse; other event data (`[DONE]`) has no paths to mask and is scanned as text.
   */
  #maskMessage(message: string): string {
    if (this.#hasPaths && message.length > this.maxBodyBytes) throw this.errors.tooLarge(this.maxBodyBytes);
    if (this.#messageEnd === MESSAGE_END.lines) {
      const body = message.endsWith('\n') ? message.slice(0, message.endsWith('\r\n') ? -2 : -1) : message;
      if (body.trim() === '') return message;
      try {
        return this.masker.maskJsonText(body, NUMBERS) + message.slice(body.length);
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
        if (this.#hasPaths)
          throw this.errors.unenforceable('a line of the JSON-lines response is not JSON', { cause: err });
        return this.masker.maskText(message);
      }
    }
    return this.#maskEvent(message);
  }

  /** A server-sent event: JSON data through the JSON masker, every other line scanned as text. */
  #maskEvent(message: string): string {
    const lines: { text: string; end: string; data: boolean }[] = [];
    for (const m of message.matchAll(/([^\r\n]*)(\r\n|\r|\n|$)/g)) {
      if (m[0] === '') break;
      const text = m[1] as string;
      lines.push({ text, end: m[2] as string, data: /^data(?::|$)/.test(text) });
    }
    const data = lines.filter((l) => l.data);
    if (data.length === 0) return this.masker.maskText(message);
    const value = data.map((l) => l.text.slice(5).replace(/^ /, '')).join('\n');
    let masked: string;
    try {
      masked = this.masker.maskJsonText(value, NUMBERS);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      // Data that opens as a JSON object but does not parse (cut short, broken) is refused
      // under JSONPath masks, as such a document is: the paths would not be applied. (Not on
      // `[`: streams end with `[DONE]`.)
      if (this.#hasPaths && /^\s*\{/.test(value))
        throw this.errors.unenforceable("an event's data looks like JSON but does not parse", { cause: err });
      return this.masker.maskText(message);
    }
    // The masked data goes where the data was, line for line with each line's own `data:` or
    // `data: ` (a node masked whole that spanned several lines leaves fewer).
    const parts = masked.split('\n');
    const prefix = (text: string) => (text.startsWith('data: ') ? 'data: ' : 'data:');
    let out = '';
    let d = 0;
    for (const line of lines) {
      if (!line.data) {
        out += this.masker.maskText(line.text) + line.end;
        continue;
      }
      const last = d === data.length - 1;
      const mine = last ? parts.slice(d) : parts.slice(d, d + 1);
      for (const part of mine) out += `${prefix(line.text)}${part}${line.end}`;
      d += 1;
    }
    return out;
  }

  #textStream(): MaskStream {
    this.#stream ??= this.masker.createStream();
    return this.#stream;
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let size = 0;
  for (const c of chunks) size += c.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
