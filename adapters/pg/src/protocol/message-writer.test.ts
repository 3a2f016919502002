import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MessageWriter } from './message-writer.js';

describe('MessageWriter', () => {
  test('int32 writes big-endian int32s and refuses what is not one', () => {
    const w = new MessageWriter(4);
    w.int32(-1).int32(0x7fffffff).int32(-0x80000000).int32(258).int32(0);
    expect(w.flush().toString('hex')).toBe('ffffffff7fffffff800000000000010200000000');
    expect(() => new MessageWriter().int32(2 ** 31)).toThrow(RangeError);
    expect(() => new MessageWriter().int32(-(2 ** 31) - 1)).toThrow(RangeError);
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
        const expected = Buffer.alloc(4);
        expected.writeInt32BE(v);
        expect(new MessageWriter(1).int32(v).flush()).toEqual(expected);
      }),
    );
  });

  test('bytesOf and repeat write what subarray and fill would, short or long, as the buffer grows', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(300),
        fc.nat(300),
        fc.nat(200),
        fc.integer({ min: 0, max: 255 }),
        (bytes, a, b, count, byte) => {
          const src = Buffer.from(bytes);
          const start = Math.min(a, b, src.length);
          const end = Math.min(Math.max(a, b), src.length);
          const w = new MessageWriter(1);
          w.byte(7).bytesOf(src, start, end).repeat(byte, count).byte(9);
          expect(w.flush()).toEqual(
            Buffer.concat([
              Buffer.from([7]),
              src.subarray(start, end),
              Buffer.alloc(count, byte),
              Buffer.from([9]),
            ]),
          );
        },
      ),
    );
  });

  test('lengthPrefixedUtf8 writes the UTF-8 bytes after their length, with an optional first byte', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), fc.constantFrom(-1, 1), (s, prefix) => {
        const bytes = Buffer.from(s, 'utf8');
        const body = prefix >= 0 ? Buffer.concat([Buffer.from([prefix]), bytes]) : bytes;
        const length = Buffer.alloc(4);
        length.writeInt32BE(body.length);
        const w = new MessageWriter(1);
        w.byte(0x44).lengthPrefixedUtf8(s, prefix).byte(0x45);
        expect(w.flush()).toEqual(Buffer.concat([Buffer.from([0x44]), length, body, Buffer.from([0x45])]));
      }),
    );
  });
});
