/**
 * Writers for the frontend messages the proxy sends to PostgreSQL on its own account:
 * startup and authentication with the operator's credentials, catalog queries, and the
 * Execute that makes the server fail a batch the policy denied.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

import { FrontendCode, StartupCode } from './message-codes.js';
import type { MessageWriter } from './message-writer.js';

export function writeStartupMessage(w: MessageWriter, parameters: Readonly<Record<string, string>>): void {
  w.beginUntyped().int32(StartupCode.Protocol3);
  for (const [k, v] of Object.entries(parameters)) w.cstring(k).cstring(v);
  w.byte(0).end();
}

export function writeCancelRequest(w: MessageWriter, processId: number, secretKey: number): void {
  w.beginUntyped().int32(StartupCode.CancelRequest).int32(processId).int32(secretKey).end();
}

export function writePasswordMessage(w: MessageWriter, password: string): void {
  w.begin(FrontendCode.Password).cstring(password).end();
}

export function writeSaslInitialResponse(w: MessageWriter, mechanism: string, data: Uint8Array): void {
  w.begin(FrontendCode.Password).cstring(mechanism).int32(data.length).bytes(data).end();
}

export function writeSaslResponse(w: MessageWriter, data: Uint8Array): void {
  w.begin(FrontendCode.Password).bytes(data).end();
}

export function writeQuery(w: MessageWriter, sql: string): void {
  w.begin(FrontendCode.Query).cstring(sql).end();
}

export function writeExecute(w: MessageWriter, portal: string, maxRows: number): void {
  w.begin(FrontendCode.Execute).cstring(portal).int32(maxRows).end();
}

export function writeSync(w: MessageWriter): void {
  w.begin(FrontendCode.Sync).end();
}

export function writeTerminate(w: MessageWriter): void {
  w.begin(FrontendCode.Terminate).end();
}
