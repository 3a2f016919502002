/**
 * The GraphQL lexer (spec §2.1, "Source Text"), with token kinds and positions as
 * vektah/gqlparser reports them, because OPA's error messages quote its token names
 * (`Expected Name, found <EOF>`) and rune-based columns.
 */

/** Token kinds, by the spelling gqlparser prints for them in messages. */
export const TokenKind = {
  Invalid: '<Invalid>',
  EOF: '<EOF>',
  Bang: '!',
  Dollar: '$',
  Amp: '&',
  ParenL: '(',
  ParenR: ')',
  Spread: '...',
  Colon: ':',
  Equals: '=',
  At: '@',
  BracketL: '[',
  BracketR: ']',
  BraceL: '{',
  BraceR: '}',
  Pipe: '|',
  Name: 'Name',
  Int: 'Int',
  Float: 'Float',
  String: 'String',
  BlockString: 'BlockString',
} as const;

export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

export interface Token {
  readonly kind: TokenKind;
  /** Names, numbers and (decoded) strings; empty for punctuation. */
  readonly value: string;
  readonly line: number;
  readonly column: number;
}

/** How gqlparser prints a token in "Unexpected …" and "found …" (the kind, then the quoted value). */
export function tokenText(tok: Token): string {
  return tok.value === '' ? tok.kind : `${tok.kind} ${goQuote(tok.value)}`;
}

/** Go's strconv.Quote, enough for names and strings in messages. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

const PUNCTUATION: Readonly<Record<string, TokenKind>> = {
  '!': TokenKind.Bang,
  $: TokenKind.Dollar,
  '&': TokenKind.Amp,
  '(': TokenKind.ParenL,
  ')': TokenKind.ParenR,
  ':': TokenKind.Colon,
  '=': TokenKind.Equals,
  '@': TokenKind.At,
  '[': TokenKind.BracketL,
  ']': TokenKind.BracketR,
  '{': TokenKind.BraceL,
  '}': TokenKind.BraceR,
  '|': TokenKind.Pipe,
};

/** The one-character escapes of string literals (spec §2.9.4). */
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const isNameStart = (c: string | undefined) => c !== undefined && /[_A-Za-z]/.test(c);
const isNameContinue = (c: string | undefined) => c !== undefined && /[_0-9A-Za-z]/.test(c);
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/**
 * Reads tokens one at a time. A malformed token comes back as an `Invalid` token placed where
 * the lexer gave up, which is where gqlparser's parser reports "Unexpected <Invalid>".
 */
export class Lexer {
  /** The source as code points, so columns count runes as gqlparser's do. */
  private readonly src: readonly string[];
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(input: string) {
    this.src = [...input];
  }

  private at(i: number): string | undefined {
    return this.src[i];
  }

  /** An Invalid token `ahead` characters past where the lexer stands. */
  private invalid(ahead = 0): Token {
    return {
      kind: TokenKind.Invalid,
      value: '',
      line: this.line,
      column: this.pos + ahead - this.lineStart + 1,
    };
  }

  private newline(): void {
    // \r\n counts once.
    if (this.at(this.pos) === '\r' && this.at(this.pos + 1) === '\n') this.pos++;
    this.pos++;
    this.line++;
    this.lineStart = this.pos;
  }

  private skipIgnored(): void {
    for (;;) {
      const c = this.at(this.pos);
      if (c === ' ' || c === '\t' || c === ',' || c === '\ufeff') this.pos++;
      else if (c === '\n' || c === '\r') this.newline();
      else if (c === '#') {
        while (this.pos < this.src.length && this.at(this.pos) !== '\n' && this.at(this.pos) !== '\r')
          this.pos++;
      } else return;
    }
  }

  next(): Token {
    this.skipIgnored();
    const start = this.pos;
    const line = this.line;
    const column = start - this.lineStart + 1;
    const make = (kind: TokenKind, value = ''): Token => ({ kind, value, line, column });
    const c = this.at(start);
    if (c === undefined) return make(TokenKind.EOF);
    const punct = PUNCTUATION[c];
    if (punct !== undefined) {
      this.pos++;
      return make(punct);
    }
    if (c === '.') {
      if (this.at(start + 1) === '.' && this.at(start + 2) === '.') {
        this.pos += 3;
        return make(TokenKind.Spread);
      }
      return this.invalid();
    }
    if (isNameStart(c)) {
      let end = start + 1;
      while (isNameContinue(this.at(end))) end++;
      this.pos = end;
      return make(TokenKind.Name, this.src.slice(start, end).join(''));
    }
    if (c === '-' || isDigit(c)) return this.number(make);
    if (c === '"') {
      // gqlparser places string tokens after their opening quotes.
      const after =
        (skip: number) =>
        (kind: TokenKind, value = ''): Token => ({ kind, value, line, column: column + skip });
      if (this.at(start + 1) === '"' && this.at(start + 2) === '"') return this.blockString(after(3));
      return this.string(after(1));
    }
    return this.invalid();
  }

  private digits(): boolean {
    if (!isDigit(this.at(this.pos))) return false;
    while (isDigit(this.at(this.pos))) this.pos++;
    return true;
  }

  private number(make: (kind: TokenKind, value?: string) => Token): Token {
    const start = this.pos;
    let float = false;
    if (this.at(this.pos) === '-') this.pos++;
    if (this.at(this.pos) === '0') {
      this.pos++;
      if (isDigit(this.at(this.pos))) return this.invalid();
    } else if (!this.digits()) return this.invalid();
    if (this.at(this.pos) === '.') {
      float = true;
      this.pos++;
      if (!this.digits()) return this.invalid();
    }
    if (this.at(this.pos) === 'e' || this.at(this.pos) === 'E') {
      float = true;
      this.pos++;
      if (this.at(this.pos) === '+' || this.at(this.pos) === '-') this.pos++;
      if (!this.digits()) return this.invalid();
    }
    return make(float ? TokenKind.Float : TokenKind.Int, this.src.slice(start, this.pos).join(''));
  }

  private string(make: (kind: TokenKind, value?: string) => Token): Token {
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.at(this.pos);
      if (c === undefined || c === '\n' || c === '\r') return this.invalid();
      if (c === '"') {
        this.pos++;
        return make(TokenKind.String, out);
      }
      const code = c.codePointAt(0)!;
      if (code < 0x20 && c !== '\t') return this.invalid();
      if (c !== '\\') {
        out += c;
        this.pos++;
        continue;
      }
      const e = this.at(this.pos + 1);
      if (e !== undefined && ESCAPES[e] !== undefined) {
        out += ESCAPES[e];
        this.pos += 2;
      } else if (e === 'u') {
        const hex = this.src.slice(this.pos + 2, this.pos + 6).join('');
        // gqlparser points at the character after the backslash.
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) return this.invalid(1);
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.pos += 6;
      } else {
        return this.invalid(1);
      }
    }
  }

  private blockString(make: (kind: TokenKind, value?: string) => Token): Token {
    this.pos += 3;
    let raw = '';
    for (;;) {
      const c = this.at(this.pos);
      if (c === undefined) return this.invalid();
      const code = c.codePointAt(0)!;
      if (code < 0x20 && c !== '\t' && c !== '\n' && c !== '\r') return this.invalid();
      if (c === '"' && this.at(this.pos + 1) === '"' && this.at(this.pos + 2) === '"') {
        this.pos += 3;
        return make(TokenKind.BlockString, blockStringValue(raw));
      }
      if (
        c === '\\' &&
        this.at(this.pos + 1) === '"' &&
        this.at(this.pos + 2) === '"' &&
        this.at(this.pos + 3) === '"'
      ) {
        raw += '"""';
        this.pos += 4;
      } else if (c === '\n' || c === '\r') {
        raw += c === '\r' && this.at(this.pos + 1) === '\n' ? '\r\n' : c;
        this.newline();
      } else {
        raw += c;
        this.pos++;
      }
    }
  }
}

/** The spec's BlockStringValue(): drop the common indentation and blank first and last lines. */
function blockStringValue(raw: string): string {
  const lines = raw.split(/\r\n|\n|\r/);
  const indentOf = (l: string) => l.length - l.replace(/^[ \t]*/, '').length;
  let common: number | undefined;
  for (const l of lines.slice(1)) {
    const indent = indentOf(l);
    if (indent < l.length && (common === undefined || indent < common)) common = indent;
  }
  const out = lines.map((l, i) => (i === 0 || common === undefined ? l : l.slice(common)));
  const blank = (l: string | undefined) => l !== undefined && /^[ \t]*$/.test(l);
  while (out.length > 0 && blank(out[0])) out.shift();
  while (out.length > 0 && blank(out[out.length - 1])) out.pop();
  return out.join('\n');
}
