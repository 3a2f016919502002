import { describe, expect, test } from 'vitest';
import { OutputBatch } from './output-batch.js';

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
});
