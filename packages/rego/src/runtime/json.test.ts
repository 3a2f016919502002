import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, type Harness, newHarness } from './runtime-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await newHarness();
}, 180_000);

/** Runs `body` and then frees everything it allocated. */
function scoped<T>(body: () => T): T {
  const mark = h.x.opa_heap_ptr_get();
  try {
    return body();
  } finally {
    h.x.opa_heap_ptr_set(mark);
  }
}

describe('opa_json_parse and opa_json_dump', () => {
  it('round-trips arbitrary JSON with keys in sorted order', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'grapheme' }), (x) =>
        scoped(() => {
          expect(h.dump(h.parse(JSON.stringify(x)))).toBe(canonicalJson(x));
        }),
      ),
      { numRuns: 500 },
    );
  });

  it('round-trips pretty-printed JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (x) =>
        scoped(() => {
          expect(JSON.parse(h.dump(h.parse(JSON.stringify(x, null, 2))))).toEqual(
            JSON.parse(JSON.stringify(x)),
          );
        }),
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    '',
    ' ',
    '{',
    '}',
    '[1,]',
    '[,1]',
    '{"a":1,}',
    '{"a" 1}',
    '{a:1}',
    '{1:2}',
    'nul',
    'nulll',
    'tru',
    'falsy',
    '01',
    '-',
    '1.',
    '.5',
    '1e',
    '1e+',
    '+1',
    '0x10',
    'NaN',
    'Infinity',
    '"abc',
    '"\\x"',
    '"\\u12"',
    '"\\u12g4"',
    '"tab\there"',
    '"line\nbreak"',
    '[1] [2]',
    '"a" "b"',
    'set()',
    '{1,2}',
    '[1,2',
    '\u00a0[]',
  ])('rejects invalid JSON %j with 0', (text) => {
    scoped(() => expect(h.parse(text)).toBe(0));
  });

  it('survives a fuzzed byte soup without trapping', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) =>
        scoped(() => {
          const v = h.x.opa_json_parse(h.write(bytes), bytes.length);
          let valid = true;
          try {
            JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
          } catch {
            valid = false;
          }
          if (valid) expect(v).not.toBe(0);
          else if (v !== 0) JSON.parse(h.dump(v)); // accepted: invalid UTF-8 passes through
        }),
      ),
      { numRuns: 2000 },
    );
  });

  it('accepts nesting up to the limit and rejects deeper input without a stack overflow', () => {
    scoped(() => {
      const depth = 2048; // MAX_DEPTH in runtime/assembly/json-parse.ts
      const deep = '['.repeat(depth) + ']'.repeat(depth);
      const v = h.parse(deep);
      expect(v).not.toBe(0);
      expect(h.dump(v)).toBe(deep);
      const objects = '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
      expect(h.dump(h.parse(objects))).toBe(objects);
      expect(h.parse('['.repeat(depth + 1) + ']'.repeat(depth + 1))).toBe(0);
      expect(h.parse('['.repeat(1_000_000))).toBe(0);
      expect(h.parse('{"a":'.repeat(200_000))).toBe(0);
    });
  });

  it('decodes escapes and surrogate pairs to UTF-8', () => {
    scoped(() => {
      const v = h.parse('"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\ud83d\\ude00"');
      expect(h.js(v)).toBe('"\\/\b\f\n\r\tAé€😀');
      expect(h.x.opa_value_length(v)).toBe(new TextEncoder().encode('"\\/\b\f\n\r\tAé€😀').length);
    });
  });

  it('replaces lone surrogates with U+FFFD, as Go does', () => {
    scoped(() => {
      expect(h.js(h.parse('"a\\ud800b"'))).toBe('a\ufffdb');
      expect(h.js(h.parse('"\\udc00"'))).toBe('\ufffd');
      expect(h.js(h.parse('"\\ud800\\u0041"'))).toBe('\ufffdA');
      expect(h.js(h.parse('"\\ud800"'))).toBe('\ufffd');
    });
  });

  it('escapes like OPA wasm: quotes, backslashes and controls only, no HTML escaping', () => {
    scoped(() => {
      const text = '<a href="x">&amp;</a>\\\u0000\u0001\u001f\u007f\u2028é';
      expect(h.dump(h.str(text))).toBe('"<a href=\\"x\\">&amp;</a>\\\\\\u0000\\u0001\\u001f\u007f\u2028é"');
    });
  });

  it('keeps number literals exactly and prints integers as integers', () => {
    scoped(() => {
      for (const text of [
        '0',
        '-0',
        '1',
        '-1',
        '1.10',
        '1.0',
        '1e3',
        '1E-7',
        '-2.5e+10',
        '0.1',
        '12345678901234567890',
      ]) {
        const expected = text === '-0' ? '0' : text;
        expect(h.dump(h.parse(text))).toBe(expected);
      }
      expect(h.dump(h.parse('9223372036854775807'))).toBe('9223372036854775807');
      expect(h.dump(h.parse('-9223372036854775808'))).toBe('-9223372036854775808');
      expect(h.dump(h.parse('9223372036854775808'))).toBe('9223372036854775808');
      expect(h.x.opa_number_is_int(h.parse('9223372036854775807'))).toBe(1);
      expect(h.x.opa_number_is_int(h.parse('1.5'))).toBe(0);
    });
  });

  it('writes sets as sorted arrays and non-string keys as their JSON text', () => {
    scoped(() => {
      const s = h.x.opa_set();
      for (const x of [3, 'b', 1, null, [2], 'a']) h.x.opa_set_add(s, h.of(x));
      expect(h.dump(s)).toBe('[null,1,3,"a","b",[2]]');
      const o = h.x.opa_object();
      h.x.opa_object_insert(o, h.of('z'), h.of(1));
      h.x.opa_object_insert(o, h.of(2), h.of(2));
      h.x.opa_object_insert(o, h.of([1, 'x']), h.of(3));
      expect(h.dump(o)).toBe('{"2":2,"z":1,"[1,\\"x\\"]":3}');
    });
  });

  it('grows memory for a 10 MB input', () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => ({
      id: i,
      name: `user-${i}`,
      email: `user${i}@example.com`,
      score: i / 7,
      tags: ['a', 'b', String(i % 13)],
      active: i % 2 === 0,
    }));
    const text = JSON.stringify({ rows, padding: 'x'.repeat(4_000_000) });
    expect(text.length).toBeGreaterThan(10_000_000);
    const before = h.memory.buffer.byteLength;
    scoped(() => {
      const v = h.parse(text);
      expect(v).not.toBe(0);
      expect(h.memory.buffer.byteLength).toBeGreaterThan(before);
      expect(h.dump(v)).toBe(canonicalJson(JSON.parse(text)));
    });
  });
});

describe('opa_value_parse and opa_value_dump', () => {
  it.each([
    ['set()', 'set()', '[]'],
    ['{1, 2, 1}', '{1,2}', '[1,2]'],
    ['{"b", "a"}', '{"a","b"}', '["a","b"]'],
    ['{1: "x", [2]: {3}}', '{1:"x",[2]:{3}}', '{"1":"x","[2]":[3]}'],
    ['{"a": set(), "b": {}}', '{"a":set(),"b":{}}', '{"a":[],"b":{}}'],
    ['[{{1}}, {"k": {true, null}}]', '[{{1}},{"k":{null,true}}]', '[[[1]],{"k":[null,true]}]'],
  ])('parses %s', (text, valueText, jsonText) => {
    scoped(() => {
      const v = h.parseValue(text);
      expect(v).not.toBe(0);
      expect(h.valueDump(v)).toBe(valueText);
      expect(h.dump(v)).toBe(jsonText);
    });
  });

  it('rejects malformed value syntax', () => {
    scoped(() => {
      for (const text of ['{1,', '{1:}', '{1:2,3}', 'set(', 'sett()', '{,}'])
        expect(h.parseValue(text)).toBe(0);
    });
  });

  it('round-trips JSON through value syntax', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'grapheme' }), (x) =>
        scoped(() => {
          const v = h.parseValue(h.valueDump(h.of(x)));
          expect(h.dump(v)).toBe(canonicalJson(x));
        }),
      ),
      { numRuns: 300 },
    );
  });
});
