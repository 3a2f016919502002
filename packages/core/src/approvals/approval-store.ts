import type { ApprovalScope, Reason } from '../contract.js';

export type ApprovalState = 'pending' | 'approved' | 'denied' | 'expired';

/** What an adapter asks for when a decision says `approve`. */
export interface ApprovalRequestInput {
  /** Who asked: the person an agent acts for, or the subject itself. Neither may review it. */
  requester: string;
  /** Subject id whose action is held. */
  subject: string;
  /** Resource name the action is on. */
  resource: string;
  /** Statement or command fingerprint; required for statement scope, so a re-run can find the grant. */
  fingerprint?: string;
  sessionId: string;
  /** From the decision's approval block: `group:dba`, `user:bob`, or a bare user id. */
  reviewers: string[];
  quorum: number;
  scope: ApprovalScope;
  /** Go-style duration a granted approval stays valid after it is granted. */
  ttl: string;
  /** What is to be run, for reviewers to read (the statement, the command line, METHOD URL). */
  summary: string;
  /** Why approval is needed: the decision's reasons. */
  reasons?: Reason[];
  /** Go-style duration to wait for reviewers before the request expires; defaults to the store's. */
  wait?: string;
}

export interface ApprovalVote {
  reviewer: string;
  decision: 'approve' | 'deny';
  comment?: string;
  at: string;
}

export interface ApprovalRequest {
  id: string;
  state: ApprovalState;
  requester: string;
  subject: string;
  resource: string;
  fingerprint?: string;
  session_id: string;
  reviewers: string[];
  quorum: number;
  scope: ApprovalScope;
  ttl: string;
  summary: string;
  reasons: Reason[];
  created_at: string;
  /** The wait deadline: a request still pending then becomes `expired`. */
  expires_at: string;
  /** When it left `pending`. */
  decided_at?: string;
  /** For an approved request: the grant is usable until then (approval time + ttl). */
  valid_until?: string;
  votes: ApprovalVote[];
}

export interface VoteInput {
  reviewer: string;
  /** Groups the reviewer belongs to, from their verified identity, matched against `group:x` entries. */
  reviewerGroups?: string[];
  decision: 'approve' | 'deny';
  comment?: string;
}

export interface FindGrantedQuery {
  subjectId: string;
  resourceName: string;
  fingerprint?: string;
  sessionId: string;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Give up waiting after this long and resolve with the request as it stands (still pending). */
  timeoutMs?: number;
}

/**
 * Where approval requests live while reviewers look at them. All methods are async so a store
 * can be backed by SQLite or PostgreSQL; the in-memory one serves tests and single processes.
 * Stores return copies: changing a returned request changes nothing stored.
 */
export interface ApprovalStore {
  request(input: ApprovalRequestInput): Promise<ApprovalRequest>;
  /** Rejects with ApprovalNotFoundError for an unknown id. */
  get(id: string): Promise<ApprovalRequest>;
  /**
   * Record a reviewer's vote. Rejects with ApprovalStateError when the request is no longer
   * pending, the reviewer is not among its reviewers, reviews their own request, or votes twice.
   */
  vote(id: string, vote: VoteInput): Promise<ApprovalRequest>;
  /** A granted approval still valid for this subject, resource and statement or session, if any. */
  findGranted(query: FindGrantedQuery): Promise<ApprovalRequest | undefined>;
  /** Resolves once the request leaves `pending` (approved, denied or expired). */
  waitFor(id: string, options?: WaitOptions): Promise<ApprovalRequest>;
  list(filter?: { state?: ApprovalState }): Promise<ApprovalRequest[]>;
}
