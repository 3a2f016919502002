/**
 * Which parts of `input` a compiled program can read. A caller that keeps decisions may then
 * share one between inputs that differ only where the policy never looks (two sessions of one
 * subject, when no rule reads `input.session.id`).
 *
 * The answer is an over-approximation: every ref rooted at `input` counts up to its first
 * element that is not a constant string, so `input.subject.claims[k]` reads all the claims, and
 * `input` itself, however it is used (bound to a var, passed to a function, walked), reads
 * everything. The one call seen through is `object.get(input, path, default)` with a
 * constant path, which reads only along it. Every rule counts, used or not, and `with input…`
 * targets count as reads.
 */
import type { Term } from '../ast/index.js';
import type { CompiledProgram } from './compiled-program.js';
import { walkRule } from './walk.js';

/**
 * The input paths `program` may read, none a prefix of another, sorted; `[[]]` when it may
 * read the whole input, `[]` when it never reads input.
 */
export function inputPaths(program: CompiledProgram): string[][] {
  const found: string[][] = [];
  // Input refs already accounted for by the call they are an argument of.
  const seen = new WeakSet<Term>();
  const visit = (t: Term): void => {
    if (t.type === 'call') {
      const path = objectGetPath(t);
      if (path !== undefined) {
        const target = t.args[0] as Extract<Term, { type: 'ref' }>;
        seen.add(target);
        seen.add(target.head);
        found.push(path);
      }
      return;
    }
    if (seen.has(t)) return;
    if (t.type === 'var' && t.name === 'input') {
      found.push([]);
      return;
    }
    if (t.type !== 'ref' || t.head.type !== 'var' || t.head.name !== 'input') return;
    seen.add(t.head);
    const path: string[] = [];
    for (const element of t.path) {
      if (element.type !== 'string') break;
      path.push(element.value);
    }
    found.push(path);
  };
  for (const group of program.groups) for (const rule of group.rules) walkRule(rule, visit);
  for (const group of program.groups) if (group.defaultRule) walkRule(group.defaultRule, visit);
  return minimal(found);
}

/** `object.get(input, "k", d)` or `object.get(input, ["k", …], d)`: the path read, else undefined. */
function objectGetPath(call: Extract<Term, { type: 'call' }>): string[] | undefined {
  const op = call.operator;
  if (op.head.type !== 'var' || op.head.name !== 'object' || op.path.length !== 1) return undefined;
  const name = op.path[0];
  if (name?.type !== 'string' || name.value !== 'get' || call.args.length !== 3) return undefined;
  const [target, key] = call.args;
  if (target?.type !== 'ref' || target.head.type !== 'var' || target.head.name !== 'input') return undefined;
  if (target.path.length > 0) return undefined;
  if (key?.type === 'string') return [key.value];
  if (key?.type !== 'array') return undefined;
  const path: string[] = [];
  for (const item of key.items) {
    if (item.type !== 'string') return undefined;
    path.push(item.value);
  }
  return path;
}

/** Drops every path that another one is a prefix of, and duplicates; sorted. */
function minimal(paths: string[][]): string[][] {
  const sorted = [...paths].sort((a, b) => a.length - b.length);
  const kept: string[][] = [];
  for (const p of sorted) if (!kept.some((k) => isPrefix(k, p))) kept.push(p);
  return kept.sort((a, b) => (a.join('\0') < b.join('\0') ? -1 : a.join('\0') > b.join('\0') ? 1 : 0));
}

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== path[i]) return false;
  return true;
}
