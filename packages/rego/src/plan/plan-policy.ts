/**
 * Compiled program → IR policy: one plan per entrypoint (`pkg/rule`, returning
 * `{"result": value}` like OPA's entrypoints) and per named query (one result object per
 * solution, binding each user var of the query).
 */
import { type CompiledProgram, compileQuery } from '../compile/index.js';
import type { Diagnostic } from '../diagnostics/index.js';
import { DiagnosticCollector } from '../diagnostics/index.js';
import type { Plan, Policy } from './ir.js';
import { Planner } from './planner.js';

export interface PlanOptions {
  /** Entrypoints as `pkg/rule` paths (slashes), e.g. `portcullis/decision`. */
  readonly entrypoints?: readonly string[];
  /** Ad-hoc queries, planned under their names. */
  readonly queries?: readonly { readonly name: string; readonly query: string }[];
  /**
   * Skip rules whose `input` equality guards cannot hold before running their bodies
   * (rule-index.ts). On by default; off only to compare results with and without it.
   */
  readonly ruleIndexing?: boolean;
}

export interface PlanResult {
  readonly policy?: Policy;
  readonly diagnostics: Diagnostic[];
}

export function planPolicy(program: CompiledProgram, options: PlanOptions = {}): PlanResult {
  const diagnostics = new DiagnosticCollector();
  const planner = new Planner(program, diagnostics, { ruleIndexing: options.ruleIndexing ?? true });
  const plans: Plan[] = [];
  const loc = { file: '', row: 1, col: 1, offset: 0, end: 0 };
  for (const entry of options.entrypoints ?? []) {
    const path = entry.split('/').filter((p) => p.length > 0);
    const plan = planner.planEntrypoint(entry, path, loc);
    if (plan !== undefined) plans.push(plan);
  }
  for (const { name, query } of options.queries ?? []) {
    const compiled = compileQuery(program, query);
    for (const d of compiled.diagnostics) diagnostics.add(d);
    if (compiled.query === undefined) continue;
    const plan = planner.planQuery(name, compiled.query);
    if (plan !== undefined) plans.push(plan);
  }
  const funcs = planner.drainFuncs();
  if (diagnostics.hasErrors) return { diagnostics: diagnostics.toArray() };
  return {
    policy: {
      static: { strings: planner.strings, builtinFuncs: planner.builtinFuncs, files: [...program.files] },
      plans,
      funcs,
    },
    diagnostics: [],
  };
}
