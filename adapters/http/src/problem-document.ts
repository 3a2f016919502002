import type { Reason } from '@portcullis/core';

/** Media type of RFC 9457 problem details in JSON. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem types, as URNs: stable, and not a URL that suggests documentation is served there. */
export const PROBLEM_TYPES = {
  denied: 'urn:portcullis:problem:denied',
  approvalDenied: 'urn:portcullis:problem:approval-denied',
  unauthenticated: 'urn:portcullis:problem:unauthenticated',
  decisionFailed: 'urn:portcullis:problem:decision-failed',
  bodyTooLarge: 'urn:portcullis:problem:body-too-large',
  responseUnmaskable: 'urn:portcullis:problem:response-unmaskable',
  badGateway: 'urn:portcullis:problem:bad-gateway',
} as const;

/** An RFC 9457 problem document, with Portcullis's extension members. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The policy's reasons, as in the decision. */
  reasons?: Reason[];
  /** A Portcullis error code (PC_…) when a failure, not the policy, caused the answer. */
  code?: string;
  decision_id?: string;
  approval_id?: string;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export function problem(doc: ProblemDocument, headers: Record<string, string> = {}): HttpAnswer {
  return { status: doc.status, headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers }, body: doc };
}

export function serializeAnswer(answer: HttpAnswer): string {
  return JSON.stringify(answer.body);
}
