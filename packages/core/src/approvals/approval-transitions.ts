import { randomUUID } from 'node:crypto';
import { redactCredentials } from '../audit/redact-credentials.js';
import { ApprovalStateError, InvalidOptionError, InvalidRequestError } from '../errors.js';
import { formatTime } from '../request/format-time.js';
import type { ApprovalRequest, ApprovalRequestInput, VoteInput } from './approval-store.js';
import { parseDuration, tryParseDuration } from './duration.js';
import { isAllowedReviewer } from './reviewer-match.js';

/**
 * The approval state machine every store shares (the in-memory one here, the gateway's SQLite
 * and PostgreSQL ones): what a request looks like when it is made, which votes are allowed,
 * when a request becomes approved, denied or expired. Stores only load and save; they call
 * these inside their own transactions, so the rules are written once.
 */

/** Durations of a request once its input is checked, in milliseconds. */
export interface RequestDurations {
  /** How long a grant stays valid after approval, already cut to the store's maximum. */
  ttlMs: number;
  /** How long the request waits for reviewers. */
  waitMs: number;
}

/** Checks a request's input, naming the first bad field; throws InvalidRequestError. */
export function checkRequestInput(
  input: ApprovalRequestInput,
  defaults: { defaultWaitMs: number; maxTtlMs: number },
): RequestDurations {
  const fail = (field: string, message: string): never => {
    throw new InvalidRequestError(`approval ${field}: ${message}`);
  };
  if (typeof input !== 'object' || input === null) return fail('request', 'must be an object');
  for (const field of ['requester', 'subject', 'resource', 'sessionId', 'summary'] as const) {
    if (typeof input[field] !== 'string' || (field !== 'summary' && input[field] === ''))
      fail(field, 'is required');
  }
  if (
    !Array.isArray(input.reviewers) ||
    input.reviewers.length === 0 ||
    !input.reviewers.every((r) => typeof r === 'string' && r !== '')
  )
    fail('reviewers', 'must be a non-empty list');
  if (!Number.isSafeInteger(input.quorum) || input.quorum < 1)
    fail('quorum', 'must be an integer of at least 1');
  if (input.scope !== 'statement' && input.scope !== 'session') fail('scope', 'must be statement or session');
  if (input.scope === 'statement' && (typeof input.fingerprint !== 'string' || input.fingerprint === ''))
    fail('fingerprint', 'is required for statement scope');
  const duration = (text: unknown, field: string): number => {
    const ms = typeof text === 'string' ? tryParseDuration(text) : undefined;
    if (ms === undefined)
      return fail(field, `${JSON.stringify(text)} is not a duration such as 15m or 1h30m`);
    return ms > 0 ? ms : fail(field, 'must be positive');
  };
  const ttlMs = Math.min(duration(input.ttl, 'ttl'), defaults.maxTtlMs);
  const waitMs = input.wait === undefined ? defaults.defaultWaitMs : duration(input.wait, 'wait');
  return { ttlMs, waitMs };
}

/** The pending request a checked input becomes. */
export function newRequest(
  input: ApprovalRequestInput,
  id: string,
  nowMs: number,
  waitMs: number,
): ApprovalRequest {
  const request: ApprovalRequest = {
    id,
    state: 'pending',
    requester: input.requester,
    subject: input.subject,
    resource: input.resource,
    session_id: input.sessionId,
    reviewers: [...input.reviewers],
    quorum: input.quorum,
    scope: input.scope,
    ttl: input.ttl,
    // Reviewers, the approvals page and webhooks show it: no password it sets goes with it.
    summary: redactCredentials(input.summary),
    // A reason can quote the command or URL it judged.
    reasons: structuredClone(input.reasons ?? []).map((reason) =>
      typeof reason?.message === 'string'
        ? { ...reason, message: redactCredentials(reason.message) }
        : reason,
    ),
    created_at: formatTime(new Date(nowMs)),
    expires_at: formatTime(new Date(nowMs + waitMs)),
    votes: [],
  };
  if (input.fingerprint !== undefined) request.fingerprint = input.fingerprint;
  return request;
}

/** Whether a stored request is still pending but past its wait deadline. */
export function isDue(state: string, expiresMs: number, nowMs: number): boolean {
  return state === 'pending' && nowMs >= expiresMs;
}

/** Moves a pending request to `expired`, as of its deadline (not of when it was noticed). */
export function expire(request: ApprovalRequest, expiresMs: number): ApprovalRequest {
  request.state = 'expired';
  request.decided_at = formatTime(new Date(expiresMs));
  return request;
}

/**
 * Records a vote on a request that has already been brought up to date (expired if due).
 * Refuses votes on a decided request, from the requester or subject, from someone outside
 * the reviewer list, and second votes. Any deny denies; `quorum` approvals approve, and the
 * grant is valid for `ttlMs` from then. Returns the grant's end in ms when it was approved.
 */
export function applyVote(
  request: ApprovalRequest,
  vote: VoteInput,
  nowMs: number,
  ttlMs: number,
): { validUntilMs: number | null } {
  const id = request.id;
  if (request.state !== 'pending')
    throw new ApprovalStateError(`approval ${id} is ${request.state}; it takes no more votes`);
  if (typeof vote?.reviewer !== 'string' || vote.reviewer === '')
    throw new ApprovalStateError('a vote needs a reviewer');
  if (vote.decision !== 'approve' && vote.decision !== 'deny')
    throw new ApprovalStateError(`a vote is approve or deny, not ${JSON.stringify(vote.decision)}`);
  if (vote.reviewer === request.requester || vote.reviewer === request.subject)
    throw new ApprovalStateError(`${vote.reviewer} cannot review their own request`);
  const groups = Array.isArray(vote.reviewerGroups) ? vote.reviewerGroups : [];
  if (!isAllowedReviewer(request.reviewers, vote.reviewer, groups))
    throw new ApprovalStateError(`${vote.reviewer} is not a reviewer of approval ${id}`);
  if (request.votes.some((v) => v.reviewer === vote.reviewer))
    throw new ApprovalStateError(`${vote.reviewer} has already voted on approval ${id}`);
  const at = formatTime(new Date(nowMs));
  request.votes.push(
    typeof vote.comment === 'string'
      ? { reviewer: vote.reviewer, decision: vote.decision, comment: vote.comment, at }
      : { reviewer: vote.reviewer, decision: vote.decision, at },
  );
  if (vote.decision === 'deny') {
    request.state = 'denied';
    request.decided_at = at;
    return { validUntilMs: null };
  }
  if (request.votes.filter((v) => v.decision === 'approve').length < request.quorum)
    return { validUntilMs: null };
  const validUntilMs = nowMs + ttlMs;
  request.state = 'approved';
  request.decided_at = at;
  request.valid_until = formatTime(new Date(validUntilMs));
  return { validUntilMs };
}

/** Options every persistent approval store takes beside its connection. */
export interface ApprovalStoreSettingsInput {
  /** Milliseconds since the epoch; defaults to Date.now. */
  clock?: () => number;
  /** How long a request waits for reviewers unless it says otherwise; default 15m. */
  defaultWait?: string;
  /** Upper bound on a grant's validity: a longer ttl asked for by a policy is cut to this. */
  maxTtl?: string;
  generateId?: () => string;
  /** How often a waiter re-reads its request whatever it was told; see ApprovalWaiters. */
  pollMs?: number;
}

export interface ApprovalStoreSettings {
  clock: () => number;
  defaultWaitMs: number;
  maxTtlMs: number;
  generateId: () => string;
  pollMs: number;
}

/** Validates the shared options, naming the bad one. */
export function approvalStoreSettings(
  options: ApprovalStoreSettingsInput,
  defaultPollMs: number,
): ApprovalStoreSettings {
  const positive = (text: string, option: string): number => {
    const ms = parseDuration(text, option);
    if (ms <= 0) throw new InvalidOptionError(option, 'must be a positive duration');
    return ms;
  };
  const pollMs = options.pollMs ?? defaultPollMs;
  if (!Number.isInteger(pollMs) || pollMs < 1)
    throw new InvalidOptionError('pollMs', 'must be a positive integer of milliseconds');
  return {
    clock: options.clock ?? Date.now,
    defaultWaitMs: positive(options.defaultWait ?? '15m', 'defaultWait'),
    maxTtlMs: options.maxTtl === undefined ? Number.POSITIVE_INFINITY : positive(options.maxTtl, 'maxTtl'),
    generateId: options.generateId ?? randomUUID,
    pollMs,
  };
}
