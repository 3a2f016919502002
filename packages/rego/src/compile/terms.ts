/**
 * Small helpers over AST terms shared by the compile stages: constructors for the terms the
 * compiler synthesises, var collection, and ref inspection.
 */
import type { Body, Expr, Location, RefTerm, StringTerm, Term, VarTerm } from '../ast/index.js';

export function varTerm(name: string, loc: Location): VarTerm {
  return { type: 'var', name, loc };
}

export function stringTerm(value: string, loc: Location): StringTerm {
  return { type: 'string', value, loc };
}

export function trueTerm(loc: Location): Term {
  return { type: 'boolean', value: true, loc };
}

export function dataRef(path: readonly string[], loc: Location, rest: readonly Term[] = []): RefTerm {
  return {
    type: 'ref',
    head: varTerm('data', loc),
    path: [...path.map((p) => stringTerm(p, loc)), ...rest],
    loc,
  };
}

/** `base[key]`, flattening when base is already a ref. */
export function indexTerm(base: Term, key: Term, loc: Location): RefTerm {
  if (base.type === 'ref') return { ...base, path: [...base.path, key], loc };
  if (base.type === 'var' || base.type === 'array' || base.type === 'object' || base.type === 'set')
    return { type: 'ref', head: base, path: [key], loc };
  if (
    base.type === 'call' ||
    base.type === 'array-comprehension' ||
    base.type === 'set-comprehension' ||
    base.type === 'object-comprehension'
  )
    return { type: 'ref', head: base, path: [key], loc };
  // Scalars cannot be indexed; the planner turns this into a failing lookup.
  return { type: 'ref', head: { type: 'array', items: [base], loc }, path: [key], loc };
}

/** The leading string elements of a ref's path: `data.a.b[x].c` → ["a", "b"]. */
export function staticPrefix(ref: RefTerm): string[] {
  const out: string[] = [];
  for (const p of ref.path) {
    if (p.type !== 'string') break;
    out.push(p.value);
  }
  return out;
}

export function isRootRef(term: Term, root: 'data' | 'input'): term is RefTerm {
  return term.type === 'ref' && term.head.type === 'var' && term.head.name === root;
}

/** Calls `visit` on every var of a term; closures (comprehensions) only when `closures`. */
export function forEachVar(term: Term, visit: (v: VarTerm) => void, closures = true): void {
  switch (term.type) {
    case 'var':
      visit(term);
      return;
    case 'ref':
      if (term.head.type !== 'var' || (term.head.name !== 'data' && term.head.name !== 'input'))
        forEachVar(term.head, visit, closures);
      for (const p of term.path) forEachVar(p, visit, closures);
      return;
    case 'array':
    case 'set':
      for (const t of term.items) forEachVar(t, visit, closures);
      return;
    case 'object':
      for (const e of term.entries) {
        forEachVar(e.key, visit, closures);
        forEachVar(e.value, visit, closures);
      }
      return;
    case 'call':
      for (const a of term.args) forEachVar(a, visit, closures);
      return;
    case 'array-comprehension':
    case 'set-comprehension':
      if (!closures) return;
      forEachVar(term.term, visit, closures);
      forEachVarInBody(term.body.exprs, visit);
      return;
    case 'object-comprehension':
      if (!closures) return;
      forEachVar(term.key, visit, closures);
      forEachVar(term.value, visit, closures);
      forEachVarInBody(term.body.exprs, visit);
      return;
    default:
      return;
  }
}

export function forEachVarInExpr(expr: Expr, visit: (v: VarTerm) => void, closures = true): void {
  for (const w of expr.with) forEachVar(w.value, visit, closures);
  switch (expr.type) {
    case 'term-expr':
      forEachVar(expr.term, visit, closures);
      return;
    case 'assign-expr':
    case 'unify-expr':
      forEachVar(expr.lhs, visit, closures);
      forEachVar(expr.rhs, visit, closures);
      return;
    case 'some-decl':
      for (const v of expr.vars) visit(v);
      return;
    case 'some-in':
      if (expr.key !== undefined) forEachVar(expr.key, visit, closures);
      forEachVar(expr.value, visit, closures);
      forEachVar(expr.domain, visit, closures);
      return;
    case 'every':
      if (expr.key !== undefined) visit(expr.key);
      visit(expr.value);
      forEachVar(expr.domain, visit, closures);
      if (closures) forEachVarInBody(expr.body.exprs, visit);
      return;
  }
}

export function forEachVarInBody(exprs: readonly Expr[], visit: (v: VarTerm) => void): void {
  for (const e of exprs) forEachVarInExpr(e, visit, true);
}

export function varNames(term: Term, closures = true): Set<string> {
  const out = new Set<string>();
  forEachVar(term, (v) => out.add(v.name), closures);
  return out;
}

export function bodyOf(exprs: readonly Expr[], loc: Location): Body {
  return { type: 'body', exprs, loc };
}

/** Source text of a data path for messages: `data.a.b`. */
export function pathText(path: readonly string[]): string {
  return ['data', ...path].join('.');
}

/** A function's name as written in a call operator: `count`, `a.b.c`. */
export function operatorName(ref: RefTerm): string | undefined {
  if (ref.head.type !== 'var') return undefined;
  const parts = [ref.head.name];
  for (const p of ref.path) {
    if (p.type !== 'string') return undefined;
    parts.push(p.value);
  }
  return parts.join('.');
}
