import { describe, expect, test } from 'vitest';
import { MessageFramer } from '../protocol/message-framer.js';
import { OutputBatch } from './output-batch.js';

function message(type: string, body: string): Buffer {
  const b = Buffer.alloc(5 + body.length);
  b[0] = type.charCodeAt(0);
  b.writeInt32BE(4 + body.length, 1);
  b.write(body, 5, 'latin1');
  return b;
}

describe('OutputBatch', () => {
  test('adjacent forwarded views of one chunk go out as one view of it, in order with built messages', () => {
    const chunk = Buffer.from('aaabbbcccddd');
    const batch = new OutputBatch();
    const seen: string[] = [];
    batch.tap = (b) => seen.push(b.toString());
    batch.forward(chunk.subarray(0, 3));
    batch.forward(chunk.subarray(3, 6));
    batch.writer.raw(Buffer.from('XY'));
    batch.forward(chunk.subarray(6, 9));
    batch.forward(chunk.subarray(9, 12));
    expect(batch.position).toBe(14);
    const out = batch.take() as Buffer;
    expect(out.toString()).toBe('aaabbbXYcccddd');
    expect(seen).toEqual(['aaa', 'bbb', 'XY', 'ccc', 'ddd']);
    expect(batch.empty).toBe(true);
    expect(batch.take()).toBeUndefined();
  });

  test('a whole chunk forwarded message by message is the chunk itself, not a copy', () => {
    const chunk = Buffer.from('0123456789');
    const batch = new OutputBatch();
    batch.forward(chunk.subarray(0, 4));
    batch.forward(chunk.subarray(4, 10));
    const out = batch.take() as Buffer;
    expect(out.buffer).toBe(chunk.buffer);
    expect(out.byteOffset).toBe(chunk.byteOffset);
    expect(out.length).toBe(10);
  });

  test('views that are not adjacent are not merged', () => {
    const chunk = Buffer.from('0123456789');
    const other = Buffer.from('abc');
    const batch = new OutputBatch();
    batch.forward(chunk.subarray(0, 2));
    batch.forward(chunk.subarray(5, 7));
    batch.forward(other);
    batch.forward(chunk.subarray(7, 8));
    expect((batch.take() as Buffer).toString()).toBe('0156abc7');
  });

  test('frames forwarded as they came are the received chunk itself, and a tap sees each', () => {
    const chunk = Buffer.concat([message('T', 'desc'), message('D', 'row'), message('Z', 'I')]);
    const framer = new MessageFramer({ maxMessageSize: 1024 });
    framer.push(chunk);
    const batch = new OutputBatch();
    for (let frame = framer.next(); frame; frame = framer.next()) batch.forwardFrame(frame);
    expect(batch.take()).toBe(chunk);

    framer.push(chunk);
    const seen: string[] = [];
    batch.tap = (b) => seen.push(b.toString('latin1', 5));
    const first = framer.next();
    const second = framer.next();
    const third = framer.next();
    if (!first || !second || !third) throw new Error('three frames expected');
    batch.forwardFrame(first);
    batch.writer.raw(Buffer.from('XY'));
    batch.forwardFrame(second);
    batch.forwardFrame(third);
    const out = batch.take() as Buffer;
    expect(out.toString('latin1')).toBe(
      Buffer.concat([
        message('T', 'desc'),
        Buffer.from('XY'),
        message('D', 'row'),
        message('Z', 'I'),
      ]).toString('latin1'),
    );
    expect(seen).toEqual(['desc', '', 'row', 'I']);
  });
});
