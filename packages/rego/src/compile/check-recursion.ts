/**
 * Stage: recursion. Rego forbids rules that depend on themselves; a ref into `data` depends on
 * the rule it names, or on every rule below the prefix it names when it stops (or varies)
 * above them. Reported as OPA does: `rule data.a.p is recursive: data.a.p -> data.a.q -> data.a.p`.
 */
import type { Term } from '../ast/index.js';
import { DiagnosticCodes } from '../diagnostics/index.js';
import { findNode, type RuleGroup, type RuleTreeNode } from './compiled-program.js';
import { type CompileContext, report } from './context.js';
import { isRootRef, pathText } from './terms.js';
import { walkRule } from './walk.js';

function groupsBelow(node: RuleTreeNode, out: Set<RuleGroup>): void {
  if (node.group !== undefined) out.add(node.group);
  for (const c of node.children.values()) groupsBelow(c, out);
}

/**
 * The rules a data ref can reach. A variable key may be any child, so matching goes on in each
 * (`data[x].allow` reaches the `allow` rules of every package, not every rule); a constant
 * non-string key reaches no rule; a ref that stops above rules reaches all of them.
 */
function matchRules(node: RuleTreeNode, path: readonly Term[], i: number, out: Set<RuleGroup>): void {
  if (node.group !== undefined) {
    out.add(node.group);
    return;
  }
  const p = path[i];
  if (p === undefined) {
    groupsBelow(node, out);
    return;
  }
  if (p.type === 'string') {
    const next = node.children.get(p.value);
    if (next !== undefined) matchRules(next, path, i + 1, out);
    return;
  }
  if (p.type === 'number' || p.type === 'boolean' || p.type === 'null') return;
  for (const child of node.children.values()) matchRules(child, path, i + 1, out);
}

export function dependencies(ctx: CompileContext, group: RuleGroup): Set<RuleGroup> {
  const deps = new Set<RuleGroup>();
  // A partial object's value takes in the rules below its path.
  if (group.kind === 'partial-object') {
    const node = findNode(ctx.tree, group.path);
    for (const child of node?.children.values() ?? []) groupsBelow(child, deps);
  }
  const rules = group.defaultRule === undefined ? group.rules : [...group.rules, group.defaultRule];
  for (const rule of rules) {
    walkRule(rule, (t) => {
      if (isRootRef(t, 'data')) matchRules(ctx.tree, t.path, 0, deps);
    });
  }
  return deps;
}

export function checkRecursion(ctx: CompileContext): void {
  const graph = new Map<RuleGroup, RuleGroup[]>();
  for (const g of ctx.groups) graph.set(g, [...dependencies(ctx, g)]);
  const state = new Map<RuleGroup, 'active' | 'done'>();
  const stack: RuleGroup[] = [];
  const reported = new Set<RuleGroup>();
  const visit = (g: RuleGroup): void => {
    state.set(g, 'active');
    stack.push(g);
    for (const d of graph.get(g) ?? []) {
      const s = state.get(d);
      if (s === 'active') {
        if (reported.has(d)) continue;
        reported.add(d);
        const cycle = stack.slice(stack.indexOf(d));
        const names = [...cycle, d].map((x) => pathText(x.path));
        const loc = (d.rules[0] ?? d.defaultRule)?.loc;
        if (loc !== undefined)
          report(
            ctx,
            DiagnosticCodes.recursion,
            `rule ${pathText(d.path)} is recursive: ${names.join(' -> ')}`,
            loc,
          );
      } else if (s === undefined) visit(d);
    }
    stack.pop();
    state.set(g, 'done');
  };
  for (const g of ctx.groups) if (!state.has(g)) visit(g);
}
