/** The engine: request → input document → evaluator → validated decision, failing closed. */

export { decisionCacheKey } from './cache-key.js';
export { combineDecisions } from './combine-decisions.js';
export {
  createEngine,
  DEFAULT_TIMEOUT_MS,
  type Engine,
  type EngineOptions,
  type ReloadableEngine,
} from './create-engine.js';
export type { DecisionCacheOptions } from './decision-cache.js';
export { DECISION_CHANNEL } from './decision-channel.js';
export type { DecisionResult, EvaluationInfo } from './decision-result.js';
export type { EvaluateContext, Evaluator } from './evaluator.js';
export { type FailureKind, failureDecision } from './failure-decision.js';
export { type InputPaths, readsInput } from './input-paths.js';
export type { EngineLogger } from './logger.js';
export {
  createRequestDecisionCache,
  DEFAULT_REQUEST_DECISION_CACHE,
  type RequestCacheParts,
  RequestDecisionCache,
} from './request-decision-cache.js';
export { staticEvaluator } from './static-evaluator.js';
export {
  DETECTORS,
  type DecisionValidation,
  EFFECTS,
  MASK_STRATEGIES,
  validateDecision,
} from './validate-decision.js';
