/**
 * regex.* builtins with Go's regexp semantics on RE2: unanchored matching, Go's rules for
 * iterating matches and splitting, and Go's `$1` / `${name}` replacement templates.
 */
import { builtinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { int, str } from './args.js';
import { globsMatch } from './globs-intersect.js';
import { compileRe2, findAll, type Match, matchesAt, regexFor } from './re2.js';

function match(name: string): JsBuiltin {
  return (pattern, value) => {
    const p = str(name, pattern, 1);
    const v = str(name, value, 2);
    return matchesAt(regexFor(name, p), v);
  };
}

function isValid(pattern: unknown): boolean {
  if (typeof pattern !== 'string') return false;
  try {
    compileRe2(pattern);
    return true;
  } catch {
    return false;
  }
}

function split(pattern: unknown, value: unknown): string[] {
  const p = str('regex.split', pattern, 1);
  const s = str('regex.split', value, 2);
  const re = regexFor('regex.split', p);
  if (p.length > 0 && s.length === 0) return [''];
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of findAll(re, s, -1)) {
    const [a, b] = m.spans[0]!;
    end = a;
    if (b !== 0) out.push(s.slice(beg, end));
    beg = b;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

function findN(pattern: unknown, value: unknown, number: unknown): string[] {
  const p = str('regex.find_n', pattern, 1);
  const s = str('regex.find_n', value, 2);
  const n = int('regex.find_n', number, 3);
  return findAll(regexFor('regex.find_n', p), s, n).map((m) => m.groups[0] ?? '');
}

function findAllSubmatch(pattern: unknown, value: unknown, number: unknown): string[][] {
  const name = 'regex.find_all_string_submatch_n';
  const p = str(name, pattern, 1);
  const s = str(name, value, 2);
  const n = int(name, number, 3);
  return findAll(regexFor(name, p), s, n).map((m) => m.groups.map((g) => g ?? ''));
}

/** regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; a name takes the longest run of word chars. */
function expand(template: string, m: Match): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$' || i + 1 >= template.length) {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let ref: string | undefined;
    let next = i + 1;
    if (template[next] === '{') {
      const close = template.indexOf('}', next);
      const inner = close < 0 ? '' : template.slice(next + 1, close);
      if (close >= 0 && /^\w+$/.test(inner)) {
        ref = inner;
        next = close + 1;
      }
    } else {
      const w = /^\w+/.exec(template.slice(next));
      if (w) {
        ref = w[0];
        next += w[0].length;
      }
    }
    if (ref === undefined) {
      out += c;
      continue;
    }
    if (/^\d+$/.test(ref)) out += m.groups[Number(ref)] ?? '';
    else out += m.names[ref] ?? '';
    i = next - 1;
  }
  return out;
}

function replace(value: unknown, pattern: unknown, replacement: unknown): string {
  const s = str('regex.replace', value, 1);
  const p = str('regex.replace', pattern, 2);
  const r = str('regex.replace', replacement, 3);
  const re = regexFor('regex.replace', p);
  let out = '';
  let last = 0;
  for (const m of findAll(re, s, -1)) {
    const [a, b] = m.spans[0]!;
    out += s.slice(last, a) + expand(r, m);
    last = b;
  }
  return out + s.slice(last);
}

/** Go's regexp.QuoteMeta. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/**
 * regex.template_match: the template's delimited parts are regexps, the rest literal, and
 * the whole must match the value (gorilla/mux style, as OPA does it).
 */
function templateMatch(template: unknown, value: unknown, start: unknown, end: unknown): boolean {
  const name = 'regex.template_match';
  const t = str(name, template, 1);
  const v = str(name, value, 2);
  const ds = str(name, start, 3);
  const de = str(name, end, 4);
  if (ds.length !== 1 || de.length !== 1) throw builtinError(name, 'delimiters must be single characters');
  let pattern = '^';
  let level = 0;
  let idx = 0;
  let open = -1;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === ds) {
      if (level === 0) open = i;
      level++;
    } else if (c === de) {
      level--;
      if (level === 0) {
        pattern += quoteMeta(t.slice(idx, open)) + '(' + t.slice(open + 1, i) + ')';
        idx = i + 1;
      } else if (level < 0) {
        throw builtinError(name, `unbalanced braces in ${JSON.stringify(t)}`);
      }
    }
  }
  if (level !== 0) throw builtinError(name, `unbalanced braces in ${JSON.stringify(t)}`);
  pattern += quoteMeta(t.slice(idx)) + '$';
  return matchesAt(regexFor(name, pattern), v);
}

function globs(a: unknown, b: unknown): boolean {
  const x = str('regex.globs_match', a, 1);
  const y = str('regex.globs_match', b, 2);
  return globsMatch(x, y);
}

export const REGEX_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['regex.match', match('regex.match')],
  ['re_match', match('re_match')],
  ['regex.is_valid', isValid],
  ['regex.split', split],
  ['regex.find_n', findN],
  ['regex.find_all_string_submatch_n', findAllSubmatch],
  ['regex.replace', replace],
  ['regex.template_match', templateMatch],
  ['regex.globs_match', globs],
]);
