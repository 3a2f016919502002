/**
 * The one place policy-supplied patterns are compiled: RE2 (linear time, Go's syntax), never
 * JS RegExp. Compiled patterns are kept in a small LRU because policies call the same few
 * patterns on every request.
 */
import { createRequire } from 'node:module';
import type RE2Module from 're2';
import { builtinError } from '../builtin-error.js';

type RE2 = InstanceType<typeof RE2Module>;

const RE2Ctor = createRequire(import.meta.url)('re2') as typeof RE2Module;

const CACHE_SIZE = 256;
const cache = new Map<string, RE2 | Error>();

/** Compile (or fetch) a pattern; throws the RE2 error unwrapped. */
export function compileRe2(pattern: string): RE2 {
  let re = cache.get(pattern);
  if (re !== undefined) {
    cache.delete(pattern);
    cache.set(pattern, re);
  } else {
    try {
      // 'g' so exec honours lastIndex (we drive iteration ourselves), 'u' so '.' and classes
      // see code points as Go's regexp sees runes.
      re = new RE2Ctor(pattern, 'gu');
    } catch (err) {
      re = err instanceof Error ? err : new Error(String(err));
    }
    cache.set(pattern, re);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  if (re instanceof Error) throw re;
  return re;
}

/** Compile for a builtin, raising OPA's `error parsing regexp` builtin error. */
export function regexFor(builtin: string, pattern: string): RE2 {
  try {
    return compileRe2(pattern);
  } catch (err) {
    throw builtinError(builtin, `error parsing regexp: ${(err as Error).message}`, err);
  }
}

export interface Match {
  /** Start and end (UTF-16 offsets) of the whole match. */
  readonly spans: readonly (readonly [number, number])[];
  readonly groups: readonly (string | undefined)[];
  readonly names: Readonly<Record<string, string | undefined>>;
}

/**
 * Go's allMatches: successive leftmost matches; an empty match right after the previous
 * match is dropped, and an empty match advances by one rune. n < 0 means all.
 */
export function findAll(re: RE2, s: string, n: number): Match[] {
  const out: Match[] = [];
  if (n === 0) return out;
  let pos = 0;
  let prevEnd = -1;
  while ((n < 0 || out.length < n) && pos <= s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) break;
    const start = m.index;
    const end = start + m[0].length;
    let accept = true;
    if (end === start) {
      if (start === prevEnd) accept = false;
      const cp = s.codePointAt(end);
      pos = cp === undefined ? s.length + 1 : end + (cp > 0xffff ? 2 : 1);
    } else {
      pos = end;
    }
    prevEnd = end;
    if (accept) out.push(toMatch(m, start));
  }
  re.lastIndex = 0;
  return out;
}

function toMatch(m: RegExpExecArray, start: number): Match {
  const groups: (string | undefined)[] = [];
  // The re2 binding reports no offsets for groups, so only the whole match has a span.
  const spans: [number, number][] = [[start, start + m[0].length]];
  for (let i = 0; i < m.length; i++) groups.push(m[i]);
  const names: Record<string, string | undefined> = {};
  if (m.groups) for (const [k, v] of Object.entries(m.groups)) names[k] = v;
  return { spans, groups, names };
}

/** Go's MatchString: is there a match anywhere in s. */
export function matchesAt(re: RE2, s: string): boolean {
  re.lastIndex = 0;
  const ok = re.test(s);
  re.lastIndex = 0;
  return ok;
}
