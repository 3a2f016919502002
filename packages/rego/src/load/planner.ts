/**
 * The seam to the planner: compiled program + entrypoints + named queries → IR, with the
 * planner's diagnostics surfacing as one PolicyCompileError.
 */
import type { CompiledProgram } from '../compile/index.js';
import { planPolicy } from '../plan/index.js';
import type { Policy } from '../plan/ir.js';
import { PolicyCompileError } from './errors.js';

export interface PlanQuery {
  /** The plan's name: the entrypoint name it is exported under. */
  readonly name: string;
  /** Query text, e.g. `data.a.p = x`. */
  readonly query: string;
}

export interface PlanRequest {
  readonly entrypoints: readonly string[];
  readonly queries?: readonly PlanQuery[];
}

export function plan(program: CompiledProgram, request: PlanRequest): Policy {
  const result = planPolicy(program, request);
  if (result.policy === undefined || result.diagnostics.length > 0)
    throw new PolicyCompileError(result.diagnostics);
  return result.policy;
}
