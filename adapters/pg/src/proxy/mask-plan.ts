/**
 * How the masks of one decision apply to one result: which columns a column rule picks (so
 * binary values can be nulled and unpicked ones passed through), and whether detector or
 * pattern rules must see every text value. Built once per RowDescription, used per DataRow.
 */

import type { ColumnDescriptor, Masker } from '@portcullis/core';
import type { FieldDescription } from '../protocol/backend-messages.js';
import { writeDataRow } from '../protocol/backend-writers.js';
import { MessageWriter } from '../protocol/message-writer.js';

/**
 * Longer than the largest `keep` a partial mask may ask for, so every column strategy changes
 * it; detectors and patterns are unlikely to match it, and if one did the column would only
 * be treated as picked: nulled in binary, masked in text, never passed in clear.
 */
const PROBE = 'portcullis-probe-'.repeat(6);

/** Types whose binary form is their text in the client encoding: detectors can read them. */
const TEXTUAL_TYPE_OIDS = new Set([25, 1042, 1043, 19, 114, 142]);

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
  /** Nothing to do for any row: pass DataRows through untouched. */
  readonly passThrough: boolean;
  readonly context: MaskContext;
}

export function createRowPlan(
  context: MaskContext,
  fields: readonly FieldDescription[],
  descriptors: readonly ColumnDescriptor[],
): RowPlan {
  let picked: boolean[] = fields.map(() => false);
  if (context.hasColumnRules && fields.length > 0) {
    const out = context.masker.maskRow(
      descriptors,
      fields.map(() => PROBE),
    );
    picked = out.map((v) => v !== PROBE);
  }
  const passThrough = !context.hasTextRules && !picked.some(Boolean);
  return { fields, descriptors, picked, passThrough, context };
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

/**
 * Mask one DataRow into `writer`. Text values go through the masker's `maskRow` (column rules
 * pick whole columns, detectors scan the rest); a picked binary value becomes NULL, since
 * a masked string is not a valid binary value of most types; other binary values of textual
 * types are scanned by detectors, the rest pass untouched.
 */
export function maskDataRow(plan: RowPlan, values: readonly (Buffer | null)[], writer: MessageWriter): void {
  const { masker, hasTextRules } = plan.context;
  const n = values.length;
  const texts: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const field = plan.fields[i];
    texts[i] =
      v === null || v === undefined || (field !== undefined && field.format !== 0)
        ? null
        : v.toString('utf8');
  }
  const descriptors =
    plan.descriptors.length === n
      ? plan.descriptors
      : values.map((_, i) => plan.descriptors[i] ?? { column: '' });
  const masked = masker.maskRow(descriptors, texts);
  const out: (Buffer | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const original = values[i] ?? null;
    const field = plan.fields[i];
    if (original === null) {
      out[i] = null;
    } else if (field !== undefined && field.format !== 0) {
      if (plan.picked[i]) out[i] = null;
      else if (hasTextRules && TEXTUAL_TYPE_OIDS.has(field.typeOid)) {
        const text = original.toString('utf8');
        const m = masker.maskText(text);
        out[i] = m === text ? original : Buffer.from(m, 'utf8');
      } else out[i] = original;
    } else {
      out[i] = masked[i] === texts[i] ? original : encode(masked[i]);
    }
  }
  writeDataRow(writer, out);
}

/** For tests and callers without a writer. */
export function maskDataRowToBuffer(plan: RowPlan, values: readonly (Buffer | null)[]): Buffer {
  const w = new MessageWriter();
  maskDataRow(plan, values, w);
  return w.flush();
}
