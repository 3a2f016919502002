import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { ReusedReads } from './reused-reads.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A server that hands each connection to `peer`, and a client reading through `reads`. */
async function pair(reads: ReusedReads): Promise<{ client: Socket; peer: Socket }> {
  let accept: (s: Socket) => void = () => {};
  const accepted = new Promise<Socket>((resolve) => {
    accept = resolve;
  });
  const listening = createServer((s) => accept(s));
  server = listening;
  await new Promise<void>((r) => listening.listen(0, '127.0.0.1', () => r()));
  const { port } = listening.address() as { port: number };
  const client = connect({ host: '127.0.0.1', port, onread: reads.onread });
  reads.bind(client);
  const peer = await accepted;
  await new Promise<void>((r) => (client.connecting ? client.once('connect', () => r()) : r()));
  return { client, peer };
}

const next = (wait: (resolve: () => void) => void) => new Promise<void>((r) => wait(r));

describe('ReusedReads', () => {
  test("before a consumer takes over, reads arrive as 'data' copies", async () => {
    const reads = new ReusedReads();
    const { client, peer } = await pair(reads);
    const got = next((r) =>
      client.once('data', (d: Buffer) => {
        expect(d.toString()).toBe('hello');
        r();
      }),
    );
    peer.write('hello');
    await got;
    client.destroy();
    peer.destroy();
  });

  test('a chunk reported as retained keeps its bytes; an unretained buffer is used again', async () => {
    const reads = new ReusedReads();
    const { client, peer } = await pair(reads);
    const chunks: Buffer[] = [];
    let wake: (() => void) | undefined;
    reads.consume((chunk) => {
      chunks.push(chunk);
      wake?.();
      // Keep the first chunk's view; let the others go.
      return chunks.length === 1;
    });
    const read = async (text: string) => {
      const got = next((r) => {
        wake = r;
      });
      peer.write(text);
      await got;
    };
    await read('first');
    await read('second');
    await read('third!');
    const [first, second, third] = chunks as [Buffer, Buffer, Buffer];
    // The retained view still says what it said: the next read went to a new buffer.
    expect(first.toString()).toBe('first');
    expect(second.buffer).not.toBe(first.buffer);
    // Not retained: the third read landed in the second's buffer, over its bytes.
    expect(third.buffer).toBe(second.buffer);
    expect(third.toString()).toBe('third!');
    client.destroy();
    peer.destroy();
  });

  test("the end of the stream still reaches 'close'", async () => {
    const reads = new ReusedReads();
    const { client, peer } = await pair(reads);
    reads.consume(() => false);
    const closed = next((r) => client.once('close', () => r()));
    peer.end('bye');
    await closed;
  });
});
