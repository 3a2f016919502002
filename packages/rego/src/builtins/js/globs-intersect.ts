/**
 * regex.globs_match: can some string match both patterns? The patterns use the restricted
 * syntax OPA accepts here (from yashtewari/glob-intersection): `.` any character, `[…]`
 * classes with ranges and `^` negation, `\` escapes, literal characters, each optionally
 * followed by `*`, `+` or `?`. Each pattern is an NFA over character sets; we search the
 * product automaton for a common accepted word, which is linear in the product's size.
 */
import { builtinError } from '../builtin-error.js';

interface CharSet {
  readonly any: boolean;
  readonly negated: boolean;
  readonly ranges: readonly (readonly [number, number])[];
}

interface Token {
  readonly set: CharSet;
  readonly quant: '' | '*' | '+' | '?';
}

const MAX_CP = 0x10ffff;

function contains(set: CharSet, cp: number): boolean {
  if (set.any) return true;
  const inRanges = set.ranges.some(([a, b]) => cp >= a && cp <= b);
  return set.negated ? !inRanges : inRanges;
}

/** Two unions of intervals meet iff they share a point at one of their boundaries. */
function intersects(x: CharSet, y: CharSet): boolean {
  const points = new Set<number>([0, MAX_CP]);
  for (const s of [x, y]) {
    for (const [a, b] of s.ranges) {
      points.add(a);
      if (b + 1 <= MAX_CP) points.add(b + 1);
    }
  }
  for (const p of points) if (contains(x, p) && contains(y, p)) return true;
  return false;
}

function parse(pattern: string): Token[] {
  const cps = Array.from(pattern, (c) => c.codePointAt(0)!);
  const tokens: Token[] = [];
  let i = 0;
  // OPA's wording (its glob intersection library's): the input, the 1-based position reached.
  const bad = (why: string) =>
    builtinError(
      'regex.globs_match',
      `input:${pattern}, pos:${i + 1}, ${why}: the input provided is invalid`,
    );
  while (i < cps.length) {
    const c = cps[i]!;
    let set: CharSet;
    if (c === 0x2e /* . */) {
      set = { any: true, negated: false, ranges: [] };
      i++;
    } else if (c === 0x5b /* [ */) {
      i++;
      let negated = false;
      if (cps[i] === 0x5e /* ^ */) {
        negated = true;
        i++;
      }
      const ranges: [number, number][] = [];
      let closed = false;
      while (i < cps.length) {
        let a = cps[i]!;
        if (a === 0x5d /* ] */) {
          closed = true;
          i++;
          break;
        }
        if (a === 0x5c /* \ */) {
          i++;
          if (i >= cps.length) throw bad('trailing escape');
          a = cps[i]!;
        }
        i++;
        let b = a;
        if (cps[i] === 0x2d /* - */ && cps[i + 1] !== undefined && cps[i + 1] !== 0x5d) {
          i++;
          b = cps[i]!;
          if (b === 0x5c) {
            i++;
            b = cps[i] ?? b;
          }
          i++;
          if (b < a) throw bad('invalid range');
        }
        ranges.push([a, b]);
      }
      if (!closed) throw bad('unclosed character class');
      set = { any: false, negated, ranges };
    } else if (c === 0x5d /* ] */) {
      throw bad("set-close ']' with no preceding '['");
    } else if (c === 0x2a || c === 0x2b || c === 0x3f) {
      throw bad('quantifier without a character');
    } else {
      let lit = c;
      if (c === 0x5c) {
        i++;
        if (i >= cps.length) throw bad('trailing escape');
        lit = cps[i]!;
      }
      set = { any: false, negated: false, ranges: [[lit, lit]] };
      i++;
    }
    const q = cps[i];
    let quant: Token['quant'] = '';
    if (q === 0x2a) quant = '*';
    else if (q === 0x2b) quant = '+';
    else if (q === 0x3f) quant = '?';
    if (quant !== '') i++;
    if (quant === '+') {
      tokens.push({ set, quant: '' }, { set, quant: '*' });
    } else {
      tokens.push({ set, quant });
    }
  }
  return tokens;
}

/** States reachable from i without consuming (skipping optional tokens). */
function closure(tokens: readonly Token[], i: number): number[] {
  const out = [i];
  while (i < tokens.length && tokens[i]!.quant !== '') out.push(++i);
  return out;
}

export function globsMatch(a: string, b: string): boolean {
  const x = parse(a);
  const y = parse(b);
  const seen = new Set<number>();
  const width = y.length + 1;
  const stack: [number, number][] = [[0, 0]];
  while (stack.length > 0) {
    const [i0, j0] = stack.pop()!;
    for (const i of closure(x, i0)) {
      for (const j of closure(y, j0)) {
        const key = i * width + j;
        if (seen.has(key)) continue;
        seen.add(key);
        if (i === x.length && j === y.length) return true;
        const tx = x[i];
        const ty = y[j];
        if (tx === undefined || ty === undefined || !intersects(tx.set, ty.set)) continue;
        // Consuming one character: a starred token stays put, others advance.
        const ni = tx.quant === '*' ? i : i + 1;
        const nj = ty.quant === '*' ? j : j + 1;
        stack.push([ni, nj]);
      }
    }
  }
  return false;
}
