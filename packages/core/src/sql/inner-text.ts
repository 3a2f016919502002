/**
 * The text of a statement nested in another one. PostgreSQL's raw parse tree gives a nested
 * statement no location of its own, so its text is recovered from the outer text with the
 * tokenizer: the parenthesised body of a CTE or COPY (…), or what follows EXPLAIN's options,
 * PREPARE's AS and a rule's DO. An empty string means the shape was not found.
 */

import { lexSql, type Token } from './sql-lexer.js';

const EXPLAIN_WORDS = new Set(['analyze', 'analyse', 'verbose']);
const RULE_WORDS = new Set(['also', 'instead']);

function matchParen(toks: readonly Token[], open: number): number {
  let depth = 0;
  for (let j = open; j < toks.length; j++) {
    const kind = toks[j]!.kind;
    if (kind === 'lparen') depth++;
    else if (kind === 'rparen' && --depth === 0) return j;
  }
  return -1;
}

function topLevelWord(toks: readonly Token[], word: string): number {
  let depth = 0;
  for (let j = 0; j < toks.length; j++) {
    const t = toks[j]!;
    if (t.kind === 'lparen') depth++;
    else if (t.kind === 'rparen') depth--;
    else if (depth === 0 && t.kind === 'word' && t.value === word) return j;
  }
  return -1;
}

function rest(text: string, toks: readonly Token[], from: number): string {
  const first = toks[from];
  if (first === undefined) return '';
  let last = toks.length - 1;
  while (last > from && toks[last]!.kind === 'semicolon') last--;
  return text.slice(first.start, toks[last]!.end).trim();
}

/** Inside the first parentheses after `word`: `d AS MATERIALIZED (…)`, `COPY (…) TO`. */
export function parenthesisedText(text: string, word: string): string {
  const toks = lexSql(text, { postgres: true });
  const at = topLevelWord(toks, word);
  if (at < 0) return '';
  let open = at + 1;
  while (toks[open]?.kind === 'word') open++;
  if (toks[open]?.kind !== 'lparen') return '';
  const close = matchParen(toks, open);
  if (close < 0 || close === open + 1) return '';
  return text.slice(toks[open + 1]!.start, toks[close - 1]!.end).trim();
}

/** What follows `EXPLAIN [(options)] [ANALYZE] [VERBOSE]`, `PREPARE p AS`, `… DO [INSTEAD]`. */
export function innerTextAfterKeyword(text: string, word: 'explain' | 'as' | 'do'): string {
  const toks = lexSql(text, { postgres: true });
  const at = topLevelWord(toks, word);
  if (at < 0) return '';
  let from = at + 1;
  if (word === 'explain') {
    if (toks[from]?.kind === 'lparen') from = matchParen(toks, from) + 1;
    while (from > 0 && toks[from]?.kind === 'word' && EXPLAIN_WORDS.has(toks[from]!.value)) from++;
  } else if (word === 'do') {
    while (toks[from]?.kind === 'word' && RULE_WORDS.has(toks[from]!.value)) from++;
  }
  if (from <= 0) return '';
  return rest(text, toks, from);
}
