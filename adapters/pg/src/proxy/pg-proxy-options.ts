import type { ApprovalStore, AuditSink, Engine, EngineLogger, PolicyRequest } from '@portcullis/core';
import type { UpstreamOptions } from '../upstream/upstream-options.js';
import type { DecisionCacheOptions } from './decision-memo.js';
import type { UnresolvedColumnsMode } from './unresolved-columns.js';

/** What the client sent at startup, for the authenticate hook. */
export interface ClientStartup {
  /** The `user` startup parameter. */
  user: string;
  database: string | undefined;
  /** Every startup parameter, as sent. */
  parameters: Readonly<Record<string, string>>;
  /** The client's address as the proxy saw it. */
  source: string;
}

/** Who the authenticate hook says the client is. */
export interface AuthenticatedClient {
  subject: PolicyRequest['subject'];
  /**
   * Who approval requests are filed for (the person an agent acts for); reviewers may not
   * approve their own requests. Defaults to the subject's id.
   */
  requester?: string;
}

/** A client's stored SCRAM-SHA-256 secret and who the client is once it proves it knows it. */
export interface ScramCredential {
  /**
   * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, PostgreSQL's format
   * (`createScramVerifier` makes one).
   */
  verifier: string;
  /** Taken as the client's identity only after its proof has been checked. */
  client: AuthenticatedClient;
}

/** Looks up a client's SCRAM secret; null for an unknown user (the exchange then fails with 28P01). */
export type ScramLookup = (startup: ClientStartup) => Promise<ScramCredential | null>;

/** The embedder's certificate for TLS toward clients (PEM). */
export interface ClientTlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  /** Extra CA certificates sent in the chain. */
  ca?: string | Buffer | (string | Buffer)[];
}

/** Holding statements whose decision is `approve`. */
export interface PgApprovalOptions {
  store: ApprovalStore;
  /** How long a held statement waits for reviewers, in milliseconds. */
  waitMs: number;
  /** Where a reviewer approves request `id`, named in the NoticeResponse. */
  approveUrl?: (id: string) => string;
}

export type Authenticate = (startup: ClientStartup, password: string) => Promise<AuthenticatedClient | null>;

export interface PgProxyOptions {
  engine: Engine;
  /** The PostgreSQL server and the operator's credentials for it; never shown to clients. */
  upstream: UpstreamOptions;
  /**
   * TLS toward clients: SSLRequest is answered 'S' and the connection upgraded. Without it,
   * SSLRequest is answered 'N'.
   */
  tls?: ClientTlsOptions;
  /** Refuse clients that did not upgrade to TLS (28000). Needs `tls`. */
  requireTls?: boolean;
  /**
   * Offer SCRAM-SHA-256 to clients instead of asking for a cleartext password: the proxy
   * checks the client's proof against the secret this returns. When set, `authenticate` is
   * not used.
   */
  scram?: ScramLookup;
  /**
   * Hold statements the policy says need approval: file a request in `store`, tell the client
   * with a NoticeResponse, run the statement if approved within `waitMs`. Without it such
   * statements are refused with 42501.
   */
  approvals?: PgApprovalOptions;
  /**
   * Decide each session as `action: 'connect'` once its client is authenticated, before the
   * upstream is reached (on by default). `deny` refuses the login (FATAL 42501, the reasons in
   * DETAIL). `approve` holds it with `approvals`: the client is told it is authenticated, then
   * gets a NoticeResponse naming the request, and the session starts if reviewers approve
   * within `waitMs`; the grant is in the session's approvals from then on, so a session-scope
   * grant covers its statements as the policy says. Without `approvals`, `approve` refuses.
   * Every connect decision is audited before it is enforced. `false` starts every
   * authenticated session without asking.
   */
  decideConnect?: boolean;
  /**
   * Checks the password the client sent (asked for in cleartext) and names the subject.
   * Resolve null to refuse (28P01). Without it every client is refused: the proxy never
   * lets a connection through on the upstream's credentials alone.
   */
  authenticate?: Authenticate;
  /** The resource in every policy input: `{ type: 'postgres', name, labels }`. */
  resource: { name: string; labels?: Record<string, string> };
  /** Largest frontend or backend message accepted, in bytes; default 64 MiB. */
  maxMessageSize?: number;
  /** How long a client may take from connecting to finishing authentication; default 60 000 ms. */
  authenticationTimeoutMs?: number;
  /** Key for `hash` masks (at least 16 bytes), so hashes are stable across processes. */
  maskHashKey?: string | Uint8Array;
  /** pino-shaped; nothing is logged without it. */
  logger?: EngineLogger;
  /**
   * Every decision is written here before it is enforced; a failed write denies. Each
   * statement that reaches the server then gets a completion record when its response ends
   * (stage `completion`, same decision id): execution and decision time, rows returned or
   * affected, bytes sent to the client, the command tag and any SQLSTATE.
   */
  audit?: AuditSink;
  /**
   * Record sessions through `audit` (which it needs): a `session_start` record before the
   * client is told it is ready (a failed write refuses the session), a response digest in
   * every completion record (`sha256` of the bytes the client received for the statement,
   * masked), and a `session_end` record with the session's totals.
   */
  recordSession?: boolean;
  /**
   * Reuse a session's decisions for a repeated statement text (and for numeric-constant
   * variants of plain reads and writes) instead of parsing and evaluating it again. On by
   * default ({ maxEntries: 256, ttlMs: 5000 } per session); `false` decides every statement.
   * Entries are dropped when the engine's policy generation moves on (`engine.setEvaluator`,
   * `engine.invalidate`); with an engine that does not count generations, a policy reload
   * reaches open sessions within `ttlMs`, or at once with `proxy.clearDecisionCache()`. Assumes the policy does not read `time` (beyond approval
   * expiry) or raw statement text, as core's engine cache does. Sessions also share decisions
   * (`sharedEntries`) where the engine says the policy reads nothing that tells them apart
   * (`engine.inputPaths`; see shared-decisions.ts).
   */
  decisionCache?: DecisionCacheOptions | false;
  /**
   * Whether decisions this session made earlier still hold for it, asked before every
   * statement that would run on one without the engine: a remembered decision (see
   * `decisionCache`) and an Execute of a statement decided at Parse. `false` sends the
   * statement to `engine.decide` afresh, and what the engine answers is enforced and audited;
   * an engine that checks the same thing (a credential revoked or expired since login, say)
   * then denies it with its own reason. A throw or a rejection counts as false. It runs on
   * every such statement: answer synchronously where the answer is at hand; a promise costs
   * the statement a turn of the event loop (and still spares it the parser and the policy).
   * Default: always true.
   */
  decisionsHold?: (subject: PolicyRequest['subject']) => boolean | Promise<boolean>;
  /**
   * What to do when a column mask applies and a result column cannot be traced to its table
   * (an expression such as `lower(email)`, a view's column, a function's result) but a masked
   * column may flow into it: `'deny'` (default) withholds the result with 42501; `'mask'`
   * masks the column as the masked column it may carry.
   */
  unresolvedColumns?: UnresolvedColumnsMode;
  /**
   * How long a session trusts what it learnt from the catalog to trace and test result columns
   * (relation kinds, view definitions, function and operator names, column names): another
   * session's DDL is seen at the session's first statement past it that starts while nothing
   * else is in flight. DDL the session runs itself is seen at once. Default: 60 000 ms.
   */
  catalogTrustMs?: number;
  /**
   * Once a session is ready, read and write its plain TCP sockets (not TLS) through their
   * libuv handles rather than Node's stream API, which costs a relay about half its user CPU
   * per message. On by default; it uses Node internals and falls back to streams by itself
   * when they are not what it expects. A client socket with an idle timeout
   * (`socket.setTimeout`) keeps to streams, since direct reads do not reset the timer; and
   * what waits to be written shows in the handle's `writeQueueSize`, not in `writableLength`.
   */
  directSocketIo?: boolean;
  /**
   * Relay in C, inside Node's own event loop and with no JavaScript per message, the
   * statements a session has judged before and whose answers need nothing of the proxy: an
   * allowed read whose result needs no mask, a write with no RETURNING (under a row limit,
   * only in a transaction block, its count checked), a transaction statement, as long as the
   * server answers as it did when the statement was judged (the same RowDescription or none,
   * rows, one CommandComplete, ReadyForQuery with the same status). Anything else hands the
   * bytes back to the session's JavaScript, which goes on as without it (see
   * docs/adapters/pg.md, _Native lane_). A session uses it only on plain sockets with direct
   * socket I/O and the decision cache on; with an audit sink, only one that stores a record on
   * the spot (`writeNow`), since the lane asks the session before each statement it sends
   * (which writes the decision record and asks `decisionsHold`) and tells it when each
   * response is whole (the completion record); what it registers lives no longer than the decision
   * cache's entry and `catalogTrustMs`, and is dropped at once on a new policy generation.
   * It needs the package's native build (`scripts/build-native.mjs`, run by its `build`) and
   * an engine with `onGeneration`. Default: used when both are there, and not otherwise (the
   * proxy logs why at creation, as it does when the decision cache is off or the audit sink
   * has no `writeNow`); `true` without any of these is refused when the proxy is created;
   * `false` turns it off.
   */
  nativeLane?: boolean;
}
