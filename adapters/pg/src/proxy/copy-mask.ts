/**
 * Masking COPY … TO STDOUT data in its three formats. COPY sends no RowDescription, so the
 * columns come from the COPY statement (its table's catalog entry, or a Describe of its
 * query), and the format from its options (copy-statement.ts).
 * https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9
 *
 * The data is a byte stream: PostgreSQL sends one row per CopyData (the binary header rides
 * with the first row, the trailer alone), but rows are cut out of the stream here whatever the
 * message boundaries, with what is left of a row carried to the next message, up to the
 * largest message allowed. Each row's values go through the same masking as a DataRow's
 * (`maskDataRow`, with the row plan's types and formats), so a masked binary value is NULL or
 * a valid value of its type exactly as in a DataRow; unchanged values keep their bytes.
 */

import { readDataRow } from '../protocol/backend-messages.js';
import { SqlState } from '../protocol/message-codes.js';
import { PgProtocolError } from '../protocol/protocol-error.js';
import type { CopyOptions } from './copy-statement.js';
import { type MaskContext, maskDataRowToBuffer, type RowPlan } from './mask-plan.js';
import { DEFAULT_TEXT_SETTINGS, type TextSettings } from './scalar-text.js';
import { type ClientEncoding, charLength, encodingAt, MultiByte } from './text-encoding.js';

export interface CopyPlan {
  readonly options: CopyOptions;
  /** The columns, their types and formats (binary for a binary COPY), as for a DataRow. */
  readonly rows: RowPlan;
  readonly context: MaskContext;
  /**
   * Per column, the most characters a value may have (`varchar(n)`, `char(n)`): a masked value
   * longer than that is cut to it, so that the data loads back (a masked pg_dump restores).
   */
  readonly maxChars?: readonly (number | undefined)[];
  /**
   * Per column of a table, what a value a mask made NULL is written as where the column is
   * NOT NULL (`notNullPlaceholder`), so that the data loads back; text and CSV only.
   */
  readonly placeholders?: readonly (string | undefined)[];
}

/** Type OIDs (through domains) and the neutral value written for them (see CopyPlan.placeholders). */
const PLACEHOLDERS: Readonly<Record<number, string>> = {
  16: 'f', // bool
  17: '\\x', // bytea, empty
  20: '0', // int8
  21: '0', // int2
  23: '0', // int4
  26: '0', // oid
  600: '(0,0)', // point
  650: '0.0.0.0/32', // cidr
  700: '0', // float4
  701: '0', // float8
  774: '00:00:00:00:00:00:00:00', // macaddr8
  790: '0', // money
  829: '00:00:00:00:00:00', // macaddr
  869: '0.0.0.0', // inet
  1082: '1970-01-01', // date
  1083: '00:00:00', // time
  1114: '1970-01-01 00:00:00', // timestamp
  1184: '1970-01-01 00:00:00+00', // timestamptz
  1186: '00:00:00', // interval
  1266: '00:00:00+00', // timetz
  1562: '', // varbit
  1700: '0', // numeric
  2950: '00000000-0000-0000-0000-000000000000', // uuid
  3614: '', // tsvector
};

/**
 * The value a NOT NULL column of this type (its OID through domains, and its category) gets
 * in COPY data in place of a mask's NULL, which would not load: zero, false, the epoch, the
 * nil UUID, an empty array or range. Undefined where no value is neutral (enums, composites,
 * fixed-length bit strings …): NULL then, and the row does not load. A CHECK constraint of a
 * domain or the table may refuse it too.
 */
export function notNullPlaceholder(type: { oid: number; category: string }): string | undefined {
  if (type.category === 'A' || type.category === 'M') return '{}';
  if (type.category === 'R') return 'empty';
  return PLACEHOLDERS[type.oid];
}

/** The byte a text-format escape letter stands for (copy.c, CopyReadAttributesText). */
const TEXT_ESCAPES: Readonly<Record<number, number>> = {
  98: 0x08, // \b
  102: 0x0c, // \f
  110: 0x0a, // \n
  114: 0x0d, // \r
  116: 0x09, // \t
  118: 0x0b, // \v
};
/** The escape letter PostgreSQL's CopyAttributeOutText writes for a control byte. */
const TEXT_ESCAPED: Readonly<Record<number, number>> = Object.fromEntries(
  Object.entries(TEXT_ESCAPES).map(([letter, byte]) => [byte, Number(letter)]),
);

/** `PGCOPY\n\377\r\n\0`, then a 32-bit flags field and a 32-bit header-extension length. */
const BINARY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const BINARY_HEADER = BINARY_SIGNATURE.length + 8;
/** Flags bit 16: each tuple carries an OID (servers before 12). Not parsed here. */
const BINARY_HAS_OIDS = 1 << 16;

const NEWLINE = 0x0a;
const RETURN = 0x0d;
const BACKSLASH = 0x5c;

const isOctal = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x37;
const hexValue = (c: number | undefined) => {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
};

/**
 * A text-format field's bytes with its escapes decoded. The bytes of a multi-byte character
 * are taken whole: in SJIS a backslash can be the second byte of one, which the server did
 * not escape.
 */
function unescapeText(field: Buffer, multiByte: MultiByte): Buffer {
  if (!field.includes(BACKSLASH)) return field;
  const out = Buffer.allocUnsafe(field.length);
  let n = 0;
  for (let i = 0; i < field.length; ) {
    const c = field[i] as number;
    if (c !== BACKSLASH) {
      const size = charLength(multiByte, field, i);
      for (let k = 0; k < size && i < field.length; k++) out[n++] = field[i++] as number;
      continue;
    }
    const e = field[i + 1];
    i += 2;
    if (e === undefined) continue;
    if (isOctal(e)) {
      let value = e - 0x30;
      for (let k = 0; k < 2 && isOctal(field[i]); k++) value = value * 8 + ((field[i++] as number) - 0x30);
      out[n++] = value & 0xff;
    } else if (e === 0x78 && hexValue(field[i]) >= 0) {
      let value = hexValue(field[i++]);
      if (hexValue(field[i]) >= 0) value = value * 16 + hexValue(field[i++]);
      out[n++] = value;
    } else out[n++] = TEXT_ESCAPES[e] ?? e;
  }
  return out.subarray(0, n);
}

/** As PostgreSQL's CopyAttributeOutText writes a value's bytes. */
function escapeText(value: Buffer, delimiter: number, multiByte: MultiByte): Buffer {
  const out: number[] = [];
  for (let i = 0; i < value.length; ) {
    const c = value[i] as number;
    const size = charLength(multiByte, value, i);
    if (size > 1) {
      for (let k = 0; k < size && i < value.length; k++) out.push(value[i++] as number);
      continue;
    }
    i++;
    const letter = TEXT_ESCAPED[c];
    if (letter !== undefined) out.push(BACKSLASH, letter);
    else if (c === BACKSLASH || c === delimiter) out.push(BACKSLASH, c);
    else out.push(c);
  }
  return Buffer.from(out);
}

/** One field of a text or CSV row: its bytes as sent, and its value's bytes (null for NULL). */
interface RawField {
  raw: Buffer;
  value: Buffer | null;
  quoted: boolean;
}

/** Split one text-format row (without its newline) into fields, honouring backslash escapes. */
export function splitTextRow(
  row: Buffer,
  options: CopyOptions,
  multiByte: MultiByte = MultiByte.None,
): RawField[] {
  const delimiter = options.delimiter.charCodeAt(0);
  const nullString = bytesOf(options).null;
  const fields: RawField[] = [];
  let start = 0;
  for (let i = 0; i <= row.length; ) {
    if (i < row.length && row[i] === BACKSLASH) {
      i += 2;
      continue;
    }
    if (i >= row.length || row[i] === delimiter) {
      const raw = row.subarray(start, Math.min(i, row.length));
      fields.push({
        raw,
        value: raw.equals(nullString) ? null : unescapeText(raw, multiByte),
        quoted: false,
      });
      start = i + 1;
      if (i >= row.length) break;
      i++;
      continue;
    }
    i += charLength(multiByte, row, i);
  }
  return fields;
}

/** Split one CSV row (without its newline) into fields; only unquoted NULL strings are NULL. */
export function splitCsvRow(
  row: Buffer,
  options: CopyOptions,
  multiByte: MultiByte = MultiByte.None,
): RawField[] {
  const delimiter = options.delimiter.charCodeAt(0);
  const quote = options.quote.charCodeAt(0);
  const escapeByte = options.escape.charCodeAt(0);
  const nullString = bytesOf(options).null;
  const fields: RawField[] = [];
  let start = 0;
  let inQuote = false;
  let quoted = false;
  let value: number[] = [];
  for (let i = 0; i <= row.length; i++) {
    const c = row[i] as number;
    if (i === row.length || (!inQuote && c === delimiter)) {
      if (inQuote) throw rowError('a CSV row ends inside a quoted value');
      const raw = row.subarray(start, i);
      const isNull = !quoted && raw.equals(nullString);
      fields.push({ raw, value: isNull ? null : Buffer.from(value), quoted });
      start = i + 1;
      value = [];
      quoted = false;
      continue;
    }
    const size = charLength(multiByte, row, i);
    if (size > 1) {
      for (let k = 0; k < size && i < row.length; k++) value.push(row[i++] as number);
      i--;
      continue;
    }
    if (inQuote) {
      const next = row[i + 1];
      if (c === escapeByte && (next === quote || next === escapeByte) && i + 1 < row.length) {
        // With escape = quote, a doubled quote is one; a lone one closes the value.
        value.push(next as number);
        i++;
      } else if (c === quote) inQuote = false;
      else value.push(c);
    } else if (c === quote) {
      inQuote = true;
      quoted = true;
    } else value.push(c);
  }
  return fields;
}

/** As PostgreSQL's CopyAttributeOutCSV writes a value: quoted when it must be (or was). */
function encodeCsv(
  value: Buffer,
  options: CopyOptions,
  quote: boolean,
  onlyColumn: boolean,
  multiByte: MultiByte,
): Buffer {
  const delimiter = options.delimiter.charCodeAt(0);
  const q = options.quote.charCodeAt(0);
  const e = options.escape.charCodeAt(0);
  let needs = quote || value.equals(bytesOf(options).null) || (onlyColumn && value.equals(END_MARKER));
  for (let i = 0; i < value.length && !needs; i += charLength(multiByte, value, i)) {
    const c = value[i];
    needs = c === delimiter || c === q || c === NEWLINE || c === RETURN;
  }
  if (!needs) return value;
  const out: number[] = [q];
  for (let i = 0; i < value.length; ) {
    const size = charLength(multiByte, value, i);
    const c = value[i] as number;
    if (size === 1 && (c === q || c === e)) out.push(e);
    for (let k = 0; k < size && i < value.length; k++) out.push(value[i++] as number);
  }
  out.push(q);
  return Buffer.from(out);
}

/** How bytes are grouped where the server's COPY groups them (text-encoding.ts). */
function splitting(settings: TextSettings): MultiByte {
  return settings.encoding.embedsAscii ? settings.encoding.multiByte : MultiByte.None;
}

/** The NULL string's and the delimiter's bytes, made once per COPY's options rather than per row. */
const optionBytes = new WeakMap<CopyOptions, { null: Buffer; delimiter: Buffer }>();
function bytesOf(options: CopyOptions): { null: Buffer; delimiter: Buffer } {
  let bytes = optionBytes.get(options);
  if (!bytes) {
    bytes = { null: Buffer.from(options.null, 'utf8'), delimiter: Buffer.from(options.delimiter, 'utf8') };
    optionBytes.set(options, bytes);
  }
  return bytes;
}

/** `\.`, which alone on a line would end the data. */
const END_MARKER = Buffer.from('\\.', 'latin1');

function rowError(message: string): PgProtocolError {
  return new PgProtocolError(`cannot mask this COPY: ${message}`, SqlState.InternalError);
}

/** Mask one row's values as a DataRow's would be; returns the new values (null for NULL). */
function maskValues(
  plan: CopyPlan,
  values: readonly (Buffer | null)[],
  settings: TextSettings = DEFAULT_TEXT_SETTINGS,
): (Buffer | null)[] {
  if (values.length !== plan.rows.fields.length) {
    throw rowError(`a row has ${values.length} columns, expected ${plan.rows.fields.length}`);
  }
  const message = maskDataRowToBuffer(plan.rows, values, settings);
  // Type byte and length, then the DataRow body.
  const masked = readDataRow(message.subarray(5));
  const limits = plan.maxChars;
  if (limits && limits.length > 0) {
    for (let i = 0; i < masked.length; i++) {
      const limit = limits[i];
      const after = masked[i];
      const before = values[i];
      if (limit === undefined || !after || (before && after.equals(before))) continue;
      masked[i] = cutTo(after, limit, settings.encoding);
    }
  }
  return masked;
}

/**
 * A masked value cut to its first `limit` characters, as PostgreSQL counts them: code points
 * in UTF-8, characters of the client encoding otherwise (whole ones: the cut never splits one).
 */
function cutTo(value: Buffer, limit: number, encoding: ClientEncoding): Buffer {
  if (value.length <= limit) return value;
  if (encodingAt(encoding, value, 0, value.length) === 'utf8') {
    const chars = [...value.toString('utf8')];
    return chars.length <= limit ? value : Buffer.from(chars.slice(0, limit).join(''), 'utf8');
  }
  let at = 0;
  for (let count = 0; count < limit && at < value.length; count++)
    at += charLength(encoding.multiByte, value, at);
  return at >= value.length ? value : value.subarray(0, at);
}

/** Mask one text or CSV row (without its newline); returns it with the newline. */
export function maskDelimitedRow(
  plan: CopyPlan,
  row: Buffer,
  settings: TextSettings = DEFAULT_TEXT_SETTINGS,
): Buffer {
  const { options } = plan;
  if (plan.rows.passThrough) return Buffer.concat([row, Buffer.from([NEWLINE])]);
  const csv = options.format === 'csv';
  const multiByte = splitting(settings);
  const fields = csv ? splitCsvRow(row, options, multiByte) : splitTextRow(row, options, multiByte);
  const values = fields.map((f) => f.value);
  const masked = maskValues(plan, values, settings);
  const parts: Buffer[] = [];
  const { delimiter, null: nullString } = bytesOf(options);
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as RawField;
    const before = values[i] ?? null;
    const after = masked[i] ?? null;
    if (i > 0) parts.push(delimiter);
    const placeholder = plan.placeholders?.[i];
    if (before === null ? after === null : after?.equals(before)) parts.push(field.raw);
    else if (after === null && placeholder === undefined) parts.push(nullString);
    else if (after === null) {
      const bytes = Buffer.from(placeholder as string, 'latin1');
      parts.push(
        csv
          ? encodeCsv(bytes, options, false, fields.length === 1, multiByte)
          : escapeText(bytes, delimiter[0] as number, multiByte),
      );
    } else
      parts.push(
        csv
          ? encodeCsv(after, options, field.quoted, fields.length === 1, multiByte)
          : escapeText(after, delimiter[0] as number, multiByte),
      );
  }
  parts.push(Buffer.from([NEWLINE]));
  return Buffer.concat(parts);
}

/**
 * One COPY's data, cut into rows across CopyData messages and masked. `push` returns what
 * can go to the client now (possibly nothing, while a row is incomplete); `end` checks that
 * nothing was left half-sent.
 */
export class CopyOutStream {
  private carry: Buffer = Buffer.alloc(0);
  /** Where the row scan stopped in `carry`, and its state there (CSV quoting, a pending escape). */
  private scanned = 0;
  private inQuote = false;
  private escaped = false;
  private headerPending: boolean;
  private binaryState: 'header' | 'tuples' | 'done' = 'header';
  /**
   * The session's (its encoding, and the styles a binary date's or time's text depends on),
   * or UTF-8 for text and CSV data under `ENCODING 'UTF8'`.
   */
  private readonly settings: TextSettings;

  constructor(
    private readonly plan: CopyPlan,
    private readonly maxRowBytes: number,
    settings: TextSettings = DEFAULT_TEXT_SETTINGS,
  ) {
    // ENCODING 'UTF8' sets the text data's encoding; binary values' text is the session's.
    this.settings = plan.options.utf8 && plan.options.format !== 'binary' ? DEFAULT_TEXT_SETTINGS : settings;
    this.headerPending = plan.options.header && plan.options.format !== 'binary';
  }

  push(chunk: Buffer): Buffer {
    this.carry = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const out = this.plan.options.format === 'binary' ? this.binaryRows() : this.delimitedRows();
    if (this.carry.length > this.maxRowBytes) {
      throw rowError(`a row is longer than the largest message allowed (${this.maxRowBytes} bytes)`);
    }
    return out;
  }

  end(): void {
    if (this.carry.length > 0) throw rowError('the data ended inside a row');
    if (this.plan.options.format === 'binary' && this.binaryState !== 'done')
      throw rowError('the binary data ended without its trailer');
  }

  private delimitedRows(): Buffer {
    const parts: Buffer[] = [];
    const csv = this.plan.options.format === 'csv';
    const quote = this.plan.options.quote.charCodeAt(0);
    const escapeByte = this.plan.options.escape.charCodeAt(0);
    const multiByte = splitting(this.settings);
    let rowStart = 0;
    const data = this.carry;
    let i = this.scanned;
    for (; i < data.length; i++) {
      const c = data[i] as number;
      if (multiByte !== MultiByte.None && c >= 0x80) {
        // A character's later bytes can be ASCII (a quote): taken whole, once all here.
        if (i + 1 >= data.length) break;
        const size = charLength(multiByte, data, i);
        if (i + size > data.length) break;
        this.escaped = false;
        i += size - 1;
        continue;
      }
      if (csv) {
        // Only the quoting state matters for where a row ends: with escape = quote, every
        // quote toggles it (a doubled quote toggles twice); otherwise an escape skips a byte.
        if (this.escaped) {
          this.escaped = false;
          continue;
        }
        if (this.inQuote && c === escapeByte && escapeByte !== quote) {
          this.escaped = true;
          continue;
        }
        if (c === quote) {
          this.inQuote = !this.inQuote;
          continue;
        }
        if (this.inQuote) continue;
      }
      if (c !== NEWLINE) continue;
      const row = data.subarray(rowStart, i);
      if (this.headerPending) {
        this.headerPending = false;
        parts.push(data.subarray(rowStart, i + 1));
      } else parts.push(maskDelimitedRow(this.plan, row, this.settings));
      rowStart = i + 1;
    }
    this.carry = keep(data, rowStart);
    this.scanned = Math.min(i, data.length) - rowStart;
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  private binaryRows(): Buffer {
    const parts: Buffer[] = [];
    const data = this.carry;
    let at = 0;
    for (;;) {
      if (this.binaryState === 'header') {
        if (data.length - at < BINARY_HEADER) break;
        if (!data.subarray(at, at + BINARY_SIGNATURE.length).equals(BINARY_SIGNATURE))
          throw rowError('the binary data does not start with the PGCOPY signature');
        const flags = data.readUInt32BE(at + BINARY_SIGNATURE.length);
        if (flags & BINARY_HAS_OIDS) throw rowError('binary COPY with OIDs is not supported');
        const extension = data.readUInt32BE(at + BINARY_SIGNATURE.length + 4);
        if (extension > this.maxRowBytes) throw rowError('the binary header extension is too long');
        const size = BINARY_HEADER + extension;
        if (data.length - at < size) break;
        parts.push(data.subarray(at, at + size));
        at += size;
        this.binaryState = 'tuples';
        continue;
      }
      if (this.binaryState === 'done') {
        if (at < data.length) throw rowError('data after the binary trailer');
        break;
      }
      if (data.length - at < 2) break;
      const count = data.readInt16BE(at);
      if (count === -1) {
        parts.push(data.subarray(at, at + 2));
        at += 2;
        this.binaryState = 'done';
        continue;
      }
      const expected = this.plan.rows.fields.length;
      if (count !== expected) throw rowError(`a row has ${count} columns, expected ${expected}`);
      // Walk the fields; stop (and wait for more) if the tuple is not all here yet.
      let p = at + 2;
      const values: (Buffer | null)[] = new Array(count);
      let complete = true;
      for (let i = 0; i < count; i++) {
        if (data.length - p < 4) {
          complete = false;
          break;
        }
        const length = data.readInt32BE(p);
        p += 4;
        if (length === -1) {
          values[i] = null;
          continue;
        }
        if (length < 0) throw rowError('a binary field has a negative length');
        if (data.length - p < length) {
          complete = false;
          break;
        }
        values[i] = data.subarray(p, p + length);
        p += length;
      }
      if (!complete) break;
      parts.push(
        this.plan.rows.passThrough
          ? data.subarray(at, p)
          : binaryTuple(maskValues(this.plan, values, this.settings)),
      );
      at = p;
    }
    this.carry = keep(data, at);
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }
}

/** The rest of a row, copied: the message it came in may be a view of a buffer reused later. */
function keep(data: Buffer, from: number): Buffer {
  return from >= data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(from));
}

function binaryTuple(values: readonly (Buffer | null)[]): Buffer {
  let size = 2;
  for (const v of values) size += 4 + (v?.length ?? 0);
  const out = Buffer.allocUnsafe(size);
  out.writeInt16BE(values.length, 0);
  let p = 2;
  for (const v of values) {
    if (v === null) {
      out.writeInt32BE(-1, p);
      p += 4;
    } else {
      out.writeInt32BE(v.length, p);
      p += 4;
      v.copy(out, p);
      p += v.length;
    }
  }
  return out;
}
