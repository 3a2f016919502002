import {
  type ApprovalStore,
  type AuditSink,
  createRequestDecisionCache,
  DEFAULT_MAX_BODY_BYTES,
  type DecisionCacheOptions,
  type Engine,
  InvalidOptionError,
  type Masker,
  MaskerCache,
  type MaskingOptions,
  type MaskRule,
  type PolicyRequest,
  type RequestDecisionCache,
  UnmaskedTypes,
} from '@portcullis/core';

export type SubjectInput = PolicyRequest['subject'];

/** Options of `portcullisExpress` and `portcullisFastify`; `Req` is the framework's request. */
export interface PortcullisHttpOptions<Req> {
  engine: Engine;
  /** The operator's name and labels for this API; the resource type is always `http`. */
  resource: { name: string; labels?: Record<string, string> };
  /**
   * Who is calling, from something already verified (a bearer token checked against a JWKS,
   * a session). Return undefined (or throw) for no identity: the request is answered 401.
   */
  subject: (req: Req) => SubjectInput | undefined | Promise<SubjectInput | undefined>;
  /** Where `approve` decisions are filed. Without it an `approve` is answered like a deny. */
  approvals?: {
    store: ApprovalStore;
    /** Path the 202's Location points under (`<statusPath>/<id>`); default `/portcullis/approvals`. */
    statusPath?: string;
  };
  /** `accept` (default): answer 202 at once; `hold`: wait up to holdMs for reviewers first. */
  onApprove?: 'accept' | 'hold';
  /** Longest a held request waits for reviewers before it is answered 202; default 30 s. */
  holdMs?: number;
  /** Largest request body accepted (413 beyond) and largest JSON response held for JSONPath masks; default 1 MiB. */
  maxBodyBytes?: number;
  /** Every request and decision is written here; a failed write refuses the request. */
  audit?: AuditSink;
  masking?: MaskingOptions;
  /**
   * Response types passed unmasked when detector or pattern masks apply, which cannot read
   * them (`image/*`, `application/pdf`); otherwise such a response is refused with a 500.
   * Text and JSON are always masked: listing one is an error.
   */
  unmaskedTypes?: readonly string[];
  /** Status of a request that could not be decided (fail closed): 503 (default) or 403. */
  failureStatus?: 403 | 503;
  /** Session id for the input document and session-scoped approvals; default `http:<subject id>`. */
  session?: (req: Req, subject: SubjectInput) => string;
  /**
   * Reuse the decision for a request identical to one decided within `ttlMs` (same subject,
   * session, source, method, target, headers, body and approvals, same policy generation).
   * On by default ({ maxEntries: 10000, ttlMs: 5000 }) for engines that report a policy
   * generation; `false` turns it off. Turn it off for a policy that reads `time` (other than
   * approval expiry) or `session.started_at`.
   */
  decisionCache?: DecisionCacheOptions | false;
}

export interface ResolvedHttpGuard<Req> {
  engine: Engine;
  resource: { type: 'http'; name: string; labels: Record<string, string> };
  subject: PortcullisHttpOptions<Req>['subject'];
  approvals: { store: ApprovalStore; statusPath: string } | undefined;
  onApprove: 'accept' | 'hold';
  holdMs: number;
  maxBodyBytes: number;
  audit: AuditSink | undefined;
  maskers: MaskerCache;
  /** `unmaskedTypes`, compiled. */
  unmasked: UnmaskedTypes | undefined;
  /** The masker for a decision's masks (undefined when none). */
  maskerFor: (masks: readonly MaskRule[]) => Masker | undefined;
  failureStatus: 403 | 503;
  session: (req: Req, subject: SubjectInput) => string;
  cache: RequestDecisionCache | undefined;
}

export const DEFAULT_HOLD_MS = 30_000;
export const DEFAULT_STATUS_PATH = '/portcullis/approvals';

export function resolveHttpGuard<Req>(options: PortcullisHttpOptions<Req>): ResolvedHttpGuard<Req> {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('options', 'must be an object');
  const {
    engine,
    resource,
    subject,
    approvals,
    onApprove = 'accept',
    holdMs = DEFAULT_HOLD_MS,
    maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
    failureStatus = 503,
  } = options;
  if (typeof engine?.decide !== 'function')
    throw new InvalidOptionError('engine', 'must be an engine from createEngine');
  if (typeof resource?.name !== 'string' || resource.name === '')
    throw new InvalidOptionError('resource.name', 'must be a non-empty string');
  if (typeof subject !== 'function')
    throw new InvalidOptionError('subject', 'must be a function of the request');
  if (approvals !== undefined && typeof approvals?.store?.request !== 'function')
    throw new InvalidOptionError('approvals.store', 'must be an ApprovalStore');
  const statusPath = approvals?.statusPath ?? DEFAULT_STATUS_PATH;
  if (typeof statusPath !== 'string' || !statusPath.startsWith('/'))
    throw new InvalidOptionError('approvals.statusPath', 'must be a path starting with /');
  if (onApprove !== 'accept' && onApprove !== 'hold')
    throw new InvalidOptionError('onApprove', "must be 'accept' or 'hold'");
  if (!Number.isFinite(holdMs) || holdMs < 0)
    throw new InvalidOptionError('holdMs', 'must be a non-negative number of milliseconds');
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0)
    throw new InvalidOptionError('maxBodyBytes', 'must be a non-negative integer');
  if (failureStatus !== 403 && failureStatus !== 503)
    throw new InvalidOptionError('failureStatus', 'must be 403 or 503');
  if (options.audit !== undefined && typeof options.audit?.write !== 'function')
    throw new InvalidOptionError('audit', 'must be an AuditSink');
  if (options.session !== undefined && typeof options.session !== 'function')
    throw new InvalidOptionError('session', 'must be a function');
  const maskers = new MaskerCache(options.masking);
  const byRules = new WeakMap<readonly MaskRule[], Masker>();
  return {
    engine,
    resource: { type: 'http', name: resource.name, labels: { ...(resource.labels ?? {}) } },
    subject,
    approvals:
      approvals === undefined
        ? undefined
        : { store: approvals.store, statusPath: statusPath.replace(/\/+$/, '') },
    onApprove,
    holdMs,
    maxBodyBytes,
    audit: options.audit,
    maskers,
    unmasked: options.unmaskedTypes === undefined ? undefined : new UnmaskedTypes(options.unmaskedTypes),
    maskerFor: (masks) => {
      if (masks.length === 0) return undefined;
      // A cached decision's masks are one frozen array shared by every hit: keyed by identity,
      // a hit skips serialising the rules to find their masker. Arrays that could still change
      // are looked up by content.
      if (!Object.isFrozen(masks)) return maskers.get(masks);
      let masker = byRules.get(masks);
      if (masker === undefined) {
        masker = maskers.get(masks);
        if (masker !== undefined) byRules.set(masks, masker);
      }
      return masker;
    },
    failureStatus,
    session: options.session ?? ((_req, s) => `http:${s.id}`),
    cache: createRequestDecisionCache(engine, options.decisionCache),
  };
}
