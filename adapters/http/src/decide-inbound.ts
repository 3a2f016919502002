import {
  type AuditRecord,
  auditRecordFromDecision,
  type Decision,
  type DecisionResult,
  type GrantedApproval,
  type HttpBody,
  httpFingerprint,
  type Masker,
  newAuditRecordId,
  type Reason,
  type RequestCacheParts,
  toGrantedApproval,
} from '@portcullis/core';
import type { ResolvedHttpGuard, SubjectInput } from './options.js';
import { type HttpAnswer, PROBLEM_TYPES, problem } from './problem-document.js';

/** An inbound request as the framework adapters hand it in. */
export interface InboundRequest {
  method: string;
  /** The request-target (`/path?query`); resolved against the Host header. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  source: string;
  body: HttpBody | undefined;
  /**
   * Gives the signal aborted when the client goes away, to end a hold. Asked only when a
   * request is held, so the common path allocates no AbortController and adds no listener.
   */
  hold: { signal(): AbortSignal };
}

export type InboundOutcome =
  | { kind: 'allow'; decision: Decision; masker: Masker | undefined }
  | { kind: 'answer'; answer: HttpAnswer };

/**
 * Decide one inbound request: the decision to enforce when the application may handle it,
 * or the answer to send instead (401, 403, 202, 503), each audited. Never throws: whatever
 * goes wrong is a fail-closed answer.
 *
 * Synchronous (no promise, no microtask turn) when it can be: a `subject` hook that answers
 * synchronously, no audit sink, and an `allow` found in the decision cache. That is the
 * common case of a guarded API under load, and a promise per request is a measurable part
 * of what the middleware costs there. Every other case returns a promise.
 */
export function decideInbound<Req>(
  guard: ResolvedHttpGuard<Req>,
  frameworkRequest: Req,
  req: InboundRequest,
): InboundOutcome | Promise<InboundOutcome> {
  let subject: SubjectInput | undefined | Promise<SubjectInput | undefined>;
  try {
    subject = guard.subject(frameworkRequest);
  } catch {
    subject = undefined;
  }
  if (isPromiseLike(subject)) {
    return Promise.resolve(subject).then(
      (who) => decideFor(guard, frameworkRequest, req, who),
      () => decideFor(guard, frameworkRequest, req, undefined),
    );
  }
  return decideFor(guard, frameworkRequest, req, subject);
}

function decideFor<Req>(
  guard: ResolvedHttpGuard<Req>,
  frameworkRequest: Req,
  req: InboundRequest,
  subject: SubjectInput | undefined,
): InboundOutcome | Promise<InboundOutcome> {
  if (subject === undefined || subject === null || typeof subject.id !== 'string' || subject.id === '') {
    const reasons = [{ rule: 'portcullis.unauthenticated', message: 'no verified identity' }];
    return answered(
      guard,
      refusalRecord(guard, req, reasons, 'PC_HTTP_UNAUTHENTICATED'),
      problem(
        {
          type: PROBLEM_TYPES.unauthenticated,
          title: 'Unauthenticated',
          status: 401,
          detail: 'the request carries no verified identity',
          code: 'PC_HTTP_UNAUTHENTICATED',
        },
        { 'www-authenticate': 'Bearer' },
      ),
    );
  }
  let sessionId: string;
  try {
    sessionId = guard.session(frameworkRequest, subject);
  } catch (err) {
    return { kind: 'answer', answer: failure(guard, `the session could not be named: ${messageOf(err)}`) };
  }
  const cache = guard.cache;
  if (cache === undefined) return decideSlow(guard, req, subject, sessionId, undefined);
  const now = Date.now();
  let key: string | undefined;
  try {
    key = cache.key(cacheParts(req, subject, sessionId, NO_GRANTS), now);
  } catch (err) {
    // A subject that cannot be keyed (a cycle, a BigInt claim) cannot be decided either.
    return { kind: 'answer', answer: failure(guard, `the request could not be decided: ${messageOf(err)}`) };
  }
  if (key !== undefined && guard.audit === undefined) {
    // The shared, frozen decision: an allow without an audit sink needs nothing else of the
    // result (no id, no time), so nothing else is built.
    const decision = cache.peek(key, now);
    if (decision !== undefined && decision.effect === 'allow') return allow(guard, decision);
  }
  return decideSlow(guard, req, subject, sessionId, key === undefined ? undefined : { key, now });
}

const NO_GRANTS: readonly GrantedApproval[] = [];

function cacheParts(
  req: InboundRequest,
  subject: SubjectInput,
  sessionId: string,
  approvals: readonly GrantedApproval[],
): RequestCacheParts {
  return {
    subject,
    sessionId,
    source: req.source,
    method: req.method,
    url: req.url,
    headers: req.headers,
    body: req.body,
    approvals,
  };
}

async function decideSlow<Req>(
  guard: ResolvedHttpGuard<Req>,
  req: InboundRequest,
  subject: SubjectInput,
  sessionId: string,
  firstKey: { key: string; now: number } | undefined,
): Promise<InboundOutcome> {
  const who = subject;
  const granted: GrantedApproval[] = [];
  let pending: { key: string; now: number } | undefined = firstKey;
  const decide = async (): Promise<DecisionResult> => {
    const cache = guard.cache;
    let key: string | undefined;
    let now = 0;
    if (pending !== undefined) {
      // The key the synchronous path already computed, for the first decision only.
      ({ key, now } = pending);
      pending = undefined;
    } else if (cache !== undefined) {
      now = Date.now();
      key = cache.key(cacheParts(req, who, sessionId, granted), now);
    }
    if (key !== undefined) {
      const hit = cache?.get(key, now);
      if (hit !== undefined) return hit;
    }
    const generation = guard.engine.generation;
    const result = await guard.engine.decide({
      subject: who,
      resource: guard.resource,
      session: { id: sessionId, source: req.source, approvals: [...granted] },
      http: {
        method: req.method,
        url: req.url,
        headers: req.headers,
        ...(req.body === undefined ? {} : { body: req.body }),
      },
    });
    if (key !== undefined) cache?.set(key, result, now, generation);
    return result;
  };

  try {
    const result = await decide();
    const { decision } = result;
    if ((decision.effect !== 'approve' || guard.approvals === undefined) && guard.audit !== undefined) {
      const failed = await audit(guard, auditRecordFromDecision(result));
      if (failed) return failed;
    }
    if (decision.effect === 'allow') return allow(guard, decision);
    if (decision.effect === 'deny') return { kind: 'answer', answer: denied(guard, result) };

    const approvals = guard.approvals;
    if (approvals === undefined) {
      return {
        kind: 'answer',
        answer: denied(guard, result, [
          {
            rule: 'portcullis.approval_unavailable',
            message: 'approval is required and none can be requested here',
          },
        ]),
      };
    }
    // Filed under the engine's action fingerprint, the one the policy compares a grant's
    // fingerprint with (`input.action.fingerprint`), so a statement-scoped grant releases the
    // re-run in the policy's own eyes too.
    const fingerprint =
      result.input.action.fingerprint ??
      httpFingerprint(req.method, result.input.action.http?.url ?? req.url, bodyBytes(req.body));
    const earlier = await approvals.store.findGranted({
      subjectId: who.id,
      resourceName: guard.resource.name,
      fingerprint,
      sessionId,
    });
    if (earlier) {
      const failed = await audit(guard, auditRecordFromDecision(result, { approvalId: earlier.id }));
      return failed ?? withGrant(toGrantedApproval(earlier));
    }
    const requirement = decision.approval;
    const pending = await approvals.store.request({
      requester: requesterOf(who),
      subject: who.id,
      resource: guard.resource.name,
      fingerprint,
      sessionId,
      reviewers: requirement?.reviewers ?? [],
      quorum: requirement?.quorum ?? 1,
      scope: requirement?.scope ?? 'statement',
      ttl: requirement?.ttl ?? '15m',
      summary: `${req.method} ${result.input.action.http?.url ?? req.url}`,
      reasons: decision.reasons,
    });
    const failed = await audit(guard, auditRecordFromDecision(result, { approvalId: pending.id }));
    if (failed) return failed;
    const location = `${approvals.statusPath}/${encodeURIComponent(pending.id)}`;
    const accepted = (state: string): InboundOutcome => ({
      kind: 'answer',
      answer: {
        status: 202,
        headers: { location, 'content-type': 'application/json' },
        body: {
          status: state,
          approval_id: pending.id,
          location,
          expires_at: pending.expires_at,
          reasons: decision.reasons,
          detail:
            'the request is held for approval; poll the location, and send the request again once it is approved',
        },
      },
    });
    if (guard.onApprove === 'accept' || guard.holdMs === 0) return accepted('pending');
    let outcome: typeof pending;
    try {
      outcome = await approvals.store.waitFor(pending.id, {
        timeoutMs: guard.holdMs,
        signal: req.hold.signal(),
      });
    } catch {
      // The client went away while held; the approval stays filed for a later re-run.
      return accepted('pending');
    }
    if (outcome.state === 'approved') return withGrant(toGrantedApproval(outcome));
    if (outcome.state === 'pending') return accepted('pending');
    return {
      kind: 'answer',
      answer: problem({
        type: PROBLEM_TYPES.approvalDenied,
        title: 'Approval not granted',
        status: 403,
        detail: `approval ${pending.id} was ${outcome.state}`,
        reasons: decision.reasons,
        decision_id: result.id,
        approval_id: pending.id,
      }),
    };
  } catch (err) {
    return { kind: 'answer', answer: failure(guard, `the request could not be decided: ${messageOf(err)}`) };
  }

  /** Decide again with the grant in session.approvals, so a policy that reads them has its say. */
  async function withGrant(grant: GrantedApproval): Promise<InboundOutcome> {
    granted.push(grant);
    const again = await decide();
    if (again.decision.effect === 'deny') {
      const failed = await audit(guard, auditRecordFromDecision(again, { approvalId: grant.id }));
      return failed ?? { kind: 'answer', answer: denied(guard, again) };
    }
    const enforced: Decision = {
      effect: 'allow',
      reasons: [
        ...again.decision.reasons,
        ...(again.decision.effect === 'approve'
          ? [{ rule: 'portcullis.approval_granted', message: `approved in request ${grant.id}` }]
          : []),
      ],
      masks: again.decision.masks,
    };
    // The record says what was done: the request went through, on the strength of the grant.
    const failed = await audit(
      guard,
      auditRecordFromDecision({ ...again, decision: enforced }, { approvalId: grant.id }),
    );
    return failed ?? allow(guard, enforced);
  }
}

function allow<Req>(guard: ResolvedHttpGuard<Req>, decision: Decision): InboundOutcome {
  return { kind: 'allow', decision, masker: guard.maskerFor(decision.masks) };
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === 'function';
}

function messageOf(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}

function denied<Req>(
  guard: ResolvedHttpGuard<Req>,
  result: DecisionResult,
  extra: Reason[] = [],
): HttpAnswer {
  const reasons = [...result.decision.reasons, ...extra];
  const error = result.evaluation.error;
  if (error !== undefined) {
    return problem({
      type: PROBLEM_TYPES.decisionFailed,
      title: 'Request could not be decided',
      status: guard.failureStatus,
      detail: error.message,
      reasons,
      code: error.code,
      decision_id: result.id,
    });
  }
  return problem({
    type: PROBLEM_TYPES.denied,
    title: 'Forbidden by policy',
    status: 403,
    detail: reasons.map((r) => r.message).join('; ') || 'the policy denied this request',
    reasons,
    decision_id: result.id,
  });
}

function failure<Req>(guard: ResolvedHttpGuard<Req>, detail: string): HttpAnswer {
  return problem({
    type: PROBLEM_TYPES.decisionFailed,
    title: 'Request could not be decided',
    status: guard.failureStatus,
    detail,
    code: 'PC_HTTP_DECISION_FAILED',
  });
}

/** Write a record; on failure, the fail-closed answer to send instead. */
async function audit<Req>(
  guard: ResolvedHttpGuard<Req>,
  record: AuditRecord,
): Promise<InboundOutcome | undefined> {
  if (guard.audit === undefined) return undefined;
  try {
    await guard.audit.write(record);
    return undefined;
  } catch {
    return { kind: 'answer', answer: failure(guard, 'the request could not be audited') };
  }
}

async function answered<Req>(
  guard: ResolvedHttpGuard<Req>,
  record: AuditRecord,
  answer: HttpAnswer,
): Promise<InboundOutcome> {
  return (await audit(guard, record)) ?? { kind: 'answer', answer };
}

/** The audit record of a request refused before any decision (no identity, body too large). */
export function refusalRecord<Req>(
  guard: ResolvedHttpGuard<Req>,
  req: { method: string; url: string; source: string },
  reasons: Reason[],
  code: string,
  subjectId = '',
): AuditRecord {
  return {
    id: newAuditRecordId(),
    time: new Date().toISOString(),
    session_id: '',
    subject: { id: subjectId, kind: 'human', groups: [] },
    resource: { type: 'http', name: guard.resource.name, labels: { ...guard.resource.labels } },
    source: req.source,
    action: { type: 'http', summary: `${req.method} ${req.url}` },
    effect: 'deny',
    reasons,
    masks: [],
    durations: {},
    error: { code, message: reasons[0]?.message ?? code },
  };
}

/** Write a refusal's record; the answer, or the fail-closed answer if it cannot be audited. */
export async function auditedRefusal<Req>(
  guard: ResolvedHttpGuard<Req>,
  record: AuditRecord,
  answer: HttpAnswer,
): Promise<HttpAnswer> {
  const outcome = await answered(guard, record, answer);
  return outcome.kind === 'answer' ? outcome.answer : answer;
}

/** 413 for a request body over `maxBodyBytes`, audited as a refusal; the connection closes. */
export function refuseTooLarge<Req>(
  guard: ResolvedHttpGuard<Req>,
  req: { method: string; url: string; source: string },
): Promise<HttpAnswer> {
  const detail = `the request body exceeds ${guard.maxBodyBytes} bytes`;
  return auditedRefusal(
    guard,
    refusalRecord(
      guard,
      req,
      [{ rule: 'portcullis.body_too_large', message: detail }],
      'PC_HTTP_BODY_TOO_LARGE',
    ),
    problem(
      {
        type: PROBLEM_TYPES.bodyTooLarge,
        title: 'Request body too large',
        status: 413,
        detail,
        code: 'PC_HTTP_BODY_TOO_LARGE',
      },
      { connection: 'close' },
    ),
  );
}

function bodyBytes(body: HttpBody | undefined): Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return new TextEncoder().encode(JSON.stringify(body));
}

/** The person an agent acts for (its `act` claim, RFC 8693) asked; otherwise the subject did. */
function requesterOf(subject: SubjectInput): string {
  const act = subject.claims?.act;
  if (typeof act === 'object' && act !== null && typeof (act as { sub?: unknown }).sub === 'string') {
    return (act as { sub: string }).sub;
  }
  return subject.id;
}
