import type { Decision } from '@portcullis/core';
import type { NoticeFields } from '../protocol/backend-writers.js';
import { SqlState } from '../protocol/message-codes.js';
import type { HeldKind } from './approval-hold.js';

/**
 * The ErrorResponse for a statement the policy did not let through. Deny and approve both use
 * 42501 (insufficient_privilege): to a client, a statement waiting for approval that it will
 * not get now is a statement it may not run. The first reason is the message; every reason,
 * with its rule id, is in DETAIL.
 */
export function denyFields(decision: Decision, kind: HeldKind = 'statement'): NoticeFields {
  // A connection refused at login ends the session, as PostgreSQL's own login errors do.
  const severity = kind === 'connection' ? 'FATAL' : 'ERROR';
  const first = decision.reasons[0];
  const detail = decision.reasons.map((r) => `${r.rule}: ${r.message}`).join('\n');
  if (decision.effect === 'approve') {
    const reviewers = decision.approval?.reviewers.join(', ') ?? '';
    return {
      severity,
      code: SqlState.InsufficientPrivilege,
      message: `${kind} requires approval${first ? `: ${first.message}` : ''}`,
      ...(detail ? { detail } : {}),
      hint: `this proxy is not set up to hold ${kind}s for approval; reviewers: ${reviewers}`,
    };
  }
  return {
    severity,
    code: SqlState.InsufficientPrivilege,
    message: `permission denied by policy${first ? `: ${first.message}` : ''}`,
    ...(detail ? { detail } : {}),
  };
}

export function protocolViolation(message: string, code: string = SqlState.ProtocolViolation): NoticeFields {
  return { severity: 'FATAL', code, message };
}
