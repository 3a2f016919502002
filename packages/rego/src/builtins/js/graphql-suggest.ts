/**
 * "Did you mean …?" hints on validation errors, chosen and worded as gqlparser does (after
 * graphql-js): options within a small edit distance of what was typed, nearest first.
 */

/** Levenshtein distance over code points, where a difference only in case counts as one edit. */
function lexicalDistance(a: string, b: string): number {
  if (a === b) return 0;
  const x = [...a.toLowerCase()];
  const y = [...b.toLowerCase()];
  if (x.join('') === y.join('')) return 1;
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[y.length]!;
}

/** The options close enough to `input`, nearest first (ties keep their order). */
export function suggestionList(input: string, options: readonly string[]): string[] {
  const threshold = Math.max(1, Math.floor([...input].length * 0.4) + 1);
  return options
    .map((option, index) => ({ option, index, distance: lexicalDistance(input, option) }))
    .filter((o) => o.distance <= threshold)
    .sort((p, q) => p.distance - q.distance || p.index - q.index)
    .map((o) => o.option);
}

/** `A`, `A or B`, `A, B, or C`, at most five items. */
export function orList(items: readonly string[]): string {
  const shown = items.slice(0, 5);
  if (shown.length === 2) return `${shown[0]} or ${shown[1]}`;
  return shown
    .map((item, i) => (i === 0 ? item : i === shown.length - 1 ? `, or ${item}` : `, ${item}`))
    .join('');
}

export const quotedOrList = (items: readonly string[]): string => orList(items.map((i) => `"${i}"`));

/** ` <prefix> "a" or "b"?` when something is close to `typed`, else nothing. */
export function didYouMean(prefix: string, typed: string, options: readonly string[], quoted = true): string {
  const suggested = suggestionList(typed, options);
  if (suggested.length === 0) return '';
  return ` ${prefix} ${quoted ? quotedOrList(suggested) : orList(suggested)}?`;
}
