import type { Decision, InputDocument } from '../contract.js';

export interface EvaluationInfo {
  /** Name of the evaluator that produced (or failed to produce) the decision. */
  evaluator: string;
  /** Time spent evaluating, in milliseconds; 0 for a cache hit or when evaluation was skipped. */
  durationMs: number;
  /** Time spent building the input document (fact extraction), in milliseconds. */
  factsMs: number;
  cached: boolean;
  /**
   * The engine's policy generation the decision was made under (see `Engine.generation`).
   * Absent from results of engines that do not count generations.
   */
  generation?: number;
  /** Present when the engine denied because of a failure: the error's stable code and message. */
  error?: { code: string; message: string };
}

/**
 * What `engine.decide` returns: the decision to enforce, the input document it was made on
 * (for the audit record), and how the evaluation went. `decision` is always valid against
 * the decision schema; on any failure it is a deny whose reason rule is `portcullis.*`.
 */
export interface DecisionResult {
  /** Unique per decision, to correlate logs, diagnostics and the audit record. */
  id: string;
  decision: Decision;
  input: InputDocument;
  evaluation: EvaluationInfo;
}
