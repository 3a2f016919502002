/**
 * glob.match with gobwas/glob's syntax as OPA uses it: `*` stays within delimiters, `**`
 * crosses them, `?` one non-delimiter character, `[a-z]` / `[!a-z]` classes, `{a,b}`
 * alternatives, `\` escapes, whole-string match. Patterns are translated to RE2 (linear
 * time, cached), never to JS RegExp.
 */
import { builtinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { str, typeError } from './args.js';
import { compileRe2, matchesAt } from './re2.js';

const hexEsc = (ch: string) => `\\x{${ch.codePointAt(0)!.toString(16)}}`;

/** Translate a glob to an RE2 pattern body; throws a plain Error when malformed. */
export function globToRe2(pattern: string, delimiters: readonly string[]): string {
  const chars = Array.from(pattern);
  const notDelim = delimiters.length === 0 ? '.' : `[^${delimiters.map(hexEsc).join('')}]`;
  let i = 0;
  let depth = 0;
  let out = '';
  while (i < chars.length) {
    const c = chars[i]!;
    if (c === '\\') {
      const next = chars[i + 1];
      if (next === undefined) throw new Error('unexpected end of input');
      out += hexEsc(next);
      i += 2;
    } else if (c === '*') {
      if (chars[i + 1] === '*') {
        out += '.*';
        while (chars[i] === '*') i++;
      } else {
        out += `${notDelim}*`;
        i++;
      }
    } else if (c === '?') {
      out += notDelim;
      i++;
    } else if (c === '[') {
      i++;
      let negate = false;
      if (chars[i] === '!') {
        negate = true;
        i++;
      }
      let cls = '';
      let closed = false;
      while (i < chars.length) {
        const d = chars[i]!;
        if (d === ']') {
          closed = true;
          i++;
          break;
        }
        if (chars[i + 1] === '-' && chars[i + 2] !== undefined && chars[i + 2] !== ']') {
          const lo = d;
          const hi = chars[i + 2]!;
          if (hi.codePointAt(0)! < lo.codePointAt(0)!) throw new Error('invalid range');
          cls += `${hexEsc(lo)}-${hexEsc(hi)}`;
          i += 3;
        } else {
          cls += hexEsc(d);
          i++;
        }
      }
      if (!closed || cls === '') throw new Error('unexpected end of input');
      out += `[${negate ? '^' : ''}${cls}]`;
    } else if (c === '{') {
      out += '(?:';
      depth++;
      i++;
    } else if (c === '}' && depth > 0) {
      out += ')';
      depth--;
      i++;
    } else if (c === ',' && depth > 0) {
      out += '|';
      i++;
    } else {
      out += hexEsc(c);
      i++;
    }
  }
  if (depth !== 0) throw new Error('unexpected end of input');
  return out;
}

function delimitersOf(x: unknown): string[] {
  if (x === null) return [];
  if (!Array.isArray(x)) throw typeError('glob.match', 2, 'one of {array, null}', x);
  const ds = x.map((d) => {
    if (typeof d !== 'string') throw typeError('glob.match', 2, 'array[string]', d);
    return d;
  });
  // An empty list means the default delimiter, as in OPA.
  return ds.length === 0 ? ['.'] : ds.map((d) => Array.from(d)[0] ?? '');
}

function globMatch(pattern: unknown, delimiters: unknown, value: unknown): boolean {
  const p = str('glob.match', pattern, 1);
  const ds = delimitersOf(delimiters).filter((d) => d !== '');
  const v = str('glob.match', value, 3);
  let body: string;
  try {
    body = globToRe2(p, ds);
  } catch (err) {
    throw builtinError('glob.match', (err as Error).message, err);
  }
  return matchesAt(compileRe2(`^(?s:${body})$`), v);
}

/** gobwas/glob.QuoteMeta: backslash before each of `*?\[]{}`. */
export function globQuoteMeta(s: string): string {
  return s.replace(/[*?\\[\]{}]/g, '\\$&');
}

export const GLOB_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['glob.match', globMatch],
  ['glob.quote_meta', (x) => globQuoteMeta(str('glob.quote_meta', x, 1))],
]);
