import type { InfixOperator } from '../ast/operators.js';
import { PRECEDENCE } from '../ast/operators.js';
import type { TokenKind } from '../scanner/token.js';

/**
 * Binary operator levels below `in`, loosest first, derived from the shared precedence table so
 * that parser and formatter cannot disagree. `in` (level 1) is parsed on its own because of its
 * `k, v in xs` form, and `:=`/`=` are not operators of terms at all but of expressions.
 */
export const BINARY_LEVELS: readonly (readonly InfixOperator[])[] = (() => {
  const levels = new Map<number, InfixOperator[]>();
  for (const [op, level] of Object.entries(PRECEDENCE) as [InfixOperator, number][]) {
    if (op === 'in') continue;
    const list = levels.get(level) ?? [];
    list.push(op);
    levels.set(level, list);
  }
  return [...levels.entries()].sort((a, b) => a[0] - b[0]).map(([, ops]) => ops);
})();

const levelOf: ReadonlyMap<TokenKind, number> = new Map(
  BINARY_LEVELS.flatMap((ops, index) => ops.map((op) => [op as TokenKind, index] as const)),
);

/** The index into BINARY_LEVELS of a token that is a binary operator, or -1. */
export function binaryLevel(kind: TokenKind): number {
  return levelOf.get(kind) ?? -1;
}
