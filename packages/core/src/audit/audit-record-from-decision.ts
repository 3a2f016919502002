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
  const record: AuditRecord = {
    id: randomUUID(),
    time: input.time,
    decision_id: result.id,
    session_id: input.session.id,
    subject: { id: input.subject.id, kind: input.subject.kind, groups: [...input.subject.groups] },
    resource: { type: input.resource.type, name: input.resource.name, labels: { ...input.resource.labels } },
    source: input.session.source,
    action: summarizeAction(input),
    effect: decision.effect,
    reasons: copyFlat(decision.reasons),
    masks: copyFlat(enforcement.masks ?? decision.masks),
    durations: { facts_ms: evaluation.factsMs, evaluation_ms: evaluation.durationMs },
    cached: evaluation.cached,
  };
  if (enforcement.decisionMs !== undefined) record.durations.decision_ms = enforcement.decisionMs;
  if (enforcement.upstreamMs !== undefined) record.durations.upstream_ms = enforcement.upstreamMs;
  if (enforcement.totalMs !== undefined) record.durations.total_ms = enforcement.totalMs;
  if (enforcement.responseDigest !== undefined) record.response_digest = enforcement.responseDigest;
  if (enforcement.approvalId !== undefined) record.approval_id = enforcement.approvalId;
  if (evaluation.error !== undefined) record.error = { ...evaluation.error };
  if (enforcement.stage !== undefined) record.stage = enforcement.stage;
  if (enforcement.response !== undefined) record.response = { ...enforcement.response };
  return record;
}

/**
 * A deep copy of a list of flat records (reasons, mask rules: strings and numbers only), as
 * structuredClone would make it but without its serialisation, which costs several µs for the
 * dozen masks a policy returns on every decision. Anything not flat goes to structuredClone.
 */
function copyFlat<T extends object>(list: readonly T[]): T[] {
  const out = new Array<T>(list.length);
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (typeof item !== 'object' || item === null || Object.getPrototypeOf(item) !== Object.prototype)
      return structuredClone(list) as T[];
    const copy = { ...item };
    for (const key in copy) {
      const value = (copy as Record<string, unknown>)[key];
      if (value !== null && typeof value === 'object') return structuredClone(list) as T[];
      if (typeof value === 'function' || typeof value === 'symbol') return structuredClone(list) as T[];
    }
    out[i] = copy;
  }
  return out;
}

function summarizeAction({ action }: InputDocument): AuditRecord['action'] {
  if (action.sql !== undefined) {
    return {
      type: action.type,
      summary: action.sql.raw,
      fingerprints: action.sql.statements.map((s) => s.fingerprint),
    };
  }
  if (action.shell !== undefined) return { type: action.type, summary: action.shell.raw };
  if (action.http !== undefined)
    return { type: action.type, summary: `${action.http.method} ${action.http.url}` };
  if (action.file !== undefined) {
    const f = action.file;
    return {
      type: action.type,
      summary: `${f.protocol} ${f.operation} ${f.path}${f.target === undefined ? '' : ` -> ${f.target}`}`,
    };
  }
  return { type: action.type, summary: '' };
}
