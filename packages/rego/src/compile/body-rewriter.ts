/**
 * Name resolution and desugaring of one rule (or query): OPA's ResolveRefs, RewriteLocalVars,
 * wildcard renaming and `some … in` / output-argument rewriting in one walk, because all of
 * them need the same scope information.
 *
 * Scoping follows Rego: a var written in a body without declaration is one var throughout
 * that body and the closures inside it; `:=`, `some` and `every` declare a new var that
 * shadows outer ones and rule names; names that are neither refer to the package's rules and
 * imports.
 */
import type { Expr, Location, RefTerm, Term, VarTerm } from '../ast/index.js';
import { DiagnosticCodes, type DiagnosticCollector } from '../diagnostics/index.js';
import type { RuleTreeNode } from './compiled-program.js';
import { BUILTIN_VALUE_PREFIX, findNode } from './compiled-program.js';
import { report } from './context.js';
import {
  bodyOf,
  forEachVar,
  forEachVarInExpr,
  indexTerm,
  operatorName,
  staticPrefix,
  varTerm,
} from './terms.js';

type Scope = Map<string, string>;

export interface RewriterOptions {
  readonly globals: ReadonlyMap<string, Term>;
  readonly diagnostics: DiagnosticCollector;
  readonly builtinArity: ReadonlyMap<string, number>;
  readonly tree: RuleTreeNode;
}

export class BodyRewriter {
  readonly displayNames = new Map<string, string>();
  readonly #used = new Set<string>();
  #wildcards = 0;
  readonly #opts: RewriterOptions;

  constructor(opts: RewriterOptions) {
    this.#opts = opts;
  }

  fresh(name: string): string {
    let unique = name;
    for (let n = 1; this.#used.has(unique); n++) unique = `${name}$${n}`;
    this.#used.add(unique);
    this.displayNames.set(unique, name);
    return unique;
  }

  wildcard(): string {
    return `$${this.#wildcards++}`;
  }

  /** Declares every var of a pattern (function args, `some k, v in`) in `scope`. */
  declarePattern(term: Term, scope: Scope): void {
    forEachVar(
      term,
      (v) => {
        if (v.name !== '_') scope.set(v.name, this.fresh(v.name));
      },
      false,
    );
  }

  rewriteBody(exprs: readonly Expr[], parent: Scope): { exprs: Expr[]; scope: Scope } {
    const scope: Scope = new Map(parent);
    // Undeclared vars are one var throughout the body, including closures written before the
    // var's first plain use, so they are bound up front.
    for (const e of exprs) {
      const skip = new Set<VarTerm>();
      if (e.type === 'assign-expr') forEachVar(e.lhs, (v) => skip.add(v), false);
      if (e.type === 'some-in') {
        if (e.key !== undefined) forEachVar(e.key, (v) => skip.add(v), false);
        forEachVar(e.value, (v) => skip.add(v), false);
      }
      if (e.type === 'some-decl' || e.type === 'every') continue;
      forEachVarInExpr(
        e,
        (v) => {
          if (skip.has(v) || v.name === '_' || scope.has(v.name) || this.#isGlobal(v.name)) return;
          if (v.name === 'input' || v.name === 'data') return;
          scope.set(v.name, this.fresh(v.name));
        },
        false,
      );
    }
    const declared = new Set<string>();
    const out: Expr[] = [];
    for (const [i, e] of exprs.entries()) {
      if (e.type === 'assign-expr') {
        // `x := …` after a plain use of x in the same body is OPA's "referenced above".
        const earlier = new Set<string>();
        for (const prev of exprs.slice(0, i)) {
          if (prev.type === 'some-decl') continue;
          // An `every`'s key and value vars are its own; only its domain uses outer vars.
          if (prev.type === 'every') forEachVar(prev.domain, (v) => earlier.add(v.name), false);
          else forEachVarInExpr(prev, (v) => earlier.add(v.name), false);
        }
        let clash = false;
        forEachVar(e.lhs, (v) => {
          if (earlier.has(v.name) && !declared.has(v.name) && v.name !== '_') {
            report(this.#opts, DiagnosticCodes.compile, `var ${v.name} referenced above`, e.loc);
            clash = true;
          }
        });
        if (clash) continue;
      }
      const rewritten = this.#rewriteExpr(e, scope, declared);
      if (rewritten !== undefined) out.push(rewritten);
    }
    return { exprs: out, scope };
  }

  #isGlobal(name: string): boolean {
    return this.#opts.globals.has(name);
  }

  #declare(v: VarTerm, scope: Scope, declared: Set<string>, loc: Location, verb: string): void {
    if (v.name === '_') return;
    if (declared.has(v.name)) {
      report(this.#opts, DiagnosticCodes.compile, `var ${v.name} ${verb} above`, loc);
      return;
    }
    declared.add(v.name);
    scope.set(v.name, this.fresh(v.name));
  }

  #rewriteExpr(e: Expr, scope: Scope, declared: Set<string>): Expr | undefined {
    const withs = e.with.map((w) => ({
      ...w,
      target: this.#rewriteWithTarget(w.target, scope),
      value: this.#rewriteWithValue(w.value, scope, declared),
    }));
    const base = { negated: e.negated, with: withs, loc: e.loc };
    switch (e.type) {
      case 'some-decl':
        for (const v of e.vars) this.#declare(v, scope, declared, e.loc, 'declared');
        return undefined;
      case 'assign-expr': {
        const rhs = this.#rewriteTerm(e.rhs, scope);
        forEachVar(e.lhs, (v) => this.#declare(v, scope, declared, e.loc, 'assigned'), false);
        const lhs = this.#rewriteTerm(e.lhs, scope);
        return { type: 'unify-expr', lhs, rhs, ...base };
      }
      case 'unify-expr':
        return {
          type: 'unify-expr',
          lhs: this.#rewriteTerm(e.lhs, scope),
          rhs: this.#rewriteTerm(e.rhs, scope),
          ...base,
        };
      case 'term-expr': {
        const term = this.#rewriteTerm(e.term, scope);
        if (term.type === 'call') {
          const arity = this.arityOf(term.operator);
          const last = term.args[term.args.length - 1];
          if (arity !== undefined && term.args.length === arity + 1 && last !== undefined) {
            const call = { ...term, args: term.args.slice(0, arity) };
            return { type: 'unify-expr', lhs: last, rhs: call, ...base };
          }
        }
        return { type: 'term-expr', term, ...base };
      }
      case 'some-in': {
        const domain = this.#rewriteTerm(e.domain, scope);
        const inner: Scope = scope;
        if (e.key !== undefined) this.declarePattern(e.key, inner);
        this.declarePattern(e.value, inner);
        const key = e.key === undefined ? varTerm(this.wildcard(), e.loc) : this.#rewriteTerm(e.key, inner);
        const value = this.#rewriteTerm(e.value, inner);
        return { type: 'unify-expr', lhs: value, rhs: indexTerm(domain, key, e.loc), ...base };
      }
      case 'every': {
        const domain = this.#rewriteTerm(e.domain, scope);
        const inner: Scope = new Map(scope);
        const key = e.key === undefined ? varTerm(this.wildcard(), e.loc) : this.#renameDecl(e.key, inner);
        const value = this.#renameDecl(e.value, inner);
        const body = this.rewriteBody(e.body.exprs, inner);
        return { type: 'every', key, value, domain, body: bodyOf(body.exprs, e.body.loc), ...base };
      }
    }
  }

  #renameDecl(v: VarTerm, scope: Scope): VarTerm {
    if (v.name === '_') return varTerm(this.wildcard(), v.loc);
    const name = this.fresh(v.name);
    scope.set(v.name, name);
    return varTerm(name, v.loc);
  }

  /**
   * `with` targets name documents (`input.x`, `data.p`) or functions: a package function
   * resolves to its data ref, while a builtin (`count`, `time.now_ns`) keeps its written name
   * rather than being mistaken for a local var.
   */
  #rewriteWithTarget(t: VarTerm | RefTerm, scope: Scope): VarTerm | RefTerm {
    if (t.type === 'var') return this.#resolveFunctionVar(t);
    if (t.head.type === 'var' && t.head.name !== 'input' && t.head.name !== 'data') {
      const g = this.#opts.globals.get(t.head.name);
      if (g === undefined || g.type !== 'ref') return t;
    }
    return this.#rewriteTerm(t, scope) as RefTerm;
  }

  /**
   * A with value that names a builtin (`with count as object.union_n`) replaces the function
   * by that builtin; it becomes the var `$fn:<name>`, which needs no binding.
   */
  #rewriteWithValue(t: Term, scope: Scope, declared: ReadonlySet<string>): Term {
    const head = t.type === 'var' ? t : t.type === 'ref' && t.head.type === 'var' ? t.head : undefined;
    const name = t.type === 'var' ? t.name : t.type === 'ref' ? operatorName(t) : undefined;
    if (
      head !== undefined &&
      name !== undefined &&
      this.#opts.builtinArity.has(name) &&
      !declared.has(head.name) &&
      !this.#isGlobal(head.name)
    )
      return varTerm(`${BUILTIN_VALUE_PREFIX}${name}`, t.loc);
    return this.#rewriteTerm(t, scope);
  }

  #resolveFunctionVar(v: VarTerm): VarTerm | RefTerm {
    const g = this.#opts.globals.get(v.name);
    return g !== undefined && g.type === 'ref' ? g : v;
  }

  /** Arity of a resolved call operator: a user function's from the rule tree, or a builtin's. */
  arityOf(operator: RefTerm): number | undefined {
    if (operator.head.type === 'var' && operator.head.name === 'data') {
      const node = findNode(this.#opts.tree, staticPrefix(operator));
      return node?.group?.arity;
    }
    const name = operatorName(operator);
    return name === undefined ? undefined : this.#opts.builtinArity.get(name);
  }

  rewriteTerm(t: Term, scope: Scope): Term {
    return this.#rewriteTerm(t, scope);
  }

  #rewriteVar(v: VarTerm, scope: Scope): Term {
    if (v.name === '_') return varTerm(this.wildcard(), v.loc);
    const local = scope.get(v.name);
    if (local !== undefined) return { ...v, name: local };
    const global = this.#opts.globals.get(v.name);
    if (global !== undefined) return { ...global, loc: v.loc };
    if (v.name === 'input' || v.name === 'data') return { type: 'ref', head: v, path: [], loc: v.loc };
    const name = this.fresh(v.name);
    scope.set(v.name, name);
    return { ...v, name };
  }

  #rewriteTerm(t: Term, scope: Scope): Term {
    switch (t.type) {
      case 'var':
        return this.#rewriteVar(t, scope);
      case 'ref': {
        const path = t.path.map((p) => this.#rewriteTerm(p, scope));
        if (t.head.type === 'var') {
          if (t.head.name === 'input' || t.head.name === 'data') return { ...t, path };
          const head = this.#rewriteVar(t.head, scope);
          if (head.type === 'ref') return { ...head, path: [...head.path, ...path], loc: t.loc };
          if (head.type === 'var') return { ...t, head, path };
          return { ...t, path };
        }
        const head = this.#rewriteTerm(t.head, scope) as RefTerm['head'];
        return { ...t, head, path };
      }
      case 'array':
      case 'set':
        return { ...t, items: t.items.map((i) => this.#rewriteTerm(i, scope)) };
      case 'object':
        return {
          ...t,
          entries: t.entries.map((e) => ({
            ...e,
            key: this.#rewriteTerm(e.key, scope),
            value: this.#rewriteTerm(e.value, scope),
          })),
        };
      case 'call': {
        const args = t.args.map((a) => this.#rewriteTerm(a, scope));
        const op = t.operator;
        let operator: RefTerm = op;
        if (op.head.type === 'var' && !scope.has(op.head.name)) {
          const g = this.#opts.globals.get(op.head.name);
          if (g !== undefined && g.type === 'ref')
            operator = { ...g, path: [...g.path, ...op.path], loc: op.loc };
        }
        return { ...t, operator, args };
      }
      case 'array-comprehension':
      case 'set-comprehension': {
        const body = this.rewriteBody(t.body.exprs, scope);
        return { ...t, term: this.#rewriteTerm(t.term, body.scope), body: bodyOf(body.exprs, t.body.loc) };
      }
      case 'object-comprehension': {
        const body = this.rewriteBody(t.body.exprs, scope);
        return {
          ...t,
          key: this.#rewriteTerm(t.key, body.scope),
          value: this.#rewriteTerm(t.value, body.scope),
          body: bodyOf(body.exprs, t.body.loc),
        };
      }
      default:
        return t;
    }
  }
}
