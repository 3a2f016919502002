/**
 * The policy's constants laid out as ready-made runtime values in one data segment: string
 * values (header + bytes, the layout `opa_string_allocated` produces), integer numbers and
 * NUL-terminated messages. Values are immutable, so plans use these addresses directly and
 * building a constant costs nothing at evaluation time; the segment sits between the
 * runtime's static data and the heap, so heap resets never touch it.
 */

const TYPE_NUMBER = 3;
const TYPE_STRING = 4;
const REPR_INT = 1;
const STRING_HEADER = 12;
const NUMBER_SIZE = 24;

const encoder = new TextEncoder();

function align8(n: number): number {
  return (n + 7) & ~7;
}

export class StaticData {
  readonly base: number;
  private bytes = new Uint8Array(1024);
  private view = new DataView(this.bytes.buffer);
  private size = 0;
  private readonly strings = new Map<string, number>();
  private readonly texts = new Map<string, { addr: number; length: number }>();
  private readonly ints = new Map<bigint, number>();

  constructor(base: number) {
    this.base = align8(base);
  }

  /** Address of the first byte after the data, 8-aligned: where the heap may start. */
  get end(): number {
    return align8(this.base + this.size);
  }

  get data(): Uint8Array {
    return this.bytes.subarray(0, this.size);
  }

  private reserve(length: number): number {
    const at = align8(this.size);
    const needed = at + length;
    if (needed > this.bytes.length) {
      const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
      grown.set(this.bytes);
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.size = needed;
    return at;
  }

  /** Zeroed bytes (8-aligned), e.g. tables the module writes at run time. */
  zeros(length: number): number {
    return this.base + this.reserve(length);
  }

  /** A string value. */
  string(text: string): number {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    const utf8 = encoder.encode(text);
    const at = this.reserve(STRING_HEADER + utf8.length);
    const addr = this.base + at;
    this.view.setUint32(at, TYPE_STRING, true);
    this.view.setUint32(at + 4, utf8.length, true);
    this.view.setUint32(at + 8, addr + STRING_HEADER, true);
    this.bytes.set(utf8, at + STRING_HEADER);
    this.strings.set(text, addr);
    return addr;
  }

  /** Raw UTF-8 bytes (for number literal text), NUL-terminated so they double as messages. */
  text(text: string): { addr: number; length: number } {
    const known = this.texts.get(text);
    if (known !== undefined) return known;
    const utf8 = encoder.encode(text);
    const at = this.reserve(utf8.length + 1);
    this.bytes.set(utf8, at);
    this.bytes[at + utf8.length] = 0;
    const entry = { addr: this.base + at, length: utf8.length };
    this.texts.set(text, entry);
    return entry;
  }

  /** An integer number value; callers ensure it fits in i64. */
  int(value: bigint): number {
    const known = this.ints.get(value);
    if (known !== undefined) return known;
    const at = this.reserve(NUMBER_SIZE);
    this.view.setUint32(at, TYPE_NUMBER, true);
    this.view.setUint32(at + 4, REPR_INT, true);
    this.view.setBigInt64(at + 8, value, true);
    this.ints.set(value, this.base + at);
    return this.base + at;
  }
}
