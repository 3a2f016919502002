import type { InputDocument } from '../contract.js';
import type { InputPaths } from './input-paths.js';

export interface EvaluateContext {
  /** Aborted when the engine's time limit passes; an evaluator that can stop early should. */
  signal: AbortSignal;
}

/**
 * A policy evaluator: takes the input document and returns the value of
 * `data.portcullis.decision`, or undefined when that rule is undefined. The engine validates
 * whatever comes back, so an evaluator need not. The Rego/wasm evaluator lives in
 * @portcullis/rego; `staticEvaluator` serves tests and simple embedders.
 */
export interface Evaluator {
  readonly name: string;
  evaluate(input: InputDocument, context: EvaluateContext): Promise<unknown> | unknown;
  /**
   * What the policy may read of the input (see InputPaths); undefined, or left out, when the
   * evaluator cannot say, and then it is taken to read everything. A caller may share one
   * decision between inputs that differ only where the policy does not read, so a path left
   * out that the policy does read would hand one request another's decision.
   */
  readonly inputPaths?: InputPaths | undefined;
  close?(): Promise<void> | void;
}
