/**
 * Readers for the backend messages the proxy inspects: what it needs to authenticate
 * upstream, to track the transaction status, and to mask rows.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

import { AuthCode } from './message-codes.js';
import { MessageReader } from './message-reader.js';

export type AuthenticationMessage =
  | { code: typeof AuthCode.Ok }
  | { code: typeof AuthCode.CleartextPassword }
  | { code: typeof AuthCode.MD5Password; salt: Buffer }
  | { code: typeof AuthCode.SASL; mechanisms: string[] }
  | { code: typeof AuthCode.SASLContinue; data: Buffer }
  | { code: typeof AuthCode.SASLFinal; data: Buffer }
  | { code: number; unsupported: true };

export function readAuthentication(body: Buffer): AuthenticationMessage {
  const r = new MessageReader(body, 'Authentication');
  const code = r.int32();
  switch (code) {
    case AuthCode.Ok:
      r.end();
      return { code };
    case AuthCode.CleartextPassword:
      r.end();
      return { code };
    case AuthCode.MD5Password: {
      const salt = r.bytes(4);
      r.end();
      return { code, salt };
    }
    case AuthCode.SASL: {
      const mechanisms: string[] = [];
      for (;;) {
        const m = r.cstring();
        if (m === '') break;
        mechanisms.push(m);
      }
      r.end();
      return { code, mechanisms };
    }
    case AuthCode.SASLContinue:
      return { code, data: r.rest() };
    case AuthCode.SASLFinal:
      return { code, data: r.rest() };
    default:
      return { code, unsupported: true };
  }
}

export function readParameterStatus(
  body: Buffer,
  encoding: 'utf8' | 'latin1' = 'utf8',
): { name: string; value: string } {
  const r = new MessageReader(body, 'ParameterStatus');
  const name = r.cstring(encoding);
  const value = r.cstring(encoding);
  r.end();
  return { name, value };
}

/** NotificationResponse: a NOTIFY on a channel this session LISTENs to. */
export function readNotificationResponse(
  body: Buffer,
  encoding: 'utf8' | 'latin1' = 'utf8',
): {
  processId: number;
  channel: string;
  payload: string;
} {
  const r = new MessageReader(body, 'NotificationResponse');
  const processId = r.int32();
  const channel = r.cstring(encoding);
  const payload = r.cstring(encoding);
  r.end();
  return { processId, channel, payload };
}

/** FunctionCallResponse: a fast-path call's result, null for SQL NULL. */
export function readFunctionCallResponse(body: Buffer): Buffer | null {
  const r = new MessageReader(body, 'FunctionCallResponse');
  const value = r.nullableBytes();
  r.end();
  return value;
}

export function readBackendKeyData(body: Buffer): { processId: number; secretKey: number } {
  const r = new MessageReader(body, 'BackendKeyData');
  const processId = r.int32();
  const secretKey = r.int32();
  r.end();
  return { processId, secretKey };
}

export function readReadyForQuery(body: Buffer): { status: number } {
  const r = new MessageReader(body, 'ReadyForQuery');
  const status = r.byte();
  r.end();
  return { status };
}

export interface FieldDescription {
  name: string;
  /** OID of the table the column comes from; 0 for an expression. */
  tableOid: number;
  /** Attribute number within that table; 0 for an expression. */
  attributeNumber: number;
  typeOid: number;
  typeSize: number;
  typeModifier: number;
  /** 0 text, 1 binary; always 0 in a RowDescription answering Describe of a statement. */
  format: number;
}

export function readRowDescription(body: Buffer): FieldDescription[] {
  const r = new MessageReader(body, 'RowDescription');
  const n = r.count16();
  const fields: FieldDescription[] = [];
  for (let i = 0; i < n; i++) {
    fields.push({
      name: r.cstring(),
      tableOid: r.uint32(),
      attributeNumber: r.int16(),
      typeOid: r.uint32(),
      typeSize: r.int16(),
      typeModifier: r.int32(),
      format: r.int16(),
    });
  }
  r.end();
  return fields;
}

/** A DataRow's values as views of the message; null for SQL NULL. */
export function readDataRow(body: Buffer): (Buffer | null)[] {
  const r = new MessageReader(body, 'DataRow');
  const n = r.count16();
  const values: (Buffer | null)[] = new Array(n);
  for (let i = 0; i < n; i++) values[i] = r.nullableBytes();
  r.end();
  return values;
}

export function readCommandComplete(body: Buffer): { tag: string } {
  const r = new MessageReader(body, 'CommandComplete');
  const tag = r.cstring();
  r.end();
  return { tag };
}

/** ErrorResponse and NoticeResponse: fields by type byte (see ErrorField). */
export function readNoticeFields(body: Buffer, encoding: 'utf8' | 'latin1' = 'utf8'): Map<number, string> {
  const r = new MessageReader(body, 'ErrorResponse');
  const fields = new Map<number, string>();
  for (;;) {
    const type = r.byte();
    if (type === 0) break;
    fields.set(type, r.cstring(encoding));
  }
  r.end();
  return fields;
}

export function readCopyResponse(body: Buffer): { format: number; columnFormats: number[] } {
  const r = new MessageReader(body, 'CopyResponse');
  const format = r.byte();
  const columnFormats: number[] = [];
  for (let i = 0, n = r.count16(); i < n; i++) columnFormats.push(r.int16());
  r.end();
  return { format, columnFormats };
}

export function readNegotiateProtocolVersion(body: Buffer): { minor: number; unrecognized: string[] } {
  const r = new MessageReader(body, 'NegotiateProtocolVersion');
  const minor = r.int32();
  const unrecognized: string[] = [];
  for (let i = 0, n = r.int32(); i < n; i++) unrecognized.push(r.cstring());
  r.end();
  return { minor, unrecognized };
}
