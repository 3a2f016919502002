/**
 * Values the server sends outside any result row, which can carry data as well as rows can:
 *
 * - ErrorResponse and NoticeResponse: `SELECT id FROM users WHERE email::int = 1` fails with
 *   `invalid input syntax for type integer: "ada@example.com"`; a unique violation quotes the
 *   key (`Key (email)=(…) already exists`); a RAISE NOTICE prints what it is given.
 * - NotificationResponse: a NOTIFY payload. `SELECT pg_notify('c', email) FROM users` hands
 *   every email to a session that LISTENs on `c`; another session's NOTIFY arrives the same way.
 * - ParameterStatus: a reported run-time parameter. `SELECT set_config('application_name',
 *   email, false) FROM users` makes the server report the email.
 *
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-ASYNC
 */

import type { ColumnDescriptor } from '@portcullis/core';
import {
  readNoticeFields,
  readNotificationResponse,
  readParameterStatus,
} from '../protocol/backend-messages.js';
import {
  writeFieldMap,
  writeNotificationResponse,
  writeParameterStatus,
} from '../protocol/backend-writers.js';
import { BackendCode, ErrorField } from '../protocol/message-codes.js';
import type { Frame } from '../protocol/message-framer.js';
import type { MessageWriter } from '../protocol/message-writer.js';
import type { MaskContext } from './mask-plan.js';
import type { TextEncoding } from './text-encoding.js';

/**
 * Parameters whose values the server validates to a fixed form (versions, encodings, date
 * styles, booleans) and that drivers parse: passed as they are. Every other reported value
 * (application_name, TimeZone, session_authorization, anything an extension reports) is text a
 * statement can choose, and is masked.
 */
const FIXED_FORM_PARAMETERS = new Set([
  'server_version',
  'server_encoding',
  'client_encoding',
  'DateStyle',
  'IntervalStyle',
  'integer_datetimes',
  'standard_conforming_strings',
  'is_superuser',
  'default_transaction_read_only',
  'in_hot_standby',
]);

/** How to mask one side-channel value. */
export interface SideChannelMask {
  context: MaskContext;
  /**
   * The masked column the running statement may carry into the value (see
   * unresolved-columns.ts): the value is masked as that column, since no column can be
   * named for it. Without it, only the context's text rules apply.
   */
  carries?: ColumnDescriptor | undefined;
}

/** Fields of an error or notice that the server fills in itself, never with data: kept. */
const SERVER_FIELDS: ReadonlySet<number> = new Set([
  ErrorField.Severity,
  ErrorField.SeverityNonLocalized,
  ErrorField.Code,
  ErrorField.Position,
  ErrorField.InternalPosition,
  ErrorField.File,
  ErrorField.Line,
  ErrorField.Routine,
]);

/** A function masking one value, or undefined when the mask has nothing to do. */
function valueMasker(mask: SideChannelMask): ((v: string) => string) | undefined {
  const { context, carries } = mask;
  if (carries) {
    // The value is a message around the column's value, not the value: kept no part of.
    const column = { ...carries, derived: true };
    return (v) => String(context.masker.maskRow([column], [v])[0] ?? '');
  }
  if (context.hasTextRules) return (v) => context.masker.maskText(v);
  return undefined;
}

/**
 * Writes a NotificationResponse or ParameterStatus masked; false when there is nothing to mask
 * (the caller forwards it as it came).
 */
export function writeMaskedSideChannel(
  frame: Frame,
  mask: SideChannelMask,
  w: MessageWriter,
  encoding: TextEncoding = 'utf8',
): boolean {
  const maskValue = valueMasker(mask);
  if (!maskValue) return false;
  if (frame.type === BackendCode.NotificationResponse) {
    const n = readNotificationResponse(frame.body, encoding);
    writeNotificationResponse(w, n.processId, n.channel, maskValue(n.payload), encoding);
    return true;
  }
  if (frame.type === BackendCode.ParameterStatus) {
    const p = readParameterStatus(frame.body, encoding);
    if (FIXED_FORM_PARAMETERS.has(p.name)) return false;
    writeParameterStatus(w, p.name, maskValue(p.value), encoding);
    return true;
  }
  return false;
}

/**
 * Writes an ErrorResponse or NoticeResponse with every field but the server's own masked (the
 * SQLSTATE, severity and positions stay, so clients still read the error); false when there is
 * nothing to mask.
 */
export function writeMaskedNotice(
  frame: Frame,
  mask: SideChannelMask,
  w: MessageWriter,
  encoding: TextEncoding = 'utf8',
): boolean {
  const maskValue = valueMasker(mask);
  if (!maskValue) return false;
  const fields = readNoticeFields(frame.body, encoding);
  for (const [k, v] of fields) if (!SERVER_FIELDS.has(k)) fields.set(k, maskValue(v));
  writeFieldMap(w, frame.type, fields, encoding);
  return true;
}
