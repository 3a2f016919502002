/**
 * Visiting every term of compiled rules, closures and `every` bodies included; shared by the
 * checks that look at all refs or all calls.
 */
import type { Expr, Term } from '../ast/index.js';
import type { CompiledElse, CompiledRule } from './compiled-program.js';

export function walkTerm(t: Term, visit: (t: Term) => void): void {
  visit(t);
  switch (t.type) {
    case 'ref':
      walkTerm(t.head, visit);
      for (const p of t.path) walkTerm(p, visit);
      return;
    case 'array':
    case 'set':
      for (const i of t.items) walkTerm(i, visit);
      return;
    case 'object':
      for (const e of t.entries) {
        walkTerm(e.key, visit);
        walkTerm(e.value, visit);
      }
      return;
    case 'call':
      walkTerm(t.operator, visit);
      for (const a of t.args) walkTerm(a, visit);
      return;
    case 'array-comprehension':
    case 'set-comprehension':
      walkTerm(t.term, visit);
      walkExprs(t.body.exprs, visit);
      return;
    case 'object-comprehension':
      walkTerm(t.key, visit);
      walkTerm(t.value, visit);
      walkExprs(t.body.exprs, visit);
      return;
    default:
      return;
  }
}

export function walkExprs(exprs: readonly Expr[], visit: (t: Term) => void): void {
  for (const e of exprs) {
    for (const w of e.with) {
      walkTerm(w.target, visit);
      walkTerm(w.value, visit);
    }
    switch (e.type) {
      case 'term-expr':
        walkTerm(e.term, visit);
        break;
      case 'unify-expr':
      case 'assign-expr':
        walkTerm(e.lhs, visit);
        walkTerm(e.rhs, visit);
        break;
      case 'every':
        walkTerm(e.domain, visit);
        walkExprs(e.body.exprs, visit);
        break;
      case 'some-in':
        walkTerm(e.domain, visit);
        break;
      default:
        break;
    }
  }
}

export function walkRule(rule: CompiledRule, visit: (t: Term) => void): void {
  for (const a of rule.args ?? []) walkTerm(a, visit);
  if (rule.key !== undefined) walkTerm(rule.key, visit);
  for (const t of rule.refPath ?? []) walkTerm(t, visit);
  walkTerm(rule.value, visit);
  walkExprs(rule.body, visit);
  let e: CompiledElse | undefined = rule.else;
  while (e !== undefined) {
    walkTerm(e.value, visit);
    walkExprs(e.body, visit);
    e = e.else;
  }
}
