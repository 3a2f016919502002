/**
 * Writers for the backend messages the proxy itself sends to clients.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

import type { FieldDescription } from './backend-messages.js';
import { AuthCode, BackendCode, ErrorField } from './message-codes.js';
import type { MessageWriter } from './message-writer.js';

export interface NoticeFields {
  severity: 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';
  /** SQLSTATE, five characters. */
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

function writeFields(w: MessageWriter, type: number, f: NoticeFields): void {
  w.begin(type);
  w.byte(ErrorField.Severity).cstring(f.severity);
  w.byte(ErrorField.SeverityNonLocalized).cstring(f.severity);
  w.byte(ErrorField.Code).cstring(f.code);
  w.byte(ErrorField.Message).cstring(f.message);
  if (f.detail !== undefined) w.byte(ErrorField.Detail).cstring(f.detail);
  if (f.hint !== undefined) w.byte(ErrorField.Hint).cstring(f.hint);
  w.byte(0).end();
}

export function writeErrorResponse(w: MessageWriter, fields: NoticeFields): void {
  writeFields(w, BackendCode.ErrorResponse, fields);
}

export function writeNoticeResponse(w: MessageWriter, fields: NoticeFields): void {
  writeFields(w, BackendCode.NoticeResponse, fields);
}

/** ErrorResponse or NoticeResponse from a field map (a server message, rewritten). */
export function writeFieldMap(
  w: MessageWriter,
  type: number,
  fields: ReadonlyMap<number, string>,
  encoding: 'utf8' | 'latin1' = 'utf8',
): void {
  w.begin(type);
  for (const [k, v] of fields) w.byte(k).cstring(v, encoding);
  w.byte(0).end();
}

export function writeReadyForQuery(w: MessageWriter, status: number): void {
  w.begin(BackendCode.ReadyForQuery).byte(status).end();
}

export function writeAuthenticationOk(w: MessageWriter): void {
  w.begin(BackendCode.Authentication).int32(AuthCode.Ok).end();
}

export function writeAuthenticationCleartextPassword(w: MessageWriter): void {
  w.begin(BackendCode.Authentication).int32(AuthCode.CleartextPassword).end();
}

/** AuthenticationSASL: the mechanisms the client may choose from, ended by an empty name. */
export function writeAuthenticationSasl(w: MessageWriter, mechanisms: readonly string[]): void {
  w.begin(BackendCode.Authentication).int32(AuthCode.SASL);
  for (const m of mechanisms) w.cstring(m);
  w.byte(0).end();
}

/** AuthenticationSASLContinue: the server-first-message. */
export function writeAuthenticationSaslContinue(w: MessageWriter, data: Uint8Array): void {
  w.begin(BackendCode.Authentication).int32(AuthCode.SASLContinue).bytes(data).end();
}

/** AuthenticationSASLFinal: the server-final-message. */
export function writeAuthenticationSaslFinal(w: MessageWriter, data: Uint8Array): void {
  w.begin(BackendCode.Authentication).int32(AuthCode.SASLFinal).bytes(data).end();
}

export function writeParameterStatus(
  w: MessageWriter,
  name: string,
  value: string,
  encoding: 'utf8' | 'latin1' = 'utf8',
): void {
  w.begin(BackendCode.ParameterStatus).cstring(name, encoding).cstring(value, encoding).end();
}

export function writeNotificationResponse(
  w: MessageWriter,
  processId: number,
  channel: string,
  payload: string,
  encoding: 'utf8' | 'latin1' = 'utf8',
): void {
  w.begin(BackendCode.NotificationResponse)
    .int32(processId)
    .cstring(channel, encoding)
    .cstring(payload, encoding)
    .end();
}

export function writeFunctionCallResponse(w: MessageWriter, value: Uint8Array | null): void {
  w.begin(BackendCode.FunctionCallResponse);
  if (value === null) w.int32(-1);
  else w.int32(value.length).bytes(value);
  w.end();
}

export function writeBackendKeyData(w: MessageWriter, processId: number, secretKey: number): void {
  w.begin(BackendCode.BackendKeyData).int32(processId).int32(secretKey).end();
}

/**
 * A RowDescription.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ROWDESCRIPTION
 */
export function writeRowDescription(w: MessageWriter, fields: readonly FieldDescription[]): void {
  w.begin(BackendCode.RowDescription).int16(fields.length);
  for (const f of fields) {
    w.cstring(f.name)
      .uint32(f.tableOid)
      .int16(f.attributeNumber)
      .uint32(f.typeOid)
      .int16(f.typeSize)
      .int32(f.typeModifier)
      .int16(f.format);
  }
  w.end();
}

/** A DataRow; null values are SQL NULL. */
export function writeDataRow(w: MessageWriter, values: readonly (Uint8Array | null)[]): void {
  w.begin(BackendCode.DataRow).int16(values.length);
  for (const v of values) {
    if (v === null) w.int32(-1);
    else w.int32(v.length).bytes(v);
  }
  w.end();
}

export function writeCommandComplete(w: MessageWriter, tag: string): void {
  w.begin(BackendCode.CommandComplete).cstring(tag).end();
}

/** Tell a client asking for protocol 3.x (x > 0) that we speak 3.0, and which options we ignored. */
export function writeNegotiateProtocolVersion(
  w: MessageWriter,
  minor: number,
  unrecognized: readonly string[],
): void {
  w.begin(BackendCode.NegotiateProtocolVersion).int32(minor).int32(unrecognized.length);
  for (const name of unrecognized) w.cstring(name);
  w.end();
}
