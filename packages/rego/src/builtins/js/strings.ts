/**
 * String builtins. Go strings are UTF-8 and OPA indexes them by rune (code point), so every
 * index, length and split here works on code points, never on UTF-16 units.
 */
import { BuiltinError, builtinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { int, num, object, str, stringOrStrings, strings } from './args.js';
import { renderTemplate } from './render-template.js';
import { builtinSprintf } from './sprintf.js';
import { compareStrings } from './value.js';

const runes = (s: string): string[] => Array.from(s);

/** Go's unicode.IsSpace: JS's \s differs (it has U+FEFF, lacks U+0085). */
const GO_SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
  0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

function trimRunes(s: string, drop: (r: string) => boolean, left: boolean, right: boolean): string {
  const rs = runes(s);
  let a = 0;
  let b = rs.length;
  if (left) while (a < b && drop(rs[a]!)) a++;
  if (right) while (b > a && drop(rs[b - 1]!)) b--;
  return rs.slice(a, b).join('');
}

function cutsetFn(cutset: string): (r: string) => boolean {
  const set = new Set(runes(cutset));
  return (r) => set.has(r);
}

function runeIndexOf(hay: string[], needle: string[], from: number): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

/** strings.Replace with n < 0: an empty `old` inserts `new` around every rune. */
function replaceAll(s: string, old: string, replacement: string): string {
  if (old === '') {
    const rs = runes(s);
    return replacement + rs.map((r) => r + replacement).join('');
  }
  return s.split(old).join(replacement);
}

/**
 * strings.NewReplacer(oldnew…).Replace: left to right, at each position the first pair (in
 * argument order, here sorted keys as OPA iterates the object) that matches wins.
 */
function replacer(pairs: readonly [string, string][], s: string): string {
  let out = '';
  let i = 0;
  const emptyNew = pairs.find(([o]) => o === '')?.[1];
  while (i <= s.length) {
    let matched = false;
    for (const [o, n] of pairs) {
      if (o !== '' && s.startsWith(o, i)) {
        out += n;
        i += o.length;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (emptyNew !== undefined) out += emptyNew;
    if (i === s.length) break;
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    out += ch;
    i += ch.length;
  }
  return out;
}

function formatInt(input: unknown, base: unknown): string {
  const n = num('format_int', input, 1);
  const b = num('format_int', base, 2);
  const radix = Number(b);
  if (![2, 8, 10, 16].includes(radix)) {
    throw new BuiltinError('format_int', 'eval_type_error', 'operand 2 must be one of {2, 8, 10, 16}');
  }
  // Go truncates the float toward zero before formatting.
  const i = typeof n === 'bigint' ? n : BigInt(Math.trunc(n));
  return i.toString(radix);
}

function substring(value: unknown, offset: unknown, length: unknown): string {
  const s = str('substring', value, 1);
  const start = int('substring', offset, 2);
  const len = int('substring', length, 3);
  if (start < 0) throw builtinError('substring', 'negative offset');
  const rs = runes(s);
  if (start >= rs.length) return '';
  if (len < 0) return rs.slice(start).join('');
  return rs.slice(start, Math.min(rs.length, start + len)).join('');
}

function indexof(haystack: unknown, needle: unknown): number {
  const h = str('indexof', haystack, 1);
  const n = str('indexof', needle, 2);
  if (n === '') throw builtinError('indexof', 'empty search character');
  return runeIndexOf(runes(h), runes(n), 0);
}

function indexofN(haystack: unknown, needle: unknown): number[] {
  const h = runes(str('indexof_n', haystack, 1));
  const n = runes(str('indexof_n', needle, 2));
  if (n.length === 0) throw builtinError('indexof_n', 'empty search character');
  const out: number[] = [];
  for (let i = runeIndexOf(h, n, 0); i >= 0; i = runeIndexOf(h, n, i + 1)) out.push(i);
  return out;
}

function split(value: unknown, delimiter: unknown): string[] {
  const s = str('split', value, 1);
  const d = str('split', delimiter, 2);
  return d === '' ? runes(s) : s.split(d);
}

function countSub(search: unknown, substring: unknown): number {
  const s = str('strings.count', search, 1);
  const sub = str('strings.count', substring, 2);
  if (sub === '') return runes(s).length + 1;
  return s.split(sub).length - 1;
}

function anyMatch(name: string, test: (s: string, affix: string) => boolean): JsBuiltin {
  return (search, base) => {
    const ss = stringOrStrings(name, search, 1);
    const bs = stringOrStrings(name, base, 2);
    return ss.some((s) => bs.some((b) => test(s, b)));
  };
}

function replaceN(patterns: unknown, value: unknown): string {
  const obj = object('strings.replace_n', patterns, 1);
  const s = str('strings.replace_n', value, 2);
  const pairs: [string, string][] = [];
  for (const key of Object.keys(obj).sort(compareStrings)) {
    const v = obj[key];
    if (typeof v !== 'string')
      throw new BuiltinError(
        'strings.replace_n',
        'eval_type_error',
        'operand 1 non-string value found in pattern object',
      );
    pairs.push([key, v]);
  }
  return replacer(pairs, s);
}

function concat(delimiter: unknown, collection: unknown): string {
  const d = str('concat', delimiter, 1);
  return strings('concat', collection, 2).join(d);
}

const s1 =
  (name: string, f: (s: string) => unknown): JsBuiltin =>
  (a) =>
    f(str(name, a, 1));
const s2 =
  (name: string, f: (a: string, b: string) => unknown): JsBuiltin =>
  (a, b) =>
    f(str(name, a, 1), str(name, b, 2));

export const STRING_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['concat', concat],
  ['contains', s2('contains', (a, b) => a.includes(b))],
  ['startswith', s2('startswith', (a, b) => a.startsWith(b))],
  ['endswith', s2('endswith', (a, b) => a.endsWith(b))],
  ['format_int', formatInt],
  ['indexof', indexof],
  ['indexof_n', indexofN],
  ['lower', s1('lower', (s) => s.toLowerCase())],
  ['upper', s1('upper', (s) => s.toUpperCase())],
  ['replace', (s, o, n) => replaceAll(str('replace', s, 1), str('replace', o, 2), str('replace', n, 3))],
  ['split', split],
  ['sprintf', builtinSprintf],
  ['substring', substring],
  ['trim', s2('trim', (s, c) => trimRunes(s, cutsetFn(c), true, true))],
  ['trim_left', s2('trim_left', (s, c) => trimRunes(s, cutsetFn(c), true, false))],
  ['trim_right', s2('trim_right', (s, c) => trimRunes(s, cutsetFn(c), false, true))],
  ['trim_prefix', s2('trim_prefix', (s, p) => (s.startsWith(p) ? s.slice(p.length) : s))],
  ['trim_suffix', s2('trim_suffix', (s, p) => (p !== '' && s.endsWith(p) ? s.slice(0, -p.length) : s))],
  ['trim_space', s1('trim_space', (s) => trimRunes(s, (r) => GO_SPACE.has(r.codePointAt(0)!), true, true))],
  ['strings.any_prefix_match', anyMatch('strings.any_prefix_match', (s, p) => s.startsWith(p))],
  ['strings.any_suffix_match', anyMatch('strings.any_suffix_match', (s, p) => s.endsWith(p))],
  ['strings.count', countSub],
  ['strings.render_template', renderTemplate],
  ['strings.replace_n', replaceN],
  ['strings.reverse', s1('strings.reverse', (s) => runes(s).reverse().join(''))],
]);
