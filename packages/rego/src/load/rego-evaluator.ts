/**
 * A loaded policy as a decision function: structurally @portcullis/core's Evaluator (a name
 * and `evaluate(input)` → the decision document), without depending on core.
 */
import { PolicyLoadError } from './errors.js';
import { type LoadedPolicy, type LoadPolicyOptions, loadPolicy, type PolicySource } from './load-policy.js';

export interface RegoEvaluatorOptions extends LoadPolicyOptions {
  /** A loaded policy, or anything loadPolicy accepts. */
  readonly policy: LoadedPolicy | PolicySource;
  /** The decision's entrypoint; default `portcullis/decision`. */
  readonly entrypoint?: string;
  /** Reported as the evaluator's name; default `rego:<entrypoint>`. */
  readonly name?: string;
}

export interface RegoEvaluator {
  readonly name: string;
  /** The decision value: the first result's `result`, undefined when the rule is undefined. */
  evaluate(input: unknown): unknown;
  readonly policy: LoadedPolicy;
  /** The policy's `inputPaths`: what it may read of the input; undefined when unknown. */
  readonly inputPaths: readonly (readonly string[])[] | undefined;
}

function isLoaded(p: unknown): p is LoadedPolicy {
  return typeof p === 'object' && p !== null && 'evaluate' in p && 'setData' in p;
}

export async function createRegoEvaluator(options: RegoEvaluatorOptions): Promise<RegoEvaluator> {
  const entrypoint = options.entrypoint ?? 'portcullis/decision';
  const policy = isLoaded(options.policy)
    ? options.policy
    : await loadPolicy(options.policy, { ...options, entrypoints: options.entrypoints ?? [entrypoint] });
  if (!Object.hasOwn(policy.entrypoints, entrypoint)) {
    throw new PolicyLoadError(`the policy has no entrypoint ${entrypoint}`);
  }
  // Resolve the id once: evaluate by number skips the loader's name lookup per call.
  const id = policy.entrypoints[entrypoint] ?? 0;
  return {
    name: options.name ?? `rego:${entrypoint}`,
    policy,
    inputPaths: policy.inputPaths,
    evaluate(input: unknown): unknown {
      const results = policy.evaluate(input, id);
      return results[0]?.result;
    },
  };
}
