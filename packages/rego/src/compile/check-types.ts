/**
 * Stage: calls. Every call must name a user function or a known builtin and pass it the
 * declared number of arguments, and a builtin's arguments must be able to have the declared
 * types (rego_type_error, as OPA's type checker reports them). Types are inferred only where
 * statically known (`infer-types.ts`); anything else is checked at run time.
 */
import type { Term } from '../ast/index.js';
import { DiagnosticCodes, type DiagnosticCollector } from '../diagnostics/index.js';
import type { RuleTreeNode } from './compiled-program.js';
import { findNode } from './compiled-program.js';
import { type CompileContext, report } from './context.js';
import { RuleTypeChecker } from './infer-types.js';
import { isRootRef, operatorName, pathText, staticPrefix } from './terms.js';
import { walkRule } from './walk.js';

export function checkCall(
  env: { diagnostics: DiagnosticCollector; tree: RuleTreeNode; builtinArity: ReadonlyMap<string, number> },
  t: Term,
): void {
  if (t.type !== 'call') return;
  const op = t.operator;
  if (isRootRef(op, 'data')) {
    const path = staticPrefix(op);
    const node = path.length === op.path.length ? findNode(env.tree, path) : undefined;
    if (node === undefined) return; // a dynamic call, or a function in base data: checked at run time
    const group = node.group;
    if (group === undefined || group.kind !== 'function' || group.arity === undefined) {
      report(env, DiagnosticCodes.type, `undefined function ${pathText(path)}`, t.loc);
      return;
    }
    if (group.arity !== t.args.length)
      report(
        env,
        DiagnosticCodes.type,
        `function ${pathText(path)} has arity ${group.arity}, got ${t.args.length} arguments`,
        t.loc,
      );
    return;
  }
  const name = operatorName(op) ?? '?';
  const arity = env.builtinArity.get(name);
  if (arity === undefined) {
    report(env, DiagnosticCodes.type, `undefined function ${name}`, t.loc);
    return;
  }
  if (arity !== t.args.length)
    report(
      env,
      DiagnosticCodes.type,
      `${name}: arity mismatch: want ${arity} arguments, got ${t.args.length}`,
      t.loc,
    );
}

export function checkTypes(ctx: CompileContext): void {
  const types = new RuleTypeChecker(ctx.builtinArity, (e) =>
    report(ctx, DiagnosticCodes.type, e.message, e.loc),
  );
  for (const group of ctx.groups) {
    for (const rule of group.defaultRule === undefined ? group.rules : [...group.rules, group.defaultRule]) {
      walkRule(rule, (t) => checkCall(ctx, t));
      types.checkRule(rule);
    }
  }
}
