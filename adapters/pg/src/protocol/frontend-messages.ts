/**
 * Readers for the frontend messages the proxy inspects. Each takes a message body (after the
 * type byte and length) and returns a plain object, or throws PgProtocolError.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

import { SqlState, StartupCode } from './message-codes.js';
import { MessageReader } from './message-reader.js';
import { PgProtocolError } from './protocol-error.js';

export type StartupPacket =
  | { kind: 'startup'; major: number; minor: number; parameters: Record<string, string> }
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel'; processId: number; secretKey: number };

/** A startup-phase packet: StartupMessage, SSLRequest, GSSENCRequest or CancelRequest. */
export function readStartupPacket(body: Buffer): StartupPacket {
  const r = new MessageReader(body, 'startup packet');
  const code = r.int32();
  switch (code) {
    case StartupCode.SSLRequest:
      r.end();
      return { kind: 'ssl' };
    case StartupCode.GSSENCRequest:
      r.end();
      return { kind: 'gssenc' };
    case StartupCode.CancelRequest: {
      const processId = r.int32();
      const secretKey = r.int32();
      r.end();
      return { kind: 'cancel', processId, secretKey };
    }
  }
  const major = code >>> 16;
  const minor = code & 0xffff;
  if (major !== 3) {
    throw new PgProtocolError(
      `unsupported frontend protocol ${major}.${minor}`,
      SqlState.FeatureNotSupported,
    );
  }
  // Parameter names and values alternate, ended by an empty name.
  const parameters: Record<string, string> = Object.create(null);
  for (;;) {
    const name = r.cstring();
    if (name === '') break;
    parameters[name] = r.cstring();
  }
  r.end();
  return { kind: 'startup', major, minor, parameters };
}

export function readQuery(body: Buffer): { sql: string } {
  const r = new MessageReader(body, 'Query');
  const sql = r.cstring();
  r.end();
  return { sql };
}

export interface ParseMessage {
  statement: string;
  sql: string;
  parameterTypes: number[];
}

export function readParse(body: Buffer): ParseMessage {
  const r = new MessageReader(body, 'Parse');
  const statement = r.cstring();
  const sql = r.cstring();
  const n = r.count16();
  const parameterTypes: number[] = [];
  for (let i = 0; i < n; i++) parameterTypes.push(r.uint32());
  r.end();
  return { statement, sql, parameterTypes };
}

export interface BindMessage {
  portal: string;
  statement: string;
  parameterFormats: number[];
  parameters: (Buffer | null)[];
  resultFormats: number[];
}

export function readBind(body: Buffer): BindMessage {
  const r = new MessageReader(body, 'Bind');
  const portal = r.cstring();
  const statement = r.cstring();
  const parameterFormats: number[] = [];
  for (let i = 0, n = r.count16(); i < n; i++) parameterFormats.push(r.int16());
  const parameters: (Buffer | null)[] = [];
  for (let i = 0, n = r.count16(); i < n; i++) parameters.push(r.nullableBytes());
  const resultFormats: number[] = [];
  for (let i = 0, n = r.count16(); i < n; i++) resultFormats.push(r.int16());
  r.end();
  return { portal, statement, parameterFormats, parameters, resultFormats };
}

/**
 * What the proxy needs of a Bind (the names and the result formats), with the message checked
 * as `readBind` checks it but no view made of each parameter value: a Bind goes out with
 * every execution of a prepared statement.
 */
export function readBindTarget(body: Buffer): Pick<BindMessage, 'portal' | 'statement' | 'resultFormats'> {
  const r = new MessageReader(body, 'Bind');
  const portal = r.cstring();
  const statement = r.cstring();
  r.skip(2 * r.count16());
  for (let i = 0, n = r.count16(); i < n; i++) r.skipNullable();
  const resultFormats: number[] = [];
  for (let i = 0, n = r.count16(); i < n; i++) resultFormats.push(r.int16());
  r.end();
  return { portal, statement, resultFormats };
}

/** Describe and Close both name a prepared statement ('S') or a portal ('P'). */
export interface TargetMessage {
  target: 'S' | 'P';
  name: string;
}

function readTarget(body: Buffer, what: string): TargetMessage {
  const r = new MessageReader(body, what);
  const kind = r.byte();
  if (kind !== 0x53 && kind !== 0x50) throw new PgProtocolError(`${what}: invalid target ${kind}`);
  const name = r.cstring();
  r.end();
  return { target: kind === 0x53 ? 'S' : 'P', name };
}

export const readDescribe = (body: Buffer): TargetMessage => readTarget(body, 'Describe');
export const readClose = (body: Buffer): TargetMessage => readTarget(body, 'Close');

export function readExecute(body: Buffer): { portal: string; maxRows: number } {
  const r = new MessageReader(body, 'Execute');
  const portal = r.cstring();
  const maxRows = r.int32();
  r.end();
  return { portal, maxRows };
}

export interface FunctionCallMessage {
  functionOid: number;
  argumentFormats: number[];
  arguments: (Buffer | null)[];
  resultFormat: number;
}

export function readFunctionCall(body: Buffer): FunctionCallMessage {
  const r = new MessageReader(body, 'FunctionCall');
  const functionOid = r.uint32();
  const argumentFormats: number[] = [];
  for (let i = 0, n = r.count16(); i < n; i++) argumentFormats.push(r.int16());
  const args: (Buffer | null)[] = [];
  for (let i = 0, n = r.count16(); i < n; i++) args.push(r.nullableBytes());
  const resultFormat = r.int16();
  r.end();
  return { functionOid, argumentFormats, arguments: args, resultFormat };
}

/** A message with no body: Sync, Flush, Terminate, CopyDone. */
export function readEmpty(body: Buffer, what: string): void {
  new MessageReader(body, what).end();
}

/** PasswordMessage: the cleartext password the proxy asked for. */
export function readPasswordMessage(body: Buffer): { password: string } {
  const r = new MessageReader(body, 'PasswordMessage');
  const password = r.cstring();
  r.end();
  return { password };
}

export function readSaslInitialResponse(body: Buffer): { mechanism: string; data: Buffer | null } {
  const r = new MessageReader(body, 'SASLInitialResponse');
  const mechanism = r.cstring();
  const data = r.nullableBytes();
  r.end();
  return { mechanism, data };
}

export function readSaslResponse(body: Buffer): { data: Buffer } {
  return { data: body };
}

export function readCopyFail(body: Buffer): { message: string } {
  const r = new MessageReader(body, 'CopyFail');
  const message = r.cstring();
  r.end();
  return { message };
}
