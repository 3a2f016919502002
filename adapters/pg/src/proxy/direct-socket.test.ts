import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { directSocket } from './direct-socket.js';

/** A connected pair of real TCP sockets on loopback: [accepted, connecting]. */
async function socketPair(): Promise<{ server: Server; accepted: Socket; dialed: Socket }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const accepting = once(server, 'connection') as Promise<[Socket]>;
  const dialed = connect(address.port, '127.0.0.1');
  await once(dialed, 'connect');
  const [accepted] = await accepting;
  return { server, accepted, dialed };
}

const opened: { server: Server; accepted: Socket; dialed: Socket }[] = [];
async function pair() {
  const p = await socketPair();
  opened.push(p);
  return p;
}

afterEach(() => {
  for (const p of opened.splice(0)) {
    p.accepted.destroy();
    p.dialed.destroy();
    p.server.close();
  }
});

function collect(socket: Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    socket.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      got += chunk.length;
      if (got >= bytes) resolve(Buffer.concat(parts));
    });
    socket.on('error', reject);
  });
}

describe('directSocket', () => {
  test('a write the kernel cannot take at once is queued, keeps its bytes, and reports drain', async () => {
    const { accepted, dialed } = await pair();
    const io = directSocket(accepted);
    expect(io).toBeDefined();
    if (!io) return;
    dialed.pause();
    const small = Buffer.from('hello');
    expect(io.write(small)).toBe(true);
    expect(io.pending).toBe(false);
    // More than loopback's socket buffers hold while the peer reads nothing.
    const big = randomBytes(16 * 1024 * 1024);
    const expected = Buffer.concat([small, big]);
    expect(io.write(big)).toBe(false);
    expect(io.pending).toBe(true);
    expect(io.queuedBytes).toBeGreaterThan(0);
    const drained = new Promise<void>((resolve) => {
      io.onDrain = resolve;
    });
    const received = collect(dialed, expected.length);
    dialed.resume();
    await drained;
    expect(io.pending).toBe(false);
    expect(io.queuedBytes).toBe(0);
    expect((await received).equals(expected)).toBe(true);
  });

  test('writes through the Socket after direct ones arrive in order', async () => {
    const { accepted, dialed } = await pair();
    const io = directSocket(accepted);
    if (!io) throw new Error('no direct I/O');
    dialed.pause();
    const first = randomBytes(8 * 1024 * 1024);
    expect(io.write(first)).toBe(false);
    const last = Buffer.from('the end');
    accepted.end(last);
    const received = collect(dialed, first.length + last.length);
    dialed.resume();
    expect((await received).equals(Buffer.concat([first, last]))).toBe(true);
  });

  test('reads land in one buffer until the consumer keeps a view, then in a new one', async () => {
    const { accepted, dialed } = await pair();
    const io = directSocket(accepted);
    if (!io) throw new Error('no direct I/O');
    const seen: { chunk: Buffer; text: string }[] = [];
    let keep = false;
    let wake: (() => void) | undefined;
    io.takeReads((chunk) => {
      seen.push({ chunk, text: chunk.toString() });
      wake?.();
      return keep;
    });
    const next = () =>
      new Promise<void>((resolve) => {
        wake = resolve;
      });
    let arrived = next();
    dialed.write('one');
    await arrived;
    arrived = next();
    dialed.write('two');
    await arrived;
    expect(seen[1]?.chunk.buffer).toBe(seen[0]?.chunk.buffer);
    keep = true;
    arrived = next();
    dialed.write('three');
    await arrived;
    arrived = next();
    dialed.write('four');
    await arrived;
    expect(seen.map((s) => s.text)).toEqual(['one', 'two', 'three', 'four']);
    // 'three' was kept: 'four' was read into another buffer, and 'three' still reads as sent.
    expect(seen[3]?.chunk.buffer).not.toBe(seen[2]?.chunk.buffer);
    expect(seen[2]?.chunk.toString()).toBe('three');
  });

  test('paused reads deliver nothing until resumed; the end of the stream reaches the Socket', async () => {
    const { accepted, dialed } = await pair();
    const io = directSocket(accepted);
    if (!io) throw new Error('no direct I/O');
    const texts: string[] = [];
    io.takeReads((chunk) => {
      texts.push(chunk.toString());
      return false;
    });
    io.pause();
    dialed.write('held');
    await new Promise((r) => setTimeout(r, 100));
    expect(texts).toEqual([]);
    io.resume();
    await new Promise((r) => setTimeout(r, 100));
    expect(texts.join('')).toBe('held');
    const closed = once(accepted, 'close');
    dialed.end();
    await closed;
  });

  test('reads taken in the connect event: the Socket does not start reading again itself', async () => {
    const server = createServer((s) => s.end('from the server'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    const dialed = connect(address.port, '127.0.0.1');
    const errors: Error[] = [];
    dialed.on('error', (err) => errors.push(err));
    const texts: string[] = [];
    // net reads on its own right after emitting 'connect'; taking the reads here first is
    // where a second readStart used to fail the socket with EALREADY.
    dialed.once('connect', () => {
      directSocket(dialed)?.takeReads((chunk) => {
        texts.push(chunk.toString());
        return false;
      });
    });
    await once(dialed, 'close');
    server.close();
    expect(errors).toEqual([]);
    expect(texts.join('')).toBe('from the server');
  });

  test('a consumer that throws ends its connection, not the process', async () => {
    const { accepted, dialed } = await pair();
    const io = directSocket(accepted);
    if (!io) throw new Error('no direct I/O');
    const errors: Error[] = [];
    accepted.on('error', (err) => errors.push(err));
    io.takeReads(() => {
      throw new Error('consumer failed');
    });
    // Not events.once: it rejects on the 'error' this test expects.
    const closed = new Promise((resolve) => accepted.on('close', resolve));
    dialed.write('boom');
    await closed;
    expect(errors.map((e) => e.message)).toEqual(['consumer failed']);
  });

  test('a socket with bytes queued in its stream keeps to the stream', async () => {
    const { accepted, dialed } = await pair();
    dialed.pause();
    accepted.write(randomBytes(16 * 1024 * 1024));
    expect(accepted.writableLength).toBeGreaterThan(0);
    expect(directSocket(accepted)).toBeUndefined();
  });
});
