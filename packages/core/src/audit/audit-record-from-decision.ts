import type { InputDocument, MaskRule, Reason } from '../contract.js';
import type { DecisionResult } from '../engine/decision-result.js';
import type { AuditRecord, AuditResponse, AuditStage } from './audit-record.js';
import { newAuditRecordId } from './audit-record-id.js';
import { canonicalSnapshot } from './canonical-json.js';
import { redactCredentials, redactShellCredentials } from './redact-credentials.js';

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
  record.id = newAuditRecordId();
  if (decision.limits !== undefined) record.limits = sortedCopy(decision.limits);
  record.masks = flatListSnapshot(enforcement.masks ?? decision.masks, lastMasks);
  record.reasons = flatListSnapshot(decision.reasons, lastReasons, redactReasons);
  record.resource = resourceSnapshot(input.resource);
  if (enforcement.response !== undefined) record.response = sortedCopy(enforcement.response);
  if (enforcement.responseDigest !== undefined) record.response_digest = enforcement.responseDigest;
  record.session_id = input.session.id;
  record.source = input.session.source;
  if (enforcement.stage !== undefined) record.stage = enforcement.stage;
  record.subject = subjectSnapshot(input.subject);
  record.time = input.time;
  return record;
}

/**
 * Records share frozen snapshots (canonicalSnapshot) of what repeats from one record to the
 * next: the decision's masks and reasons, the resource, the subject. Each snapshot is kept
 * for the object it was taken of and used again only while that object still holds the same
 * values, so a caller that changes its masks in place gets a new one. The last snapshot of
 * each kind also serves an equal object that is not the same one.
 */
const listSnapshots = new WeakMap<object, object[]>();
const resourceSnapshots = new WeakMap<object, AuditRecord['resource']>();
const subjectSnapshots = new WeakMap<object, AuditRecord['subject']>();
const lastMasks: { value?: object[] } = {};
const lastReasons: { value?: object[] } = {};
let lastResource: AuditRecord['resource'] | undefined;
let lastSubject: AuditRecord['subject'] | undefined;

/**
 * A snapshot of a list of flat records (members primitive, or lists of primitives such as a
 * mask's `except`); copyFlat's copy when an item is not flat. `clean`
 * changes the fresh copy in place before it is kept (reasons lose the credentials they
 * quote). A kept snapshot serves a list only while every value is the same, so a list that
 * `clean` changed is copied and cleaned each time; one it left alone is served as any other.
 */
function flatListSnapshot<T extends object>(
  list: readonly T[],
  last: { value?: object[] },
  clean?: (copy: T[]) => void,
): T[] {
  if (list.length === 0) return [];
  const kept = listSnapshots.get(list);
  if (kept !== undefined && sameFlatList(list, kept)) return kept as T[];
  if (last.value !== undefined && sameFlatList(list, last.value)) {
    listSnapshots.set(list, last.value);
    return last.value as T[];
  }
  const copy = copyFlat(list);
  clean?.(copy);
  if (!isFlatList(copy)) return copy;
  const snapshot = canonicalSnapshot(copy);
  listSnapshots.set(list, snapshot);
  last.value = snapshot;
  return snapshot;
}

/**
 * A policy's reason can quote what it judged (`sudo runs as another user: sudo -u app psql
 * postgres://app:…@db`, the URL a download came from): the credentials in it are redacted
 * as in the summary. Idempotent, so a snapshot it made compares equal to its own values.
 */
function redactReasons(reasons: Reason[]): void {
  for (const reason of reasons) {
    if (typeof reason?.message === 'string') reason.message = redactCredentials(reason.message);
  }
}

function isFlatList(list: readonly object[]): boolean {
  for (const item of list) {
    for (const value of Object.values(item)) if (!isFlatMember(value)) return false;
  }
  return true;
}

/** A primitive, or a list of primitives. */
function isFlatMember(value: unknown): boolean {
  if (!Array.isArray(value)) return value === null || typeof value !== 'object';
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (item !== null && typeof item === 'object') return false;
  }
  return true;
}

/**
 * Same length, and each item has the same own keys with the same primitive values (a list
 * member: the same primitives in the same order).
 */
function sameFlatList(list: readonly object[], snapshot: readonly object[]): boolean {
  if (list.length !== snapshot.length) return false;
  for (let i = 0; i < list.length; i++) {
    if (!sameFlatRecord(list[i], snapshot[i])) return false;
  }
  return true;
}

function sameFlatRecord(value: unknown, snapshot: unknown): boolean {
  if (typeof value !== 'object' || value === null || typeof snapshot !== 'object' || snapshot === null)
    return false;
  let count = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return false;
    const member = (value as Record<string, unknown>)[key];
    // A member JSON leaves out (undefined) is not in the snapshot.
    if (member === undefined) continue;
    const kept = (snapshot as Record<string, unknown>)[key];
    if (member !== kept && !(Array.isArray(member) && Array.isArray(kept) && sameItems(member, kept)))
      return false;
    count++;
  }
  return count === Object.keys(snapshot).length;
}

function sameItems(list: readonly unknown[], snapshot: readonly unknown[]): boolean {
  if (list.length !== snapshot.length) return false;
  for (let i = 0; i < list.length; i++) if (list[i] !== snapshot[i]) return false;
  return true;
}

function resourceSnapshot(resource: InputDocument['resource']): AuditRecord['resource'] {
  const kept = resourceSnapshots.get(resource);
  if (kept !== undefined && sameResource(resource, kept)) return kept;
  if (lastResource === undefined || !sameResource(resource, lastResource)) {
    lastResource = canonicalSnapshot({
      labels: sortedCopy(resource.labels ?? {}),
      name: resource.name,
      type: resource.type,
    });
  }
  if (kept !== lastResource) resourceSnapshots.set(resource, lastResource);
  return lastResource;
}

function sameResource(resource: InputDocument['resource'], snapshot: AuditRecord['resource']): boolean {
  return (
    snapshot.name === resource.name &&
    snapshot.type === resource.type &&
    sameFlatRecord(resource.labels ?? {}, snapshot.labels)
  );
}

function subjectSnapshot(subject: InputDocument['subject']): AuditRecord['subject'] {
  const kept = subjectSnapshots.get(subject);
  if (kept !== undefined && sameSubject(subject, kept)) return kept;
  if (lastSubject === undefined || !sameSubject(subject, lastSubject)) {
    lastSubject = canonicalSnapshot({ groups: [...subject.groups], id: subject.id, kind: subject.kind });
  }
  if (kept !== lastSubject) subjectSnapshots.set(subject, lastSubject);
  return lastSubject;
}

function sameSubject(subject: InputDocument['subject'], snapshot: AuditRecord['subject']): boolean {
  if (snapshot.id !== subject.id || snapshot.kind !== subject.kind) return false;
  const { groups } = subject;
  if (snapshot.groups.length !== groups.length) return false;
  for (let i = 0; i < groups.length; i++) if (snapshot.groups[i] !== groups[i]) return false;
  return true;
}

/**
 * A copy of a list of flat records (reasons, mask rules: strings, numbers and lists of them)
 * without structuredClone's serialisation, which costs several µs for the dozen masks a
 * policy returns on every decision; its lists are the original's, which is safe only because
 * the one caller snapshots such a copy (a fresh deep copy) before anything else sees it.
 * Anything else goes to structuredClone. Each copy has its keys in sorted order, as the
 * record's own members.
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
      const isList = Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype;
      if (isList ? !isFlatMember(value) : value !== null && typeof value === 'object')
        return structuredClone(list) as T[];
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
      summary: redactCredentials(action.sql.raw),
      type: action.type,
    };
  }
  if (action.shell !== undefined) return { summary: redactShellCredentials(action.shell), type: action.type };
  if (action.http !== undefined)
    return { summary: redactCredentials(`${action.http.method} ${action.http.url}`), type: action.type };
  if (action.file !== undefined) {
    const f = action.file;
    return {
      summary: `${f.protocol} ${f.operation} ${f.path}${f.target === undefined ? '' : ` -> ${f.target}`}`,
      type: action.type,
    };
  }
  return { summary: '', type: action.type };
}
