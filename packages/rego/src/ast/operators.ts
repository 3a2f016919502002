/**
 * Infix operators and the built-in functions they stand for. The parser turns `a + b` into a call
 * of `plus(a, b)` (as OPA does) so that later stages see one kind of call; the formatter uses the
 * same table to print it back as `a + b`.
 */

export const INFIX_BUILTINS = {
  '==': 'equal',
  '!=': 'neq',
  '<': 'lt',
  '<=': 'lte',
  '>': 'gt',
  '>=': 'gte',
  '|': 'or',
  '&': 'and',
  '+': 'plus',
  '-': 'minus',
  '*': 'mul',
  '/': 'div',
  '%': 'rem',
  /** `x in xs` (two operands) is `internal.member_2`; `k, v in xs` (three) is `internal.member_3`. */
  in: 'internal.member_2',
} as const;

export type InfixOperator = keyof typeof INFIX_BUILTINS;

/** The built-in behind `k, v in xs`. */
export const MEMBER_WITH_KEY_BUILTIN = 'internal.member_3';

/**
 * Binding strength, loosest first, following OPA's parser (`parseTermIn` → `parseTermRelation` →
 * `parseTermOr` → `parseTermAnd` → `parseTermArith` → `parseTermFactor`). Note that `|` and `&`
 * bind tighter than comparisons: `a == b | c` is `a == (b | c)`. All levels associate to the left.
 */
export const PRECEDENCE: Readonly<Record<InfixOperator, number>> = {
  in: 1,
  '==': 2,
  '!=': 2,
  '<': 2,
  '<=': 2,
  '>': 2,
  '>=': 2,
  '|': 3,
  '&': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

/** Precedence of anything that is not an infix call (a literal, ref, composite, prefix call). */
export const PRIMARY_PRECEDENCE = 7;

export function isInfixOperator(text: string): text is InfixOperator {
  return Object.hasOwn(INFIX_BUILTINS, text);
}
