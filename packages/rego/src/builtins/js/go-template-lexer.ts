/**
 * The tokens of a Go text/template: text between actions, and inside `{{ }}` the words,
 * literals and punctuation of pipelines. Trim markers (`{{- ` and ` -}}`) are applied here,
 * as Go does, by cutting the white space off the neighbouring text; comments vanish here too.
 * A lexical error becomes the last token, so the parser reports whichever problem it reaches
 * first, as Go's concurrent lexer makes it do.
 */

export type TokenKind =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'eof'
  | 'error'
  | 'assign'
  | 'declare'
  | 'pipe'
  | 'char'
  | 'string'
  | 'rawString'
  | 'variable'
  | 'field'
  | 'dot'
  | 'number'
  | 'identifier'
  | 'bool'
  | 'nil'
  | 'leftParen'
  | 'rightParen'
  | 'keyword';

export interface Token {
  readonly kind: TokenKind;
  readonly val: string;
  /** Offset in the template (UTF-16 units; converted to Go's byte columns for messages). */
  readonly pos: number;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  'block',
  'break',
  'continue',
  'define',
  'else',
  'end',
  'if',
  'range',
  'template',
  'with',
]);

const LEFT = '{{';
const RIGHT = '}}';
const TRIM_MARKER_LEN = 2;

/** The lexer's white space: not Unicode's, just these four. */
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const ALNUM = /^[\p{L}\p{Nd}_]$/u;
const isAlphaNumeric = (c: string | undefined): boolean => c !== undefined && ALNUM.test(c);
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** A rune as Go's %#U prints it: U+0023 '#'. */
export function describeRune(c: string): string {
  const hex = c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return PRINTABLE.test(c) ? `U+${hex} '${c}'` : `U+${hex}`;
}

const hasLeftTrimMarker = (s: string, at: number): boolean => s[at] === '-' && isSpace(s[at + 1]);
const hasRightTrimMarker = (s: string, at: number): boolean => isSpace(s[at]) && s[at + 1] === '-';

function leftTrimLength(s: string, from: number): number {
  let i = from;
  while (isSpace(s[i])) i++;
  return i - from;
}

class Lexer {
  readonly tokens: Token[] = [];
  private pos = 0;
  private parenDepth = 0;

  constructor(private readonly input: string) {}

  run(): Token[] {
    while (this.lexText()) {
      if (!this.lexInsideAction()) break;
    }
    return this.tokens;
  }

  private emit(kind: TokenKind, start: number, end: number): void {
    this.tokens.push({ kind, val: this.input.slice(start, end), pos: start });
  }

  private fail(message: string): false {
    this.tokens.push({ kind: 'error', val: message, pos: this.pos });
    return false;
  }

  private runeAt(i: number): string | undefined {
    const cp = this.input.codePointAt(i);
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  }

  private atRightDelim(at: number): { delim: boolean; trim: boolean } {
    const s = this.input;
    if (hasRightTrimMarker(s, at) && s.startsWith(RIGHT, at + TRIM_MARKER_LEN))
      return { delim: true, trim: true };
    return { delim: s.startsWith(RIGHT, at), trim: false };
  }

  /** Text up to the next action; true when an action follows. */
  private lexText(): boolean {
    const s = this.input;
    for (;;) {
      const x = s.indexOf(LEFT, this.pos);
      if (x < 0) {
        if (this.pos < s.length) this.emit('text', this.pos, s.length);
        this.tokens.push({ kind: 'eof', val: '', pos: s.length });
        return false;
      }
      let textEnd = x;
      if (hasLeftTrimMarker(s, x + LEFT.length)) {
        while (textEnd > this.pos && isSpace(s[textEnd - 1])) textEnd--;
      }
      if (textEnd > this.pos) this.emit('text', this.pos, textEnd);
      const afterDelim = x + LEFT.length;
      const afterMarker = hasLeftTrimMarker(s, afterDelim) ? afterDelim + TRIM_MARKER_LEN : afterDelim;
      if (s.startsWith('/*', afterMarker)) {
        this.pos = afterMarker;
        if (!this.lexComment()) return false;
        continue;
      }
      this.emit('leftDelim', x, afterDelim);
      this.pos = afterMarker;
      this.parenDepth = 0;
      return true;
    }
  }

  /** A comment must close right before the delimiter: `{{/* … *\/}}` or `{{- /* … *\/ -}}`. */
  private lexComment(): boolean {
    const end = this.input.indexOf('*/', this.pos + 2);
    if (end < 0) return this.fail('unclosed comment');
    this.pos = end + 2;
    const { delim, trim } = this.atRightDelim(this.pos);
    if (!delim) return this.fail('comment ends before closing delimiter');
    this.pos += (trim ? TRIM_MARKER_LEN : 0) + RIGHT.length;
    if (trim) this.pos += leftTrimLength(this.input, this.pos);
    return true;
  }

  /** The inside of one action; true when it closed and text follows. */
  private lexInsideAction(): boolean {
    const s = this.input;
    for (;;) {
      const { delim, trim } = this.atRightDelim(this.pos);
      if (delim) {
        if (this.parenDepth !== 0) return this.fail('unclosed left paren');
        const start = this.pos + (trim ? TRIM_MARKER_LEN : 0);
        this.emit('rightDelim', start, start + RIGHT.length);
        this.pos = start + RIGHT.length;
        if (trim) this.pos += leftTrimLength(s, this.pos);
        return true;
      }
      const c = this.runeAt(this.pos);
      if (c === undefined) return this.fail('unclosed action');
      const start = this.pos;
      if (isSpace(c)) {
        if (!this.lexSpace()) continue;
      } else if (c === '=') {
        this.pos++;
        this.emit('assign', start, this.pos);
      } else if (c === ':') {
        if (s[this.pos + 1] !== '=') {
          this.pos++;
          return this.fail('expected :=');
        }
        this.pos += 2;
        this.emit('declare', start, this.pos);
      } else if (c === '|') {
        this.pos++;
        this.emit('pipe', start, this.pos);
      } else if (c === '"') {
        if (!this.lexQuote()) return false;
      } else if (c === '`') {
        const end = s.indexOf('`', this.pos + 1);
        if (end < 0) return this.fail('unterminated raw quoted string');
        this.pos = end + 1;
        this.emit('rawString', start, this.pos);
      } else if (c === '$') {
        this.pos++;
        if (!this.lexFieldOrVariable('variable', start)) return false;
      } else if (c === "'") {
        return this.fail('character constants are not supported');
      } else if (c === '.' && this.pos + 1 < s.length && !/[0-9]/.test(s[this.pos + 1]!)) {
        this.pos++;
        if (!this.lexFieldOrVariable('field', start)) return false;
      } else if (c === '.' || c === '+' || c === '-' || /[0-9]/.test(c)) {
        if (!this.lexNumber()) return false;
      } else if (isAlphaNumeric(c)) {
        if (!this.lexIdentifier()) return false;
      } else if (c === '(') {
        this.parenDepth++;
        this.pos++;
        this.emit('leftParen', start, this.pos);
      } else if (c === ')') {
        this.parenDepth--;
        this.pos++;
        if (this.parenDepth < 0) return this.fail('unexpected right paren');
        this.emit('rightParen', start, this.pos);
      } else if (c >= ' ' && c <= '~') {
        this.pos++;
        this.emit('char', start, this.pos);
      } else {
        this.pos += c.length;
        return this.fail(`unrecognized character in action: ${describeRune(c)}`);
      }
    }
  }

  /**
   * A run of spaces; the last one is left alone when it starts a ` -}}`. Returns false when
   * that space was the whole run, so no token is made.
   */
  private lexSpace(): boolean {
    const s = this.input;
    const start = this.pos;
    while (isSpace(s[this.pos])) this.pos++;
    const n = this.pos - start;
    if (hasRightTrimMarker(s, this.pos - 1) && s.startsWith(RIGHT, this.pos - 1 + TRIM_MARKER_LEN)) {
      this.pos--;
      if (n === 1) return false;
    }
    this.emit('space', start, this.pos);
    return true;
  }

  private lexQuote(): boolean {
    const s = this.input;
    const start = this.pos;
    this.pos++;
    for (;;) {
      const c = s[this.pos];
      this.pos++;
      if (c === '\\') {
        const e = s[this.pos];
        if (e !== undefined && e !== '\n') {
          this.pos++;
          continue;
        }
        return this.fail('unterminated quoted string');
      }
      if (c === undefined || c === '\n') return this.fail('unterminated quoted string');
      if (c === '"') break;
    }
    this.emit('string', start, this.pos);
    return true;
  }

  private atTerminator(): boolean {
    const c = this.input[this.pos];
    if (c === undefined || isSpace(c)) return true;
    if ('.,|:()'.includes(c)) return true;
    return this.input.startsWith(RIGHT, this.pos);
  }

  /** `$`, `$name`, `.` or `.name`; `start` is at the sigil. */
  private lexFieldOrVariable(kind: 'variable' | 'field', start: number): boolean {
    if (this.atTerminator()) {
      this.emit(kind === 'variable' ? 'variable' : 'dot', start, this.pos);
      return true;
    }
    let c = this.runeAt(this.pos);
    while (isAlphaNumeric(c)) {
      this.pos += c!.length;
      c = this.runeAt(this.pos);
    }
    if (!this.atTerminator()) return this.fail(`bad character ${describeRune(c!)}`);
    this.emit(kind, start, this.pos);
    return true;
  }

  private lexIdentifier(): boolean {
    const start = this.pos;
    let c = this.runeAt(this.pos);
    while (isAlphaNumeric(c)) {
      this.pos += c!.length;
      c = this.runeAt(this.pos);
    }
    if (!this.atTerminator()) return this.fail(`bad character ${describeRune(c!)}`);
    const word = this.input.slice(start, this.pos);
    if (KEYWORDS.has(word)) this.emit('keyword', start, this.pos);
    else if (word === 'nil') this.emit('nil', start, this.pos);
    else if (word === 'true' || word === 'false') this.emit('bool', start, this.pos);
    else this.emit('identifier', start, this.pos);
    return true;
  }

  private accept(chars: string): boolean {
    const c = this.input[this.pos];
    if (c !== undefined && chars.includes(c)) {
      this.pos++;
      return true;
    }
    return false;
  }

  private acceptRun(chars: string): void {
    while (this.accept(chars)) {}
  }

  /** Go's scanNumber: what might be a number; the parser decides what it means. */
  private scanNumber(): boolean {
    this.accept('+-');
    let digits = '0123456789_';
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    this.accept('i');
    const c = this.runeAt(this.pos);
    if (isAlphaNumeric(c)) {
      this.pos += c!.length;
      return false;
    }
    return true;
  }

  private lexNumber(): boolean {
    const start = this.pos;
    if (!this.scanNumber())
      return this.fail(`bad number syntax: ${JSON.stringify(this.input.slice(start, this.pos))}`);
    const c = this.input[this.pos];
    if (c === '+' || c === '-') return this.fail('complex numbers are not supported');
    this.emit('number', start, this.pos);
    return true;
  }
}

export function lex(input: string): Token[] {
  return new Lexer(input).run();
}
