import { tryParseDuration } from '../approvals/duration.js';
import type {
  ApprovalRequirement,
  Decision,
  DetectorName,
  Effect,
  MaskRule,
  MaskStrategy,
  Reason,
} from '../contract.js';

export const EFFECTS: readonly Effect[] = ['allow', 'deny', 'approve'];
export const MASK_STRATEGIES: readonly MaskStrategy[] = ['redact', 'partial', 'hash', 'null', 'format'];
export const DETECTORS: readonly DetectorName[] = [
  'email',
  'credit_card',
  'iban',
  'us_ssn',
  'phone',
  'ipv4',
  'ipv6',
  'jwt',
  'aws_access_key',
  'private_key',
  'api_token',
];
const SELECTORS = ['column', 'path', 'detector', 'pattern'] as const;

export type DecisionValidation =
  | { ok: true; decision: Decision }
  | { ok: false; path: string; message: string };

class Invalid {
  constructor(
    readonly path: string,
    readonly message: string,
  ) {}
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key in value) {
    if (!allowed.includes(key))
      throw new Invalid(`${path}.${key}`, 'is not a field of the decision contract');
  }
}

/**
 * Check a policy's result against the `portcullis.v1` decision schema (schemas/decision.v1.json)
 * and return a fresh, normalised copy: missing `reasons` and `masks` become empty lists, and an
 * `approval` block is kept only on an `approve`. Hand-written rather than a general schema
 * validator because it runs on every decision; contract.test.ts keeps it in step with the schema.
 * Unknown fields are rejected: a misspelt `mask` would otherwise silently drop masking.
 */
export function validateDecision(value: unknown): DecisionValidation {
  try {
    return { ok: true, decision: readDecision(value) };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, path: err.path, message: err.message };
    throw err;
  }
}

function readDecision(value: unknown): Decision {
  if (value === undefined) throw new Invalid('decision', 'is undefined');
  if (!isObject(value)) throw new Invalid('decision', 'must be an object');
  onlyKeys(value, ['effect', 'reasons', 'masks', 'approval'], 'decision');
  const effect = value.effect as Effect;
  if (!EFFECTS.includes(effect)) throw new Invalid('decision.effect', `must be one of ${EFFECTS.join(', ')}`);
  const decision: Decision = {
    effect,
    reasons: value.reasons === undefined ? [] : readReasons(value.reasons),
    masks: value.masks === undefined ? [] : readMasks(value.masks),
  };
  if (value.approval !== undefined) {
    const approval = readApproval(value.approval);
    if (effect === 'approve') decision.approval = approval;
  } else if (effect === 'approve') {
    throw new Invalid('decision.approval', 'is required when the effect is approve');
  }
  return decision;
}

function readReasons(value: unknown): Reason[] {
  if (!Array.isArray(value)) throw new Invalid('decision.reasons', 'must be a list');
  return value.map((reason, i) => {
    const path = `decision.reasons[${i}]`;
    if (!isObject(reason)) throw new Invalid(path, 'must be an object with rule and message');
    onlyKeys(reason, ['rule', 'message'], path);
    if (typeof reason.rule !== 'string' || reason.rule === '')
      throw new Invalid(`${path}.rule`, 'must be a non-empty string');
    if (typeof reason.message !== 'string') throw new Invalid(`${path}.message`, 'must be a string');
    return { rule: reason.rule, message: reason.message };
  });
}

function readMasks(value: unknown): MaskRule[] {
  if (!Array.isArray(value)) throw new Invalid('decision.masks', 'must be a list');
  return value.map((mask, i) => {
    const path = `decision.masks[${i}]`;
    if (!isObject(mask)) throw new Invalid(path, 'must be an object');
    onlyKeys(mask, [...SELECTORS, 'strategy', 'keep'], path);
    const selectors = SELECTORS.filter((k) => mask[k] !== undefined);
    if (selectors.length !== 1)
      throw new Invalid(path, 'must have exactly one of column, path, detector, pattern');
    const selector = selectors[0]!;
    const target = mask[selector];
    if (typeof target !== 'string' || target === '')
      throw new Invalid(`${path}.${selector}`, 'must be a non-empty string');
    if (selector === 'detector' && !DETECTORS.includes(target as DetectorName)) {
      throw new Invalid(`${path}.detector`, `must be one of ${DETECTORS.join(', ')}`);
    }
    if (!MASK_STRATEGIES.includes(mask.strategy as MaskStrategy)) {
      throw new Invalid(`${path}.strategy`, `must be one of ${MASK_STRATEGIES.join(', ')}`);
    }
    const rule = { [selector]: target, strategy: mask.strategy } as unknown as MaskRule;
    if (mask.keep !== undefined) {
      if (!Number.isSafeInteger(mask.keep) || (mask.keep as number) < 0) {
        throw new Invalid(`${path}.keep`, 'must be a non-negative integer');
      }
      rule.keep = mask.keep as number;
    }
    return rule;
  });
}

function readApproval(value: unknown): ApprovalRequirement {
  const path = 'decision.approval';
  if (!isObject(value)) throw new Invalid(path, 'must be an object');
  onlyKeys(value, ['reviewers', 'quorum', 'scope', 'ttl'], path);
  const { reviewers, quorum, scope, ttl } = value;
  if (
    !Array.isArray(reviewers) ||
    reviewers.length === 0 ||
    !reviewers.every((r) => typeof r === 'string' && r !== '')
  ) {
    throw new Invalid(`${path}.reviewers`, 'must be a non-empty list of reviewer names');
  }
  if (!Number.isSafeInteger(quorum) || (quorum as number) < 1)
    throw new Invalid(`${path}.quorum`, 'must be an integer of at least 1');
  if (scope !== 'statement' && scope !== 'session')
    throw new Invalid(`${path}.scope`, 'must be statement or session');
  const ms = typeof ttl === 'string' ? tryParseDuration(ttl) : undefined;
  if (ms === undefined || ms <= 0)
    throw new Invalid(`${path}.ttl`, 'must be a positive duration such as 15m or 1h30m');
  return { reviewers: [...(reviewers as string[])], quorum: quorum as number, scope, ttl: ttl as string };
}
