import type {
  ActionType,
  DecisionLimits,
  Effect,
  MaskRule,
  Reason,
  ResourceType,
  SubjectKind,
} from '../contract.js';

/**
 * One audited interaction: who did what, where, when, what was decided and what was
 * enforced. Written after enforcement, so `masks` are the masks actually applied and
 * `response_digest` covers what the caller actually received.
 */
export interface AuditRecord {
  /** Unique per record. */
  id: string;
  /** When the interaction happened, RFC 3339 UTC. */
  time: string;
  /** The engine's DecisionResult id, to join with logs and diagnostics. */
  decision_id?: string;
  session_id: string;
  subject: { id: string; kind: SubjectKind; groups: string[] };
  resource: { type: ResourceType; name: string; labels?: Record<string, string> };
  /** Client address the session came from, as the adapter saw it. */
  source: string;
  action: {
    type: ActionType;
    /**
     * What was attempted: the SQL text, the command line, `METHOD URL`, with the passwords it
     * sets replaced (see redact-credentials.ts; a URL's userinfo password already in the facts).
     */
    summary: string;
    /** Statement fingerprints, for grouping and for matching approvals. */
    fingerprints?: string[];
  };
  effect: Effect;
  reasons: Reason[];
  /** Masks applied to the response. */
  masks: MaskRule[];
  /** The decision's limits on what the action could do once it ran (SQL: affected rows). */
  limits?: DecisionLimits;
  /** The approval that was requested or that let this run. */
  approval_id?: string;
  /** `sha256:<hex>` of the response as delivered, after masking. */
  response_digest?: string;
  /**
   * Which record of an interaction this is. Absent or `decision`: the decision, written
   * before it is enforced. `completion`: written when the response has ended, with the same
   * `decision_id`, carrying `response` and the execution timings. `session_start` and
   * `session_end`: a recorded session's bounds (adapters that record sessions).
   */
  stage?: AuditStage;
  /** What the response carried, once it has ended (completion and session_end records). */
  response?: AuditResponse;
  /**
   * Milliseconds spent in each stage: fact extraction and policy evaluation; `decision_ms`
   * from receiving the request to the final verdict (including an approval wait);
   * `upstream_ms` from forwarding to the end of the response (execution); `total_ms` end to end.
   */
  durations: {
    facts_ms?: number;
    evaluation_ms?: number;
    decision_ms?: number;
    upstream_ms?: number;
    total_ms?: number;
  };
  /** The decision came from the engine's cache. */
  cached?: boolean;
  /** The failure the engine denied for, or an enforcement failure. */
  error?: { code: string; message: string };
}

export type AuditStage = 'decision' | 'completion' | 'session_start' | 'session_end';

export interface AuditResponse {
  /** Bytes sent to the caller for this interaction, after masking. */
  bytes: number;
  /** Rows returned or affected, where the protocol says (PostgreSQL's CommandComplete tag). */
  rows?: number;
  /** The protocol's own completion word(s), such as `SELECT 2` or `INSERT 0 1`. */
  command?: string;
  /** The error the upstream (or the adapter, refusing the result) answered with, by its protocol code (a SQLSTATE). */
  error_code?: string;
  /** Statements (or requests) in a session, for session_end records. */
  count?: number;
}

/** A record as stored in a hash-chained log. */
export interface ChainedAuditRecord extends AuditRecord {
  /** 1 for the first record of a log, then +1 per record. */
  seq: number;
  /** `hash` of the previous record; 64 zeros for the first. */
  prev: string;
  /** sha256 hex over the canonical JSON of this record without `hash`. */
  hash: string;
}
