import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as backend from './backend-messages.js';
import * as frontend from './frontend-messages.js';
import { type Frame, MessageFramer } from './message-framer.js';
import { MessageWriter } from './message-writer.js';
import { isPgProtocolError } from './protocol-error.js';

function frames(framer: MessageFramer): Frame[] {
  const out: Frame[] = [];
  for (let f = framer.next(); f; f = framer.next()) out.push(f);
  return out;
}

describe('MessageFramer', () => {
  test('splits typed messages however the stream is cut', () => {
    const w = new MessageWriter();
    w.begin(0x51).cstring('SELECT 1').end();
    w.begin(0x53).end();
    w.begin(0x51).cstring('SELECT 2').end();
    const bytes = w.flush();
    for (let cut = 0; cut <= bytes.length; cut++) {
      const framer = new MessageFramer({ maxMessageSize: 1024 });
      framer.push(bytes.subarray(0, cut));
      const got = frames(framer);
      framer.push(bytes.subarray(cut));
      got.push(...frames(framer));
      expect(got.map((f) => String.fromCharCode(f.type))).toEqual(['Q', 'S', 'Q']);
      expect(frontend.readQuery(got[2]!.body).sql).toBe('SELECT 2');
    }
  });

  test('reads startup packets without a type byte, then switches', () => {
    const w = new MessageWriter();
    w.beginUntyped().int32(80877103).end();
    w.beginUntyped().int32(196608).cstring('user').cstring('alice').byte(0).end();
    const framer = new MessageFramer({ maxMessageSize: 1024, startup: true });
    framer.push(w.flush());
    expect(frontend.readStartupPacket(framer.next()!.body)).toEqual({ kind: 'ssl' });
    const startup = frontend.readStartupPacket(framer.next()!.body);
    expect(startup).toMatchObject({ kind: 'startup', major: 3, minor: 0, parameters: { user: 'alice' } });
  });

  test('a message over the maximum is a protocol error before it is buffered', () => {
    const framer = new MessageFramer({ maxMessageSize: 100 });
    framer.push(Buffer.from([0x51, 0, 0, 1, 0]));
    expect(() => framer.next()).toThrowError(/exceeds the maximum of 100/);
  });

  test('a negative or short length is a protocol error', () => {
    const framer = new MessageFramer({ maxMessageSize: 100 });
    framer.push(Buffer.from([0x51, 0xff, 0xff, 0xff, 0xff]));
    expect(() => framer.next()).toThrowError(/invalid message length/);
  });

  test('a TLS ClientHello where a startup packet belongs is refused cleanly', () => {
    const framer = new MessageFramer({ maxMessageSize: 100, startup: true });
    framer.push(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x10]));
    expect(() => framer.next()).toThrowError(/direct TLS/);
  });
});

describe('MessageFramer across reads', () => {
  /** Typed messages with bodies of the given sizes, each body a run of its index. */
  function stream(sizes: readonly number[]): { bytes: Buffer; bodies: Buffer[] } {
    const w = new MessageWriter();
    const bodies = sizes.map((size, i) => Buffer.alloc(size, i % 251));
    for (const body of bodies) w.begin(0x64).bytes(body).end();
    return { bytes: w.flush(), bodies };
  }

  test('frames come out whole however reads cut them, also when reads reuse one buffer', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(700), { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (sizes, cutPoints) => {
          const { bytes, bodies } = stream(sizes);
          const cuts = [...new Set(cutPoints.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          // One scratch buffer every read lands in, scribbled over after each, as with
          // ReusedReads: the framer must own whatever it keeps past a read.
          const scratch = Buffer.alloc(bytes.length);
          const framer = new MessageFramer({ maxMessageSize: 1 << 20 });
          const got: Buffer[] = [];
          let at = 0;
          for (const cut of [...cuts, bytes.length]) {
            const n = cut - at;
            bytes.copy(scratch, 0, at, cut);
            framer.push(scratch.subarray(0, n));
            for (let f = framer.next(); f; f = framer.next()) got.push(Buffer.from(f.body));
            framer.ownRest();
            scratch.fill(0xee);
            at = cut;
          }
          expect(framer.buffered).toBe(0);
          expect(got).toEqual(bodies);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a message spanning many reads is copied once; the messages after it stay views', () => {
    const { bytes, bodies } = stream([200_000, 10, 20]);
    const framer = new MessageFramer({ maxMessageSize: 1 << 20 });
    const step = 4096;
    const tailStart = bytes.length - (5 + 10) - (5 + 20) - 100;
    let at = 0;
    for (; at < tailStart; at += step) {
      framer.push(bytes.subarray(at, Math.min(at + step, tailStart)));
      expect(framer.next()).toBeUndefined();
    }
    const last = Buffer.from(bytes.subarray(tailStart));
    framer.push(last);
    const big = framer.next();
    expect(big?.body.equals(bodies[0] as Buffer)).toBe(true);
    const small = framer.next();
    const smaller = framer.next();
    expect([small?.body, smaller?.body]).toEqual([bodies[1], bodies[2]]);
    // In place in the chunk they arrived in, not in a copy of it.
    expect(small?.raw.buffer).toBe(last.buffer);
    expect(smaller?.raw.buffer).toBe(last.buffer);
    expect(framer.next()).toBeUndefined();
    expect(framer.buffered).toBe(0);
  });

  test('a header cut across three reads is read across them', () => {
    const { bytes, bodies } = stream([3]);
    const framer = new MessageFramer({ maxMessageSize: 1024 });
    framer.push(bytes.subarray(0, 1));
    expect(framer.next()).toBeUndefined();
    framer.push(bytes.subarray(1, 3));
    expect(framer.next()).toBeUndefined();
    framer.push(bytes.subarray(3, 6));
    expect(framer.next()).toBeUndefined();
    framer.push(bytes.subarray(6));
    expect(framer.next()?.body).toEqual(bodies[0]);
  });
});

describe('readers and writers round-trip', () => {
  test('RowDescription, DataRow and ErrorResponse', () => {
    const w = new MessageWriter(8);
    w.begin(0x54)
      .int16(1)
      .cstring('email')
      .uint32(16384)
      .int16(3)
      .uint32(25)
      .int16(-1)
      .int32(-1)
      .int16(0)
      .end();
    w.begin(0x44).int16(2).int32(3).bytes(Buffer.from('abc')).int32(-1).end();
    const framer = new MessageFramer({ maxMessageSize: 1024 });
    framer.push(w.flush());
    const [t, d] = frames(framer);
    expect(backend.readRowDescription(t!.body)).toEqual([
      {
        name: 'email',
        tableOid: 16384,
        attributeNumber: 3,
        typeOid: 25,
        typeSize: -1,
        typeModifier: -1,
        format: 0,
      },
    ]);
    expect(backend.readDataRow(d!.body)).toEqual([Buffer.from('abc'), null]);
  });

  test('Bind with parameters and result formats', () => {
    const w = new MessageWriter();
    w.begin(0x42)
      .cstring('p')
      .cstring('s')
      .int16(1)
      .int16(1)
      .int16(2)
      .int32(2)
      .bytes(Buffer.from('hi'))
      .int32(-1);
    w.int16(1).int16(1).end();
    const framer = new MessageFramer({ maxMessageSize: 1024 });
    framer.push(w.flush());
    expect(frontend.readBind(framer.next()!.body)).toEqual({
      portal: 'p',
      statement: 's',
      parameterFormats: [1],
      parameters: [Buffer.from('hi'), null],
      resultFormats: [1],
    });
  });

  test('readBindTarget reads what readBind reads, and refuses exactly what it refuses', () => {
    const w = new MessageWriter();
    w.begin(0x42).cstring('p').cstring('s').int16(1).int16(1).int16(3);
    w.int32(2).bytes(Buffer.from('hi')).int32(-1).int32(0);
    w.int16(2).int16(1).int16(0).end();
    const body = w.flush().subarray(5);
    const { portal, statement, resultFormats } = frontend.readBind(body);
    expect(frontend.readBindTarget(body)).toEqual({ portal, statement, resultFormats });
    const outcome = (read: (b: Buffer) => unknown, b: Buffer) => {
      try {
        read(b);
        return 'read';
      } catch (err) {
        return (err as Error).message;
      }
    };
    // Every truncation and every single-byte change in the counts and lengths.
    const variants: Buffer[] = [];
    for (let n = 0; n < body.length; n++) variants.push(body.subarray(0, n));
    for (let i = 4; i < body.length; i++)
      for (const v of [0x00, 0x01, 0x7f, 0xff]) {
        const b = Buffer.from(body);
        b[i] = v;
        variants.push(b);
      }
    variants.push(Buffer.concat([body, Buffer.from([0])]));
    for (const b of variants) expect(outcome(frontend.readBindTarget, b)).toBe(outcome(frontend.readBind, b));
  });
});

/** Every reader, applied to whatever body a frame has. */
const READERS: ((b: Buffer) => unknown)[] = [
  frontend.readStartupPacket,
  frontend.readQuery,
  frontend.readParse,
  frontend.readBind,
  frontend.readBindTarget,
  frontend.readDescribe,
  frontend.readClose,
  frontend.readExecute,
  frontend.readFunctionCall,
  frontend.readPasswordMessage,
  frontend.readSaslInitialResponse,
  frontend.readCopyFail,
  (b) => frontend.readEmpty(b, 'Sync'),
  backend.readAuthentication,
  backend.readParameterStatus,
  backend.readNotificationResponse,
  backend.readBackendKeyData,
  backend.readReadyForQuery,
  backend.readRowDescription,
  backend.readDataRow,
  backend.readCommandComplete,
  backend.readNoticeFields,
  backend.readCopyResponse,
  backend.readNegotiateProtocolVersion,
];

function validFrontendStream(): Buffer {
  const w = new MessageWriter();
  w.begin(0x50).cstring('s1').cstring('SELECT $1').int16(1).uint32(23).end();
  w.begin(0x42).cstring('').cstring('s1').int16(0).int16(1).int32(1).bytes(Buffer.from('7')).int16(0).end();
  w.begin(0x44).byte(0x50).cstring('').end();
  w.begin(0x45).cstring('').int32(0).end();
  w.begin(0x53).end();
  w.begin(0x51).cstring('SELECT 1').end();
  return w.flush();
}

describe('fuzz: random and mutated bytes', () => {
  const onlyProtocolErrors = (bytes: Uint8Array, startup: boolean, cuts: number[]) => {
    const framer = new MessageFramer({ maxMessageSize: 4096, startup });
    const buf = Buffer.from(bytes);
    let at = 0;
    try {
      for (const cut of [...cuts.map((c) => c % (buf.length + 1)).sort((a, b) => a - b), buf.length]) {
        framer.push(buf.subarray(at, Math.max(at, cut)));
        at = Math.max(at, cut);
        for (let f = framer.next(); f; f = framer.next()) {
          for (const read of READERS) {
            try {
              read(f.body);
            } catch (err) {
              if (!isPgProtocolError(err)) throw err;
            }
          }
        }
      }
    } catch (err) {
      if (!isPgProtocolError(err)) throw err;
    }
  };

  test('random bytes never throw anything but PgProtocolError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 4 }),
        onlyProtocolErrors,
      ),
      { numRuns: 2000 },
    );
  });

  test('mutated valid streams never throw anything but PgProtocolError', () => {
    const base = validFrontendStream();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.nat(base.length),
        fc.array(fc.nat(), { maxLength: 4 }),
        (mutations, truncate, cuts) => {
          const bytes = Buffer.from(base);
          for (const [i, v] of mutations) bytes[i] = v;
          onlyProtocolErrors(bytes.subarray(0, truncate), false, cuts);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
