import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import {
  writeAuthenticationOk,
  writeAuthenticationSasl,
  writeAuthenticationSaslContinue,
  writeReadyForQuery,
} from '../protocol/backend-writers.js';
import { readSaslInitialResponse } from '../protocol/frontend-messages.js';
import { MessageWriter } from '../protocol/message-writer.js';
import { connectUpstream } from './connect-upstream.js';

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

/** Reads whole frontend messages (after the untyped startup packet) off a socket. */
function messages(socket: Socket): () => Promise<Buffer> {
  let buffered = Buffer.alloc(0);
  let startup = true;
  const waiting: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (const w of waiting.splice(0)) w();
  });
  return async () => {
    for (;;) {
      const head = startup ? 0 : 1;
      if (buffered.length >= head + 4) {
        const size = head + buffered.readInt32BE(head);
        if (buffered.length >= size) {
          const body = buffered.subarray(head + 4, size);
          buffered = buffered.subarray(size);
          startup = false;
          return body;
        }
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
}

/** A server that answers SCRAM's first step and then says AuthenticationOk, skipping its proof. */
async function skipsItsProof(): Promise<number> {
  server = createServer(async (socket) => {
    const next = messages(socket);
    const w = new MessageWriter();
    await next();
    writeAuthenticationSasl(w, ['SCRAM-SHA-256']);
    socket.write(w.flush());
    const initial = readSaslInitialResponse(await next());
    const clientNonce = /r=([^,]+)/.exec(initial.data?.toString() ?? '')?.[1] ?? '';
    writeAuthenticationSaslContinue(w, Buffer.from(`r=${clientNonce}server,s=c2FsdA==,i=4096`));
    socket.write(w.flush());
    await next();
    writeAuthenticationOk(w);
    writeReadyForQuery(w, 0x49);
    socket.write(w.flush());
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

describe('SCRAM toward the upstream authenticates the server too', () => {
  test('AuthenticationOk before the server proved it knows the password is refused', async () => {
    const port = await skipsItsProof();
    await expect(
      connectUpstream(
        { host: '127.0.0.1', port, user: 'u', password: 'p', connectTimeoutMs: 5000 },
        {},
        1 << 20,
      ),
    ).rejects.toThrow(/without proving it knows the password/);
  });
});
