/**
 * A bare protocol client for tests that need what drivers will not send: pipelined batches in
 * one write, malformed messages, fast-path calls. It speaks through this package's own codec.
 */

import { connect, type Socket } from 'node:net';
import {
  readAuthentication,
  readBackendKeyData,
  readDataRow,
  readNoticeFields,
  readReadyForQuery,
} from '../../src/protocol/backend-messages.js';
import {
  writeCancelRequest,
  writePasswordMessage,
  writeStartupMessage,
} from '../../src/protocol/frontend-writers.js';
import { BackendCode, ErrorField, FrontendCode } from '../../src/protocol/message-codes.js';
import { type Frame, MessageFramer } from '../../src/protocol/message-framer.js';
import { MessageWriter } from '../../src/protocol/message-writer.js';

export interface RawMessage {
  type: string;
  body: Buffer;
}

export class RawClient {
  readonly messages: RawMessage[] = [];
  /** What the proxy sent before the first ReadyForQuery. */
  startupMessages: RawMessage[] = [];
  closed = false;
  /** When false, DataRows are counted (and the last one kept) rather than stored. */
  keepRows = true;
  /** With keepRows false, sees each DataRow's body (valid only during the call). */
  onRow: ((body: Buffer) => void) | undefined;
  rows = 0;
  lastRow: Buffer | undefined;
  /** The BackendKeyData the proxy gave, for CancelRequest. */
  backendKey = { processId: 0, secretKey: 0 };
  private waiters: (() => void)[] = [];
  private readonly framer = new MessageFramer({ maxMessageSize: 1 << 26 });

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.framer.push(chunk);
      for (let f: Frame | undefined = this.framer.next(); f; f = this.framer.next()) {
        if (f.type === BackendCode.DataRow && !this.keepRows) {
          this.rows++;
          this.lastRow = f.body;
          this.onRow?.(f.body);
          continue;
        }
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
    return RawClient.over(socket, user, password, database);
  }

  /**
   * Start a session on a connected socket (a TLS one, say); `startup` is a whole startup
   * packet to send instead of the usual protocol 3.0 one. Messages before ReadyForQuery are
   * kept in `startupMessages`.
   */
  static async over(
    socket: Socket,
    user: string,
    password: string,
    database = 'app',
    startup?: Buffer,
  ): Promise<RawClient> {
    const c = new RawClient(socket);
    const w = new MessageWriter();
    if (startup) socket.write(startup);
    else {
      writeStartupMessage(w, { user, database });
      socket.write(w.flush());
    }
    const auth = await c.waitFor((m) => m.type === 'R' || m.type === 'E');
    if (auth.type === 'R' && readAuthentication(auth.body).code === 3) {
      writePasswordMessage(w, password);
      socket.write(w.flush());
    }
    await c.waitFor((m) => m.type === 'Z' || m.type === 'E');
    const key = c.messages.find((m) => m.type === 'K');
    if (key) c.backendKey = readBackendKeyData(key.body);
    c.startupMessages = c.messages.splice(0);
    return c;
  }

  /** Send a CancelRequest on a connection of its own, as libpq does. */
  static async cancel(port: number, processId: number, secretKey: number): Promise<void> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const w = new MessageWriter(16);
    writeCancelRequest(w, processId, secretKey);
    socket.end(w.flush());
    await new Promise((resolve) => socket.once('close', resolve));
  }

  /** Stop reading from the socket (a slow reader); `resume` starts again. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
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
  async readyCount(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
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

  /** The bytes of the messages received from index `from` on (DataRows kept), as they came. */
  received(from = 0): Buffer {
    return Buffer.concat(
      this.messages.slice(from).map((m) => {
        const head = Buffer.alloc(5);
        head[0] = m.type.charCodeAt(0);
        head.writeInt32BE(m.body.length + 4, 1);
        return Buffer.concat([head, m.body]);
      }),
    );
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

/**
 * One row of `sql` with every result column asked for in binary, as the bytes that came (null
 * for NULL), after `setup` (a simple Query) if given. Drivers hand binary values over decoded
 * (node-postgres as UTF-8 text, losing what is not): this reads them as sent.
 */
export async function binaryRow(
  port: number,
  user: string,
  password: string,
  sql: string,
  setup?: string,
): Promise<(Buffer | null)[]> {
  const c = await RawClient.connect(port, user, password);
  try {
    const w = new MessageWriter();
    if (setup) {
      c.write(query(w, setup).flush());
      await c.readyCount(1);
    }
    c.messages.length = 0;
    w.begin(FrontendCode.Parse).cstring('').cstring(sql).int16(0).end();
    // No parameters; one result format code, binary, for every column.
    w.begin(FrontendCode.Bind).cstring('').cstring('').int16(0).int16(0).int16(1).int16(1).end();
    w.begin(FrontendCode.Describe).byte(0x50).cstring('').end();
    w.begin(FrontendCode.Execute).cstring('').int32(0).end();
    c.write(sync(w).flush());
    await c.readyCount(1);
    const error = c.messages.find((m) => m.type === 'E');
    if (error) throw new Error(`${sql}: ${readNoticeFields(error.body).get(ErrorField.Message)}`);
    const rows = c.messages.filter((m) => m.type === 'D');
    if (rows.length !== 1) throw new Error(`${sql}: ${rows.length} rows`);
    return readDataRow((rows[0] as RawMessage).body);
  } finally {
    c.end();
  }
}

export { BackendCode };
