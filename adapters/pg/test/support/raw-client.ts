/**
 * A bare protocol client for tests that need what drivers will not send: pipelined batches in
 * one write, malformed messages, fast-path calls. It speaks through this package's own codec.
 */

import { connect, type Socket } from 'node:net';
import {
  readAuthentication,
  readNoticeFields,
  readReadyForQuery,
} from '../../src/protocol/backend-messages.js';
import { writePasswordMessage, writeStartupMessage } from '../../src/protocol/frontend-writers.js';
import { BackendCode, ErrorField, FrontendCode } from '../../src/protocol/message-codes.js';
import { type Frame, MessageFramer } from '../../src/protocol/message-framer.js';
import { MessageWriter } from '../../src/protocol/message-writer.js';

export interface RawMessage {
  type: string;
  body: Buffer;
}

export class RawClient {
  readonly messages: RawMessage[] = [];
  closed = false;
  private waiters: (() => void)[] = [];
  private readonly framer = new MessageFramer({ maxMessageSize: 1 << 26 });

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.framer.push(chunk);
      for (let f: Frame | undefined = this.framer.next(); f; f = this.framer.next()) {
        this.messages.push({ type: String.fromCharCode(f.type), body: Buffer.from(f.body) });
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  static async connect(port: number, user: string, password: string, database = 'app'): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const c = new RawClient(socket);
    const w = new MessageWriter();
    writeStartupMessage(w, { user, database });
    socket.write(w.flush());
    const auth = await c.waitFor((m) => m.type === 'R' || m.type === 'E');
    if (auth.type === 'R' && readAuthentication(auth.body).code === 3) {
      writePasswordMessage(w, password);
      socket.write(w.flush());
    }
    await c.waitFor((m) => m.type === 'Z' || m.type === 'E');
    c.messages.length = 0;
    return c;
  }

  /** Resolves with the first message (from the start of `messages`) that matches; does not consume. */
  async waitFor(match: (m: RawMessage) => boolean, timeoutMs = 10_000): Promise<RawMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (this.closed) throw new Error(`closed before a match; got ${this.types()}`);
      if (Date.now() > deadline) throw new Error(`timed out; got ${this.types()}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Wait until `count` ReadyForQuery messages have arrived. */
  async readyCount(count: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (this.messages.filter((m) => m.type === 'Z').length < count) {
      if (this.closed || Date.now() > deadline)
        throw new Error(`expected ${count} ReadyForQuery; got ${this.types()}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async closedPromise(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection not closed');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  types(): string {
    return this.messages.map((m) => m.type).join('');
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  end(): void {
    this.socket.destroy();
  }
}

export function sqlstate(m: RawMessage): string | undefined {
  return readNoticeFields(m.body).get(ErrorField.Code);
}

export function status(m: RawMessage): string {
  return String.fromCharCode(readReadyForQuery(m.body).status);
}

/** Parse, Bind, Describe portal, Execute for one unnamed statement, without Sync. */
export function extendedQuery(w: MessageWriter, sql: string): MessageWriter {
  w.begin(FrontendCode.Parse).cstring('').cstring(sql).int16(0).end();
  w.begin(FrontendCode.Bind).cstring('').cstring('').int16(0).int16(0).int16(0).end();
  w.begin(FrontendCode.Describe).byte(0x50).cstring('').end();
  w.begin(FrontendCode.Execute).cstring('').int32(0).end();
  return w;
}

export function sync(w: MessageWriter): MessageWriter {
  return w.begin(FrontendCode.Sync).end();
}

export function query(w: MessageWriter, sql: string): MessageWriter {
  return w.begin(FrontendCode.Query).cstring(sql).end();
}

export { BackendCode };
