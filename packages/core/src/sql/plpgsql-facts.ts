/**
 * Splits a PL/pgSQL body (a DO block or a LANGUAGE plpgsql function) into the SQL it will run.
 *
 * The libpg-query build we depend on exposes only the main grammar, not PostgreSQL's PL/pgSQL
 * parser, so this follows what pl_gram.y does at the level it matters here: control-flow
 * keywords at the start of a statement are PL/pgSQL's own, every expression is evaluated as
 * `SELECT <expr>`, and any other statement is SQL read up to its `;`. The SQL pieces are then
 * parsed by the real grammar; a piece it rejects is reported as opaque, never dropped.
 */

import { lexSql, statementEnd, type Token } from './sql-lexer.js';

export type PlpgsqlPieceKind =
  /** A SQL statement, with PL/pgSQL's own `INTO target` removed. */
  | 'sql'
  /** An expression PL/pgSQL evaluates as `SELECT <expr>`. */
  | 'expr'
  /** EXECUTE: `literal` is set when the command is a single string constant. */
  | 'execute'
  /** Something this scanner could not place; its effects are unknown. */
  | 'opaque';

export interface PlpgsqlPiece {
  kind: PlpgsqlPieceKind;
  /** What to hand to the SQL grammar (for `expr`, the bare expression). */
  sql: string;
  /** The piece as written in the body. */
  text: string;
  literal?: string;
}

/** Statements that can follow `FOR x IN` as a query rather than a range or a cursor name. */
const QUERY_START = new Set(['select', 'with', 'values', 'table', 'insert', 'update', 'delete', 'merge']);
/** Statements whose `INTO` (outside INSERT INTO / MERGE INTO) is PL/pgSQL's variable target. */
const INTO_CAPABLE = QUERY_START;

export function scanPlpgsql(body: string): PlpgsqlPiece[] {
  return new PlpgsqlScanner(body).scan();
}

class PlpgsqlScanner {
  readonly #body: string;
  readonly #toks: Token[];
  readonly #out: PlpgsqlPiece[] = [];

  constructor(body: string) {
    this.#body = body;
    this.#toks = lexSql(body, { postgres: true });
  }

  scan(): PlpgsqlPiece[] {
    const toks = this.#toks;
    const n = toks.length;
    let declaring = false;
    let i = 0;
    while (i < n) {
      const t = toks[i]!;
      if (t.kind === 'semicolon') {
        i++;
        continue;
      }
      if (t.kind === 'op' && t.value === '<<') {
        const close = this.#findOp(i + 1, n, '>>');
        i = close < 0 ? n : close + 1;
        continue;
      }
      const w = this.#word(i);
      const end = statementEnd(toks, i);
      if (declaring && w !== 'begin') {
        this.#declaration(i, end);
        i = end + 1;
        continue;
      }
      i = this.#statement(w, i, end, (d) => {
        declaring = d;
      });
    }
    return this.#out;
  }

  /** Handles the statement starting at `i`; returns where the next one starts. */
  #statement(w: string, i: number, end: number, setDeclaring: (d: boolean) => void): number {
    switch (w) {
      case 'declare':
        setDeclaring(true);
        return i + 1;
      case 'begin':
        setDeclaring(false);
        return i + 1;
      case 'end':
      case 'get':
      case 'fetch':
      case 'move':
      case 'close':
      case 'null':
        return end + 1;
      case 'else':
      case 'loop':
      case 'exception':
        return i + 1;
      case 'if':
      case 'elsif':
      case 'elseif':
        return this.#condition(i, end, 'then');
      case 'while':
        return this.#condition(i, end, 'loop');
      case 'when': {
        // An exception condition or a CASE branch value: no SQL runs that we could name.
        const then = this.#findWord(i + 1, end, 'then');
        return then < 0 ? end + 1 : then + 1;
      }
      case 'case': {
        const when = this.#findWord(i + 1, end, 'when');
        if (when < 0) return this.#opaque(i, end);
        this.#expr(i + 1, when);
        return when;
      }
      case 'for':
      case 'foreach':
        return this.#forLoop(i, end);
      case 'return':
        this.#return(i, end);
        return end + 1;
      case 'raise':
        this.#raise(i, end);
        return end + 1;
      case 'assert':
        this.#expr(i + 1, end);
        return end + 1;
      case 'exit':
      case 'continue': {
        const when = this.#findWord(i + 1, end, 'when');
        if (when >= 0) this.#expr(when + 1, end);
        return end + 1;
      }
      case 'perform':
        if (end > i + 1) {
          this.#out.push({ kind: 'sql', sql: 'SELECT ' + this.#text(i + 1, end), text: this.#text(i, end) });
        }
        return end + 1;
      case 'execute':
        this.#execute(i + 1, end);
        return end + 1;
      case 'open': {
        const forAt = this.#findWord(i + 1, end, 'for');
        if (forAt >= 0) {
          if (this.#word(forAt + 1) === 'execute') this.#execute(forAt + 2, end);
          else this.#sql(forAt + 1, end);
        }
        return end + 1;
      }
      default: {
        const assign = this.#assignment(i, end);
        if (assign >= 0) this.#expr(assign + 1, end);
        else this.#sql(i, end);
        return end + 1;
      }
    }
  }

  #condition(i: number, end: number, closer: string): number {
    const at = this.#findWord(i + 1, end, closer);
    if (at < 0) return this.#opaque(i, end);
    this.#expr(i + 1, at);
    return at + 1;
  }

  #forLoop(i: number, end: number): number {
    const loop = this.#findWord(i + 1, end, 'loop');
    const inAt = loop < 0 ? -1 : this.#findWord(i + 1, loop, 'in');
    if (inAt < 0) return this.#opaque(i, end);
    let s = inAt + 1;
    if (this.#word(s) === 'reverse' || this.#word(s) === 'array') s++;
    const first = this.#word(s);
    if (first === 'execute') this.#execute(s + 1, loop);
    else if (QUERY_START.has(first) || this.#toks[s]?.kind === 'lparen') this.#sql(s, loop);
    else {
      // An integer range (a .. b) or a bound cursor's arguments: expressions.
      const range = this.#findOp(s, loop, '..');
      if (range < 0) this.#expr(s, loop);
      else {
        this.#expr(s, range);
        this.#expr(range + 1, loop);
      }
    }
    return loop + 1;
  }

  #return(i: number, end: number): void {
    const next = this.#word(i + 1);
    if (next === 'query') {
      if (this.#word(i + 2) === 'execute') this.#execute(i + 3, end);
      else this.#sql(i + 2, end);
    } else if (next === 'next') this.#expr(i + 2, end);
    else this.#expr(i + 1, end);
  }

  #raise(i: number, end: number): void {
    for (let j = i + 1; j < end; j++) {
      const t = this.#toks[j]!;
      if (t.kind === 'string') {
        if (this.#toks[j + 1]?.kind === 'comma') {
          const using = this.#findWord(j + 2, end, 'using');
          this.#expr(j + 2, using < 0 ? end : using);
        }
        return;
      }
      if (t.kind === 'word' && t.value === 'using') return;
    }
  }

  #execute(a: number, end: number): void {
    if (a >= end) {
      this.#opaqueRange(a, end);
      return;
    }
    const stop = this.#findWord(a, end, 'into', 'using');
    const last = stop < 0 ? end : stop;
    const only = this.#toks[a]!;
    const text = this.#text(a, last);
    if (last === a + 1 && only.kind === 'string') {
      this.#out.push({ kind: 'execute', sql: text, text, literal: only.value });
    } else {
      this.#out.push({ kind: 'execute', sql: text, text });
    }
  }

  #declaration(a: number, end: number): void {
    const cursor = this.#findWord(a, end, 'cursor');
    if (cursor >= 0) {
      const query = this.#findWord(cursor + 1, end, 'for', 'is');
      if (query >= 0) this.#sql(query + 1, end);
      return;
    }
    if (this.#word(a + 1) === 'alias') return;
    for (let j = a + 1; j < end; j++) {
      const t = this.#toks[j]!;
      if (
        (t.kind === 'op' && (t.value === ':=' || t.value === '=')) ||
        (t.kind === 'word' && t.value === 'default')
      ) {
        this.#expr(j + 1, end);
        return;
      }
      if (t.kind === 'lparen') j = this.#matchParen(j);
    }
  }

  /** `target := expr` / `target = expr`: index of the operator, or -1. */
  #assignment(a: number, end: number): number {
    const toks = this.#toks;
    let j = a;
    const isName = (k: number) => toks[k]?.kind === 'word' || toks[k]?.kind === 'qident';
    if (!isName(j)) return -1;
    j++;
    while (j < end) {
      const t = toks[j]!;
      if (t.kind === 'op' && t.value === '.' && isName(j + 1)) j += 2;
      else if (t.kind === 'op' && t.value === '[') {
        const close = this.#findOp(j + 1, end, ']');
        if (close < 0) return -1;
        j = close + 1;
      } else break;
    }
    const op = toks[j];
    return op !== undefined && op.kind === 'op' && (op.value === ':=' || op.value === '=') && j < end
      ? j
      : -1;
  }

  #sql(a: number, end: number): void {
    if (a >= end) return;
    const text = this.#text(a, end);
    let sql = text;
    if (INTO_CAPABLE.has(this.#word(a))) {
      const into = this.#intoTarget(a, end);
      if (into !== undefined) {
        const base = this.#toks[a]!.start;
        const from = this.#toks[into[0]]!.start - base;
        const to = into[1] < end ? this.#toks[into[1]]!.start - base : text.length;
        sql = `${text.slice(0, from).trimEnd()} ${text.slice(to).trimStart()}`.trim();
      }
    }
    this.#out.push({ kind: 'sql', sql, text });
  }

  /** Token range [into, after-targets) of PL/pgSQL's `INTO [STRICT] a, b.c`, if present. */
  #intoTarget(a: number, end: number): [number, number] | undefined {
    const toks = this.#toks;
    let depth = 0;
    for (let j = a; j < end; j++) {
      const t = toks[j]!;
      if (t.kind === 'lparen') depth++;
      else if (t.kind === 'rparen') depth--;
      else if (depth === 0 && t.kind === 'word' && t.value === 'into') {
        const prev = this.#word(j - 1);
        if (prev === 'insert' || prev === 'merge') continue;
        let k = j + 1;
        if (this.#word(k) === 'strict') k++;
        while (k < end) {
          const kind = toks[k]!.kind;
          if (kind !== 'word' && kind !== 'qident') break;
          k++;
          while (k < end && toks[k]!.kind === 'op' && toks[k]!.value === '.') k += 2;
          if (k < end && toks[k]!.kind === 'comma') k++;
          else break;
        }
        return [j, k];
      }
    }
    return undefined;
  }

  #expr(a: number, end: number): void {
    if (a >= end) return;
    const text = this.#text(a, end);
    this.#out.push({ kind: 'expr', sql: text, text });
  }

  #opaque(i: number, end: number): number {
    this.#opaqueRange(i, end);
    return end + 1;
  }

  #opaqueRange(a: number, end: number): void {
    const text = this.#text(Math.max(0, a - 1), end);
    this.#out.push({ kind: 'opaque', sql: text, text });
  }

  #text(a: number, end: number): string {
    if (a >= end) return '';
    return this.#body.slice(this.#toks[a]!.start, this.#toks[end - 1]!.end);
  }

  #word(k: number): string {
    const t = this.#toks[k];
    return t !== undefined && t.kind === 'word' ? t.value : '';
  }

  #findWord(from: number, to: number, ...words: string[]): number {
    let depth = 0;
    for (let j = from; j < to; j++) {
      const t = this.#toks[j]!;
      if (t.kind === 'lparen') depth++;
      else if (t.kind === 'rparen') depth--;
      else if (depth === 0 && t.kind === 'word' && words.includes(t.value)) return j;
    }
    return -1;
  }

  #findOp(from: number, to: number, op: string): number {
    for (let j = from; j < to; j++) {
      const t = this.#toks[j]!;
      if (t.kind === 'op' && t.value === op) return j;
    }
    return -1;
  }

  #matchParen(open: number): number {
    let depth = 0;
    for (let j = open; j < this.#toks.length; j++) {
      const kind = this.#toks[j]!.kind;
      if (kind === 'lparen') depth++;
      else if (kind === 'rparen' && --depth === 0) return j;
    }
    return this.#toks.length;
  }
}
