/**
 * A small SQL tokenizer, used where no grammar gives us what we need: splitting PL/pgSQL bodies
 * into statements, splitting multi-statement strings for node-sql-parser dialects, and the
 * literal-free normal form those dialects are fingerprinted on. It only has to agree with the
 * real grammars on where strings, quoted names and comments begin and end, so a `;` or a
 * keyword inside them is never taken for structure.
 */

export type TokenKind =
  | 'word' // keyword or unquoted identifier; `value` is lower-cased
  | 'qident' // "quoted", `quoted` or [quoted] identifier; `value` is the name
  | 'string' // any string literal, dollar-quoted included; `value` is its content
  | 'number'
  | 'param' // $1, ?, :name, @name
  | 'op' // operator or punctuation other than the ones below
  | 'semicolon'
  | 'lparen'
  | 'rparen'
  | 'comma';

export interface Token {
  kind: TokenKind;
  /** Character offsets into the lexed text, end exclusive. */
  start: number;
  end: number;
  value: string;
}

export interface LexOptions {
  /** `$tag$` strings, E'' escapes, nested comments. */
  postgres?: boolean;
  /** Backslash escapes in every string, `#` comments, `"` as a string. */
  mysqlStrings?: boolean;
  /** `[name]` identifiers (SQL Server, SQLite). */
  brackets?: boolean;
}

const isWordStart = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
const isWordPart = (c: number): boolean => isWordStart(c) || (c >= 48 && c <= 57) || c === 36;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Multi-character operators the PL/pgSQL scanner needs to see whole. */
const TWO_CHAR_OPS = new Set([':=', '::', '<<', '>>', '..', '=>', '<=', '>=', '<>', '!=', '||']);

export function lexSql(text: string, options: LexOptions = {}): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    // whitespace
    if (c === 32 || (c >= 9 && c <= 13)) {
      i++;
      continue;
    }
    const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
    // -- comment, and # comment for MySQL
    if ((c === 45 && next === 45) || (c === 35 && options.mysqlStrings)) {
      const eol = text.indexOf('\n', i);
      i = eol === -1 ? n : eol + 1;
      continue;
    }
    if (c === 47 && next === 42) {
      i = skipBlockComment(text, i, options.postgres === true);
      continue;
    }
    const start = i;
    if (c === 39) {
      const escapes = options.mysqlStrings === true || isEscapePrefix(text, start);
      const end = scanQuoted(text, i, 39, escapes);
      tokens.push({ kind: 'string', start, end, value: unquote(text, start, end, "'") });
      i = end;
      continue;
    }
    if (c === 34) {
      const end = scanQuoted(text, i, 34, options.mysqlStrings === true);
      const kind = options.mysqlStrings ? 'string' : 'qident';
      tokens.push({ kind, start, end, value: unquote(text, start, end, '"') });
      i = end;
      continue;
    }
    if (c === 96) {
      const end = scanQuoted(text, i, 96, false);
      tokens.push({ kind: 'qident', start, end, value: unquote(text, start, end, '`') });
      i = end;
      continue;
    }
    if (c === 91 && options.brackets) {
      const close = text.indexOf(']', i + 1);
      const end = close === -1 ? n : close + 1;
      tokens.push({ kind: 'qident', start, end, value: text.slice(start + 1, close === -1 ? n : close) });
      i = end;
      continue;
    }
    if (c === 36 && options.postgres) {
      if (isDigit(next)) {
        let j = i + 1;
        while (j < n && isDigit(text.charCodeAt(j))) j++;
        tokens.push({ kind: 'param', start, end: j, value: text.slice(start, j) });
        i = j;
        continue;
      }
      const dollar = scanDollarQuoted(text, i);
      if (dollar !== undefined) {
        tokens.push({ kind: 'string', start, end: dollar.end, value: dollar.content });
        i = dollar.end;
        continue;
      }
    }
    if (isDigit(c) || (c === 46 && isDigit(next))) {
      let j = i;
      if (c === 48 && (next === 120 || next === 88)) {
        j += 2;
        while (j < n && isWordPart(text.charCodeAt(j))) j++;
      } else {
        while (j < n && (isDigit(text.charCodeAt(j)) || text.charCodeAt(j) === 95)) j++;
        // `1..10` is a PL/pgSQL range, not the number 1. followed by .10
        if (text.charCodeAt(j) === 46 && text.charCodeAt(j + 1) !== 46) {
          j++;
          while (j < n && isDigit(text.charCodeAt(j))) j++;
        }
        const e = text.charCodeAt(j);
        if (e === 101 || e === 69) {
          let k = j + 1;
          const sign = text.charCodeAt(k);
          if (sign === 43 || sign === 45) k++;
          if (isDigit(text.charCodeAt(k))) {
            j = k;
            while (j < n && isDigit(text.charCodeAt(j))) j++;
          }
        }
      }
      tokens.push({ kind: 'number', start, end: j, value: text.slice(start, j) });
      i = j;
      continue;
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(text.charCodeAt(j))) j++;
      tokens.push({ kind: 'word', start, end: j, value: text.slice(start, j).toLowerCase() });
      i = j;
      continue;
    }
    if ((c === 63 && !options.postgres) || ((c === 58 || c === 64) && isWordStart(next))) {
      let j = i + 1;
      while (j < n && isWordPart(text.charCodeAt(j))) j++;
      tokens.push({ kind: 'param', start, end: j, value: text.slice(start, j) });
      i = j;
      continue;
    }
    if (c === 59) tokens.push({ kind: 'semicolon', start, end: i + 1, value: ';' });
    else if (c === 40) tokens.push({ kind: 'lparen', start, end: i + 1, value: '(' });
    else if (c === 41) tokens.push({ kind: 'rparen', start, end: i + 1, value: ')' });
    else if (c === 44) tokens.push({ kind: 'comma', start, end: i + 1, value: ',' });
    else {
      const two = text.slice(i, i + 2);
      if (TWO_CHAR_OPS.has(two)) {
        tokens.push({ kind: 'op', start, end: i + 2, value: two });
        i += 2;
        continue;
      }
      tokens.push({ kind: 'op', start, end: i + 1, value: text[i] ?? '' });
    }
    i++;
  }
  return tokens;
}

/** E'…' (PostgreSQL escape string): backslash escapes apply. */
function isEscapePrefix(text: string, quote: number): boolean {
  const p = text.charCodeAt(quote - 1);
  if (p !== 101 && p !== 69) return false;
  return quote < 2 || !isWordPart(text.charCodeAt(quote - 2));
}

function scanQuoted(text: string, open: number, quote: number, backslash: boolean): number {
  const n = text.length;
  let i = open + 1;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (backslash && c === 92) {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (text.charCodeAt(i + 1) === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return n;
}

function unquote(text: string, start: number, end: number, quote: string): string {
  const closed = end - start >= 2 && text[end - 1] === quote;
  const inner = text.slice(start + 1, closed ? end - 1 : end);
  return inner.includes(quote) ? inner.split(quote + quote).join(quote) : inner;
}

function skipBlockComment(text: string, open: number, nested: boolean): number {
  const n = text.length;
  let depth = 1;
  let i = open + 2;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 42 && text.charCodeAt(i + 1) === 47) {
      depth--;
      i += 2;
      if (depth === 0 || !nested) return i;
      continue;
    }
    if (nested && c === 47 && text.charCodeAt(i + 1) === 42) {
      depth++;
      i += 2;
      continue;
    }
    i++;
  }
  return n;
}

function scanDollarQuoted(text: string, open: number): { end: number; content: string } | undefined {
  let j = open + 1;
  while (j < text.length && text.charCodeAt(j) !== 36) {
    const c = text.charCodeAt(j);
    if (!isWordPart(c)) return undefined;
    if (j === open + 1 && isDigit(c)) return undefined;
    j++;
  }
  if (j >= text.length) return undefined;
  const tag = text.slice(open, j + 1);
  const close = text.indexOf(tag, j + 1);
  if (close === -1) return { end: text.length, content: text.slice(j + 1) };
  return { end: close + tag.length, content: text.slice(j + 1, close) };
}

/** Index of the next `;` at parenthesis depth 0 at or after `from`, or `tokens.length`. */
export function statementEnd(tokens: readonly Token[], from: number, to = tokens.length): number {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const kind = tokens[i]!.kind;
    if (kind === 'lparen') depth++;
    else if (kind === 'rparen') depth = depth > 0 ? depth - 1 : 0;
    else if (kind === 'semicolon' && depth === 0) return i;
  }
  return to;
}
