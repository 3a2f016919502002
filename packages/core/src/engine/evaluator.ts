import type { InputDocument } from '../contract.js';

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
  close?(): Promise<void> | void;
}
