/**
 * A DER reader with the strictness of Go's golang.org/x/crypto/cryptobyte, which crypto/x509
 * parses certificates with: minimal lengths, low tag numbers only, minimal INTEGERs, BOOLEANs
 * of 0x00/0xff. Reads return undefined on malformed input so callers can raise Go's message
 * for the field they were reading.
 */

/** Malformed input, carrying the message Go gives for it. */
export class Asn1Error extends Error {}

/** Universal and context tags as single identifier bytes (class | constructed | number). */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** `[n]` context-specific, primitive or constructed. */
export const context = (n: number, constructed = false): number => 0x80 | (constructed ? 0x20 : 0) | n;

export interface Element {
  readonly tag: number;
  /** Tag, length and content. */
  readonly full: Buffer;
  readonly content: Buffer;
}

/** A cursor over DER elements, reading left to right as cryptobyte.String does. */
export class Der {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get empty(): boolean {
    return this.pos >= this.buf.length;
  }

  /** What is left, unread. */
  get rest(): Buffer {
    return this.buf.subarray(this.pos);
  }

  peekTag(): number | undefined {
    return this.empty ? undefined : this.buf[this.pos];
  }

  peek(tag: number): boolean {
    return this.peekTag() === tag;
  }

  readAny(): Element | undefined {
    const el = readElementAt(this.buf, this.pos);
    if (el === undefined) return undefined;
    this.pos += el.full.length;
    return el;
  }

  /** The content of the next element, when it has this tag. */
  read(tag: number): Buffer | undefined {
    return this.readElement(tag)?.content;
  }

  readElement(tag: number): Element | undefined {
    if (this.peekTag() !== tag) return undefined;
    return this.readAny();
  }

  /** `null` when absent, undefined when malformed. */
  readOptional(tag: number): Buffer | null | undefined {
    if (!this.peek(tag)) return null;
    return this.read(tag);
  }
}

function readElementAt(buf: Buffer, at: number): Element | undefined {
  if (at + 2 > buf.length) return undefined;
  const tag = buf[at]!;
  // cryptobyte refuses high tag numbers (a 0x1f low part).
  if ((tag & 0x1f) === 0x1f) return undefined;
  let len = buf[at + 1]!;
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || at + 2 + n > buf.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[at + 2 + i]!;
    // DER: the long form only for 128 and up, and no leading zero octets.
    if (len < 128 || buf[at + 2] === 0) return undefined;
    header += n;
  }
  const end = at + header + len;
  if (end > buf.length) return undefined;
  return { tag, full: buf.subarray(at, end), content: buf.subarray(at + header, end) };
}

/** The single element `der` holds, with nothing after it. */
export function readOnly(der: Buffer, tag: number): Buffer | undefined {
  const d = new Der(der);
  const v = d.read(tag);
  return v !== undefined && d.empty ? v : undefined;
}

/** A minimally encoded two's-complement INTEGER's content. */
export function decodeInteger(content: Buffer): bigint | undefined {
  if (content.length === 0) return undefined;
  if (content.length > 1) {
    const a = content[0]!;
    const b = content[1]!;
    if ((a === 0 && (b & 0x80) === 0) || (a === 0xff && (b & 0x80) !== 0)) return undefined;
  }
  let v = BigInt(`0x${content.toString('hex')}`);
  if (content[0]! & 0x80) v -= 1n << BigInt(content.length * 8);
  return v;
}

export function readInteger(d: Der): bigint | undefined {
  const c = d.read(TAG.INTEGER);
  return c === undefined ? undefined : decodeInteger(c);
}

/** An INTEGER that must fit Go's int (64 bits here, as on the platforms OPA ships for). */
export function readInt(d: Der, tag: number = TAG.INTEGER): number | undefined {
  const c = d.read(tag);
  const v = c === undefined ? undefined : decodeInteger(c);
  if (v === undefined || v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    return undefined;
  }
  return Number(v);
}

export function readBoolean(d: Der): boolean | undefined {
  const c = d.read(TAG.BOOLEAN);
  if (c === undefined || c.length !== 1) return undefined;
  if (c[0] === 0) return false;
  if (c[0] === 0xff) return true;
  return undefined;
}

export interface BitString {
  readonly bytes: Buffer;
  readonly bitLength: number;
}

export function decodeBitString(content: Buffer): BitString | undefined {
  if (content.length === 0) return undefined;
  const pad = content[0]!;
  const bytes = content.subarray(1);
  if (pad > 7 || (bytes.length === 0 && pad !== 0)) return undefined;
  if (bytes.length > 0 && (bytes[bytes.length - 1]! & ((1 << pad) - 1)) !== 0) return undefined;
  return { bytes, bitLength: bytes.length * 8 - pad };
}

export function readBitString(d: Der): BitString | undefined {
  const c = d.read(TAG.BIT_STRING);
  return c === undefined ? undefined : decodeBitString(c);
}

/** Bit i counted from the most significant bit of the first byte, as asn1.BitString.At. */
export function bitAt(b: BitString, i: number): boolean {
  if (i < 0 || i >= b.bitLength) return false;
  return ((b.bytes[i >> 3]! >> (7 - (i & 7))) & 1) === 1;
}

/** OID arcs; undefined when malformed (empty, unterminated or non-minimal arcs). */
export function decodeOid(content: Buffer): bigint[] | undefined {
  if (content.length === 0) return undefined;
  const arcs: bigint[] = [];
  let i = 0;
  while (i < content.length) {
    let v = 0n;
    if (content[i] === 0x80) return undefined;
    for (;;) {
      if (i >= content.length) return undefined;
      const b = content[i++]!;
      v = (v << 7n) | BigInt(b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    if (arcs.length === 0) {
      if (v < 80n) arcs.push(v / 40n, v % 40n);
      else arcs.push(2n, v - 80n);
    } else arcs.push(v);
  }
  return arcs;
}

/**
 * As asn1.ObjectIdentifier, whose arcs are Go ints: cryptobyte refuses any arc past 31 bits.
 */
export function readOid(d: Der): number[] | undefined {
  const c = d.read(TAG.OID);
  const arcs = c === undefined ? undefined : decodeOid(c);
  if (arcs === undefined || arcs.some((a) => a > 0x7fffffffn)) return undefined;
  return arcs.map(Number);
}

export const oidString = (arcs: readonly (number | bigint)[]): string => arcs.join('.');

/** A time as Go's time.Time sees it: the instant, and its text as Go's JSON writes it. */
export interface GoTime {
  /** Nanoseconds since the Unix epoch. */
  readonly ns: bigint;
  /** RFC 3339 with the zone offset it was written in, as time.Time.MarshalJSON. */
  readonly json: string;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

function goTime(
  year: number,
  month: number,
  day: number,
  h: number,
  m: number,
  s: number,
  offMin: number,
): GoTime | undefined {
  if (month < 1 || month > 12 || h > 23 || m > 59 || s > 59) return undefined;
  // setUTCFullYear, unlike Date.UTC, leaves years 0-99 alone.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  d.setUTCHours(h, m, s, 0);
  const instant = d.getTime() - offMin * 60_000;
  const abs = Math.abs(offMin);
  const zone =
    offMin === 0 ? 'Z' : `${offMin < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
  const json = `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}T${pad2(h)}:${pad2(m)}:${pad2(s)}${zone}`;
  return { ns: BigInt(instant) * 1_000_000n, json };
}

/** `Z` or `±hhmm`, as Go's `Z0700` layout element reads it; minutes of offset. */
function zoneOffset(z: string): number | undefined {
  if (z === 'Z') return 0;
  const m = /^([+-])(\d\d)(\d\d)$/.exec(z);
  if (m === null) return undefined;
  const mins = Number(m[2]) * 60 + Number(m[3]);
  // Go checks the text round-trips, and a zero offset is written back as Z.
  if (mins === 0) return undefined;
  return m[1] === '-' ? -mins : mins;
}

/**
 * UTCTime as cryptobyte reads it: `YYMMDDhhmmssZ` (or, as a fallback Go keeps, without
 * seconds), years before 50 in the 2000s.
 */
export function decodeUtcTime(content: Buffer): GoTime | undefined {
  const t = content.toString('latin1');
  const m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?(Z|[+-]\d{4})$/.exec(t);
  if (m === null) return undefined;
  const off = zoneOffset(m[7]!);
  if (off === undefined) return undefined;
  let year = Number(m[1]);
  year += year >= 50 ? 1900 : 2000;
  return goTime(year, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? '0'), off);
}

/** GeneralizedTime as cryptobyte reads it: `YYYYMMDDhhmmssZ`, no fractions. */
export function decodeGeneralizedTime(content: Buffer): GoTime | undefined {
  const t = content.toString('latin1');
  const m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(Z|[+-]\d{4})$/.exec(t);
  if (m === null) return undefined;
  const off = zoneOffset(m[7]!);
  if (off === undefined) return undefined;
  return goTime(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), off);
}

/** Go's encoding/asn1 PrintableString set, with the `*` and `&` crypto/x509 also lets in. */
function isPrintable(b: number): boolean {
  return (
    (b >= 0x61 && b <= 0x7a) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x30 && b <= 0x39) ||
    (b >= 0x27 && b <= 0x29) ||
    (b >= 0x2b && b <= 0x2f) ||
    b === 0x20 ||
    b === 0x3a ||
    b === 0x3d ||
    b === 0x3f ||
    b === 0x2a ||
    b === 0x26
  );
}

export const isIA5 = (b: Buffer): boolean => b.every((c) => c < 0x80);

/**
 * The ASN.1 string types a Name may hold, decoded as crypto/x509's parseASN1String does; a
 * string with the reason Go gives when the value is not a valid string of its type.
 */
export function decodeAsn1String(tag: number, value: Buffer): { value: string } | { error: string } {
  switch (tag) {
    case TAG.T61_STRING:
      // Go reads T.61 as Latin-1, as most of the world does.
      return { value: value.toString('latin1') };
    case TAG.PRINTABLE_STRING:
      if (!value.every(isPrintable)) return { error: 'invalid PrintableString' };
      return { value: value.toString('latin1') };
    case TAG.UTF8_STRING: {
      const s = new TextDecoder('utf-8', { fatal: true });
      try {
        return { value: s.decode(value) };
      } catch {
        return { error: 'invalid UTF-8 string' };
      }
    }
    case TAG.BMP_STRING: {
      if (value.length % 2 !== 0) return { error: 'invalid BMPString' };
      let v = value;
      if (v.length >= 2 && v[v.length - 1] === 0 && v[v.length - 2] === 0) v = v.subarray(0, v.length - 2);
      const units: number[] = [];
      for (let i = 0; i < v.length; i += 2) {
        const p = (v[i]! << 8) | v[i + 1]!;
        if (p === 0xfffe || p === 0xffff || (p >= 0xfdd0 && p <= 0xfdef) || (p >= 0xd800 && p <= 0xdfff)) {
          return { error: 'invalid BMPString' };
        }
        units.push(p);
      }
      return { value: String.fromCharCode(...units) };
    }
    case TAG.IA5_STRING:
      if (!isIA5(value)) return { error: 'invalid IA5String' };
      return { value: value.toString('latin1') };
    case TAG.NUMERIC_STRING:
      if (!value.every((b) => (b >= 0x30 && b <= 0x39) || b === 0x20))
        return { error: 'invalid NumericString' };
      return { value: value.toString('latin1') };
    default:
      return { error: `unsupported string type: ${tag}` };
  }
}
