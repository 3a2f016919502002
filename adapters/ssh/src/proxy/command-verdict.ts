/**
 * The decision on one command line (an exec request, a line typed at a shell, or a
 * forwarding request described as a line) or one file operation (sftp, scp), and for
 * `approve` the reviewers' answer. Shared by every kind of channel so they hold and audit
 * the same way.
 */

import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  type ActionType,
  type ApprovalRequest,
  type AuditRecord,
  auditRecordFromDecision,
  type Decision,
  type DecisionResult,
  type FileFacts,
  type GrantedApproval,
  redactShellCredentials,
  toGrantedApproval,
} from '@portcullis/core';
import type { SessionContext } from './session-context.js';

export interface Verdict {
  decision: Decision;
  /** For a refusal, the text to print on stderr (without a trailing newline). */
  message?: string;
  approvalId?: string;
}

/** Approval requests for a command are filed and found under this: the exact text, hashed. */
export function commandFingerprint(command: string): string {
  return `command:${createHash('sha256').update(command).digest('hex').slice(0, 32)}`;
}

/** What is being decided: a command line under an action type, or a file operation. */
export type Attempt = { command: string; action: ActionType } | { file: FileFacts };

/** The text an attempt is shown as to reviewers and filed under. */
export function attemptSummary(attempt: Attempt): string {
  if ('command' in attempt) return attempt.command;
  const f = attempt.file;
  return `${f.protocol} ${f.operation} ${f.path}${f.target === undefined ? '' : ` -> ${f.target}`}`;
}

/**
 * `secret`: the line was typed at a password prompt. It is still decided as a command line
 * (a host can print `Password:` and then run what it reads), but its text is kept out of the
 * audit log and of approval requests, which show a placeholder instead.
 */
export function decideCommand(
  session: SessionContext,
  command: string,
  action: ActionType,
  onHeld: (text: string) => void,
  signal?: AbortSignal,
  options: { secret?: boolean } = {},
): Promise<Verdict> {
  return decideAttempt(session, { command, action }, onHeld, signal, options.secret ? command : undefined);
}

// A plain hash of a password is as good as the password to anyone who can guess it, so a
// secret line is filed under a keyed hash whose key never leaves this process.
const SECRET_KEY = randomBytes(32);
const secretFingerprint = (secret: string) =>
  `secret:${createHmac('sha256', SECRET_KEY).update(secret).digest('hex').slice(0, 32)}`;

/** What stands for a secret line wherever it would be written down. */
export function secretPlaceholder(secret: string): string {
  return `[input typed at a password prompt: ${[...secret].length} characters, not recorded]`;
}

export async function decideAttempt(
  session: SessionContext,
  attempt: Attempt,
  onHeld: (text: string) => void,
  signal?: AbortSignal,
  secret?: string,
): Promise<Verdict> {
  const command = secret === undefined ? attemptSummary(attempt) : secretPlaceholder(secret);
  const result = await decideOnce(session, attempt, secret);
  const approvals = session.options.approvals;
  if (result.decision.effect === 'deny')
    return { decision: result.decision, message: denyMessage(result.decision) };
  if (result.decision.effect === 'allow') return { decision: result.decision };
  if (!approvals) {
    return {
      decision: result.decision,
      message: `portcullis: not run: this command needs approval and this gateway holds no commands${reasonLines(result.decision)}`,
    };
  }
  const fingerprint = secret === undefined ? commandFingerprint(command) : secretFingerprint(secret);
  // The policy saw this session's grants in session.approvals and still asked: a grant that
  // covers the command is the approval it asks for.
  const mine = findCovering(session.granted, fingerprint, Date.now());
  if (mine) return granted(result.decision, mine);
  const earlier = await approvals.store.findGranted({
    subjectId: session.identity.subject.id,
    resourceName: session.options.resource.name,
    fingerprint,
    sessionId: session.id,
  });
  if (earlier) return withGrant(session, attempt, toGrantedApproval(earlier));
  const requirement = result.decision.approval;
  const request = await approvals.store.request({
    requester: session.identity.requester ?? session.identity.subject.id,
    subject: session.identity.subject.id,
    resource: session.options.resource.name,
    fingerprint,
    sessionId: session.id,
    reviewers: requirement?.reviewers ?? [],
    quorum: requirement?.quorum ?? 1,
    scope: requirement?.scope ?? 'statement',
    ttl: requirement?.ttl ?? '0s',
    // What reviewers read keeps no password the command passes (`mysql -p…`).
    summary:
      secret === undefined && result.input.action.shell !== undefined
        ? redactShellCredentials(result.input.action.shell)
        : command,
    reasons: result.decision.reasons,
    wait: `${approvals.waitMs}ms`,
  });
  const url = approvals.approveUrl?.(request.id);
  onHeld(heldMessage(request, url, approvals.waitMs));
  session.logger?.info?.({ sessionId: session.id, approval: request.id }, 'command held for approval');
  const outcome = await approvals.store.waitFor(request.id, {
    timeoutMs: approvals.waitMs,
    ...(signal ? { signal } : {}),
  });
  if (outcome.state === 'approved') {
    const verdict = await withGrant(session, attempt, toGrantedApproval(outcome));
    return { ...verdict, approvalId: outcome.id };
  }
  return { decision: result.decision, message: notApprovedMessage(outcome, url), approvalId: outcome.id };
}

async function decideOnce(
  session: SessionContext,
  attempt: Attempt,
  secret?: string,
): Promise<DecisionResult> {
  const { options } = session;
  const now = Date.now();
  const result = await options.engine.decide({
    subject: session.identity.subject,
    resource: { type: 'ssh', name: options.resource.name, labels: options.resource.labels ?? {} },
    session: {
      id: session.id,
      started_at: session.startedAt,
      source: session.source,
      approvals: session.granted.filter((g) => Date.parse(g.expires_at) > now),
    },
    ...attempt,
  });
  return audited(session, result, secret);
}

/** Write the decision to the audit sink before it is enforced; a failed write denies. */
async function audited(
  session: SessionContext,
  result: DecisionResult,
  secret?: string,
): Promise<DecisionResult> {
  const audit = session.options.audit;
  if (!audit) return result;
  try {
    const record = auditRecordFromDecision(result);
    await audit.write(secret === undefined ? record : scrubbed(record, secret));
    return result;
  } catch (err) {
    session.logger?.error?.({ sessionId: session.id, err }, 'audit write failed');
    return {
      ...result,
      decision: {
        effect: 'deny',
        reasons: [{ rule: 'portcullis.audit_failed', message: 'the command could not be audited' }],
        masks: [],
      },
    };
  }
}

/** Decide again with the grant in session.approvals, so a policy that reads them has its say. */
async function withGrant(
  session: SessionContext,
  attempt: Attempt,
  grant: GrantedApproval,
): Promise<Verdict> {
  if (!session.granted.some((g) => g.id === grant.id)) session.granted.push(grant);
  const again = await decideOnce(session, attempt);
  if (again.decision.effect === 'deny')
    return { decision: again.decision, message: denyMessage(again.decision) };
  if (again.decision.effect === 'allow') return { decision: again.decision };
  return granted(again.decision, grant);
}

function granted(decision: Decision, grant: GrantedApproval): Verdict {
  return {
    decision: {
      effect: 'allow',
      reasons: [
        ...decision.reasons,
        { rule: 'portcullis.approval_granted', message: `approved in request ${grant.id}` },
      ],
      masks: decision.masks,
    },
    approvalId: grant.id,
  };
}

function findCovering(
  grants: readonly GrantedApproval[],
  fingerprint: string,
  now: number,
): GrantedApproval | undefined {
  return grants.find(
    (g) =>
      Date.parse(g.expires_at) > now &&
      (g.scope === 'session' || (g.scope === 'statement' && g.fingerprint === fingerprint)),
  );
}

function reasonLines(decision: Decision): string {
  return decision.reasons.map((r) => `\n  ${r.rule}: ${r.message}`).join('');
}

export function denyMessage(decision: Decision): string {
  return `portcullis: denied by policy${reasonLines(decision)}`;
}

function heldMessage(request: ApprovalRequest, url: string | undefined, waitMs: number): string {
  const where = url
    ? `approve it at ${url}`
    : `ask a reviewer (${request.reviewers.join(', ')}) to approve it`;
  return `portcullis: command held for approval ${request.id}; ${where}; waiting up to ${Math.round(waitMs / 1000)} s${reasonLines({ effect: 'approve', reasons: request.reasons, masks: [] })}`;
}

function notApprovedMessage(request: ApprovalRequest, url: string | undefined): string {
  const how =
    request.state === 'denied'
      ? 'was denied by a reviewer'
      : request.state === 'pending' || request.state === 'expired'
        ? 'was not granted in time'
        : `is ${request.state}`;
  const again = url
    ? `once approved at ${url}, run it again`
    : `once approval ${request.id} is granted, run it again`;
  return `portcullis: not run: approval ${request.id} ${how}; ${again}`;
}

/** `text` with every occurrence of `secret` replaced by its placeholder. */
export function scrubSecret(text: string, secret: string): string {
  return secret === '' ? text : text.split(secret).join(secretPlaceholder(secret));
}

/** The record with every occurrence of `secret` (summary, reasons, fingerprints) replaced. */
function scrubbed(record: AuditRecord, secret: string): AuditRecord {
  return {
    ...record,
    action: { type: record.action.type, summary: secretPlaceholder(secret) },
    reasons: record.reasons.map((r) => ({ ...r, message: scrubSecret(r.message, secret) })),
  };
}
