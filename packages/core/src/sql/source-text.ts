/**
 * libpg-query reports statement and node locations as byte offsets into the UTF-8 encoding
 * of the query, while JavaScript strings index UTF-16 code units. This keeps the two apart:
 * ASCII text (the common case) is sliced directly, anything else through one encoded copy.
 */

const NON_ASCII = /[^\u0000-\u007f]/;

export class SourceText {
  readonly text: string;
  readonly #ascii: boolean;
  #bytes: Buffer | undefined;

  constructor(text: string) {
    this.text = text;
    this.#ascii = !NON_ASCII.test(text);
  }

  get byteLength(): number {
    return this.#ascii ? this.text.length : this.#encoded().length;
  }

  /** Text between two byte offsets; `end` defaults to the end of the text. */
  sliceBytes(start: number, end?: number): string {
    if (this.#ascii) return this.text.slice(start, end);
    return this.#encoded().subarray(start, end).toString('utf8');
  }

  #encoded(): Buffer {
    this.#bytes ??= Buffer.from(this.text, 'utf8');
    return this.#bytes;
  }
}
