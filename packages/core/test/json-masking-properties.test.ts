/**
 * Whatever a server's JSON looks like (spacing, escaped characters, names written twice), no
 * value a mask covers comes out of `maskJsonText` readable, and the rest of the text comes out
 * as it went in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMasker } from '../src/masking/index.js';

const masker = createMasker({
  rules: [
    { path: '$..ssn', strategy: 'redact' },
    { detector: 'email', strategy: 'redact' },
  ],
});

/** A member list rather than an object, so a name can be written twice. */
type Node =
  | { kind: 'leaf'; value: null | boolean | number | string }
  | { kind: 'array'; items: Node[] }
  | { kind: 'object'; members: [string, Node][] };

const SSN_MARK = 'ssn-value-';
const secret = fc.oneof(
  fc.constantFrom('ann@example.com', 'bob.smith@mail.example.org'),
  fc.nat(999).map((n) => `note for u${n}@example.net today`),
);
const plain = fc.constantFrom('hello', 'caf\u00e9', 'line\nbreak', 'quote " and \\ slash', '');
const leaf: fc.Arbitrary<Node> = fc.oneof(
  secret.map((value) => ({ kind: 'leaf' as const, value })),
  plain.map((value) => ({ kind: 'leaf' as const, value })),
  fc.constantFrom(null, true, false, 0, -1.5, 2 ** 60, 1e21).map((value) => ({
    kind: 'leaf' as const,
    value,
  })),
);
const name = fc.constantFrom('a', 'b', 'note', 'ssn', 'x/y', '~');
const { node } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 4 }).map((items) => ({ kind: 'array' as const, items })),
    fc
      .array(fc.tuple(name, tie('node')), { maxLength: 5 })
      .map((members) => ({ kind: 'object' as const, members })),
  ),
}));

/** Every `ssn` member's value gets a marker no detector knows, which only its path mask hides. */
function markSsns(n: Node, counter = { n: 0 }): Node {
  if (n.kind === 'array') return { kind: 'array', items: n.items.map((i) => markSsns(i, counter)) };
  if (n.kind === 'object')
    return {
      kind: 'object',
      members: n.members.map(([k, v]) => [
        k,
        k === 'ssn' ? { kind: 'leaf', value: `${SSN_MARK}${counter.n++}` } : markSsns(v, counter),
      ]),
    };
  return n;
}

/** Writes JSON with the layout and escapes `rand` picks, as servers in the wild do. */
function write(n: Node, rand: () => number): string {
  const space = () => [' ', '\n', '\t', '\r\n', '', ''][Math.floor(rand() * 6)] as string;
  const str = (s: string) =>
    `"${[...JSON.stringify(s).slice(1, -1).replace(/\\"/g, '\u0000').replace(/\\\\/g, '\u0001')]
      .map((c) => {
        if (c === '\u0000') return '\\"';
        if (c === '\u0001') return '\\\\';
        // Any character may be written as a \u escape; letters, `@` and `.` included.
        return rand() < 0.3 && c !== '\\' ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c;
      })
      .join('')}"`;
  if (n.kind === 'leaf') return typeof n.value === 'string' ? str(n.value) : JSON.stringify(n.value);
  if (n.kind === 'array')
    return `[${space()}${n.items.map((i) => write(i, rand)).join(`,${space()}`)}${space()}]`;
  return `{${space()}${n.members.map(([k, v]) => `${str(k)}${space()}:${space()}${write(v, rand)}`).join(`,${space()}`)}${space()}}`;
}

/** A seeded generator in [0, 1), so a failing layout is reproduced from its seed. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Whether some object of the tree writes a name twice. */
function repeatsName(n: Node): boolean {
  if (n.kind === 'array') return n.items.some(repeatsName);
  if (n.kind === 'leaf') return false;
  const names = n.members.map(([k]) => k);
  return new Set(names).size < names.length || n.members.some(([, v]) => repeatsName(v));
}

/** Every string in a JSON text, decoded: names and values, under every repeated name. */
const stringsIn = (text: string): string[] =>
  (text.match(/"(?:[^"\\]|\\.)*"/g) ?? []).map((token) => JSON.parse(token) as string);

describe('maskJsonText on JSON written any way', () => {
  it('leaves no masked value readable, under any layout, escape or repeated name', () => {
    fc.assert(
      fc.property(node, fc.integer(), (tree, seed) => {
        const rand = lcg(seed);
        const marked = markSsns(tree);
        const text = write(marked, rand);
        const out = masker.maskJsonText(text);
        // With JSONPath masks, a name written twice: the document JavaScript keeps, masked.
        if (repeatsName(marked)) expect(out).toBe(JSON.stringify(masker.maskJson(JSON.parse(text))));
        for (const value of stringsIn(out)) {
          expect(value).not.toMatch(/@example\.(com|org|net)/);
          expect(value).not.toContain(SSN_MARK);
        }
        // What was not masked is as it was: the output parses, and unmasked numbers are intact.
        expect(() => JSON.parse(out)).not.toThrow();
        if (!repeatsName(marked) && !stringsIn(text).some((v) => v.includes('@') || v.includes(SSN_MARK)))
          expect(out).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('with detectors alone, masks every value a repeated name carries', () => {
    const detectors = createMasker({ rules: [{ detector: 'email', strategy: 'redact' }] });
    fc.assert(
      fc.property(node, fc.integer(), (tree, seed) => {
        const rand = lcg(seed);
        const out = detectors.maskJsonText(write(tree, rand));
        for (const value of stringsIn(out)) expect(value).not.toMatch(/@example\.(com|org|net)/);
      }),
      { numRuns: 300 },
    );
  });
});
