import {
  auditRecordFromDecision,
  type Decision,
  type DecisionResult,
  type GrantedApproval,
  type HttpRequestInput,
  httpFingerprint,
  toGrantedApproval,
} from '@portcullis/core';
import { FetchApprovalDeniedError, FetchApprovalRequiredError, FetchDeniedError } from './errors.js';
import type { ResolvedGuard, SubjectInput } from './guard-options.js';

export interface OutboundRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Decide an outbound request: resolves with the decision to enforce when it may leave (an
 * allow, or an approve whose approval is granted), and throws the typed error otherwise.
 */
export async function decideOutbound(guard: ResolvedGuard, req: OutboundRequest): Promise<Decision> {
  const subject =
    typeof guard.subject === 'function'
      ? await guard.subject({ method: req.method, url: req.url })
      : guard.subject;
  const http: HttpRequestInput = { method: req.method, url: req.url, headers: req.headers };
  if (req.body !== undefined) http.body = req.body;
  const decide = () => decideOnce(guard, subject, http);
  const result = await decide();
  const { decision } = result;
  if (decision.effect !== 'approve' || guard.approvals === undefined) await audited(guard, result);
  if (decision.effect === 'allow') return decision;
  if (decision.effect === 'deny') throw new FetchDeniedError(denyMessage(req, decision), result);

  const approvals = guard.approvals;
  if (approvals === undefined) {
    throw new FetchDeniedError(
      `${req.method} ${req.url} needs approval and no approval store is configured`,
      result,
    );
  }
  const fingerprint = httpFingerprint(req.method, req.url, req.body);
  // The policy saw this guard's grants and still asked: one covering the request is the approval it asks for.
  const mine = covering(guard.granted, fingerprint);
  if (mine) {
    await audited(guard, result, mine.id);
    return granted(decision, mine);
  }
  const earlier = await approvals.store.findGranted({
    subjectId: subject.id,
    resourceName: guard.resource.name,
    fingerprint,
    sessionId: guard.sessionId,
  });
  if (earlier) {
    await audited(guard, result, earlier.id);
    return withGrant(guard, toGrantedApproval(earlier), decide);
  }

  const requirement = decision.approval;
  const pending = await approvals.store.request({
    requester: requesterOf(subject),
    subject: subject.id,
    resource: guard.resource.name,
    fingerprint,
    sessionId: guard.sessionId,
    reviewers: requirement?.reviewers ?? [],
    quorum: requirement?.quorum ?? 1,
    scope: requirement?.scope ?? 'statement',
    ttl: requirement?.ttl ?? '15m',
    summary: `${req.method} ${result.input.action.http?.url ?? req.url}`,
    reasons: decision.reasons,
    ...(approvals.waitMs > 0 ? { wait: `${Math.ceil(approvals.waitMs)}ms` } : {}),
  });
  await audited(guard, result, pending.id);
  if (guard.onApprove === 'throw' || approvals.waitMs === 0) {
    throw new FetchApprovalRequiredError(
      `${req.method} ${req.url} is held for approval ${pending.id}`,
      pending.id,
      result,
    );
  }
  const outcome = await approvals.store.waitFor(pending.id, {
    timeoutMs: approvals.waitMs,
    ...(req.signal ? { signal: req.signal } : {}),
  });
  if (outcome.state === 'approved') return withGrant(guard, toGrantedApproval(outcome), decide);
  if (outcome.state === 'pending') {
    throw new FetchApprovalRequiredError(
      `approval ${pending.id} was not granted within ${approvals.waitMs} ms; retry once it is`,
      pending.id,
      result,
    );
  }
  throw new FetchApprovalDeniedError(pending.id, outcome.state, result);
}

async function decideOnce(
  guard: ResolvedGuard,
  subject: SubjectInput,
  http: HttpRequestInput,
): Promise<DecisionResult> {
  const now = Date.now();
  const approvals = guard.granted.filter((g) => Date.parse(g.expires_at) > now);
  const cache = guard.cache;
  const key = cache?.key(
    {
      subject,
      sessionId: guard.sessionId,
      method: http.method,
      url: http.url,
      headers: (http.headers ?? {}) as Record<string, string>,
      body: http.body,
      approvals,
    },
    now,
  );
  if (key !== undefined) {
    const hit = cache?.get(key, now);
    if (hit !== undefined) return hit;
  }
  const generation = guard.engine.generation;
  const result = await guard.engine.decide({
    subject,
    resource: guard.resource,
    session: { id: guard.sessionId, approvals },
    http,
  });
  if (key !== undefined) cache?.set(key, result, now, generation);
  return result;
}

/** Every decision is audited before it is enforced; a request that cannot be audited does not leave. */
async function audited(guard: ResolvedGuard, result: DecisionResult, approvalId?: string): Promise<void> {
  if (guard.audit === undefined) return;
  try {
    await guard.audit.write(auditRecordFromDecision(result, approvalId === undefined ? {} : { approvalId }));
  } catch (err) {
    const refused: DecisionResult = {
      ...result,
      decision: {
        effect: 'deny',
        reasons: [{ rule: 'portcullis.audit_failed', message: 'the request could not be audited' }],
        masks: [],
      },
    };
    throw new FetchDeniedError('the request could not be audited; it was not sent', refused, { cause: err });
  }
}

/** Decide again with the grant in session.approvals, so a policy that reads them has its say. */
async function withGrant(
  guard: ResolvedGuard,
  grant: GrantedApproval,
  decide: () => Promise<DecisionResult>,
): Promise<Decision> {
  if (!guard.granted.some((g) => g.id === grant.id)) guard.granted.push(grant);
  const again = await decide();
  await audited(guard, again, grant.id);
  if (again.decision.effect === 'allow') return again.decision;
  if (again.decision.effect === 'deny') {
    throw new FetchDeniedError(`denied after approval ${grant.id}`, again);
  }
  return granted(again.decision, grant);
}

function granted(decision: Decision, grant: GrantedApproval): Decision {
  return {
    effect: 'allow',
    reasons: [
      ...decision.reasons,
      { rule: 'portcullis.approval_granted', message: `approved in request ${grant.id}` },
    ],
    masks: decision.masks,
  };
}

function covering(grants: readonly GrantedApproval[], fingerprint: string): GrantedApproval | undefined {
  const now = Date.now();
  return grants.find(
    (g) =>
      Date.parse(g.expires_at) > now &&
      (g.scope === 'session' || (g.scope === 'statement' && g.fingerprint === fingerprint)),
  );
}

/** The person an agent acts for (its `act` claim, RFC 8693) asked; otherwise the subject did. */
function requesterOf(subject: SubjectInput): string {
  const act = subject.claims?.act;
  if (typeof act === 'object' && act !== null && typeof (act as { sub?: unknown }).sub === 'string') {
    return (act as { sub: string }).sub;
  }
  return subject.id;
}

function denyMessage(req: OutboundRequest, decision: Decision): string {
  const why = decision.reasons.map((r) => `${r.rule}: ${r.message}`).join('; ');
  return `${req.method} ${req.url} denied by policy${why ? ` (${why})` : ''}`;
}
