import type { BodyMaskErrors } from './body-mask-errors.js';
import type { BodyPlan } from './body-plan.js';
import type { MaskStream } from './mask-stream.js';
import type { Masker } from './masker.js';

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * Masks a response body that arrives as byte chunks. A `document` body is held until it ends
 * (up to maxBodyBytes) and masked as JSON; past the limit it continues as a text stream when
 * no JSONPath mask needs the whole document, and fails otherwise. A `text` body is masked as
 * it flows, holding back only the tail in which a secret could still be starting. Output is
 * UTF-8; the concatenated output does not depend on how the input was cut.
 */
export class BodyMasker {
  #mode: 'document' | 'text';
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #decoder = new TextDecoder('utf-8');
  #stream: MaskStream | undefined;
  readonly #hasPaths: boolean;

  constructor(
    private readonly masker: Masker,
    plan: Exclude<BodyPlan, 'pass'>,
    private readonly maxBodyBytes: number,
    private readonly errors: BodyMaskErrors,
  ) {
    this.#mode = plan;
    this.#hasPaths = masker.rules.some((r) => 'path' in r);
  }

  /** True while output waits for the whole document; no output is released until it is false. */
  get buffering(): boolean {
    return this.#mode === 'document';
  }

  push(chunk: Uint8Array): Uint8Array {
    if (chunk.byteLength === 0) return EMPTY;
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
    if (this.#mode === 'text') {
      const stream = this.#textStream();
      return encoder.encode(stream.write(this.#decoder.decode()) + stream.end());
    }
    if (this.#heldBytes === 0) return EMPTY;
    const text = new TextDecoder('utf-8').decode(concat(this.#held));
    this.#held = [];
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      if (this.#hasPaths) {
        throw this.errors.unenforceable('the response says it is JSON but does not parse', {
          cause: err,
        });
      }
      return encoder.encode(this.masker.maskText(text));
    }
    return encoder.encode(JSON.stringify(this.masker.maskJson(doc)));
  }

  #text(chunk: Uint8Array): Uint8Array {
    const out = this.#textStream().write(this.#decoder.decode(chunk, { stream: true }));
    return out === '' ? EMPTY : encoder.encode(out);
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
