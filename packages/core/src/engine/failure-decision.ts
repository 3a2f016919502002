import type { Decision } from '../contract.js';

/** Why the engine denied without (or despite) the policy; each is a `portcullis.<kind>` reason rule. */
export type FailureKind =
  | 'evaluation_failed'
  | 'evaluation_timeout'
  | 'malformed_decision'
  | 'no_decision'
  | 'facts_unavailable';

/** The deny the engine returns when it cannot trust a decision: fail closed, no masks, one reason. */
export function failureDecision(kind: FailureKind, message: string): Decision {
  return { effect: 'deny', reasons: [{ rule: `portcullis.${kind}`, message }], masks: [] };
}
