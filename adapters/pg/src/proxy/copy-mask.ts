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
}

const TEXT_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** `PGCOPY\n\377\r\n\0`, then a 32-bit flags field and a 32-bit header-extension length. */
const BINARY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const BINARY_HEADER = BINARY_SIGNATURE.length + 8;
/** Flags bit 16: each tuple carries an OID (servers before 12). Not parsed here. */
const BINARY_HAS_OIDS = 1 << 16;

const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;

function unescapeText(field: string): string {
  if (!field.includes('\\')) return field;
  return field.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/gs, (_, e: string) => {
    if (e[0] === 'x' && e.length > 1) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    return TEXT_ESCAPES[e] ?? e;
  });
}

/** As PostgreSQL's CopyAttributeOutText writes a value. */
function escapeText(value: string, delimiter: string): string {
  let out = '';
  for (const c of value) {
    if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === '\b') out += '\\b';
    else if (c === '\f') out += '\\f';
    else if (c === '\v') out += '\\v';
    else if (c === delimiter) out += `\\${c}`;
    else out += c;
  }
  return out;
}

/** One field of a text or CSV row: its bytes as sent, and its value (null for NULL). */
interface RawField {
  raw: Buffer;
  value: string | null;
  quoted: boolean;
}

/** Split one text-format row (without its newline) into fields, honouring backslash escapes. */
export function splitTextRow(row: Buffer, options: CopyOptions): RawField[] {
  const delimiter = options.delimiter.charCodeAt(0);
  const fields: RawField[] = [];
  let start = 0;
  for (let i = 0; i <= row.length; i++) {
    if (i < row.length && row[i] === BACKSLASH) {
      i++;
      continue;
    }
    if (i === row.length || row[i] === delimiter) {
      const raw = row.subarray(start, i);
      const text = raw.toString('utf8');
      fields.push({ raw, value: text === options.null ? null : unescapeText(text), quoted: false });
      start = i + 1;
    }
  }
  return fields;
}

/** Split one CSV row (without its newline) into fields; only unquoted NULL strings are NULL. */
export function splitCsvRow(row: Buffer, options: CopyOptions): RawField[] {
  const delimiter = options.delimiter.charCodeAt(0);
  const quote = options.quote.charCodeAt(0);
  const escapeByte = options.escape.charCodeAt(0);
  const fields: RawField[] = [];
  let start = 0;
  let inQuote = false;
  let quoted = false;
  let value: number[] = [];
  for (let i = 0; i <= row.length; i++) {
    const c = row[i];
    if (i === row.length || (!inQuote && c === delimiter)) {
      if (inQuote) throw rowError('a CSV row ends inside a quoted value');
      const raw = row.subarray(start, i);
      const text = Buffer.from(value).toString('utf8');
      const isNull = !quoted && raw.toString('utf8') === options.null;
      fields.push({ raw, value: isNull ? null : text, quoted });
      start = i + 1;
      value = [];
      quoted = false;
      continue;
    }
    if (inQuote) {
      const next = row[i + 1];
      if (c === escapeByte && (next === quote || next === escapeByte) && i + 1 < row.length) {
        // With escape = quote, a doubled quote is one; a lone one closes the value.
        value.push(next as number);
        i++;
      } else if (c === quote) inQuote = false;
      else value.push(c as number);
    } else if (c === quote) {
      inQuote = true;
      quoted = true;
    } else value.push(c as number);
  }
  return fields;
}

/** As PostgreSQL's CopyAttributeOutCSV writes a value: quoted when it must be (or was). */
function encodeCsv(value: string, options: CopyOptions, quote: boolean, onlyColumn: boolean): string {
  const { delimiter, quote: q, escape: e } = options;
  const needs =
    quote ||
    value === options.null ||
    value.includes(delimiter) ||
    value.includes(q) ||
    value.includes('\n') ||
    value.includes('\r') ||
    (onlyColumn && value === '\\.');
  if (!needs) return value;
  let out = q;
  for (const c of value) out += c === q || c === e ? e + c : c;
  return out + q;
}

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
      masked[i] = cutTo(after, limit);
    }
  }
  return masked;
}

/** UTF-8 text cut to its first `limit` characters (code points, as PostgreSQL counts them). */
function cutTo(value: Buffer, limit: number): Buffer {
  if (value.length <= limit) return value;
  const chars = [...value.toString('utf8')];
  return chars.length <= limit ? value : Buffer.from(chars.slice(0, limit).join(''), 'utf8');
}

/** Mask one text or CSV row (without its newline); returns it with the newline. */
export function maskDelimitedRow(plan: CopyPlan, row: Buffer): Buffer {
  const { options } = plan;
  if (plan.rows.passThrough) return Buffer.concat([row, Buffer.from([NEWLINE])]);
  const csv = options.format === 'csv';
  const fields = csv ? splitCsvRow(row, options) : splitTextRow(row, options);
  const values = fields.map((f) => (f.value === null ? null : Buffer.from(f.value, 'utf8')));
  const masked = maskValues(plan, values);
  const parts: Buffer[] = [];
  const delimiter = Buffer.from(options.delimiter, 'utf8');
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as RawField;
    const before = values[i] ?? null;
    const after = masked[i] ?? null;
    if (i > 0) parts.push(delimiter);
    if (before === null ? after === null : after?.equals(before)) parts.push(field.raw);
    else if (after === null) parts.push(Buffer.from(options.null, 'utf8'));
    else {
      const text = after.toString('utf8');
      const encoded = csv
        ? encodeCsv(text, options, field.quoted, fields.length === 1)
        : escapeText(text, options.delimiter);
      parts.push(Buffer.from(encoded, 'utf8'));
    }
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

  constructor(
    private readonly plan: CopyPlan,
    private readonly maxRowBytes: number,
    /** The session's, which a binary date's or time's text depends on. */
    private readonly settings: TextSettings = DEFAULT_TEXT_SETTINGS,
  ) {
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
    let rowStart = 0;
    const data = this.carry;
    for (let i = this.scanned; i < data.length; i++) {
      const c = data[i];
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
      } else parts.push(maskDelimitedRow(this.plan, row));
      rowStart = i + 1;
    }
    this.carry = keep(data, rowStart);
    this.scanned = this.carry.length;
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
