/**
 * The compile stages in the order they run, as OPA's compiler keeps them in a table. A stage
 * that reports errors does not stop the later ones (more problems per run), except where a
 * later stage needs an earlier one's results to be sound: after name resolution and the rule
 * tree, and after safety, compilation stops at the first stage that found errors.
 */
import { buildRuleTree } from './build-rule-tree.js';
import { checkRecursion } from './check-recursion.js';
import { checkSafety } from './check-safety.js';
import { checkTypes } from './check-types.js';
import type { CompileContext } from './context.js';
import { resolveModules } from './resolve-modules.js';
import { rewriteRules } from './rewrite-rules.js';

export interface CompileStage {
  readonly name: string;
  readonly run: (ctx: CompileContext) => void;
  /** Stop after this stage when any error has been reported so far. */
  readonly haltOnError: boolean;
}

export const COMPILE_STAGES: readonly CompileStage[] = [
  { name: 'ResolveModules', run: resolveModules, haltOnError: false },
  { name: 'BuildRuleTree', run: buildRuleTree, haltOnError: true },
  { name: 'RewriteRules', run: rewriteRules, haltOnError: true },
  { name: 'CheckSafety', run: checkSafety, haltOnError: true },
  { name: 'CheckRecursion', run: checkRecursion, haltOnError: true },
  { name: 'CheckTypes', run: checkTypes, haltOnError: true },
];
