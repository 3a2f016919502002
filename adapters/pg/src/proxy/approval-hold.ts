/**
 * What a held statement needs besides the store: the fingerprint an approval is filed and
 * found under, whether a granted approval covers a statement, and the notice and errors the
 * client sees.
 */

import { createHash } from 'node:crypto';
import type { ApprovalRequest, DecisionResult, GrantedApproval } from '@portcullis/core';
import type { NoticeFields } from '../protocol/backend-writers.js';

/** SQLSTATE of a NoticeResponse that is only information (successful_completion). */
const NOTICE_STATE = '00000';

/**
 * The fingerprint of a whole Query or Parse: its statements' fingerprints (constants removed,
 * so a re-run with other literals is the same statement), or a hash of the text when it did
 * not parse.
 */
export function approvalFingerprint(result: DecisionResult, sql: string): string {
  const statements = result.input.action.sql?.statements ?? [];
  if (statements.length === 0) return `text:${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`;
  return statements.map((s) => s.fingerprint).join('+');
}

/** A granted approval still valid that covers this fingerprint (or the whole session). */
export function findCovering(
  granted: readonly GrantedApproval[],
  fingerprint: string,
  now: number,
): GrantedApproval | undefined {
  return granted.find(
    (g) =>
      Date.parse(g.expires_at) > now &&
      (g.scope === 'session' || (g.scope === 'statement' && g.fingerprint === fingerprint)),
  );
}

/** What waits for reviewers: one statement, or a whole session at login (`action: 'connect'`). */
export type HeldKind = 'statement' | 'connection';

export function heldNotice(
  request: ApprovalRequest,
  url: string | undefined,
  waitMs: number,
  kind: HeldKind = 'statement',
): NoticeFields {
  const where = url
    ? `approve it at ${url}`
    : `ask a reviewer (${request.reviewers.join(', ')}) to approve it`;
  return {
    severity: 'NOTICE',
    code: NOTICE_STATE,
    message: `${kind} held for approval ${request.id}`,
    detail: request.reasons.map((r) => `${r.rule}: ${r.message}`).join('\n'),
    hint: `${where}; waiting up to ${Math.round(waitMs / 1000)} s`,
  };
}

export function notApproved(
  request: ApprovalRequest,
  url: string | undefined,
  kind: HeldKind = 'statement',
): NoticeFields {
  const how =
    request.state === 'denied'
      ? 'was denied by a reviewer'
      : request.state === 'pending' || request.state === 'expired'
        ? 'was not granted in time'
        : `is ${request.state}`;
  return {
    // A connection refused at login ends the session, as PostgreSQL's own login errors do.
    severity: kind === 'connection' ? 'FATAL' : 'ERROR',
    code: '42501',
    message: `${kind === 'connection' ? 'connection refused' : 'statement not run'}: approval ${request.id} ${how}`,
    ...(request.reasons.length > 0
      ? { detail: request.reasons.map((r) => `${r.rule}: ${r.message}`).join('\n') }
      : {}),
    hint: `once ${url ? `approved at ${url}` : `approval ${request.id} is granted`}, ${
      kind === 'connection' ? 'connect again' : 'run the statement again'
    }`,
  };
}

export function canceledWhileHeld(id: string, kind: HeldKind = 'statement'): NoticeFields {
  if (kind === 'connection') {
    return {
      severity: 'FATAL',
      code: '57014',
      message: 'connection canceled while it waited for approval',
      detail: `the connection was waiting for approval ${id}`,
    };
  }
  return {
    severity: 'ERROR',
    code: '57014',
    message: 'canceling statement due to user request',
    detail: `the statement was waiting for approval ${id}`,
  };
}
