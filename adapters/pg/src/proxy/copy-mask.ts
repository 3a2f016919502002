/**
 * Masking COPY … TO STDOUT rows in text format: each CopyData the server sends is one row,
 * tab-separated, `\N` for NULL, backslash escapes for tab, newline, carriage return and
 * backslash. The columns come from the COPY statement (or the table's catalog entry when it
 * names none), since COPY sends no RowDescription.
 * https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2
 */

import type { ColumnDescriptor } from '@portcullis/core';
import { SqlState } from '../protocol/message-codes.js';
import { PgProtocolError } from '../protocol/protocol-error.js';
import type { MaskContext } from './mask-plan.js';

export interface CopyPlan {
  readonly context: MaskContext;
  readonly descriptors: readonly ColumnDescriptor[];
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function unescapeField(field: string): string {
  if (!field.includes('\\')) return field;
  return field.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/gs, (_, e: string) => {
    if (e[0] === 'x' && e.length > 1) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    return ESCAPES[e] ?? e;
  });
}

function escapeField(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

/** Split one text-format COPY row (with its trailing newline) into values, NULL as null. */
export function parseCopyTextRow(line: string): (string | null)[] {
  const body = line.endsWith('\n') ? line.slice(0, -1) : line;
  return body.split('\t').map((f) => (f === '\\N' ? null : unescapeField(f)));
}

export function formatCopyTextRow(values: readonly unknown[]): string {
  return `${values
    .map((v) =>
      v === null || v === undefined
        ? '\\N'
        : escapeField(typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)),
    )
    .join('\t')}\n`;
}

/** Mask one CopyData row. A row whose width does not match the plan closes the session. */
export function maskCopyRow(plan: CopyPlan, data: Buffer): Buffer {
  const values = parseCopyTextRow(data.toString('utf8'));
  if (values.length !== plan.descriptors.length) {
    throw new PgProtocolError(
      `COPY row has ${values.length} columns, expected ${plan.descriptors.length}; cannot mask it`,
      SqlState.InternalError,
    );
  }
  const masked = plan.context.masker.maskRow(plan.descriptors, values);
  return Buffer.from(formatCopyTextRow(masked), 'utf8');
}
