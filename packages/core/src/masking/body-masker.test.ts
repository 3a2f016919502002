import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BodyMaskErrors } from './body-mask-errors.js';
import { BodyMasker as CoreBodyMasker } from './body-masker.js';
import { type BodyPlan, planResponseBody } from './body-plan.js';
import { createMasker, type Masker } from './masker.js';

class ResponseTooLargeError extends Error {}
class UnenforceableError extends Error {}

const errors: BodyMaskErrors = {
  tooLarge: (limit) => new ResponseTooLargeError(`over ${limit} bytes`),
  unenforceable: (message, options) => new UnenforceableError(message, options),
};

/** The adapters' shape: their own errors bound in. */
class BodyMasker extends CoreBodyMasker {
  constructor(masker: Masker, plan: Exclude<BodyPlan, 'pass'>, maxBodyBytes: number) {
    super(masker, plan, maxBodyBytes, errors);
  }
}

const masker = createMasker({
  rules: [
    { path: '$..ssn', strategy: 'redact' },
    { detector: 'email', strategy: 'redact' },
    { detector: 'credit_card', strategy: 'partial', keep: 4 },
  ],
});
const scanOnly = createMasker({ rules: [{ detector: 'email', strategy: 'hash' }] });

const fragment = fc.constantFrom(
  'alice@example.com',
  '4111 1111 1111 1111',
  ' ',
  '\n',
  'zoë ',
  '😀',
  'plain words ',
  '@',
  '.com',
);
const text = fc
  .array(fc.oneof(fragment, fc.string({ maxLength: 8 })), { maxLength: 40 })
  .map((p) => p.join(''));

/** Cut bytes at arbitrary offsets, through multi-byte characters too. */
function cut(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.byteLength + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, bytes.byteLength]) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  return out;
}

/** Server-sent events as the masker must cut them: after each blank line. */
function splitMessages(input: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (const m of input.matchAll(/\r\n\r\n|\n\n|\r\r|\n\r\n|\r\n\n/g)) {
    out.push(input.slice(from, m.index + m[0].length));
    from = m.index + m[0].length;
  }
  out.push(input.slice(from));
  return out;
}

function run(body: BodyMasker, chunks: Uint8Array[]): string {
  const parts = chunks.map((c) => body.push(c));
  parts.push(body.end());
  return Buffer.concat(parts).toString('utf8');
}

describe('BodyMasker', () => {
  it('streams text to the same output as maskText, however the bytes are cut', () => {
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), (input, cuts) => {
        const chunks = cut(new TextEncoder().encode(input), cuts);
        expect(run(new BodyMasker(masker, 'text', 1024), chunks)).toBe(masker.maskText(input));
      }),
    );
  });

  it('masks a JSON document as maskJson does, however the bytes are cut', () => {
    const doc = fc.record({
      ssn: fc.string(),
      rows: fc.array(fc.record({ email: text, note: text }), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(doc, fc.array(fc.nat(), { maxLength: 12 }), (value, cuts) => {
        const chunks = cut(new TextEncoder().encode(JSON.stringify(value)), cuts);
        expect(run(new BodyMasker(masker, 'document', 1 << 20), chunks)).toBe(
          JSON.stringify(masker.maskJson(value)),
        );
      }),
    );
  });

  it('continues as a text stream past the limit when no JSONPath mask needs the document', () => {
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), (input, cuts) => {
        const raw = JSON.stringify({ t: input });
        const chunks = cut(new TextEncoder().encode(raw), cuts);
        expect(run(new BodyMasker(scanOnly, 'document', 8), chunks)).toBe(
          Buffer.byteLength(raw) > 8
            ? scanOnly.maskText(raw)
            : JSON.stringify(scanOnly.maskJson({ t: input })),
        );
      }),
    );
  });

  it('plans server-sent events and JSON lines as messages, other text as a stream', () => {
    const plan = (contentType: string) =>
      planResponseBody(scanOnly, { contentType, contentEncoding: null }, errors);
    expect(plan('text/event-stream')).toBe('events');
    expect(plan('text/event-stream; charset=utf-8')).toBe('events');
    expect(plan('application/x-ndjson')).toBe('lines');
    expect(plan('application/jsonl')).toBe('lines');
    expect(plan('text/plain')).toBe('text');
  });

  it('sends each server-sent event, masked, as soon as it is whole', () => {
    const body = new BodyMasker(masker, 'events', 1024);
    const push = (t: string) => Buffer.from(body.push(new TextEncoder().encode(t))).toString('utf8');
    expect(push('data: for alice@example.com\n\n')).toBe('data: for [REDACTED]\n\n');
    expect(push('event: card\r\ndata: 4111 1111')).toBe('');
    expect(push(' 1111 1111\r\n\r')).toBe('');
    expect(push('\nid: 3\r\r')).toBe('event: card\r\ndata: ***************1111\r\n\r\nid: 3\r\r');
    // A blank line split between two chunks ends the event as the second arrives.
    expect(push('data: one\r\n\r')).toBe('');
    expect(push('\n')).toBe('data: one\r\n\r\n');
    expect(push('data: two\n')).toBe('');
    expect(push('\n')).toBe('data: two\n\n');
    expect(push('data: {"to":"bob@example.org"}\n')).toBe('');
    expect(Buffer.from(body.end()).toString('utf8')).toBe('data: {"to":"[REDACTED]"}\n');
  });

  it('plans JSON lines and events for JSONPath masks alone, which plain text cannot carry', () => {
    const pathsOnly = createMasker({ rules: [{ path: '$..ssn', strategy: 'redact' }] });
    const plan = (contentType: string) =>
      planResponseBody(pathsOnly, { contentType, contentEncoding: null }, errors);
    expect(plan('application/x-ndjson')).toBe('lines');
    expect(plan('text/event-stream')).toBe('events');
    expect(plan('application/json')).toBe('document');
    expect(plan('text/plain')).toBe('pass');
  });

  it('masks each JSON line by path too, changing nothing else in it; a line that is not JSON fails closed', () => {
    const body = new BodyMasker(masker, 'lines', 1024);
    const push = (t: string) => Buffer.from(body.push(new TextEncoder().encode(t))).toString('utf8');
    // A 64-bit id and the line's own spacing pass as written; a blank line passes.
    expect(push('{"id": 12345678901234567890, "ssn": "123-45-6789"}\r\n\n')).toBe(
      '{"id": 12345678901234567890, "ssn": "[REDACTED]"}\r\n\n',
    );
    expect(push('{"nested":{"ssn":1}, "to":"x\\u0040example.com"}\n')).toBe(
      '{"nested":{"ssn":"[REDACTED]"}, "to":"[REDACTED]"}\n',
    );
    expect(() => push('ssn 123-45-6789\n')).toThrow(UnenforceableError);
    // Without JSONPath masks such a line is scanned as text.
    const scanning = new BodyMasker(scanOnly, 'lines', 1024);
    expect(
      Buffer.from(scanning.push(new TextEncoder().encode('mail a@example.com\n'))).toString('utf8'),
    ).toBe(scanOnly.maskText('mail a@example.com\n'));
  });

  it('still scans the numbers of JSON lines and events, as when they were read as text', () => {
    const lines = new BodyMasker(masker, 'lines', 1024);
    const push = (t: string) => Buffer.from(lines.push(new TextEncoder().encode(t))).toString('utf8');
    expect(push('{"card": 4111111111111111, "n": 7}\n4111111111111111\n')).toBe(
      '{"card": "************1111", "n": 7}\n"************1111"\n',
    );
    const events = new BodyMasker(masker, 'events', 1024);
    expect(
      Buffer.from(events.push(new TextEncoder().encode('data: {"card":4111111111111111}\n\n'))).toString(),
    ).toBe('data: {"card":"************1111"}\n\n');
  });

  it("masks an event's JSON data by path, line for line, and scans the rest", () => {
    const body = new BodyMasker(masker, 'events', 1024);
    const push = (t: string) => Buffer.from(body.push(new TextEncoder().encode(t))).toString('utf8');
    expect(
      push('event: row\nid: alice@example.com\ndata: {"ssn":"123-45-6789",\ndata:  "n": 1.10}\n\n'),
    ).toBe('event: row\nid: [REDACTED]\ndata: {"ssn":"[REDACTED]",\ndata:  "n": 1.10}\n\n');
    // A node masked whole that spanned two data lines leaves one.
    expect(push('data: {"ssn": {"a":\ndata: 1}, "k": 2}\n\n')).toBe(
      'data: {"ssn": "[REDACTED]", "k": 2}\n\n',
    );
    // Data that is not JSON has no paths: scanned as text.
    expect(push('data: [DONE] bob@example.org\n\n')).toBe('data: [DONE] [REDACTED]\n\n');
    expect(push(': comment\n\n')).toBe(': comment\n\n');
    // Data that opens as JSON and does not parse: the path mask cannot be applied, so refused.
    expect(() => push('data: {"ssn":"123-45-6789"\n\n')).toThrow(UnenforceableError);
  });

  it('sends each JSON line, masked, as soon as it is whole', () => {
    const body = new BodyMasker(masker, 'lines', 1024);
    const push = (t: string) => Buffer.from(body.push(new TextEncoder().encode(t))).toString('utf8');
    expect(push('{"mail":"alice@example.com"}\n{"card":"4111')).toBe('{"mail":"[REDACTED]"}\n');
    expect(push(' 1111 1111 1111"}\n')).toBe('{"card":"***************1111"}\n');
  });

  it('masks message by message whatever the cut, and streams a message too long to wait for', () => {
    const messages = fc.array(
      fc.tuple(text, fc.constantFrom('\n\n', '\r\n\r\n', '\r\r', '\n\r\n', '\r\n\n')),
      { maxLength: 6 },
    );
    fc.assert(
      fc.property(messages, text, fc.array(fc.nat(), { maxLength: 12 }), (whole, tail, cuts) => {
        // A message's own text may hold a blank line: the reference splits where the masker must.
        const input = whole.map(([t, end]) => t + end).join('') + tail;
        const chunks = cut(new TextEncoder().encode(input), cuts);
        const reference = splitMessages(input)
          .map((m) => masker.maskText(m))
          .join('');
        expect(run(new BodyMasker(masker, 'events', 1024), chunks)).toBe(reference);
      }),
    );
    // Scanners only: a message over 64 KiB is not waited for, the rest streams as text.
    const long = `data: ${'x'.repeat(70 * 1024)} alice@example.com\n\n`;
    const first = 'data: bob@example.org\n\n';
    const body = new BodyMasker(scanOnly, 'events', 1024);
    const out = run(body, cut(new TextEncoder().encode(first + long + first), [10, 40_000, 80_000]));
    expect(out).toBe(scanOnly.maskText(first) + scanOnly.maskText(long + first));
  });

  it('with JSONPath masks, waits for a long message up to the body limit, and fails closed past it', () => {
    const line = `{"ssn":"123-45-6789","pad":"${'x'.repeat(70 * 1024)}"}\n`;
    const within = new BodyMasker(masker, 'lines', 100 * 1024);
    expect(run(within, cut(new TextEncoder().encode(line), [1000, 50_000]))).toBe(
      `{"ssn":"[REDACTED]","pad":"${'x'.repeat(70 * 1024)}"}\n`,
    );
    const over = new BodyMasker(masker, 'lines', 64 * 1024);
    expect(() => run(over, cut(new TextEncoder().encode(line), [1000, 50_000]))).toThrow(
      ResponseTooLargeError,
    );
  });

  it('refuses a body in UTF-16 or UTF-32, or holding a NUL byte, in every plan: its secrets would pass unseen', () => {
    const text = 'mail alice@example.com card 4111 1111 1111 1111';
    const json = JSON.stringify({ mail: 'alice@example.com' });
    const utf16be = (t: string) => Buffer.from(t, 'utf16le').swap16();
    const utf32le = (t: string) => Buffer.from([...t].flatMap((c) => [c.charCodeAt(0), 0, 0, 0]));
    const bodies = (t: string) => [
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')]),
      Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(t)]),
      Buffer.from(t, 'utf16le'),
      utf32le(t),
      Buffer.concat([Buffer.from('abc'), Buffer.from([0]), Buffer.from(t)]),
    ];
    for (const plan of ['text', 'document', 'events', 'lines'] as const) {
      for (const m of [masker, scanOnly]) {
        for (const body of bodies(plan === 'text' ? text : json)) {
          const b = new BodyMasker(m, plan, 1 << 20);
          // Cut anywhere: the refusal comes with the chunk that shows it, before it is masked.
          expect(() => {
            for (let at = 0; at < body.byteLength; at += 7) b.push(body.subarray(at, at + 7));
            b.end();
          }, plan).toThrow(UnenforceableError);
        }
      }
    }
    // A UTF-8 byte order mark is UTF-8.
    const b = new BodyMasker(scanOnly, 'text', 1 << 20);
    const out = Buffer.concat([
      b.push(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])),
      b.end(),
    ]);
    expect(out.toString()).not.toContain('alice@example.com');
  });

  it('fails closed past the limit when a JSONPath mask needs the whole document', () => {
    const body = new BodyMasker(masker, 'document', 16);
    expect(() => body.push(new TextEncoder().encode('{"ssn":"123-45-6789","x":"yyyyyy"}'))).toThrow(
      ResponseTooLargeError,
    );
  });
});
