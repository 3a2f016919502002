/**
 * Stage: recursion. Rego forbids rules that depend on themselves; a ref into `data` depends on
 * the rule it names, or on every rule below the prefix it names when it stops (or varies)
 * above them. Reported as OPA does: `rule data.a.p is recursive: data.a.p -> data.a.q -> data.a.p`.
 */
import { DiagnosticCodes } from '../diagnostics/index.js';
import type { RuleGroup, RuleTreeNode } from './compiled-program.js';
import { type CompileContext, report } from './context.js';
import { isRootRef, pathText } from './terms.js';
import { walkRule } from './walk.js';

function groupsBelow(node: RuleTreeNode, out: Set<RuleGroup>): void {
  if (node.group !== undefined) out.add(node.group);
  for (const c of node.children.values()) groupsBelow(c, out);
}

export function dependencies(ctx: CompileContext, group: RuleGroup): Set<RuleGroup> {
  const deps = new Set<RuleGroup>();
  const rules = group.defaultRule === undefined ? group.rules : [...group.rules, group.defaultRule];
  for (const rule of rules) {
    walkRule(rule, (t) => {
      if (!isRootRef(t, 'data')) return;
      let node: RuleTreeNode = ctx.tree;
      for (const p of t.path) {
        if (node.group !== undefined) break;
        if (p.type !== 'string') {
          groupsBelow(node, deps);
          return;
        }
        const next = node.children.get(p.value);
        if (next === undefined) return;
        node = next;
      }
      groupsBelow(node, deps);
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
