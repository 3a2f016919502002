import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MaskRule } from '../contract.js';
import { createMasker } from './masker.js';
import { REDACTED } from './strategies.js';

const hashKey = new Uint8Array(32).fill(7);

describe('maskJsonText', () => {
  const masker = createMasker({
    hashKey,
    rules: [
      { path: '$.customers[*].ssn', strategy: 'redact' },
      { path: '$.customers[*].card', strategy: 'partial' },
      { path: '$..secret', strategy: 'hash' },
      { detector: 'email', strategy: 'redact' },
      { detector: 'phone', strategy: 'redact' },
    ],
  });

  it('changes nothing but the masked values: big integers, number spellings, escapes, spacing, key order', () => {
    const text = `{
  "id": 12345678901234567890,
  "price": 1.10, "ratio": 1e3, "neg": -0.0,
  "note": "caf\\u00e9 \\/ tab\\t",
  "zebra": true, "apple": null,
  "customers": [ { "ssn": "123-45-6789", "email": "jane@example.com", "seq": 9007199254740993 } ]
}`;
    const out = masker.maskJsonText(text);
    expect(out).toBe(
      text
        .replace('"123-45-6789"', JSON.stringify(REDACTED))
        .replace('"jane@example.com"', JSON.stringify(REDACTED)),
    );
    // What parsing and writing out again made of it: another id, another seq.
    expect(JSON.stringify(masker.maskJson(JSON.parse(text)))).toContain('"id":12345678901234567000');
  });

  it('masks the same nodes and strings as maskJson', () => {
    const docs = [
      {
        customers: [
          { name: 'Alice', ssn: '123-45-6789', card: 4111111111111111, email: 'alice@example.com' },
          { name: 'Bob', ssn: 123456789, card: '5500 0000 0000 0004', notes: ['mail bob@example.com'] },
        ],
        meta: { secret: { nested: 'alice@example.com' } },
      },
      ['call +1 415 555 2671', { secret: [1, 2, 3] }, null, 'plain'],
      'bob@example.com',
      { 'a/b': { 'c~d': 'x@example.com' }, __proto__: 'y@example.com', '': { secret: null } },
    ];
    for (const doc of docs) {
      for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 2)]) {
        expect(JSON.parse(masker.maskJsonText(text))).toEqual(masker.maskJson(JSON.parse(text)));
      }
    }
  });

  it('agrees with maskJson on any JSON, in any layout', () => {
    const rules: MaskRule[] = [
      { path: '$.a', strategy: 'redact' },
      { path: '$..b[0]', strategy: 'null' },
      { path: '$.c.*', strategy: 'partial' },
      { detector: 'email', strategy: 'redact' },
    ];
    const m = createMasker({ hashKey, rules });
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'a/b', '~', 'é');
    const leaf = fc.oneof(
      fc.constantFrom('x@example.com', 'no secret', 'mail bob@example.com now'),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    );
    const { json } = fc.letrec((tie) => ({
      json: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('json')),
        fc.dictionary(key, tie('json')),
      ),
    }));
    fc.assert(
      fc.property(json, fc.constantFrom(undefined, 1, '\t'), (doc, space) => {
        const text = JSON.stringify(doc, null, space);
        expect(JSON.parse(m.maskJsonText(text))).toEqual(m.maskJson(JSON.parse(text)));
      }),
      { numRuns: 300 },
    );
  });

  it('masks every member a wildcard picks when one is named `~` (which jsonpath-plus mis-points)', () => {
    const m = createMasker({ rules: [{ path: '$.c.*', strategy: 'redact' }] });
    const text = '{"c":{"~":"tilde","k":"key"}}';
    const expected = { c: { '~': REDACTED, k: REDACTED } };
    expect(m.maskJson(JSON.parse(text))).toEqual(expected);
    expect(JSON.parse(m.maskJsonText(text))).toEqual(expected);
  });

  it('masks a whole string when a path picks a character of it (a rule that expected an array)', () => {
    const m = createMasker({ rules: [{ path: '$..name[0]', strategy: 'redact' }] });
    const text = '{"a":{"name":"Alice"},"b":{"name":["Bob","Rob"]}}';
    const expected = { a: { name: REDACTED }, b: { name: [REDACTED, 'Rob'] } };
    expect(m.maskJson(JSON.parse(text))).toEqual(expected);
    expect(JSON.parse(m.maskJsonText(text))).toEqual(expected);
  });

  it('scans every value of a name written twice; with JSONPath masks, writes out the document JavaScript keeps', () => {
    const text = '{"email":"a@example.com","n":1,"email":"b@example.com"}';
    const detectors = createMasker({ rules: [{ detector: 'email', strategy: 'redact' }] });
    expect(detectors.maskJsonText(text)).toBe(`{"email":"${REDACTED}","n":1,"email":"${REDACTED}"}`);
    // Paths run on the document JavaScript keeps: here `a` is a string, and the SSN under the
    // first `a` (which a first-wins client reads) is not in it to be picked. Written in place
    // it would go out; the document is written out as JavaScript keeps it instead.
    const hidden = '{"a":{"ssn":"123-45-6789"},"b": 12345678901234567890,"a":"x"}';
    const byPath = createMasker({ rules: [{ path: '$..ssn', strategy: 'redact' }] });
    expect(byPath.maskJsonText(hidden)).toBe(JSON.stringify(JSON.parse(hidden)));
    expect(byPath.maskJsonText(hidden)).not.toContain('123-45-6789');
    // Inside a node masked whole, a repeated name does not matter: none of it goes out.
    const whole = createMasker({ rules: [{ path: '$.secret', strategy: 'redact' }] });
    expect(whole.maskJsonText('{"secret":{"k":1,"k":2},"x":1}')).toBe(`{"secret":"${REDACTED}","x":1}`);
  });

  it('reads escaped strings as their value, so an escaped secret is found', () => {
    // A serialiser that escapes `+` (as .NET's does) and `@`.
    const text = '{"phone":"\\u002B14155552671","email":"jane\\u0040example.com","plain":"caf\\u00e9"}';
    expect(masker.maskJsonText(text)).toBe(
      `{"phone":"${REDACTED}","email":"${REDACTED}","plain":"caf\\u00e9"}`,
    );
  });

  it('masks member names too (a map keyed by e-mail), after the paths have matched them as written', () => {
    const m = createMasker({
      rules: [
        { path: "$.users['bob@example.org'].ssn", strategy: 'redact' },
        { detector: 'email', strategy: 'redact' },
      ],
    });
    const text = '{"users": {"alice@example.com": {"ssn": "1"}, "bob@example.org": {"ssn": "2"}}}';
    // Two names masked alike are both kept, as written.
    expect(m.maskJsonText(text)).toBe(
      `{"users": {"${REDACTED}": {"ssn": "1"}, "${REDACTED}": {"ssn": "${REDACTED}"}}}`,
    );
    // In a document re-written for a repeated name, the names are masked as well.
    expect(m.maskJsonText('{"x":1,"users":{"bob@example.org":{"ssn":"2"}},"x":2}')).toBe(
      `{"x":2,"users":{"${REDACTED}":{"ssn":"${REDACTED}"}}}`,
    );
  });

  it('reads numbers with the detectors when asked, as written, also in a re-written document', () => {
    const cards = createMasker({
      rules: [
        { path: '$.ssn', strategy: 'redact' },
        { detector: 'credit_card', strategy: 'partial', keep: 4 },
      ],
    });
    const text = '{"card": 4111111111111111, "id": 12345678901234567890}';
    expect(cards.maskJsonText(text)).toBe(text);
    expect(cards.maskJsonText(text, { numbers: true })).toBe(
      '{"card": "************1111", "id": 12345678901234567890}',
    );
    // A repeated name under a path: the document JavaScript keeps, its numbers read too.
    expect(cards.maskJsonText('{"ssn":1,"card":4111111111111111,"ssn":2}', { numbers: true })).toBe(
      `{"ssn":"${REDACTED}","card":"************1111"}`,
    );
  });

  it('masks the root when a path selects it, and throws on text that is not JSON', () => {
    const root = createMasker({ rules: [{ path: '$', strategy: 'redact' }] });
    expect(root.maskJsonText(' {"a": 1} ')).toBe(` ${JSON.stringify(REDACTED)} `);
    expect(() => masker.maskJsonText('{"a": 1,}')).toThrow(SyntaxError);
    expect(() => masker.maskJsonText('')).toThrow(SyntaxError);
  });

  it('walks nesting deeper than any call stack', () => {
    const depth = 200_000;
    const text = `${'['.repeat(depth)}"x@example.com"${']'.repeat(depth)}`;
    // Detectors only: jsonpath-plus itself recurses.
    const out = createMasker({ rules: [{ detector: 'email', strategy: 'redact' }] }).maskJsonText(text);
    expect(out).toBe(`${'['.repeat(depth)}${JSON.stringify(REDACTED)}${']'.repeat(depth)}`);
  });
});
