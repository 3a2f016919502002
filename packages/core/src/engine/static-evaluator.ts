import type { Decision, InputDocument } from '../contract.js';
import type { Evaluator } from './evaluator.js';

/**
 * An evaluator that returns a fixed decision, or whatever a function of the input returns.
 * Its result goes through the same validation as a policy's, so a test can feed the engine
 * malformed decisions through it.
 */
export function staticEvaluator(
  decision: Decision | ((input: InputDocument) => unknown),
  name = 'static',
): Evaluator {
  if (typeof decision === 'function') return { name, evaluate: (input) => decision(input) };
  return { name, evaluate: () => structuredClone(decision) };
}
