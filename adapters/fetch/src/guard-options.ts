import { randomUUID } from 'node:crypto';
import {
  type ApprovalStore,
  type AuditSink,
  createRequestDecisionCache,
  DEFAULT_MAX_BODY_BYTES,
  type DecisionCacheOptions,
  type Engine,
  type GrantedApproval,
  InvalidOptionError,
  MaskerCache,
  type MaskingOptions,
  type PolicyRequest,
  type RequestDecisionCache,
  UnmaskedTypes,
} from '@portcullis/core';

export type SubjectInput = PolicyRequest['subject'];

/** Options shared by `guardFetch` and `createGuardInterceptor`. */
export interface GuardOptions {
  /** Who is acting: fixed, or resolved per request (an agent's identity, say). */
  subject:
    | SubjectInput
    | ((request: { method: string; url: string }) => SubjectInput | Promise<SubjectInput>);
  /** The operator's name and labels for what is reached; the type is always `http`. */
  resource: { name: string; labels?: Record<string, string> };
  /** Options for the maskers built from decisions (hash key, regex engine). */
  masking?: MaskingOptions;
  /**
   * Response types passed unmasked when detector or pattern masks apply, which cannot read
   * them (`image/*`, `application/pdf`); otherwise such a response is refused
   * (FetchMaskUnenforceableError). Text and JSON are always masked: listing one is an error.
   */
  unmaskedTypes?: readonly string[];
  /** Approvals for `approve` decisions; without it an `approve` is refused like a deny. */
  approvals?: { store: ApprovalStore; waitMs: number } | undefined;
  /** `wait` (default): wait up to approvals.waitMs for reviewers; `throw`: throw at once with the approval id. */
  onApprove?: 'wait' | 'throw';
  /** Largest request body read for the decision, and largest JSON response held for JSONPath masks. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Every decision is written here before the request leaves; a failed write refuses the request. */
  audit?: AuditSink;
  /** Session id for the input document and session-scoped approvals; default a random UUID per guard. */
  sessionId?: string;
  /**
   * Reuse the decision for a request identical to one decided within `ttlMs` (same subject,
   * session, method, URL, headers, body and approvals, same policy generation). On by default
   * ({ maxEntries: 10000, ttlMs: 5000 }) for engines that report a policy generation; `false`
   * turns it off. Turn it off for a policy that reads `time` (other than approval expiry) or
   * `session.started_at`.
   */
  decisionCache?: DecisionCacheOptions | false;
}

export interface ResolvedGuard {
  engine: Engine;
  subject: GuardOptions['subject'];
  resource: { type: 'http'; name: string; labels: Record<string, string> };
  approvals: { store: ApprovalStore; waitMs: number } | undefined;
  onApprove: 'wait' | 'throw';
  maxBodyBytes: number;
  audit: AuditSink | undefined;
  sessionId: string;
  maskers: MaskerCache;
  /** `unmaskedTypes`, compiled. */
  unmasked: UnmaskedTypes | undefined;
  /** Approvals granted during this guard's life, offered to the policy as session.approvals. */
  granted: GrantedApproval[];
  cache: RequestDecisionCache | undefined;
}

export function resolveGuard(engine: Engine, options: GuardOptions): ResolvedGuard {
  if (typeof engine !== 'object' || engine === null || typeof engine.decide !== 'function') {
    throw new InvalidOptionError('engine', 'must be an engine from createEngine');
  }
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'must be an object');
  const { subject, resource, approvals, onApprove = 'wait', maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options;
  if (typeof subject !== 'function' && (typeof subject?.id !== 'string' || subject.id === '')) {
    throw new InvalidOptionError('subject', 'must be { id, … } or a function returning one');
  }
  if (typeof resource?.name !== 'string' || resource.name === '') {
    throw new InvalidOptionError('resource.name', 'must be a non-empty string');
  }
  if (approvals !== undefined) {
    if (typeof approvals?.store?.request !== 'function')
      throw new InvalidOptionError('approvals.store', 'must be an ApprovalStore');
    if (!Number.isFinite(approvals.waitMs) || approvals.waitMs < 0)
      throw new InvalidOptionError('approvals.waitMs', 'must be a non-negative number of milliseconds');
  }
  if (onApprove !== 'wait' && onApprove !== 'throw')
    throw new InvalidOptionError('onApprove', "must be 'wait' or 'throw'");
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0)
    throw new InvalidOptionError('maxBodyBytes', 'must be a non-negative integer');
  if (options.audit !== undefined && typeof options.audit?.write !== 'function')
    throw new InvalidOptionError('audit', 'must be an AuditSink');
  return {
    engine,
    subject,
    resource: { type: 'http', name: resource.name, labels: { ...(resource.labels ?? {}) } },
    approvals,
    onApprove,
    maxBodyBytes,
    audit: options.audit,
    sessionId: options.sessionId ?? randomUUID(),
    maskers: new MaskerCache(options.masking),
    unmasked: options.unmaskedTypes === undefined ? undefined : new UnmaskedTypes(options.unmaskedTypes),
    granted: [],
    cache: createRequestDecisionCache(engine, options.decisionCache),
  };
}
