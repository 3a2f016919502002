import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BodyMaskErrors } from './body-mask-errors.js';
import { BodyMasker as CoreBodyMasker } from './body-masker.js';
import type { BodyPlan } from './body-plan.js';
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

  it('fails closed past the limit when a JSONPath mask needs the whole document', () => {
    const body = new BodyMasker(masker, 'document', 16);
    expect(() => body.push(new TextEncoder().encode('{"ssn":"123-45-6789","x":"yyyyyy"}'))).toThrow(
      ResponseTooLargeError,
    );
  });
});
