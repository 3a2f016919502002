/**
 * Tokens of Rego v1 (OPA 1.x). Keywords are the v1 set: the former `future.keywords`
 * (`contains`, `every`, `if`, `in`) are always reserved.
 */

export const KEYWORDS = [
  'package',
  'import',
  'as',
  'default',
  'else',
  'not',
  'some',
  'with',
  'if',
  'contains',
  'every',
  'in',
  'true',
  'false',
  'null',
] as const;

export type Keyword = (typeof KEYWORDS)[number];

const keywordSet: ReadonlySet<string> = new Set(KEYWORDS);

export function isKeyword(word: string): word is Keyword {
  return keywordSet.has(word);
}

/** Punctuation and operators, longest spellings first where one is a prefix of another. */
export const OPERATORS = [
  ':=',
  '==',
  '!=',
  '<=',
  '>=',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
  '.',
  ',',
  ';',
  ':',
  '[',
  ']',
  '{',
  '}',
  '(',
  ')',
] as const;

export type Operator = (typeof OPERATORS)[number];

export type TokenKind =
  | 'ident'
  | 'number'
  /** A double-quoted string; `value` holds the decoded text. */
  | 'string'
  /** A backtick string; `value` holds the text between the backticks, verbatim. */
  | 'raw-string'
  | 'eof'
  /** Something the scanner could not read; `error` says why. */
  | 'illegal'
  | Keyword
  | Operator;

export interface Token {
  readonly kind: TokenKind;
  /** The source text of the token, exactly as written. */
  readonly text: string;
  /** Offset of the first code unit (UTF-16, as JavaScript indexes strings). */
  readonly offset: number;
  /** Offset just past the last code unit. */
  readonly end: number;
  /** 1-based line. */
  readonly row: number;
  /** 1-based column, in code units. */
  readonly col: number;
  /** Whitespace or a comment sits between this token and the previous one: `a [1]` is not `a[1]`. */
  readonly spaceBefore: boolean;
  /** A line break sits between this token and the previous one; it separates body expressions. */
  readonly newlineBefore: boolean;
  /** Decoded contents of `string` and `raw-string` tokens. */
  readonly value?: string;
  /** Why an `illegal` token (or a malformed literal) was rejected. */
  readonly error?: string;
}

/** The name OPA gives a token in "unexpected … token" messages. */
export function describeToken(kind: TokenKind): string {
  switch (kind) {
    case 'raw-string':
      return 'string';
    default:
      return kind;
  }
}
