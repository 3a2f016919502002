/**
 * The string builtins and the `regex.match` subset the module answers itself
 * (runtime/assembly/builtins/strings.ts) against the JavaScript builtins (RE2 for regexes),
 * which answer everything they do not: both must give the same result, or both none.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JS_BUILTINS } from '../src/builtins/js/index.js';
import { loadPolicy } from '../src/load/index.js';

const SOURCE = [
  'package t',
  'import rego.v1',
  'regex_match := regex.match(input.a, input.b)',
  'startswith_ := startswith(input.a, input.b)',
  'endswith_ := endswith(input.a, input.b)',
  'contains_ := contains(input.a, input.b)',
  'lower_ := lower(input.a)',
  'upper_ := upper(input.a)',
  'split_ := split(input.a, input.b)',
  'concat_ := concat(input.a, input.b)',
  'array_concat := array.concat(input.a, input.b)',
  'sprintf_ := sprintf(input.a, input.b)',
].join('\n');

const ENTRIES: Record<string, string> = {
  regex_match: 'regex.match',
  startswith_: 'startswith',
  endswith_: 'endswith',
  contains_: 'contains',
  lower_: 'lower',
  upper_: 'upper',
  split_: 'split',
  concat_: 'concat',
  array_concat: 'array.concat',
  sprintf_: 'sprintf',
};

const policy = await loadPolicy(SOURCE, { entrypoints: Object.keys(ENTRIES).map((e) => `t/${e}`) });

function viaWasm(entry: string, a: unknown, b: unknown): unknown {
  const rs = policy.evaluate({ a, b }, `t/${entry}`) as { result: unknown }[];
  return rs.length === 0 ? { undefined: true } : rs[0]?.result;
}

function viaJs(builtin: string, a: unknown, b: unknown): unknown {
  const fn = JS_BUILTINS.get(builtin);
  if (fn === undefined) throw new Error(`no JS builtin ${builtin}`);
  try {
    const r = builtin === 'lower' || builtin === 'upper' ? fn(a) : fn(a, b);
    return r === undefined ? { undefined: true } : r;
  } catch {
    return { undefined: true };
  }
}

const PATTERNS = [
  '',
  'e_?mail',
  'phone|mobile|msisdn|(^|_)tel(_|$)',
  '(^|_)ssn(_|$)|social_?security|(^|_)sin(_|$)|national_?id',
  '(^|_)(card|pan|cc)(_|$)|card_?(no|num|number)|credit_?card|(^|_)cvv|(^|_)cvc',
  'passw(or)?d|(^|_)pwd(_|$)|passphrase',
  '^/+(\\.?/*)?\\*?$',
  '^/+(bin|etc|usr)/*(\\.?/*)?\\*?$',
  '^/dev/(sd[a-z]|nvme[0-9]|mapper/|mem$)',
  '[^a-c]x',
  '[-a]|[a-]',
  'a.c',
  '\\d+\\s\\w*\\D',
  '(?:ab)+$',
  'a*?b',
  '(a*)*b',
  '^$',
  'x|',
  '(|y)z',
  '[\\d_]+',
  '\\.\\*\\/',
  // Outside the subset or invalid: answered (or rejected) by RE2 on the host.
  '(?i)EMAIL',
  'a{2}',
  'a{',
  '\\bword\\b',
  '[[:alpha:]]+',
  '(?P<n>a)b',
  'a**',
  '*a',
  '(a',
  'a)',
  '[z-a]',
  '[]a]',
  '\\pL',
  'é',
];

const TEXTS = [
  '',
  'email',
  'user_email',
  'E_MAIL',
  'tel',
  'hotel',
  'my_tel_no',
  'ssn',
  'card_number',
  'cc',
  'password',
  '/',
  '//',
  '/*',
  '/.',
  '/etc',
  '/etc/',
  '/usr/*',
  '/usr/local',
  '/dev/sda',
  '/dev/mem',
  '/dev/memx',
  'dx',
  'ax',
  'abc',
  'a\nc',
  '12 ab!',
  'abab',
  'ababx',
  'aaab',
  'b',
  'z',
  'yz',
  '__',
  '.*/',
  'x',
  'aa',
  'a{',
  'word',
  'héllo',
  'é',
];

describe('natively answered string builtins agree with the JavaScript builtins', () => {
  it('regex.match over the subset, and falls back to RE2 outside it', () => {
    for (const p of PATTERNS)
      for (const t of TEXTS)
        expect({ p, t, r: viaWasm('regex_match', p, t) }).toEqual({ p, t, r: viaJs('regex.match', p, t) });
  });

  it('regex.match skips only the positions where no match can start, compiled or cached', () => {
    const cases: [string, string][] = [
      ['e_?mail', 'user_email'],
      ['e_?mail', 'total'],
      ['(^|_)tel(_|$)', 'hotel'],
      ['(^|_)tel(_|$)', 'my_tel'],
      ['a*', 'zzz'],
      ['x?$', 'zzz'],
      ['$', 'abc'],
      ['(_|$)', 'abc'],
      ['b|^a', 'ca'],
      ['[0-9]+x', 'ab12x'],
      ['\\d\\.', 'v1.2'],
    ];
    // The first round compiles each pattern, the second runs it from the cache.
    for (let round = 0; round < 2; round++)
      for (const [p, t] of cases)
        expect({ p, t, r: viaWasm('regex_match', p, t) }).toEqual({ p, t, r: viaJs('regex.match', p, t) });
  });

  it('regex.match agrees with RE2 on generated patterns and texts', () => {
    const atom = fc.constantFrom('a', 'b', '_', '.', '[a-b]', '[^b]', '\\d', '\\w', '\\.', '^', '$', '()');
    const pattern: fc.Arbitrary<string> = fc.letrec<{ re: string }>((tie) => ({
      re: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        atom,
        fc.tuple(tie('re'), tie('re')).map(([x, y]) => x + y),
        fc.tuple(tie('re'), tie('re')).map(([x, y]) => `${x}|${y}`),
        fc.tuple(tie('re'), fc.constantFrom('*', '+', '?', '*?')).map(([x, q]) => `(?:${x})${q}`),
        tie('re').map((x) => `(${x})`),
      ),
    })).re;
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '_', '1', '.', '\n'), maxLength: 8 });
    fc.assert(
      fc.property(pattern, text, (p, t) => {
        expect({ p, t, r: viaWasm('regex_match', p, t) }).toEqual({ p, t, r: viaJs('regex.match', p, t) });
      }),
      { numRuns: 400 },
    );
  });

  it('regex.match with operands of other types is left to the host (undefined)', () => {
    expect(viaWasm('regex_match', 1, 'a')).toEqual(viaJs('regex.match', 1, 'a'));
    expect(viaWasm('regex_match', 'a', null)).toEqual(viaJs('regex.match', 'a', null));
  });

  it('affixes, case mapping, split, concat and array.concat', () => {
    const pairs: [unknown, unknown][] = [
      ['hello', 'he'],
      ['hello', 'lo'],
      ['hello', 'hello!'],
      ['hello', ''],
      ['', ''],
      ['a,b,,c', ','],
      ['a, b', ', '],
      ['abc', ''],
      ['Grüße', 'ü'],
      ['MiXeD_1', 'x'],
      ['ÀB', 'b'],
      [1, 'a'],
      ['a', 2],
    ];
    for (const entry of ['startswith_', 'endswith_', 'contains_', 'lower_', 'upper_', 'split_'])
      for (const [a, b] of pairs) {
        const builtin = ENTRIES[entry] ?? '';
        expect({ entry, a, b, r: viaWasm(entry, a, b) }).toEqual({ entry, a, b, r: viaJs(builtin, a, b) });
      }
    const lists: [unknown, unknown][] = [
      [', ', ['a', 'b', 'c']],
      ['', []],
      ['-', ['x']],
      ['-', ['x', 1]],
      [1, ['x']],
    ];
    for (const [a, b] of lists) expect(viaWasm('concat_', a, b)).toEqual(viaJs('concat', a, b));
    const arrays: [unknown, unknown][] = [
      [[1, 'a'], [{ x: 1 }]],
      [[], []],
      [[1], 'x'],
    ];
    for (const [a, b] of arrays) expect(viaWasm('array_concat', a, b)).toEqual(viaJs('array.concat', a, b));
  });

  it("sprintf for strings and integers, and Go's other forms through the host", () => {
    const cases: [unknown, unknown][] = [
      ['%s runs as %v: %q', ['sudo', 'root', 'a "b" \\ c']],
      ['100%% of %d, %v and %d', [42, -7, 9007199254740991]],
      ['%d', [1.5]],
      ['%v', [1.0]],
      ['%s', [1]],
      ['%v', [['a', 1]]],
      ['%v', [{ a: 1 }]],
      ['%q', ['tab\there']],
      ['%q', ['héllo']],
      ['%s and %s', ['one']],
      ['%s', ['one', 'two']],
      ['%x %5s %-3d', ['ff', 'a', 1]],
      ['trailing %', []],
      ['no verbs', []],
      ['héllo %s', ['x']],
      ['%s', 'not an array'],
      [1, []],
    ];
    for (const [a, b] of cases)
      expect({ a, r: viaWasm('sprintf_', a, b) }).toEqual({ a, r: viaJs('sprintf', a, b) });
  });
});
