import RE2 from 're2';
import { tryParseDuration } from '../approvals/duration.js';
import type {
  ApprovalRequirement,
  Decision,
  DecisionLimits,
  DetectorName,
  Effect,
  MaskRule,
  MaskStrategy,
  Reason,
} from '../contract.js';
import { EXCEPT_MAX, parseColumnTarget } from '../masking/column-match.js';

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
  'password',
];
const SELECTORS = ['column', 'column_pattern', 'path', 'detector', 'pattern'] as const;
type Selector = (typeof SELECTORS)[number];

/**
 * Whether RE2 compiles a mask's pattern, remembered: a policy returns the same few patterns
 * on every answer. A pattern RE2 refuses would otherwise fail only when the masker is built,
 * in the middle of a session, where the decision is already taken.
 */
const compiles = new Map<string, boolean>();
const COMPILES_MAX = 512;

function re2Compiles(source: string): boolean {
  let ok = compiles.get(source);
  if (ok === undefined) {
    try {
      new RE2(source, 'u');
      ok = true;
    } catch {
      ok = false;
    }
    if (compiles.size >= COMPILES_MAX) compiles.clear();
    compiles.set(source, ok);
  }
  return ok;
}

// Sets for the per-decision membership tests: a policy returns a dozen masks on every answer.
const EFFECT_SET: ReadonlySet<string> = new Set(EFFECTS);
const STRATEGY_SET: ReadonlySet<string> = new Set(MASK_STRATEGIES);
const DETECTOR_SET: ReadonlySet<string> = new Set(DETECTORS);

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
 * Error paths are built only on failure: the shipped policies return a dozen masks per decision.
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
  for (const key in value) {
    if (key !== 'effect' && key !== 'reasons' && key !== 'masks' && key !== 'approval' && key !== 'limits')
      throw new Invalid(`decision.${key}`, 'is not a field of the decision contract');
  }
  const effect = value.effect as Effect;
  if (typeof effect !== 'string' || !EFFECT_SET.has(effect))
    throw new Invalid('decision.effect', `must be one of ${EFFECTS.join(', ')}`);
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
  if (value.limits !== undefined) {
    const limits = readLimits(value.limits);
    // A deny never runs (an approve may, once granted); an empty block bounds nothing.
    if (effect !== 'deny' && limits.affected_rows !== undefined) decision.limits = limits;
  }
  return decision;
}

function readReasons(value: unknown): Reason[] {
  if (!Array.isArray(value)) throw new Invalid('decision.reasons', 'must be a list');
  const out = new Array<Reason>(value.length);
  for (let i = 0; i < value.length; i++) {
    const reason: unknown = value[i];
    if (!isObject(reason))
      throw new Invalid(`decision.reasons[${i}]`, 'must be an object with rule and message');
    for (const key in reason) {
      if (key !== 'rule' && key !== 'message')
        throw new Invalid(`decision.reasons[${i}].${key}`, 'is not a field of the decision contract');
    }
    const { rule, message } = reason;
    if (typeof rule !== 'string' || rule === '')
      throw new Invalid(`decision.reasons[${i}].rule`, 'must be a non-empty string');
    if (typeof message !== 'string') throw new Invalid(`decision.reasons[${i}].message`, 'must be a string');
    out[i] = { rule, message };
  }
  return out;
}

function readMasks(value: unknown): MaskRule[] {
  if (!Array.isArray(value)) throw new Invalid('decision.masks', 'must be a list');
  const out = new Array<MaskRule>(value.length);
  for (let i = 0; i < value.length; i++) out[i] = readMask(value[i], i);
  return out;
}

function readMask(mask: unknown, i: number): MaskRule {
  if (!isObject(mask)) throw new Invalid(`decision.masks[${i}]`, 'must be an object');
  // One pass reads every field: masks come in several shapes, and reading absent fields by
  // name from each would be a slow lookup apiece.
  let selector: Selector | undefined;
  let selectors = 0;
  let target: unknown;
  let strategy: unknown;
  let keep: unknown;
  let except: unknown;
  for (const key in mask) {
    const field = mask[key];
    switch (key) {
      case 'column':
      case 'column_pattern':
      case 'path':
      case 'detector':
      case 'pattern':
        if (field !== undefined) {
          selector = key;
          target = field;
          selectors++;
        }
        break;
      case 'strategy':
        strategy = field;
        break;
      case 'keep':
        keep = field;
        break;
      case 'except':
        except = field;
        break;
      default:
        throw new Invalid(`decision.masks[${i}].${key}`, 'is not a field of the decision contract');
    }
  }
  if (selectors !== 1 || selector === undefined)
    throw new Invalid(
      `decision.masks[${i}]`,
      'must have exactly one of column, column_pattern, path, detector, pattern',
    );
  if (typeof target !== 'string' || target === '')
    throw new Invalid(`decision.masks[${i}].${selector}`, 'must be a non-empty string');
  if ((selector === 'pattern' || selector === 'column_pattern') && !re2Compiles(target)) {
    throw new Invalid(`decision.masks[${i}].${selector}`, 'is not a valid RE2 expression');
  }
  if (selector === 'detector' && !DETECTOR_SET.has(target)) {
    throw new Invalid(`decision.masks[${i}].detector`, `must be one of ${DETECTORS.join(', ')}`);
  }
  if (typeof strategy !== 'string' || !STRATEGY_SET.has(strategy)) {
    throw new Invalid(`decision.masks[${i}].strategy`, `must be one of ${MASK_STRATEGIES.join(', ')}`);
  }
  const s = strategy as MaskStrategy;
  // One literal per selector (the same key order as before: selector, strategy, keep).
  let rule: MaskRule;
  switch (selector) {
    case 'column':
      rule = { column: target, strategy: s };
      break;
    case 'column_pattern':
      rule = { column_pattern: target, strategy: s };
      if (except !== undefined) rule.except = readExcept(except, i);
      break;
    case 'path':
      rule = { path: target, strategy: s };
      break;
    case 'detector':
      rule = { detector: target as DetectorName, strategy: s };
      break;
    default:
      rule = { pattern: target, strategy: s };
  }
  if (except !== undefined && selector !== 'column_pattern')
    throw new Invalid(`decision.masks[${i}].except`, 'is only for a column_pattern mask');
  if (keep !== undefined) {
    if (!Number.isSafeInteger(keep) || (keep as number) < 0) {
      throw new Invalid(`decision.masks[${i}].keep`, 'must be a non-negative integer');
    }
    rule.keep = keep as number;
  }
  return rule;
}

function readExcept(value: unknown, i: number): string[] {
  if (!Array.isArray(value) || value.length > EXCEPT_MAX)
    throw new Invalid(`decision.masks[${i}].except`, `must be a list of at most ${EXCEPT_MAX} names`);
  const out = new Array<string>(value.length);
  for (let j = 0; j < value.length; j++) {
    const name: unknown = value[j];
    const target = typeof name === 'string' ? parseColumnTarget(name) : undefined;
    if (typeof name !== 'string' || target?.table === undefined)
      throw new Invalid(`decision.masks[${i}].except[${j}]`, 'must be table.column or schema.table.column');
    out[j] = name;
  }
  return out;
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
  const ms = typeof ttl === 'string' ? ttlMs(ttl) : undefined;
  if (ms === undefined || ms <= 0)
    throw new Invalid(`${path}.ttl`, 'must be a positive duration such as 15m or 1h30m');
  return { reviewers: [...(reviewers as string[])], quorum: quorum as number, scope, ttl: ttl as string };
}

function readLimits(value: unknown): DecisionLimits {
  const path = 'decision.limits';
  if (!isObject(value)) throw new Invalid(path, 'must be an object');
  onlyKeys(value, ['affected_rows'], path);
  const rows = value.affected_rows;
  if (rows === undefined) return {};
  if (!Number.isSafeInteger(rows) || (rows as number) < 0)
    throw new Invalid(`${path}.affected_rows`, 'must be a non-negative integer');
  return { affected_rows: rows as number };
}

/** Policies answer with a handful of distinct ttls: each is parsed once (a few hundred kept). */
const ttlCache = new Map<string, number | undefined>();
const MAX_TTLS = 256;

function ttlMs(ttl: string): number | undefined {
  if (ttlCache.has(ttl)) return ttlCache.get(ttl);
  const ms = tryParseDuration(ttl);
  if (ttlCache.size >= MAX_TTLS) ttlCache.clear();
  ttlCache.set(ttl, ms);
  return ms;
}
