import { decodeStringBody } from './string-literal.js';
import type { Operator, Token, TokenKind } from './token.js';
import { isKeyword, OPERATORS } from './token.js';

/** A `#` comment, kept for formatters and annotations; it never reaches the parser. */
export interface Comment {
  /** Text after the `#`. */
  readonly text: string;
  readonly offset: number;
  readonly end: number;
  readonly row: number;
  readonly col: number;
}

export interface ScanResult {
  /** Every token, ending with exactly one `eof`. */
  readonly tokens: Token[];
  readonly comments: Comment[];
}

const CH_TAB = 9;
const CH_LF = 10;
const CH_CR = 13;
const CH_SPACE = 32;
const CH_QUOTE = 34;
const CH_HASH = 35;
const CH_BACKSLASH = 92;
const CH_BACKTICK = 96;
const CH_DOT = 46;
const CH_BOM = 0xfeff;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** OPA only accepts ASCII letters and `_` in identifiers. */
function isLetter(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95;
}

/** Single-character operators, indexed by character code (derived, so the two lists cannot drift). */
const SINGLE: ReadonlyMap<number, Operator> = new Map(
  OPERATORS.filter((op) => op.length === 1).map((op) => [op.charCodeAt(0), op as Operator]),
);

/**
 * Splits Rego source into tokens in one left-to-right pass. Problems (an unterminated string, a
 * stray character) become `illegal` tokens or tokens carrying `error`, so that the parser reports
 * them where they occur and scanning itself never fails.
 */
export function scan(source: string): ScanResult {
  const tokens: Token[] = [];
  const comments: Comment[] = [];
  const length = source.length;
  let pos = source.charCodeAt(0) === CH_BOM ? 1 : 0;
  let row = 1;
  let lineStart = 0;
  let spaceBefore = false;
  let newlineBefore = false;

  const push = (kind: TokenKind, start: number, startRow: number, startCol: number): void => {
    tokens.push({
      kind,
      text: source.slice(start, pos),
      offset: start,
      end: pos,
      row: startRow,
      col: startCol,
      spaceBefore,
      newlineBefore,
    });
    spaceBefore = false;
    newlineBefore = false;
  };

  /** Tokens that carry a decoded value or a complaint; rarer, so kept out of the common shape. */
  const pushWith = (
    kind: TokenKind,
    start: number,
    startRow: number,
    startCol: number,
    value: string | undefined,
    error: string | undefined,
  ): void => {
    const token: { -readonly [K in keyof Token]: Token[K] } = {
      kind,
      text: source.slice(start, pos),
      offset: start,
      end: pos,
      row: startRow,
      col: startCol,
      spaceBefore,
      newlineBefore,
    };
    if (value !== undefined) token.value = value;
    if (error !== undefined) token.error = error;
    tokens.push(token);
    spaceBefore = false;
    newlineBefore = false;
  };

  while (pos < length) {
    const code = source.charCodeAt(pos);

    if (code === CH_SPACE || code === CH_TAB || code === CH_CR) {
      pos++;
      spaceBefore = true;
      continue;
    }
    if (code === CH_LF) {
      pos++;
      row++;
      lineStart = pos;
      spaceBefore = true;
      newlineBefore = true;
      continue;
    }
    if (code === CH_HASH) {
      const start = pos;
      let stop = source.indexOf('\n', pos);
      if (stop < 0) stop = length;
      let textEnd = stop;
      if (textEnd > start && source.charCodeAt(textEnd - 1) === CH_CR) textEnd--;
      comments.push({
        text: source.slice(start + 1, textEnd),
        offset: start,
        end: stop,
        row,
        col: start - lineStart + 1,
      });
      pos = stop;
      spaceBefore = true;
      continue;
    }

    const start = pos;
    const startRow = row;
    const startCol = pos - lineStart + 1;

    if (isLetter(code)) {
      pos++;
      while (pos < length) {
        const c = source.charCodeAt(pos);
        if (!isLetter(c) && !isDigit(c)) break;
        pos++;
      }
      const word = source.slice(start, pos);
      push(isKeyword(word) ? word : 'ident', start, startRow, startCol);
      continue;
    }

    if (isDigit(code)) {
      const error = scanNumber();
      pushWith('number', start, startRow, startCol, undefined, error);
      continue;
    }

    if (code === CH_QUOTE) {
      pos++;
      let terminated = false;
      while (pos < length) {
        const c = source.charCodeAt(pos);
        if (c === CH_LF) break;
        if (c === CH_BACKSLASH) {
          if (pos + 1 < length && source.charCodeAt(pos + 1) !== CH_LF) {
            pos += 2;
            continue;
          }
          pos++;
          break;
        }
        pos++;
        if (c === CH_QUOTE) {
          terminated = true;
          break;
        }
      }
      if (!terminated) {
        pushWith('illegal', start, startRow, startCol, undefined, 'non-terminated string');
        continue;
      }
      const decoded = decodeStringBody(source.slice(start + 1, pos - 1));
      if (decoded.ok) {
        pushWith('string', start, startRow, startCol, decoded.value, undefined);
      } else {
        pushWith(
          'string',
          start,
          startRow,
          startCol,
          '',
          `illegal string literal: ${source.slice(start, pos)}`,
        );
      }
      continue;
    }

    if (code === CH_BACKTICK) {
      const close = source.indexOf('`', pos + 1);
      if (close < 0) {
        pos = length;
        pushWith('illegal', start, startRow, startCol, undefined, 'non-terminated raw string');
        continue;
      }
      // Raw strings may span lines; keep row accounting right for the tokens after it.
      for (let i = pos + 1; i < close; i++) {
        if (source.charCodeAt(i) === CH_LF) {
          row++;
          lineStart = i + 1;
        }
      }
      pos = close + 1;
      pushWith('raw-string', start, startRow, startCol, source.slice(start + 1, close), undefined);
      continue;
    }

    const next = source.charCodeAt(pos + 1);
    let two: Operator | undefined;
    if (next === 61 /* = */) {
      switch (code) {
        case 58 /* : */:
          two = ':=';
          break;
        case 61 /* = */:
          two = '==';
          break;
        case 33 /* ! */:
          two = '!=';
          break;
        case 60 /* < */:
          two = '<=';
          break;
        case 62 /* > */:
          two = '>=';
          break;
      }
    }
    if (two !== undefined) {
      pos += 2;
      push(two, start, startRow, startCol);
      continue;
    }
    const single = SINGLE.get(code);
    if (single !== undefined) {
      pos++;
      push(single, start, startRow, startCol);
      continue;
    }

    // Keep surrogate pairs together so the error names the whole character.
    pos += code >= 0xd800 && code <= 0xdbff && pos + 1 < length ? 2 : 1;
    pushWith('illegal', start, startRow, startCol, undefined, 'illegal token');
  }

  const eofCol = pos - lineStart + 1;
  tokens.push({
    kind: 'eof',
    text: '',
    offset: length,
    end: length,
    row,
    col: eofCol,
    spaceBefore,
    newlineBefore,
  });
  return { tokens, comments };

  /**
   * Integer, fraction and exponent digits. A `.` only belongs to the number when a digit follows,
   * so `x[1].y` still scans as a ref. Letters glued to a number make it one bad token, not two.
   */
  function scanNumber(): string | undefined {
    let error: string | undefined;
    while (pos < length && isDigit(source.charCodeAt(pos))) pos++;
    if (source.charCodeAt(pos) === CH_DOT && isDigit(source.charCodeAt(pos + 1))) {
      pos++;
      while (pos < length && isDigit(source.charCodeAt(pos))) pos++;
    }
    const e = source.charCodeAt(pos);
    if (e === 101 || e === 69) {
      pos++;
      const sign = source.charCodeAt(pos);
      if (sign === 43 || sign === 45) pos++;
      if (isDigit(source.charCodeAt(pos))) {
        while (pos < length && isDigit(source.charCodeAt(pos))) pos++;
      } else {
        error = 'expected exponent';
      }
    }
    if (pos < length && isLetter(source.charCodeAt(pos))) {
      error = 'illegal number format';
      while (pos < length) {
        const c = source.charCodeAt(pos);
        if (!isLetter(c) && !isDigit(c)) break;
        pos++;
      }
    }
    return error;
  }
}
