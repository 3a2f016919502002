/**
 * Stage: the rule tree. Gives every rule its data path and kind, groups the definitions of
 * one document, and reports the conflicts OPA's CheckRuleConflicts reports: different kinds at
 * one path, functions of different arities, several defaults, and a rule whose path is a
 * prefix of another's.
 */
import type { Rule } from '../ast/index.js';
import { DiagnosticCodes } from '../diagnostics/index.js';
import type { RuleGroup, RuleKind, RuleTreeNode } from './compiled-program.js';
import { type CompileContext, type ModuleInfo, type RuleInfo, report } from './context.js';
import { pathText } from './terms.js';

function classify(ctx: CompileContext, mod: ModuleInfo, rule: Rule): RuleInfo | undefined {
  const { head } = rule;
  if (head.ref.head.type !== 'var') return undefined;
  const base = [...mod.packagePath, head.ref.head.name];
  const elems = head.ref.path;
  const strings: string[] = [];
  let firstDynamic = elems.length;
  for (const [i, e] of elems.entries()) {
    if (e.type !== 'string') {
      firstDynamic = i;
      break;
    }
    strings.push(e.value);
  }
  const path = [...base, ...strings];
  if (head.kind === 'function') {
    if (firstDynamic !== elems.length) return unsupported(ctx, rule, 'function names must be static');
    return { rule, module: mod, kind: 'function', path };
  }
  const key = elems[firstDynamic];
  if (key === undefined)
    return { rule, module: mod, kind: head.kind === 'multi-value' ? 'partial-set' : 'complete', path };
  // A ref head with a variable (`p[q].r := v`, `p[q] contains v`) defines part of the object
  // at its ground prefix: the group there is a partial object, built key path by key path.
  return {
    rule,
    module: mod,
    kind: 'partial-object',
    path,
    objectKey: key,
    refPath: elems.slice(firstDynamic + 1),
    multiValue: head.kind === 'multi-value',
  };
}

function unsupported(ctx: CompileContext, rule: Rule, message: string): undefined {
  report(ctx, DiagnosticCodes.compile, message, rule.loc);
  return undefined;
}

function nodeAt(tree: RuleTreeNode, path: readonly string[]): RuleTreeNode {
  let node = tree;
  for (const key of path) {
    let next = node.children.get(key);
    if (next === undefined) {
      next = { key, children: new Map() };
      node.children.set(key, next);
    }
    node = next;
  }
  return node;
}

function groupKinds(kind: RuleKind): string {
  return kind === 'function' ? 'function' : 'rule';
}

export function buildRuleTree(ctx: CompileContext): void {
  const byPath = new Map<string, { group: RuleGroup; infos: RuleInfo[] }>();
  // A package exists as a document even when it defines no rules (it reads as `{}`).
  for (const mod of ctx.modules) nodeAt(ctx.tree, mod.packagePath);
  for (const mod of ctx.modules) {
    for (const rule of mod.module.rules) {
      const info = classify(ctx, mod, rule);
      if (info === undefined) continue;
      ctx.rules.push(info);
      const key = pathText(info.path);
      const arity = rule.head.kind === 'function' ? rule.head.args.length : undefined;
      const existing = byPath.get(key);
      if (existing === undefined) {
        const group: RuleGroup = {
          kind: info.kind,
          path: info.path,
          rules: [],
          ...(arity === undefined ? {} : { arity }),
        };
        byPath.set(key, { group, infos: [info] });
        ctx.groups.push(group);
        nodeAt(ctx.tree, info.path).group = group;
        continue;
      }
      const { group } = existing;
      if (group.kind !== info.kind || group.arity !== arity) {
        report(ctx, DiagnosticCodes.type, `conflicting rules ${key} found`, rule.loc);
        continue;
      }
      if (rule.default && existing.infos.some((i) => i.rule.default)) {
        report(ctx, DiagnosticCodes.type, `multiple default rules ${key} found`, rule.loc);
        continue;
      }
      existing.infos.push(info);
    }
  }
  for (const { group, infos } of byPath.values()) {
    const node = nodeAt(ctx.tree, group.path);
    // A partial object's keys are not known until evaluation, so rules below it merge into it
    // (conflicts, if any, surface then).
    if (node.children.size > 0 && group.kind !== 'partial-object') {
      const below: string[] = [];
      collectPaths(node, below);
      const first = infos[0];
      if (first !== undefined)
        report(
          ctx,
          DiagnosticCodes.type,
          `${groupKinds(group.kind)} ${pathText(group.path)} conflicts with [${below.sort().join(' ')}]`,
          first.rule.loc,
        );
    }
  }
}

function collectPaths(node: RuleTreeNode, out: string[]): void {
  for (const child of node.children.values()) {
    if (child.group !== undefined) out.push(pathText(child.group.path));
    collectPaths(child, out);
  }
}
