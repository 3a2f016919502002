import { describe, expect, test } from 'vitest';
import { type Frame, MessageFramer } from '../protocol/message-framer.js';
import { OutputBatch } from './output-batch.js';

function message(type: string, body: string): Buffer {
  const b = Buffer.alloc(5 + body.length);
  b[0] = type.charCodeAt(0);
  b.writeInt32BE(4 + body.length, 1);
  b.write(body, 5, 'latin1');
  return b;
}

/** The frames of `chunks`, each pushed whole, as the proxy receives them. */
function frames(...chunks: Buffer[]): Frame[] {
  const framer = new MessageFramer({ maxMessageSize: 1024 });
  const out: Frame[] = [];
  for (const chunk of chunks) {
    framer.push(chunk);
    for (let frame = framer.next(); frame; frame = framer.next()) out.push(frame);
  }
  return out;
}

const T = message('T', 'desc');
const D = message('D', 'row');
const Z = message('Z', 'I');

describe('OutputBatch', () => {
  test('a chunk forwarded frame by frame goes out as the chunk itself, not a copy', () => {
    const chunk = Buffer.concat([T, D, Z]);
    const batch = new OutputBatch();
    for (const frame of frames(chunk)) batch.forwardFrame(frame);
    expect(batch.position).toBe(chunk.length);
    expect(batch.take()).toBe(chunk);
    expect(batch.empty).toBe(true);
    expect(batch.take()).toBeUndefined();
  });

  test('forwarded frames and built messages go out in order, and a tap sees each as it is batched', () => {
    const [t, d, z] = frames(Buffer.concat([T, D, Z]));
    if (!t || !d || !z) throw new Error('three frames expected');
    const batch = new OutputBatch();
    const seen: string[] = [];
    batch.tap = (b) => seen.push(b.toString('latin1'));
    batch.forwardFrame(t);
    batch.writer.raw(Buffer.from('XY'));
    batch.forwardFrame(d);
    batch.forwardFrame(z);
    expect(batch.position).toBe(T.length + 2 + D.length + Z.length);
    expect((batch.take() as Buffer).toString('latin1')).toBe(
      Buffer.concat([T, Buffer.from('XY'), D, Z]).toString('latin1'),
    );
    expect(seen).toEqual([T, Buffer.from('XY'), D, Z].map((b) => b.toString('latin1')));
  });

  test('a frame left out is not sent, and frames of different chunks are not merged', () => {
    const [t, d, z, t2] = frames(Buffer.concat([T, D, Z]), Buffer.from(T));
    if (!t || !d || !z || !t2) throw new Error('four frames expected');
    const batch = new OutputBatch();
    batch.forwardFrame(t);
    batch.forwardFrame(z);
    batch.forwardFrame(t2);
    expect((batch.take() as Buffer).toString('latin1')).toBe(Buffer.concat([T, Z, T]).toString('latin1'));
  });

  test('a frame stitched from two reads is forwarded whole', () => {
    const whole = Buffer.concat([T, D]);
    const [t, d] = frames(whole.subarray(0, 7), whole.subarray(7));
    if (!t || !d) throw new Error('two frames expected');
    const batch = new OutputBatch();
    batch.forwardFrame(t);
    batch.forwardFrame(d);
    expect((batch.take() as Buffer).toString('latin1')).toBe(whole.toString('latin1'));
  });
});
