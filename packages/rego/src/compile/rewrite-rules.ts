/**
 * Stage: rewrite every rule into its compiled form (names resolved, locals renamed, sugar
 * removed; see compiled-program.ts). Bodies are not yet reordered; safety does that next.
 */
import type { ElseBranch, Expr, Term } from '../ast/index.js';
import { BodyRewriter } from './body-rewriter.js';
import type { CompiledElse, CompiledRule } from './compiled-program.js';
import type { CompileContext, RuleInfo } from './context.js';
import { trueTerm, varTerm } from './terms.js';

/**
 * Head terms that compute (refs, calls, composites holding them) move into the body as
 * `$h = term`, as OPA's RewriteRefsInHead does: a ref may iterate (`q := xs[_]`), which only a
 * body can do, and safety can then order it like any other expression.
 */
function hoist(rw: BodyRewriter, t: Term, body: Expr[]): Term {
  if (
    t.type === 'var' ||
    t.type === 'null' ||
    t.type === 'boolean' ||
    t.type === 'number' ||
    t.type === 'string'
  )
    return t;
  const v = varTerm(rw.wildcard(), t.loc);
  body.push({ type: 'unify-expr', lhs: v, rhs: t, negated: false, with: [], loc: t.loc });
  return v;
}

export function rewriteRules(ctx: CompileContext): void {
  for (const info of ctx.rules) info.compiled = rewriteRule(ctx, info);
  for (const group of ctx.groups) {
    const mutable = group as { rules: CompiledRule[]; defaultRule?: CompiledRule };
    for (const info of ctx.rules) {
      if (info.compiled === undefined || info.path.join('\0') !== group.path.join('\0')) continue;
      if (info.kind !== group.kind) continue;
      if (info.rule.default) mutable.defaultRule = info.compiled;
      else mutable.rules.push(info.compiled);
    }
  }
}

function rewriteRule(ctx: CompileContext, info: RuleInfo): CompiledRule {
  const { rule } = info;
  const rw = new BodyRewriter({
    globals: info.module.globals,
    diagnostics: ctx.diagnostics,
    builtinArity: ctx.builtinArity,
    tree: ctx.tree,
  });
  const argScope = new Map<string, string>();
  const head = rule.head;
  const rawArgs = head.kind === 'function' ? head.args : undefined;
  if (rawArgs !== undefined) for (const a of rawArgs) rw.declarePattern(a, argScope);
  const args = rawArgs?.map((a) => rw.rewriteTerm(a, new Map(argScope)));
  const { exprs, scope } = rw.rewriteBody(rule.body?.exprs ?? [], argScope);
  // A `contains` rule with a variable in its ref keeps its member as the value: its key is the
  // ref's first variable element, like a partial object's.
  const member = head.kind === 'multi-value' ? head.key : undefined;
  const rawValue: Term | undefined =
    info.multiValue === true ? member : head.kind === 'multi-value' ? undefined : head.value;
  const value = hoist(rw, rw.rewriteTerm(rawValue ?? trueTerm(head.loc), scope), exprs);
  const rawKey = info.objectKey ?? member;
  const key = rawKey === undefined ? undefined : hoist(rw, rw.rewriteTerm(rawKey, scope), exprs);
  const refPath = info.refPath?.map((t) => hoist(rw, rw.rewriteTerm(t, scope), exprs));
  const elseBranch = rule.else === undefined ? undefined : rewriteElse(rw, rule.else, argScope);
  return {
    kind: info.kind,
    path: info.path,
    ...(args === undefined ? {} : { args }),
    ...(key === undefined ? {} : { key }),
    ...(refPath === undefined || refPath.length === 0 ? {} : { refPath }),
    ...(info.multiValue === true ? { multiValue: true } : {}),
    value,
    body: exprs,
    ...(elseBranch === undefined ? {} : { else: elseBranch }),
    isDefault: rule.default,
    displayNames: rw.displayNames,
    loc: rule.loc,
  };
}

function rewriteElse(rw: BodyRewriter, branch: ElseBranch, argScope: Map<string, string>): CompiledElse {
  const { exprs, scope } = rw.rewriteBody(branch.body?.exprs ?? [], argScope);
  const value = hoist(rw, rw.rewriteTerm(branch.value ?? trueTerm(branch.loc), scope), exprs);
  const next = branch.else === undefined ? undefined : rewriteElse(rw, branch.else, argScope);
  return { value, body: exprs, ...(next === undefined ? {} : { else: next }), loc: branch.loc };
}
