import { describe, expect, it } from 'vitest';
import type { DetectorName } from '../contract.js';
import { InvalidRequestError } from '../errors.js';
import { DETECTOR_NAMES } from './detectors.js';
import { toTransformStream } from './mask-stream.js';
import { createMasker } from './masker.js';

const allDetectors = (strategy: 'redact' | 'hash' | 'partial' | 'format' | 'null') =>
  createMasker({
    hashKey: 'stream test key, thirty-two byte',
    rules: DETECTOR_NAMES.map((detector: DetectorName) => ({ detector, strategy })),
  });

function streamInPieces(
  masker: ReturnType<typeof createMasker>,
  pieces: string[],
): { out: string; maxPending: number } {
  const stream = masker.createStream();
  let out = '';
  let maxPending = 0;
  for (const piece of pieces) {
    out += stream.write(piece);
    maxPending = Math.max(maxPending, stream.pending);
  }
  return { out: out + stream.end(), maxPending };
}

function cutEvery(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

const PEM = `-----BEGIN EC PRIVATE KEY-----\n${'MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oVT7l9k8a1rM'.repeat(20)}\n-----END EC PRIVATE KEY-----`;
const SAMPLE = [
  'user alice@example.com paid 4111 1111 1111 1111 from 192.168.1.10',
  'Authorization: Bearer 0123456789abcdefghij0123456789',
  `key:\n${PEM}\nafter`,
  'ssn 123-45-6789, call +44 20 7946 0958, iban DE89 3704 0044 0532 0130 00',
  'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ and AKIAIOSFODNN7EXAMPLE',
  '<a href="mailto:ann&#64;example.com">ann&#x40;example.org</a> &amp; bob&commat;example.net #1',
  'carte 4111\u00a01111\u00a01111\u00a01111, tél. +33\u00a01\u00a023\u00a045\u00a067\u00a089, ４１１１ １１１１ １１１１ １１１１',
  // Named tokens, and pagination tokens whose names say they are none (read from the name's start).
  '{"nextPageToken": "CAEQAAabcdefgh", "access_token": "ya29.a0AfH6SMBx"} NextToken=AAAAbbbbcccc JWT_SECRET=s3cr3t-jwt-key',
  `API_KEY="sk-cut-0123456789 left open\nAPP_KEY=${'k9'.repeat(2100)} after`,
].join('\n');

describe('mask stream', () => {
  for (const strategy of ['redact', 'hash', 'partial', 'format', 'null'] as const) {
    it(`equals maskText for every chunk size (${strategy})`, () => {
      const masker = allDetectors(strategy);
      const whole = masker.maskText(SAMPLE);
      for (const size of [1, 2, 3, 5, 7, 13, 64, 1000]) {
        expect(streamInPieces(masker, cutEvery(SAMPLE, size)).out).toBe(whole);
      }
    });
  }

  // What a client waits for (a prompt, the end of a line) is held back only as far as a secret
  // could be starting there. The jwt detector held ~8 characters of any text before its
  // pattern declared the `eyJ` every token starts with.
  it('holds back no more of a text than could begin a secret', () => {
    const stream = allDetectors('redact').createStream();
    expect(stream.write('root@vm:~# ')).toBe('root@vm:~#');
    expect(stream.write('ls -l\r\n')).toBe(' ls -l\r');
    expect(stream.write('total 0\r\nroot@vm:~$ e')).toBe('\ntotal 0\r\nroot@vm:~$');
    expect(stream.pending).toBe(2);
  });

  it('span streams cover the input once, in order, and render to maskText', () => {
    for (const strategy of ['redact', 'partial'] as const) {
      const masker = allDetectors(strategy);
      const whole = masker.maskText(SAMPLE);
      for (const size of [1, 7, 64, 1000]) {
        const stream = masker.createSpanStream();
        const spans = cutEvery(SAMPLE, size).flatMap((piece) => stream.write(piece));
        spans.push(...stream.end());
        let at = 0;
        let out = '';
        for (const span of spans) {
          expect(span.start).toBe(at);
          expect(span.end).toBeGreaterThan(span.start);
          out += span.replacement ?? SAMPLE.slice(span.start, span.end);
          at = span.end;
        }
        expect(at).toBe(SAMPLE.length);
        expect(out).toBe(whole);
      }
    }
  });

  it('masks a secret split across two chunks', () => {
    const masker = allDetectors('redact');
    const stream = masker.createStream();
    const first = stream.write('mail alice@exa');
    expect(first).not.toContain('alice');
    expect(first + stream.write('mple.com now') + stream.end()).toBe('mail [REDACTED] now');
  });

  it('holds a PEM block from BEGIN until its END line', () => {
    const masker = allDetectors('redact');
    const stream = masker.createStream();
    const [head, tail] = [
      SAMPLE.slice(0, SAMPLE.indexOf('-----END')),
      SAMPLE.slice(SAMPLE.indexOf('-----END')),
    ];
    const out1 = stream.write(head);
    expect(out1).not.toContain('MHcCAQ');
    expect(stream.pending).toBeGreaterThan(PEM.length - 40);
    const out = out1 + stream.write(tail) + stream.end();
    expect(out).toBe(masker.maskText(SAMPLE));
    expect(out).not.toContain('MHcCAQ');
  });

  it('holds back only a short tail of ordinary text', () => {
    const masker = allDetectors('redact');
    const prose = 'The quick brown fox jumps over the lazy dog; 12 items at 3.50 each. '.repeat(2000);
    const { out, maxPending } = streamInPieces(masker, cutEvery(prose, 4096));
    expect(out).toBe(prose);
    expect(maxPending).toBeLessThan(4096 + 700);
  });

  it('bounds the tail for a pattern with an unbounded match length', () => {
    const masker = createMasker({ rules: [{ pattern: 'secret=\\S+', strategy: 'redact' }] });
    const text = `${'x '.repeat(50_000)}secret=abc ${'y '.repeat(50_000)}`;
    const { out, maxPending } = streamInPieces(masker, cutEvery(text, 1000));
    expect(out).toBe(masker.maskText(text));
    expect(maxPending).toBeLessThan(1000 + 4096 + 10);
  });

  it('regression: a chunk cut after an astral character shifted later matches by one (node-re2 lastIndex)', () => {
    const masker = allDetectors('redact');
    const text = '0aaaaa0😀, aaaaaaa@aa.com" a é  aa 00 AKIAIOSFODNN7EXAMPLE) ';
    const whole = masker.maskText(text);
    expect(whole).toBe('0aaaaa0😀, [REDACTED]" a é  aa 00 [REDACTED]) ');
    for (let cut = 0; cut <= text.length; cut++) {
      expect(streamInPieces(masker, [text.slice(0, cut), text.slice(cut)]).out).toBe(whole);
    }
  });

  it('never splits a surrogate pair between output chunks', () => {
    const masker = allDetectors('redact');
    const text = '😀'.repeat(3000);
    const stream = masker.createStream();
    for (const piece of cutEvery(text, 333)) {
      const out = stream.write(piece);
      expect(out).not.toMatch(/[\uD800-\uDBFF]$/);
    }
  });

  it('refuses writes after end and non-string chunks', () => {
    const stream = allDetectors('redact').createStream();
    expect(() => stream.write(new Uint8Array(2) as never)).toThrow(InvalidRequestError);
    stream.end();
    expect(() => stream.write('x')).toThrow(InvalidRequestError);
    expect(stream.end()).toBe('');
  });

  it('works as a WHATWG TransformStream', async () => {
    const masker = allDetectors('redact');
    const pieces = cutEvery(SAMPLE, 17);
    const source = new ReadableStream<string>({
      start(controller) {
        for (const piece of pieces) controller.enqueue(piece);
        controller.close();
      },
    });
    let out = '';
    const reader = source.pipeThrough(toTransformStream(masker.createStream())).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) out += r.value;
    expect(out).toBe(masker.maskText(SAMPLE));
  });
});
