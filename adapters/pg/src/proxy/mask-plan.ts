/**
 * How the masks of one decision apply to one result: which columns a column rule picks (so
 * binary values can be nulled and unpicked ones passed through), and whether detector or
 * pattern rules must see every text value. Built once per RowDescription, used per DataRow.
 */

import type { ColumnDescriptor, Masker } from '@portcullis/core';

/** A column rule resolved for one column (core's `Masker.columnRule`). */
type ColumnMask = NonNullable<ReturnType<Masker['columnRule']>>;

import type { FieldDescription } from '../protocol/backend-messages.js';
import { type NoticeFields, writeDataRow } from '../protocol/backend-writers.js';
import { BackendCode } from '../protocol/message-codes.js';
import { MessageWriter } from '../protocol/message-writer.js';
import { PgProtocolError } from '../protocol/protocol-error.js';
import {
  BUILTIN_TYPES,
  JSONB_PREFIX,
  JSONB_VERSION,
  maskBinaryValue,
  numericText,
  Shape,
  type TypeShapes,
} from './binary-values.js';
import { DEFAULT_TEXT_SETTINGS, type Scalar, scalarText, type TextSettings } from './scalar-text.js';
import { encodingAt } from './text-encoding.js';
import { pickedColumns } from './unresolved-columns.js';

export { numericText } from './binary-values.js';

/**
 * How a type's binary form relates to its text, which decides what a masked binary value
 * can become and stay valid for its type.
 * - `Text`: the binary form is the text in the client encoding (text, varchar, bpchar, name,
 *   unknown, xml): a masked value is the mask's text.
 * - `Json`: json's binary form is its text; jsonb's is a version byte (1) and the text. A
 *   column mask becomes a JSON string (`"[REDACTED]"`), so the value still parses as JSON.
 * - `Int8`: eight bytes, big-endian, two's complement; `Numeric`: base-10000 digits with a
 *   weight, sign and display scale (`numericText`). Read as their decimal text, so that
 *   detectors see the same digits in either format (a card number kept in a `bigint` or a
 *   `numeric`); a value a mask changes becomes NULL.
 * - `Structured`: arrays, composites, ranges, network addresses, and types the server's table
 *   does not list (an extension's, an enum, a domain): read by their layout, see
 *   binary-values.ts.
 * - `Scalar`: the server's other scalar types (floats, dates and times, UUIDs, bytea …), read
 *   as the text the server would write under the session's settings (scalar-text.ts); a value
 *   a mask would change, or one that cannot be read, becomes NULL.
 * - `Opaque`: the reg types (an OID) and void.
 * A column-masked value of a kind other than the textual ones becomes NULL, since no mask text
 * is a valid value of these types.
 */
export const BinaryKind = {
  Opaque: 0,
  Text: 1,
  Json: 2,
  Jsonb: 3,
  Int8: 4,
  Numeric: 5,
  Structured: 6,
  Scalar: 7,
} as const;
export type BinaryKind = (typeof BinaryKind)[keyof typeof BinaryKind];

/** A binary value read as its decimal digits (see BinaryKind). */
function digitsKind(kind: BinaryKind | undefined): boolean {
  return kind === BinaryKind.Int8 || kind === BinaryKind.Numeric;
}

/** A binary value read as the text the server would write for it, NULL when a mask changes it. */
function renderedKind(kind: BinaryKind | undefined): boolean {
  return digitsKind(kind) || kind === BinaryKind.Scalar;
}

/** The binary form is the text (or the text after a version byte): a mask's text is a value. */
function textual(kind: BinaryKind | undefined): boolean {
  return kind === BinaryKind.Text || kind === BinaryKind.Json || kind === BinaryKind.Jsonb;
}

const KIND_OF_SHAPE = new Map<Shape, BinaryKind>([
  [Shape.Keep, BinaryKind.Opaque],
  [Shape.Text, BinaryKind.Text],
  [Shape.Json, BinaryKind.Json],
  [Shape.Jsonb, BinaryKind.Jsonb],
  [Shape.Int8, BinaryKind.Int8],
  [Shape.Numeric, BinaryKind.Numeric],
  [Shape.Scalar, BinaryKind.Scalar],
]);

/** A type's kind among the types `types` knows (a domain as its base type); unknown ones are Structured. */
export function binaryKind(typeOid: number, types: TypeShapes = BUILTIN_TYPES): BinaryKind {
  const type = types.baseShapeOf(typeOid);
  return (type && KIND_OF_SHAPE.get(type.shape)) ?? BinaryKind.Structured;
}

/**
 * What one column of a result needs, decided once per plan so that a DataRow whose columns
 * need nothing is forwarded as it came, and the others are masked column by column in place.
 * - `Keep`: no mask can change the value (see `scanFree`), or masks cannot read it (an opaque
 *   binary value not picked by a column rule).
 * - `Scan`: detectors and patterns read the value's text.
 * - `ScanLong`: as `Scan`, but only values longer than `SHORT_SAFE_BYTES` (see `scanFree`).
 * - `Picked`: a column rule masks the whole value.
 * - `Walk`: a binary value of a Structured kind, read by its layout (`maskBinaryValue`).
 */
export const ColumnAction = { Keep: 0, Scan: 1, ScanLong: 2, Picked: 3, Walk: 4 } as const;
export type ColumnAction = (typeof ColumnAction)[keyof typeof ColumnAction];

/**
 * Types whose text form no built-in detector can match, whatever the value: bool (`t`/`f`),
 * int2, int4, oid, xid and cid are an optional `-` and at most ten digits, and every
 * detector needs more (13 digits for a card, separators between digit groups for a phone
 * number or an SSN, `+` for an international number, three dots for IPv4, `:` for IPv6,
 * `@` for e-mail, letters for the rest). Operator patterns can match anything, so with a
 * pattern rule every value is scanned.
 */
const SCAN_FREE_TYPES = new Set([16, 21, 23, 26, 28, 29]);
/**
 * Types whose text form is an optional `-`, digits and at most one `.` (or `NaN`,
 * `Infinity`, `-Infinity`): int8 and numeric. Up to SHORT_SAFE_BYTES bytes no built-in
 * detector can match them (a card needs 13 digits; see SCAN_FREE_TYPES for the others);
 * longer values are scanned (a 16-digit int8 can be a card number).
 */
const SHORT_SAFE_TYPES = new Set([20, 1700]);
export const SHORT_SAFE_BYTES = 12;

/**
 * How a column is treated in text format when detectors apply and no column rule picks it.
 * Anything not known here (text, varchar, json, arrays, user-defined and unknown types,
 * OID 0) is scanned.
 */
function scanAction(typeOid: number, patterns: boolean): ColumnAction {
  if (patterns) return ColumnAction.Scan;
  if (SCAN_FREE_TYPES.has(typeOid)) return ColumnAction.Keep;
  if (SHORT_SAFE_TYPES.has(typeOid)) return ColumnAction.ScanLong;
  return ColumnAction.Scan;
}

function columnActions(
  context: MaskContext,
  fields: readonly FieldDescription[],
  picked: readonly boolean[],
  kinds: readonly BinaryKind[],
): ColumnAction[] {
  const patterns = context.masker.rules.some((r) => 'pattern' in r);
  return fields.map((f, i) => {
    if (picked[i]) return ColumnAction.Picked;
    if (!context.hasTextRules) return ColumnAction.Keep;
    // Opaque binary values hold no text (see `readableAt`); textual ones are text, int8 and
    // numeric their digits, scalars their text, and structured ones are read by their layout.
    if (f.format !== 0) {
      if (digitsKind(kinds[i])) return patterns ? ColumnAction.Scan : ColumnAction.ScanLong;
      // As the same type's text would be: an int4 only under patterns, a date always.
      if (kinds[i] === BinaryKind.Scalar) return scanAction(f.typeOid, patterns);
      if (kinds[i] === BinaryKind.Structured) return ColumnAction.Walk;
      return kinds[i] === BinaryKind.Opaque ? ColumnAction.Keep : ColumnAction.Scan;
    }
    return scanAction(f.typeOid, patterns);
  });
}

export interface MaskContext {
  masker: Masker;
  /** The decision has at least one column rule: results need their columns resolved. */
  hasColumnRules: boolean;
  /** The decision has detector or pattern rules: every text value is scanned. */
  hasTextRules: boolean;
}

export interface RowPlan {
  readonly fields: readonly FieldDescription[];
  readonly descriptors: readonly ColumnDescriptor[];
  /** Column i is picked by a column rule. */
  readonly picked: readonly boolean[];
  /** Column i's type, as its binary form goes (by type OID, whatever the format). */
  readonly kinds: readonly BinaryKind[];
  /** The types the plan was made with: what Structured values' layouts name is looked up here. */
  readonly types: TypeShapes;
  /** How column i's binary value is read where its kind is `Scalar` (scalar-text.ts). */
  readonly scalars: readonly (Scalar | undefined)[];
  /** Column i's column rule, looked up once per plan (undefined where no rule picks it). */
  readonly columnRules: readonly (ColumnMask | undefined)[];
  /** What column i needs (see ColumnAction); columns past the end are scanned. */
  readonly actions: readonly ColumnAction[];
  /** Column i's value becomes NULL where a detector or pattern would change it (see `typedScalars`). */
  readonly nullOnChange: readonly boolean[];
  /** Nothing to do for any row: pass DataRows through untouched. */
  readonly passThrough: boolean;
  /**
   * The columns as the client is told of them, when that differs from the server's
   * RowDescription (see `declaredFields`); undefined when the server's goes as it came.
   */
  readonly clientFields: readonly FieldDescription[] | undefined;
  readonly context: MaskContext;
  /**
   * Set when the result may carry a masked column the plan cannot pick out and the proxy is
   * to deny rather than guess (`unresolvedColumns: 'deny'`): the rows are withheld and the
   * client gets this error instead.
   */
  readonly withheld?: NoticeFields;
  /** Built with the statement's facts (unresolved columns): not reusable for another statement. */
  readonly statementBound?: boolean;
  /**
   * Withheld because the catalog could not be read this time (a lookup timed out or its
   * connection failed): kept for nothing, so the next run of the statement looks again.
   */
  readonly transient?: boolean;
}

export function createRowPlan(
  context: MaskContext,
  fields: readonly FieldDescription[],
  descriptors: readonly ColumnDescriptor[],
  extra: { withheld?: NoticeFields; statementBound?: boolean; transient?: boolean; types?: TypeShapes } = {},
): RowPlan {
  const { types = BUILTIN_TYPES, ...flags } = extra;
  const picked = pickedColumns(context, descriptors);
  const kinds = fields.map((f) => binaryKind(f.typeOid, types));
  const scalars = fields.map((f, i) =>
    kinds[i] === BinaryKind.Scalar ? types.baseShapeOf(f.typeOid)?.scalar : undefined,
  );
  const actions = columnActions(context, fields, picked, kinds);
  const passThrough = actions.every((a) => a === ColumnAction.Keep) && flags.withheld === undefined;
  const columnRules = descriptors.map((d, i) => (picked[i] ? context.masker.columnRule(d) : undefined));
  const clientFields = declaredFields(fields, kinds, picked, columnRules);
  const nullOnChange = typedScalars(fields, kinds, picked);
  return {
    fields,
    descriptors,
    picked,
    kinds,
    types,
    scalars,
    columnRules,
    actions,
    nullOnChange,
    passThrough,
    clientFields,
    context,
    ...flags,
  };
}

/**
 * Scalar types whose text form no mask's text is a value of (pg_type.dat): numbers, money,
 * dates and times, network and MAC addresses, UUIDs, bytea, bit strings, LSNs, geometry.
 * Arrays, composites, ranges, tsvector and types of the user's are not here: a detector
 * masks inside their text, which drivers read as text or parse loosely.
 */
const TYPED_SCALAR_TYPES = new Set([
  // int8, numeric, float4, float8, money
  20, 1700, 700, 701, 790,
  // date, time, timestamp, timestamptz, interval, timetz
  1082, 1083, 1114, 1184, 1186, 1266,
  // inet, cidr, macaddr, macaddr8, uuid, bytea, bit, varbit, pg_lsn
  869, 650, 829, 774, 2950, 17, 1560, 1562, 3220,
  // point, lseg, path, box, polygon, line, circle
  600, 601, 602, 603, 604, 628, 718,
]);

/**
 * The text-format columns of such a type that no column rule picks: a value a detector or an
 * operator pattern would change there (a random 16-digit `bigint` id that passes the card
 * check, an address in an `inet` column) becomes NULL, as a binary one does, rather than
 * `************1111` under a type it is not a value of: psycopg2 or pgjdbc would raise on the
 * whole result. Which values a detector changes is not known when the RowDescription goes
 * out, so the column cannot be declared text as a picked one is. A binary int8 column too,
 * picked or not: it is read as its digits (see BinaryKind), and no mask's text is eight bytes.
 */
function typedScalars(
  fields: readonly FieldDescription[],
  kinds: readonly BinaryKind[],
  picked: readonly boolean[],
): boolean[] {
  return fields.map((f, i) =>
    f.format === 0 ? !picked[i] && TYPED_SCALAR_TYPES.has(f.typeOid) : renderedKind(kinds[i]),
  );
}

/** The type a column whose values become a mask's text is declared as: text (pg_type.dat). */
const TEXT_TYPE = { typeOid: 25, typeSize: -1, typeModifier: -1 } as const;

/**
 * The RowDescription the client gets, when a column rule turns a text-format value of a
 * non-textual type (int, date, numeric, an array, an enum …) into a mask's text: that column
 * is declared `text`. A driver parses each value by the declared type, and `[REDACTED]` in a
 * `date` column makes psycopg2 or pgjdbc's getObject raise on the whole result; as text it
 * reads as what it is. The table OID and attribute number
 * stay, so metadata lookups still name the column. Not declared: textual and JSON columns
 * (their mask is a valid value: see BinaryKind), the `null` strategy (NULL is a value of every
 * type), and binary-format columns, whose masked values are NULL already: a client that bound
 * binary before seeing this description (a pipelined driver) still decodes them. Detector
 * masks are not declared: they change a value only when it holds what they find, which no
 * type known before the rows can tell.
 */
function declaredFields(
  fields: readonly FieldDescription[],
  kinds: readonly BinaryKind[],
  picked: readonly boolean[],
  columnRules: readonly (ColumnMask | undefined)[],
): FieldDescription[] | undefined {
  let declared: FieldDescription[] | undefined;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as FieldDescription;
    if (!picked[i] || f.format !== 0 || textual(kinds[i])) continue;
    if (columnRules[i]?.strategy === 'null') continue;
    declared ??= fields.slice();
    declared[i] = { ...f, ...TEXT_TYPE };
  }
  return declared;
}

/** The same plan with the formats a Bind asked for (a statement's RowDescription says text). */
export function withResultFormats(plan: RowPlan, formats: readonly number[]): RowPlan {
  if (formats.length === 0) return plan;
  const fields = plan.fields.map((f, i) => ({
    ...f,
    format: formats.length === 1 ? (formats[0] as number) : (formats[i] ?? 0),
  }));
  const actions = columnActions(plan.context, fields, plan.picked, plan.kinds);
  const passThrough = actions.every((a) => a === ColumnAction.Keep) && plan.withheld === undefined;
  const clientFields = declaredFields(fields, plan.kinds, plan.picked, plan.columnRules);
  const nullOnChange = typedScalars(fields, plan.kinds, plan.picked);
  return { ...plan, fields, actions, nullOnChange, passThrough, clientFields };
}

/**
 * The plan for rows whose columns the client was told of before this plan (a statement
 * described under an earlier policy, whose Bind and Execute now come alone, as pgjdbc's do; a
 * portal described, then resumed after a policy change): a column the plan declares text but
 * the client knows as its own type would carry a mask's text under that type, which the
 * driver cannot parse; its masked values are NULL instead, a value of every type.
 */
export function withToldTypes(plan: RowPlan, told: readonly number[]): RowPlan {
  const declared = plan.clientFields;
  if (!declared) return plan;
  let nullOnChange: boolean[] | undefined;
  for (let i = 0; i < declared.length; i++) {
    const type = declared[i]?.typeOid;
    if (type === plan.fields[i]?.typeOid || told[i] === undefined || told[i] === type) continue;
    nullOnChange ??= plan.nullOnChange.slice();
    nullOnChange[i] = true;
  }
  return nullOnChange ? { ...plan, nullOnChange } : plan;
}

function encode(value: unknown, encoding: BufferEncoding): Buffer | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return Buffer.from(value, encoding);
  if (value instanceof Uint8Array) return Buffer.from(value);
  return Buffer.from(typeof value === 'object' ? JSON.stringify(value) : String(value), encoding);
}

/**
 * Mask one DataRow into `writer`. Every value masks can read (text format, and binary values
 * of textual and JSON types) goes through the masker's `maskRow`: column rules pick whole
 * columns, detectors scan the rest. A masked value is written back in the value's own format
 * so that the client can still decode it (see BinaryKind); a column-masked binary value of
 * any other type becomes NULL. Unchanged values are passed on as they came.
 */
export function maskDataRow(
  plan: RowPlan,
  values: readonly (Buffer | null)[],
  writer: MessageWriter,
  settings: TextSettings = DEFAULT_TEXT_SETTINGS,
): void {
  writeDataRow(writer, maskValues(plan, values, settings));
}

/** The values of one row masked as `maskDataRow` masks them (a fast-path result is one such value). */
export function maskValues(
  plan: RowPlan,
  values: readonly (Buffer | null)[],
  settings: TextSettings = DEFAULT_TEXT_SETTINGS,
): (Buffer | null)[] {
  const n = values.length;
  const texts: (string | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const value = values[i];
    const format = plan.fields[i]?.format ?? 0;
    const kind = plan.kinds[i] ?? BinaryKind.Opaque;
    // A binary scalar no mask can change (an int4 under detectors) is not read, nor one a
    // column rule picks (NULL: no mask's text is a value of its type).
    const kept =
      format !== 0 &&
      kind === BinaryKind.Scalar &&
      (plan.actions[i] === ColumnAction.Keep || plan.picked[i] === true);
    texts[i] =
      value === null || value === undefined || kept
        ? null
        : readableAt(plan, value, 0, value.length, format, kind, i, settings);
  }
  const descriptors =
    plan.descriptors.length === n
      ? plan.descriptors
      : values.map((_, i) => plan.descriptors[i] ?? { column: '' });
  const masked = plan.context.masker.maskRow(descriptors, texts);
  const out: (Buffer | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const original = values[i] ?? null;
    const text = texts[i];
    if (original === null) {
      out[i] = null;
    } else if (text === null) {
      // A binary value not read as text: picked, NULL (no mask's text is a value of its
      // type); structured, read by its layout; a scalar to be scanned that could not be
      // read (a style of the session's not written here), NULL; opaque, as it came.
      if (plan.picked[i]) out[i] = null;
      else if (plan.actions[i] === ColumnAction.Walk) {
        const walked = walk(plan, i, original, 0, original.length, settings);
        out[i] = walked === undefined ? original : walked;
      } else if (plan.kinds[i] === BinaryKind.Scalar && plan.actions[i] !== ColumnAction.Keep) out[i] = null;
      else out[i] = original;
    } else if (masked[i] === text) {
      out[i] = original;
    } else {
      out[i] = plan.nullOnChange[i]
        ? null
        : encodeMasked(plan, i, masked[i], encodingAt(settings.encoding, original, 0, original.length));
    }
  }
  return out;
}

/** A Structured binary value under the plan's detector and pattern rules (see maskBinaryValue). */
function walk(
  plan: RowPlan,
  i: number,
  body: Buffer,
  start: number,
  length: number,
  settings: TextSettings,
): Buffer | null | undefined {
  const masker = plan.context.masker;
  const typeOid = plan.fields[i]?.typeOid ?? 0;
  return maskBinaryValue(plan.types, typeOid, body, start, length, (text) => masker.maskText(text), settings);
}

/** A masked value in the column's own format (see BinaryKind). */
function encodeMasked(plan: RowPlan, i: number, masked: unknown, encoding: BufferEncoding): Buffer | null {
  if (masked === null || masked === undefined) return null;
  const kind = plan.kinds[i] ?? BinaryKind.Opaque;
  const json = kind === BinaryKind.Json || kind === BinaryKind.Jsonb;
  // A whole-value mask of a JSON column is a JSON string, so the value still parses.
  const value = json && plan.picked[i] ? JSON.stringify(toText(masked)) : masked;
  const bytes = encode(value, encoding);
  const binaryJsonb = kind === BinaryKind.Jsonb && (plan.fields[i]?.format ?? 0) !== 0;
  return bytes !== null && binaryJsonb ? Buffer.concat([JSONB_PREFIX, bytes]) : bytes;
}

/** Offsets and lengths (-1 for NULL) of the current row's values; grown as needed, never shrunk. */
let starts = new Int32Array(64);
let lengths = new Int32Array(64);
/** What the current row's value i becomes (see Out), with its star count or masked text. */
let outs = new Uint8Array(64);
let stars = new Int32Array(64);
const maskedTexts: (string | undefined)[] = [];
const maskedBytes: (Buffer | undefined)[] = [];

/**
 * What is written for one value of the current row:
 * - `Same`: the bytes as received.
 * - `Null`: NULL.
 * - `Stars`: a `partial` column mask of a value that is all ASCII, done on the bytes: `stars[i]`
 *   asterisks, then the rest of the value as received. ASCII is one byte per code point, so
 *   this is byte for byte `partialMask` of the decoded text, encoded.
 * - `Text`: `maskedTexts[i]` in UTF-8 (after the jsonb version byte for binary jsonb).
 * - `Bytes`: `maskedBytes[i]` (a masked value that was not a string).
 */
const Out = { Same: 0, Null: 1, Stars: 2, Text: 3, Bytes: 4 } as const;
const STAR = 0x2a;

function asciiOnly(body: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((body[i] as number) >= 0x80) return false;
  return true;
}

/**
 * `maskDataRow` on a DataRow body as received, for the relay: values are read in place,
 * only the columns the plan says need it are decoded, masked values are written straight into
 * `writer`, and nothing is written when no value changes (the caller then forwards the
 * message's own bytes). Returns whether it wrote a DataRow. Its output is byte for byte what
 * `maskDataRow` writes whenever that changes anything; data-row-fast-path.test.ts holds the
 * two to that.
 */
export function maskDataRowBody(
  plan: RowPlan,
  body: Buffer,
  writer: MessageWriter,
  settings: TextSettings = DEFAULT_TEXT_SETTINGS,
): boolean {
  if (body.length < 2) throw new PgProtocolError('DataRow: message too short');
  // By hand, as the lengths below: readInt16BE is not inlined here and costs as much as a column.
  const n = (((body[0] as number) << 24) | ((body[1] as number) << 16)) >> 16;
  if (n < 0) throw new PgProtocolError(`DataRow: invalid count ${n}`);
  if (n > starts.length) {
    starts = new Int32Array(n * 2);
    lengths = new Int32Array(n * 2);
    outs = new Uint8Array(n * 2);
    stars = new Int32Array(n * 2);
  }
  let pos = 2;
  for (let i = 0; i < n; i++) {
    if (pos + 4 > body.length) throw new PgProtocolError('DataRow: message too short');
    // readInt32BE's checks cost more than the read; the bounds were checked above.
    const length =
      ((body[pos] as number) << 24) |
      ((body[pos + 1] as number) << 16) |
      ((body[pos + 2] as number) << 8) |
      (body[pos + 3] as number);
    pos += 4;
    if (length < -1) throw new PgProtocolError(`DataRow: invalid value length ${length}`);
    starts[i] = pos;
    lengths[i] = length;
    if (length > 0) {
      if (pos + length > body.length) throw new PgProtocolError('DataRow: message too short');
      pos += length;
    }
  }
  if (pos !== body.length) throw new PgProtocolError('DataRow: unexpected bytes at the end');

  const masker = plan.context.masker;
  const fallback = plan.context.hasTextRules ? ColumnAction.Scan : ColumnAction.Keep;
  const { actions, fields, kinds, columnRules } = plan;
  let changed = false;
  for (let i = 0; i < n; i++) {
    outs[i] = Out.Same;
    const length = lengths[i] as number;
    if (length === -1) continue;
    const action = actions[i] ?? fallback;
    if (action === ColumnAction.Keep) continue;
    const start = starts[i] as number;
    if (action === ColumnAction.ScanLong) {
      if ((fields[i]?.format ?? 0) === 0) {
        if (length <= SHORT_SAFE_BYTES) continue;
      } else if (kinds[i] === BinaryKind.Int8 && length === 8) {
        // Binary int8: within ±2^32 its decimal text is at most 11 characters.
        const high = body.readInt32BE(start);
        if (high === 0 || high === -1) continue;
      }
    }
    if (action === ColumnAction.Picked) {
      const rule = columnRules[i];
      const format = fields[i]?.format ?? 0;
      const kind = kinds[i] ?? BinaryKind.Opaque;
      // The value is its text in UTF-8, and so is its mask (see readableAt and encodeMasked).
      const plain = kind === BinaryKind.Text || (format === 0 && !textual(kind));
      if (
        rule?.strategy === 'partial' &&
        plain &&
        !plan.nullOnChange[i] &&
        asciiOnly(body, start, start + length)
      ) {
        outs[i] = Out.Stars;
        stars[i] = rule.keep <= 0 || length <= rule.keep * 2 ? length : length - rule.keep;
        changed = true;
        continue;
      }
      const scalar = kind === BinaryKind.Scalar && format !== 0;
      const text = scalar ? null : readableAt(plan, body, start, length, format, kind, i, settings);
      if (text === null) {
        // Opaque binary: nothing a mask could write here is a valid value of the type.
        outs[i] = Out.Null;
        changed = true;
        continue;
      }
      const masked = rule
        ? rule.mask(text)
        : masker.maskRow([plan.descriptors[i] ?? { column: '' }], [text])[0];
      if (masked === text) continue;
      // A binary int8 read as its digits: no mask's text is eight bytes of it.
      if (plan.nullOnChange[i]) outs[i] = Out.Null;
      else setMasked(plan, i, masked, encodingAt(settings.encoding, body, start, start + length));
      changed = true;
      continue;
    }
    if (action === ColumnAction.Walk) {
      const walked = walk(plan, i, body, start, length, settings);
      if (walked === undefined) continue;
      if (walked === null) outs[i] = Out.Null;
      else {
        outs[i] = Out.Bytes;
        maskedBytes[i] = walked;
      }
      changed = true;
      continue;
    }
    const format = fields[i]?.format ?? 0;
    const kind = kinds[i] ?? BinaryKind.Opaque;
    const text = readableAt(plan, body, start, length, format, kind, i, settings);
    if (text === null) {
      // A binary scalar to be scanned that could not be read: NULL, never passed unread.
      if (kind === BinaryKind.Scalar && format !== 0) {
        outs[i] = Out.Null;
        changed = true;
      }
      continue;
    }
    if (action === ColumnAction.ScanLong && text.length <= SHORT_SAFE_BYTES) continue;
    const masked = masker.maskText(text);
    if (masked === text) continue;
    if (plan.nullOnChange[i]) outs[i] = Out.Null;
    else setMasked(plan, i, masked, encodingAt(settings.encoding, body, start, start + length));
    changed = true;
  }
  if (!changed) return false;

  writer.begin(BackendCode.DataRow).int16(n);
  // Runs of unchanged values are copied with their length words as one block.
  let runFrom = 2;
  for (let i = 0; i < n; i++) {
    const out = outs[i];
    if (out === Out.Same) continue;
    const head = (starts[i] as number) - 4;
    if (head > runFrom) writer.bytesOf(body, runFrom, head);
    const start = starts[i] as number;
    const length = lengths[i] as number;
    runFrom = start + Math.max(length, 0);
    if (out === Out.Null) writer.int32(-1);
    else if (out === Out.Stars) {
      const k = stars[i] as number;
      writer
        .int32(length)
        .repeat(STAR, k)
        .bytesOf(body, start + k, start + length);
    } else if (out === Out.Text) {
      const binaryJsonb = plan.kinds[i] === BinaryKind.Jsonb && (plan.fields[i]?.format ?? 0) !== 0;
      writer.lengthPrefixedText(
        maskedTexts[i] as string,
        binaryJsonb ? JSONB_VERSION : -1,
        encodingAt(settings.encoding, body, start, start + length),
      );
      maskedTexts[i] = undefined;
    } else {
      const bytes = maskedBytes[i] as Buffer;
      writer.int32(bytes.length).bytes(bytes);
      maskedBytes[i] = undefined;
    }
  }
  if (body.length > runFrom) writer.bytesOf(body, runFrom, body.length);
  writer.end();
  return true;
}

/** Record value i's mask for the write-out, in the value's own format (as `encodeMasked`). */
function setMasked(plan: RowPlan, i: number, masked: unknown, encoding: BufferEncoding): void {
  if (masked === null || masked === undefined) {
    outs[i] = Out.Null;
    return;
  }
  const kind = plan.kinds[i] ?? BinaryKind.Opaque;
  const json = kind === BinaryKind.Json || kind === BinaryKind.Jsonb;
  const value = json && plan.picked[i] ? JSON.stringify(toText(masked)) : masked;
  if (typeof value === 'string') {
    outs[i] = Out.Text;
    maskedTexts[i] = value;
    return;
  }
  outs[i] = Out.Bytes;
  maskedBytes[i] = encodeMasked(plan, i, masked, encoding) as Buffer;
}

/**
 * The text value i (of this format and kind) carries, or null when masks cannot read it (an
 * opaque or structured binary value, or a scalar whose bytes or the session's style are not
 * read here).
 */
function readableAt(
  plan: RowPlan,
  body: Buffer,
  start: number,
  length: number,
  format: number,
  kind: BinaryKind,
  i: number,
  settings: TextSettings,
): string | null {
  if (format === 0 || kind === BinaryKind.Text || kind === BinaryKind.Json)
    return body.toString(encodingAt(settings.encoding, body, start, start + length), start, start + length);
  if (kind === BinaryKind.Jsonb && length > 0 && body[start] === JSONB_VERSION)
    return body.toString(
      encodingAt(settings.encoding, body, start, start + length),
      start + 1,
      start + length,
    );
  if (kind === BinaryKind.Int8 && length === 8) return body.readBigInt64BE(start).toString();
  if (kind === BinaryKind.Numeric) return numericText(body, start, length);
  if (kind === BinaryKind.Scalar) {
    const scalar = plan.scalars[i];
    return scalar === undefined ? null : scalarText(scalar, body, start, length, settings);
  }
  return null;
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** For tests and callers without a writer. */
export function maskDataRowToBuffer(
  plan: RowPlan,
  values: readonly (Buffer | null)[],
  settings: TextSettings = DEFAULT_TEXT_SETTINGS,
): Buffer {
  const w = new MessageWriter();
  maskDataRow(plan, values, w, settings);
  return w.flush();
}
