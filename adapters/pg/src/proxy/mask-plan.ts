/**
 * How the masks of one decision apply to one result: which columns a column rule picks (so
 * binary values can be nulled and unpicked ones passed through), and whether detector or
 * pattern rules must see every text value. Built once per RowDescription, used per DataRow.
 */

import type { ColumnDescriptor, Masker } from '@portcullis/core';
import type { FieldDescription } from '../protocol/backend-messages.js';
import { type NoticeFields, writeDataRow } from '../protocol/backend-writers.js';
import { MessageWriter } from '../protocol/message-writer.js';
import { pickedColumns } from './unresolved-columns.js';

/**
 * How a type's binary form relates to its text, which decides what a masked binary value
 * can become and stay valid for its type.
 * - `Text`: the binary form is the text in the client encoding (text, varchar, bpchar, name,
 *   unknown, xml): a masked value is the mask's text.
 * - `Json`: json's binary form is its text; jsonb's is a version byte (1) and the text. A
 *   column mask becomes a JSON string (`"[REDACTED]"`), so the value still parses as JSON.
 * - `Opaque`: everything else (numbers, dates, bytea, arrays …). A column-masked value
 *   becomes NULL, since no mask text is a valid value of these types; detectors do not read them.
 */
export const BinaryKind = { Opaque: 0, Text: 1, Json: 2, Jsonb: 3 } as const;
export type BinaryKind = (typeof BinaryKind)[keyof typeof BinaryKind];

/** Type OIDs from pg_type.dat. */
const BINARY_KINDS = new Map<number, BinaryKind>([
  [25, BinaryKind.Text], // text
  [1043, BinaryKind.Text], // varchar
  [1042, BinaryKind.Text], // bpchar
  [19, BinaryKind.Text], // name
  [705, BinaryKind.Text], // unknown
  [142, BinaryKind.Text], // xml
  [114, BinaryKind.Json], // json
  [3802, BinaryKind.Jsonb], // jsonb
]);

export function binaryKind(typeOid: number): BinaryKind {
  return BINARY_KINDS.get(typeOid) ?? BinaryKind.Opaque;
}

const JSONB_VERSION = 1;

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
  /** Nothing to do for any row: pass DataRows through untouched. */
  readonly passThrough: boolean;
  readonly context: MaskContext;
  /**
   * Set when the result may carry a masked column the plan cannot pick out and the proxy is
   * to deny rather than guess (`unresolvedColumns: 'deny'`): the rows are withheld and the
   * client gets this error instead.
   */
  readonly withheld?: NoticeFields;
  /** Built with the statement's facts (unresolved columns): not reusable for another statement. */
  readonly statementBound?: boolean;
}

export function createRowPlan(
  context: MaskContext,
  fields: readonly FieldDescription[],
  descriptors: readonly ColumnDescriptor[],
  extra: { withheld?: NoticeFields; statementBound?: boolean } = {},
): RowPlan {
  const picked = pickedColumns(context, descriptors);
  const passThrough = !context.hasTextRules && !picked.some(Boolean) && extra.withheld === undefined;
  const kinds = fields.map((f) => binaryKind(f.typeOid));
  return { fields, descriptors, picked, kinds, passThrough, context, ...extra };
}

/** The same plan with the formats a Bind asked for (a statement's RowDescription says text). */
export function withResultFormats(plan: RowPlan, formats: readonly number[]): RowPlan {
  if (formats.length === 0) return plan;
  const fields = plan.fields.map((f, i) => ({
    ...f,
    format: formats.length === 1 ? (formats[0] as number) : (formats[i] ?? 0),
  }));
  return { ...plan, fields };
}

function encode(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value);
  return Buffer.from(typeof value === 'object' ? JSON.stringify(value) : String(value), 'utf8');
}

/** The text a value carries, or null when masks cannot read it (a NULL or an opaque binary value). */
function readable(value: Buffer | null | undefined, format: number, kind: BinaryKind): string | null {
  if (value === null || value === undefined) return null;
  if (format === 0 || kind === BinaryKind.Text || kind === BinaryKind.Json) return value.toString('utf8');
  if (kind === BinaryKind.Jsonb && value[0] === JSONB_VERSION) return value.toString('utf8', 1);
  return null;
}

/**
 * Mask one DataRow into `writer`. Every value masks can read (text format, and binary values
 * of textual and JSON types) goes through the masker's `maskRow`: column rules pick whole
 * columns, detectors scan the rest. A masked value is written back in the value's own format
 * so that the client can still decode it (see BinaryKind); a column-masked binary value of
 * any other type becomes NULL. Unchanged values are passed on as they came.
 */
export function maskDataRow(plan: RowPlan, values: readonly (Buffer | null)[], writer: MessageWriter): void {
  const n = values.length;
  const texts: (string | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const field = plan.fields[i];
    texts[i] = readable(values[i], field?.format ?? 0, plan.kinds[i] ?? BinaryKind.Opaque);
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
      // Opaque binary: nothing a mask could write here is a valid value of the type.
      out[i] = plan.picked[i] ? null : original;
    } else if (masked[i] === text) {
      out[i] = original;
    } else if (masked[i] === null || masked[i] === undefined) {
      out[i] = null;
    } else {
      const kind = plan.kinds[i] ?? BinaryKind.Opaque;
      const json = kind === BinaryKind.Json || kind === BinaryKind.Jsonb;
      // A whole-value mask of a JSON column is a JSON string, so the value still parses.
      const value = json && plan.picked[i] ? JSON.stringify(toText(masked[i])) : masked[i];
      const bytes = encode(value);
      const binaryJsonb = kind === BinaryKind.Jsonb && (plan.fields[i]?.format ?? 0) !== 0;
      out[i] = bytes !== null && binaryJsonb ? Buffer.concat([JSONB_PREFIX, bytes]) : bytes;
    }
  }
  writeDataRow(writer, out);
}

const JSONB_PREFIX = Buffer.from([JSONB_VERSION]);

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** For tests and callers without a writer. */
export function maskDataRowToBuffer(plan: RowPlan, values: readonly (Buffer | null)[]): Buffer {
  const w = new MessageWriter();
  maskDataRow(plan, values, w);
  return w.flush();
}
