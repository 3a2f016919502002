/**
 * Stage: safety. Reorders each body so that every expression's inputs are bound by the
 * expressions before it (OPA's reorderBodyForSafety: repeatedly take the first expression
 * that can run), recursing into closures with the vars bound where they occur, and reports
 * "var x is unsafe" for vars nothing can bind — in bodies and in rule heads.
 */
import type { Expr, Location, Term } from '../ast/index.js';
import { DiagnosticCodes, type DiagnosticCollector } from '../diagnostics/index.js';
import type { CompiledElse, CompiledRule } from './compiled-program.js';
import { BUILTIN_VALUE_PREFIX, isGeneratedVar } from './compiled-program.js';
import { type CompileContext, report } from './context.js';
import { bodyOf, forEachVar, forEachVarInExpr } from './terms.js';

type Vars = Set<string>;

interface SafetyEnv {
  readonly diagnostics: DiagnosticCollector;
  readonly displayNames: ReadonlyMap<string, string>;
}

function isClosure(t: Term): boolean {
  return (
    t.type === 'array-comprehension' || t.type === 'set-comprehension' || t.type === 'object-comprehension'
  );
}

/** Vars a closure takes from outside: its vars that are visible in the enclosing scopes. */
function closureFree(t: Term, visible: Vars, out: Vars): void {
  forEachVar(t, (v) => {
    if (visible.has(v.name)) out.add(v.name);
  });
}

/** Needs (must be bound first) and outputs (bound by iteration) of evaluating a term. */
function termInfo(t: Term, bound: Vars, visible: Vars, needs: Vars, outs: Vars): void {
  switch (t.type) {
    case 'var':
      if (!bound.has(t.name)) needs.add(t.name);
      return;
    case 'ref':
      if (t.head.type === 'var') {
        if (t.head.name !== 'input' && t.head.name !== 'data' && !bound.has(t.head.name))
          needs.add(t.head.name);
      } else termInfo(t.head, bound, visible, needs, outs);
      for (const p of t.path) {
        if (p.type === 'var') {
          if (!bound.has(p.name)) outs.add(p.name);
        } else if (p.type === 'array' || p.type === 'object') {
          patternInfo(p, bound, visible, needs, outs);
        } else termInfo(p, bound, visible, needs, outs);
      }
      return;
    case 'array':
    case 'set':
      for (const i of t.items) termInfo(i, bound, visible, needs, outs);
      return;
    case 'object':
      for (const e of t.entries) {
        termInfo(e.key, bound, visible, needs, outs);
        termInfo(e.value, bound, visible, needs, outs);
      }
      return;
    case 'call':
      for (const a of t.args) termInfo(a, bound, visible, needs, outs);
      return;
    case 'array-comprehension':
    case 'set-comprehension':
    case 'object-comprehension': {
      const free = new Set<string>();
      closureFree(t, visible, free);
      for (const v of free) if (!bound.has(v)) needs.add(v);
      return;
    }
    default:
      return;
  }
}

/** Like termInfo, but unbound vars in pattern positions (vars, array items, object values) are outputs. */
function patternInfo(t: Term, bound: Vars, visible: Vars, needs: Vars, outs: Vars): void {
  if (t.type === 'var') {
    if (!bound.has(t.name)) outs.add(t.name);
    return;
  }
  if (t.type === 'array') {
    for (const i of t.items) patternInfo(i, bound, visible, needs, outs);
    return;
  }
  if (t.type === 'object') {
    for (const e of t.entries) {
      termInfo(e.key, bound, visible, needs, outs);
      patternInfo(e.value, bound, visible, needs, outs);
    }
    return;
  }
  termInfo(t, bound, visible, needs, outs);
}

function hasPatternVars(t: Term, bound: Vars): boolean {
  if (t.type === 'var') return !bound.has(t.name);
  if (t.type === 'array') return t.items.some((i) => hasPatternVars(i, bound));
  if (t.type === 'object') return t.entries.some((e) => hasPatternVars(e.value, bound));
  return false;
}

/** Whether `a = b` can be planned: not both sides open, unless they decompose pairwise. */
function unifiable(a: Term, b: Term, bound: Vars): boolean {
  if (!hasPatternVars(a, bound) || !hasPatternVars(b, bound)) return true;
  if (a.type === 'array' && b.type === 'array' && a.items.length === b.items.length) {
    const local = new Set(bound);
    return a.items.every((x, i) => {
      const y = b.items[i];
      if (y === undefined || !unifiable(x, y, local)) return false;
      forEachVar(x, (v) => local.add(v.name));
      forEachVar(y, (v) => local.add(v.name));
      return true;
    });
  }
  if (a.type === 'object' && b.type === 'object' && a.entries.length === b.entries.length) return true;
  return false;
}

function exprInfo(e: Expr, bound: Vars, visible: Vars): { needs: Vars; outs: Vars; ok: boolean } {
  const needs = new Set<string>();
  const outs = new Set<string>();
  for (const w of e.with)
    if (!(w.value.type === 'var' && w.value.name.startsWith(BUILTIN_VALUE_PREFIX)))
      termInfo(w.value, bound, visible, needs, outs);
  let ok = true;
  if (e.negated) {
    forEachVarInExpr(
      e,
      (v) => {
        if (!bound.has(v.name) && !isGeneratedVar(v.name)) needs.add(v.name);
      },
      false,
    );
    collectClosureNeeds(e, bound, visible, needs);
    return { needs, outs: new Set(), ok };
  }
  switch (e.type) {
    case 'term-expr':
      termInfo(e.term, bound, visible, needs, outs);
      break;
    case 'unify-expr':
      patternInfo(e.lhs, bound, visible, needs, outs);
      patternInfo(e.rhs, bound, visible, needs, outs);
      ok = unifiable(e.lhs, e.rhs, bound);
      break;
    case 'every': {
      termInfo(e.domain, bound, visible, needs, new Set());
      const own = new Set([e.value.name, ...(e.key === undefined ? [] : [e.key.name])]);
      for (const x of e.body.exprs)
        forEachVarInExpr(x, (v) => {
          if (visible.has(v.name) && !bound.has(v.name) && !own.has(v.name)) needs.add(v.name);
        });
      break;
    }
    default:
      break;
  }
  // A var the expression binds itself is not a precondition (`x = [1][x]` aside).
  for (const v of outs) needs.delete(v);
  return { needs, outs, ok };
}

function collectClosureNeeds(e: Expr, bound: Vars, visible: Vars, needs: Vars): void {
  const visit = (t: Term): void => {
    if (isClosure(t)) termInfo(t, bound, visible, needs, new Set());
  };
  forEachTopTerm(e, visit);
}

function forEachTopTerm(e: Expr, visit: (t: Term) => void): void {
  const walk = (t: Term): void => {
    visit(t);
    if (isClosure(t)) return;
    switch (t.type) {
      case 'ref':
        walk(t.head);
        t.path.forEach(walk);
        return;
      case 'array':
      case 'set':
        t.items.forEach(walk);
        return;
      case 'object':
        for (const x of t.entries) {
          walk(x.key);
          walk(x.value);
        }
        return;
      case 'call':
        t.args.forEach(walk);
        return;
      default:
        return;
    }
  };
  if (e.type === 'term-expr') walk(e.term);
  else if (e.type === 'unify-expr') {
    walk(e.lhs);
    walk(e.rhs);
  } else if (e.type === 'every') walk(e.domain);
}

/** Orders a body; returns the ordered expressions and the vars bound after it. */
export function orderBody(
  env: SafetyEnv,
  exprs: readonly Expr[],
  bound0: ReadonlySet<string>,
  visible0: ReadonlySet<string>,
): { exprs: Expr[]; bound: Vars } {
  const bound = new Set(bound0);
  const visible = new Set(visible0);
  for (const e of exprs) forEachVarInExpr(e, (v) => visible.add(v.name), false);
  const remaining = [...exprs];
  const out: Expr[] = [];
  while (remaining.length > 0) {
    const index = remaining.findIndex((e) => {
      const info = exprInfo(e, bound, visible);
      return info.ok && info.needs.size === 0;
    });
    if (index < 0) {
      reportUnsafe(env, remaining, bound, visible);
      out.push(...remaining);
      break;
    }
    const [expr] = remaining.splice(index, 1);
    if (expr === undefined) break;
    out.push(orderClosures(env, expr, bound, visible));
    forEachVarInExpr(
      expr,
      (v) => {
        if (!expr.negated && expr.type !== 'every') bound.add(v.name);
      },
      false,
    );
  }
  return { exprs: out, bound };
}

function reportUnsafe(env: SafetyEnv, remaining: readonly Expr[], bound: Vars, visible: Vars): void {
  const reported = new Set<string>();
  // Vars some remaining expression could still bind are not the culprits; report the rest.
  const bindable = new Set<string>();
  for (const e of remaining) for (const v of exprInfo(e, bound, visible).outs) bindable.add(v);
  for (const e of remaining) {
    const { needs } = exprInfo(e, bound, visible);
    const culprits = [...needs].filter((v) => !bindable.has(v));
    for (const v of culprits.length > 0 ? culprits : [...needs]) {
      if (reported.has(v)) continue;
      reported.add(v);
      unsafe(env, v, e.loc);
    }
  }
  if (reported.size === 0) {
    const first = remaining[0];
    if (first !== undefined) {
      const names = new Set<string>();
      forEachVarInExpr(first, (v) => {
        if (!bound.has(v.name)) names.add(v.name);
      });
      for (const v of names) unsafe(env, v, first.loc);
    }
  }
}

function unsafe(env: SafetyEnv, name: string, loc: Location): void {
  const display = isGeneratedVar(name) ? '_' : (env.displayNames.get(name) ?? name);
  report(env, DiagnosticCodes.unsafeVar, `var ${display} is unsafe`, loc);
}

function orderClosures(env: SafetyEnv, e: Expr, bound: Vars, visible: Vars): Expr {
  const mapTerm = (t: Term): Term => orderTermClosures(env, t, bound, visible);
  const withs = e.with.map((w) => ({ ...w, value: mapTerm(w.value) }));
  switch (e.type) {
    case 'term-expr':
      return { ...e, with: withs, term: mapTerm(e.term) };
    case 'unify-expr':
      return { ...e, with: withs, lhs: mapTerm(e.lhs), rhs: mapTerm(e.rhs) };
    case 'every': {
      const inner = new Set(bound);
      if (e.key !== undefined) inner.add(e.key.name);
      inner.add(e.value.name);
      const body = orderBody(env, e.body.exprs, inner, new Set([...visible, ...inner]));
      return { ...e, with: withs, domain: mapTerm(e.domain), body: bodyOf(body.exprs, e.body.loc) };
    }
    default:
      return e;
  }
}

function orderTermClosures(env: SafetyEnv, t: Term, bound: Vars, visible: Vars): Term {
  const rec = (x: Term): Term => orderTermClosures(env, x, bound, visible);
  switch (t.type) {
    case 'ref':
      return { ...t, head: rec(t.head) as typeof t.head, path: t.path.map(rec) };
    case 'array':
    case 'set':
      return { ...t, items: t.items.map(rec) };
    case 'object':
      return { ...t, entries: t.entries.map((x) => ({ ...x, key: rec(x.key), value: rec(x.value) })) };
    case 'call':
      return { ...t, args: t.args.map(rec) };
    case 'array-comprehension':
    case 'set-comprehension': {
      const body = orderBody(env, t.body.exprs, bound, visible);
      checkHead(env, t.term, body.bound, t.loc);
      return { ...t, body: bodyOf(body.exprs, t.body.loc) };
    }
    case 'object-comprehension': {
      const body = orderBody(env, t.body.exprs, bound, visible);
      checkHead(env, t.key, body.bound, t.loc);
      checkHead(env, t.value, body.bound, t.loc);
      return { ...t, body: bodyOf(body.exprs, t.body.loc) };
    }
    default:
      return t;
  }
}

function checkHead(env: SafetyEnv, t: Term, bound: Vars, loc: Location): void {
  const seen = new Set<string>();
  forEachVar(
    t,
    (v) => {
      if (!bound.has(v.name) && !seen.has(v.name)) {
        seen.add(v.name);
        unsafe(env, v.name, loc);
      }
    },
    false,
  );
}

function argVars(rule: CompiledRule): Vars {
  const out = new Set<string>();
  for (const a of rule.args ?? []) forEachVar(a, (v) => out.add(v.name));
  return out;
}

function orderRule(env: SafetyEnv, rule: CompiledRule): CompiledRule {
  const args = argVars(rule);
  const headVisible = new Set(args);
  for (const t of [rule.value, rule.key, ...(rule.refPath ?? [])])
    if (t !== undefined) forEachVar(t, (v) => headVisible.add(v.name), false);
  const body = orderBody(env, rule.body, args, headVisible);
  const value = orderTermClosures(env, rule.value, body.bound, body.bound);
  const key = rule.key === undefined ? undefined : orderTermClosures(env, rule.key, body.bound, body.bound);
  checkHead(env, value, body.bound, rule.value.loc);
  if (key !== undefined) checkHead(env, key, body.bound, key.loc);
  for (const t of rule.refPath ?? []) checkHead(env, t, body.bound, t.loc);
  const elseBranch = rule.else === undefined ? undefined : orderElse(env, rule.else, args);
  return {
    ...rule,
    body: body.exprs,
    value,
    ...(key === undefined ? {} : { key }),
    ...(elseBranch === undefined ? {} : { else: elseBranch }),
  };
}

function orderElse(env: SafetyEnv, branch: CompiledElse, args: Vars): CompiledElse {
  const body = orderBody(env, branch.body, args, args);
  checkHead(env, branch.value, body.bound, branch.value.loc);
  const next = branch.else === undefined ? undefined : orderElse(env, branch.else, args);
  return { ...branch, body: body.exprs, ...(next === undefined ? {} : { else: next }) };
}

export function checkSafety(ctx: CompileContext): void {
  for (const group of ctx.groups) {
    const mutable = group as { rules: CompiledRule[]; defaultRule?: CompiledRule };
    for (const [i, rule] of group.rules.entries()) {
      mutable.rules[i] = orderRule({ diagnostics: ctx.diagnostics, displayNames: rule.displayNames }, rule);
    }
    if (group.defaultRule !== undefined) {
      const rule = group.defaultRule;
      mutable.defaultRule = orderRule(
        { diagnostics: ctx.diagnostics, displayNames: rule.displayNames },
        rule,
      );
    }
  }
}
