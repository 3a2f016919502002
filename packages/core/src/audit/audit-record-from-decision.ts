import { randomUUID } from 'node:crypto';
import type { InputDocument, MaskRule } from '../contract.js';
import type { DecisionResult } from '../engine/decision-result.js';
import type { AuditRecord, AuditResponse, AuditStage } from './audit-record.js';

export interface AuditEnforcement {
  /** Masks actually applied; defaults to the decision's masks. */
  masks?: MaskRule[];
  responseDigest?: string;
  approvalId?: string;
  /** From receiving the request to the final verdict, approval waits included. */
  decisionMs?: number;
  upstreamMs?: number;
  totalMs?: number;
  /** Defaults to a decision record (no `stage` field). */
  stage?: AuditStage;
  response?: AuditResponse;
}

/** The audit record for a decision and what the adapter did with it. */
export function auditRecordFromDecision(
  result: DecisionResult,
  enforcement: AuditEnforcement = {},
): AuditRecord {
  const { input, decision, evaluation } = result;
  // Members in sorted key order, optional ones in their place: an audit log serialises the
  // record canonically, and a record already in that order takes the native serialiser.
  const durations: AuditRecord['durations'] = {};
  if (enforcement.decisionMs !== undefined) durations.decision_ms = enforcement.decisionMs;
  durations.evaluation_ms = evaluation.durationMs;
  durations.facts_ms = evaluation.factsMs;
  if (enforcement.totalMs !== undefined) durations.total_ms = enforcement.totalMs;
  if (enforcement.upstreamMs !== undefined) durations.upstream_ms = enforcement.upstreamMs;
  const record = { action: summarizeAction(input) } as AuditRecord;
  if (enforcement.approvalId !== undefined) record.approval_id = enforcement.approvalId;
  record.cached = evaluation.cached;
  record.decision_id = result.id;
  record.durations = durations;
  record.effect = decision.effect;
  if (evaluation.error !== undefined) record.error = sortedCopy(evaluation.error);
  record.id = randomUUID();
  record.masks = copyFlat(enforcement.masks ?? decision.masks);
  record.reasons = copyFlat(decision.reasons);
  record.resource = {
    labels: sortedCopy(input.resource.labels ?? {}),
    name: input.resource.name,
    type: input.resource.type,
  };
  if (enforcement.response !== undefined) record.response = sortedCopy(enforcement.response);
  if (enforcement.responseDigest !== undefined) record.response_digest = enforcement.responseDigest;
  record.session_id = input.session.id;
  record.source = input.session.source;
  if (enforcement.stage !== undefined) record.stage = enforcement.stage;
  record.subject = { groups: [...input.subject.groups], id: input.subject.id, kind: input.subject.kind };
  record.time = input.time;
  return record;
}

/**
 * A deep copy of a list of flat records (reasons, mask rules: strings and numbers only), as
 * structuredClone would make it but without its serialisation, which costs several µs for the
 * dozen masks a policy returns on every decision. Anything not flat goes to structuredClone.
 * Each copy has its keys in sorted order, as the record's own members.
 */
function copyFlat<T extends object>(list: readonly T[]): T[] {
  const out = new Array<T>(list.length);
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (typeof item !== 'object' || item === null || Object.getPrototypeOf(item) !== Object.prototype)
      return structuredClone(list) as T[];
    const keys = Object.keys(item);
    let ordered = true;
    for (let k = 0; k < keys.length; k++) {
      const value = (item as Record<string, unknown>)[keys[k] as string];
      if (value !== null && typeof value === 'object') return structuredClone(list) as T[];
      if (typeof value === 'function' || typeof value === 'symbol') return structuredClone(list) as T[];
      if (k > 0 && (keys[k - 1] as string) >= (keys[k] as string)) ordered = false;
    }
    out[i] = ordered ? { ...item } : sortedCopy(item);
  }
  return out;
}

/** A shallow copy with its keys in sorted order. */
function sortedCopy<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = (value as Record<string, unknown>)[key];
  return out as T;
}

function summarizeAction({ action }: InputDocument): AuditRecord['action'] {
  if (action.sql !== undefined) {
    return {
      fingerprints: action.sql.statements.map((s) => s.fingerprint),
      summary: action.sql.raw,
      type: action.type,
    };
  }
  if (action.shell !== undefined) return { summary: action.shell.raw, type: action.type };
  if (action.http !== undefined)
    return { summary: `${action.http.method} ${action.http.url}`, type: action.type };
  if (action.file !== undefined) {
    const f = action.file;
    return {
      summary: `${f.protocol} ${f.operation} ${f.path}${f.target === undefined ? '' : ` -> ${f.target}`}`,
      type: action.type,
    };
  }
  return { summary: '', type: action.type };
}
