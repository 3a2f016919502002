/**
 * A fake PostgreSQL server for unit tests of the proxy's own upstream connections (catalog
 * pool, upstream reuse): it logs anyone in (AuthenticationOk, ReadyForQuery) and answers each
 * simple Query as `answer` says: bytes to send, or undefined to hang up instead. Enough of
 * the protocol to drive a connection into states a real server will not enter on cue.
 */

import { createServer, type Server, type Socket } from 'node:net';

/** A backend message: type, length, body. */
export function backendMessage(type: string, body: Buffer | string = Buffer.alloc(0)): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(b.length + 4, 1);
  return Buffer.concat([head, b]);
}

export function dataRow(values: string[]): Buffer {
  const parts = values.map((v) => {
    const len = Buffer.alloc(4);
    len.writeInt32BE(Buffer.byteLength(v));
    return Buffer.concat([len, Buffer.from(v)]);
  });
  const count = Buffer.alloc(2);
  count.writeInt16BE(values.length);
  return backendMessage('D', Buffer.concat([count, ...parts]));
}

export const readyForQuery = (status = 'I'): Buffer => backendMessage('Z', status);

export interface FakeQuery {
  /** Which connection, from 1, in the order they came. */
  connection: number;
  /** Which Query on it, from 1. */
  count: number;
  sql: string;
  socket: Socket;
}

export interface FakeBackend {
  readonly server: Server;
  readonly sockets: Socket[];
  listen(): Promise<number>;
  close(): void;
}

export function fakeBackend(answer: (q: FakeQuery) => Buffer | undefined): FakeBackend {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    const connection = sockets.push(socket);
    let started = false;
    let count = 0;
    let buffered = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (!started) {
          if (buffered.length < 4) return;
          const len = buffered.readInt32BE(0);
          if (buffered.length < len) return;
          buffered = buffered.subarray(len);
          started = true;
          socket.write(Buffer.concat([backendMessage('R', Buffer.alloc(4)), readyForQuery()]));
          continue;
        }
        if (buffered.length < 5) return;
        const len = buffered.readInt32BE(1);
        if (buffered.length < len + 1) return;
        const type = String.fromCharCode(buffered[0] as number);
        const body = buffered.subarray(5, len + 1);
        buffered = buffered.subarray(len + 1);
        if (type !== 'Q') continue;
        const reply = answer({ connection, count: ++count, sql: body.subarray(0, -1).toString(), socket });
        if (reply === undefined) {
          socket.destroy();
          return;
        }
        socket.write(reply);
      }
    });
  });
  return {
    server,
    sockets,
    async listen() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as { port: number }).port;
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
