/**
 * One client connection through the proxy: startup and authentication toward the client,
 * an upstream connection on the operator's credentials, then every Query, Parse and
 * FunctionCall decided before a byte of it is forwarded, and results masked on the way back.
 *
 * Responses are matched to requests with a queue of what was forwarded (`pending`), in
 * order, as the server answers them; answers the proxy makes up itself (a denial) sit in the
 * same queue so they reach the client in the order the server would have sent them.
 */

import { createHash, type Hash, randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import {
  type ApprovalRequest,
  type AuditRecord,
  type AuditSink,
  type AuditStage,
  auditRecordFromDecision,
  type ColumnDescriptor,
  type Decision,
  type DecisionResult,
  type EngineLogger,
  type GrantedApproval,
  newAuditRecordId,
  normalizeRequest,
  type PolicyRequest,
  type StatementFacts,
  toGrantedApproval,
} from '@portcullis/core';
import {
  type FieldDescription,
  readCommandComplete,
  readCopyResponse,
  readDataRow,
  readFunctionCallResponse,
  readNoticeFields,
  readParameterStatus,
  readReadyForQuery,
  readRowDescription,
} from '../protocol/backend-messages.js';
import {
  type NoticeFields,
  writeAuthenticationCleartextPassword,
  writeAuthenticationOk,
  writeAuthenticationSasl,
  writeAuthenticationSaslContinue,
  writeAuthenticationSaslFinal,
  writeBackendKeyData,
  writeCommandComplete,
  writeErrorResponse,
  writeFunctionCallResponse,
  writeNegotiateProtocolVersion,
  writeNoticeResponse,
  writeParameterStatus,
  writeReadyForQuery,
  writeRowDescription,
} from '../protocol/backend-writers.js';
import {
  type ParseMessage,
  readBindTarget,
  readClose,
  readDescribe,
  readEmpty,
  readExecute,
  readFunctionCall,
  readParse,
  readPasswordMessage,
  readQuery,
  readSaslInitialResponse,
  readSaslResponse,
  readStartupPacket,
} from '../protocol/frontend-messages.js';
import { writeExecute, writeQuery, writeSync, writeTerminate } from '../protocol/frontend-writers.js';
import {
  BackendCode,
  ErrorField,
  FrontendCode,
  SqlState,
  TransactionStatus,
} from '../protocol/message-codes.js';
import { Frame, MessageFramer } from '../protocol/message-framer.js';
import { MessageWriter } from '../protocol/message-writer.js';
import { isPgProtocolError, PgProtocolError } from '../protocol/protocol-error.js';
import {
  BASE_RELATION_KINDS,
  CatalogClient,
  columnKey,
  type DerivedSources,
  type NamedFunction,
  type NamedRelation,
  type ResolvedColumn,
  STATISTICS_CATALOG_OIDS,
  type ViewColumns,
} from '../upstream/catalog-client.js';
import type { CatalogPool } from '../upstream/catalog-pool.js';
import { connectUpstream, type UpstreamConnection } from '../upstream/connect-upstream.js';
import { UpstreamError } from '../upstream/upstream-error.js';
import {
  approvalFingerprint,
  canceledWhileHeld,
  findCovering,
  type HeldKind,
  heldNotice,
  notApproved,
} from './approval-hold.js';
import type { AuditBacklog } from './audit-backlog.js';
import type { TypeShapes } from './binary-values.js';
import { CopyOutStream, type CopyPlan, notNullPlaceholder } from './copy-mask.js';
import { type CopyStatement, parseCopyStatement } from './copy-statement.js';
import { declaredCursorName, fetchedCursorName } from './cursor-names.js';
import { type DecisionCacheOptions, DecisionMemo } from './decision-memo.js';
import { denyFields, protocolViolation } from './deny-response.js';
import { type DirectSocket, directSocket } from './direct-socket.js';
import { FlowGate } from './flow-gate.js';
import {
  createRowPlan,
  type MaskContext,
  maskDataRowBody,
  maskValues,
  type RowPlan,
  withResultFormats,
  withToldTypes,
} from './mask-plan.js';
import {
  boundLaneKey,
  LANE_DESCRIPTION_MAX,
  LANE_REGISTRATIONS,
  type LaneBinding,
  type LaneHandle,
  type LaneHandoff,
  LaneKeyKind,
} from './native-lane.js';
import { OutputBatch } from './output-batch.js';
import type {
  AuthenticatedClient,
  ClientStartup,
  PgApprovalOptions,
  PgProxyOptions,
} from './pg-proxy-options.js';
import {
  affectedRows,
  type RowLimit,
  rowLimitAfterExecute,
  rowLimitExceeded,
  rowLimitFetchRefused,
  rowLimitOf,
} from './row-limit.js';
import { ROW_PLANS_PER_CONTEXT, RowPlanCache } from './row-plan-cache.js';
import { TextSettings } from './scalar-text.js';
import {
  createScramServerExchange,
  parseScramVerifier,
  SCRAM_MECHANISM,
  SCRAM_PLUS_MECHANISM,
  type ScramServerExchange,
} from './scram-server.js';
import { type SessionInputParts, type SharedDecisions, shareKey } from './shared-decisions.js';
import { type SideChannelMask, writeMaskedNotice, writeMaskedSideChannel } from './side-channel.js';
import { executedName, preparedStatementQuery, preparedText } from './sql-execute.js';
import { encodingAt, type TextEncoding } from './text-encoding.js';
import {
  anyMaskedColumn,
  DEFAULT_UNRESOLVED_COLUMNS,
  factsTaint,
  firstPicked,
  holdsSampleValues,
  pickedColumns,
  type ViewColumnRefs,
  viewColumnRefs,
} from './unresolved-columns.js';
import type { UpstreamReuse } from './upstream-reuse.js';

/** What a session needs from the proxy that owns it. */
export interface SessionHost {
  readonly options: PgProxyOptions;
  readonly maxMessageSize: number;
  readonly logger: EngineLogger | undefined;
  /** TLS toward clients, when configured. */
  readonly secureContext: SecureContext | undefined;
  /** Key for the salts of mock SCRAM exchanges (unknown users), fixed per proxy. */
  readonly scramMockKey: Uint8Array;
  /**
   * `tls-server-end-point` data of the certificate clients see, when SCRAM-SHA-256-PLUS can be
   * offered on TLS connections (see channel-binding.ts).
   */
  readonly channelBinding: Buffer | undefined;
  /** Per-session decision reuse; undefined when turned off. */
  readonly decisionCache: DecisionCacheOptions | undefined;
  /** Decisions sessions share (see shared-decisions.ts); undefined when turned off. */
  readonly sharedDecisions: SharedDecisions | undefined;
  /** Catalog connections ended sessions left, for the next (see catalog-pool.ts). */
  readonly catalogPool: CatalogPool | undefined;
  /** Upstream connections ended sessions left, reset, for the next (`upstream.reuse`). */
  readonly upstreamReuse: UpstreamReuse | undefined;
  /** The native lane, where sessions may use it (see native-lane.ts and `nativeLane`). */
  readonly lane: LaneBinding | undefined;
  /** A session's lane handed back, having relayed `statements` since it last did. */
  laneHandedBack(statements: number): void;
  maskContext(decision: Decision): MaskContext | undefined;
  /** Register the key the client gets in BackendKeyData; returns it. */
  registerCancelKey(session: ProxySession): { processId: number; secretKey: number };
  cancel(processId: number, secretKey: number): void;
  closed(session: ProxySession): void;
  /** Where an ended session's unwritten audit records go (see audit-backlog.ts); with `audit`. */
  readonly auditBacklog: AuditBacklog | undefined;
  /**
   * The types met in results on this upstream database, shared by its sessions: a type's OID
   * names the same layout for every session of the database (see binary-values.ts).
   */
  typeShapes(database: string): TypeShapes;
}

/**
 * A portal name no client can have created (clients cannot send a NUL-free name starting with
 * this prefix by accident): Execute of it makes the server fail the current batch exactly as
 * if the denied message had failed there.
 */
const POISON_PORTAL = 'portcullis\u0001denied';

/** First byte of a TLS record carrying a handshake message (a ClientHello, here). */
const TLS_HANDSHAKE_RECORD = 0x16;
/**
 * What a login's approval request is filed and found under: a statement-scope grant lets the
 * subject connect again within its ttl, a session-scope one covers this session only.
 */
const CONNECT_FINGERPRINT = 'connect';
/** A TLS alert record: fatal (2), handshake_failure (40), as TLS 1.2 frames it. */
const TLS_HANDSHAKE_FAILURE_ALERT = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
/** The ALPN protocol name PostgreSQL 17 requires for direct TLS. */
const ALPN_POSTGRESQL = 'postgresql';

/** Client bytes buffered while a decision is pending before the client socket is paused. */
const CLIENT_BACKLOG_BYTES = 1 << 20;
/** Bytes a direct write may leave queued on a socket before the other side is paused. */
const DIRECT_WRITE_BACKLOG = 256 * 1024;
/** `memoState` without live grants (nearly always); never mutated. */
const NO_APPROVALS: { approvals: GrantedApproval[]; approvalsKey: string } = Object.freeze({
  approvals: [],
  approvalsKey: '',
}) as { approvals: GrantedApproval[]; approvalsKey: string };

/**
 * The statement a result comes from, for result columns no table can be named for (see
 * unresolved-columns.ts): its facts, and what they were found to carry, worked out once.
 */
interface TaintSource {
  /** The statement text, to remember how its result was planned (see notePreflight). */
  sql: string;
  statements: readonly StatementFacts[];
  /** The statement did not parse: its facts say nothing, so anything may reach its result. */
  unparsed: boolean;
  carries?: Promise<ColumnDescriptor | undefined>;
}

interface StatementState extends TaintSource {
  mask: MaskContext | undefined;
  /** The decision it runs under and how long that took, for completion records. */
  result?: DecisionResult;
  decisionMs?: number;
  /** The SQL text, to decide again at Execute after a policy change. */
  sql: string;
  /** The engine's policy generation the decision was made under. */
  generation: number;
  /** RowDescription from Describe of the statement or of a portal of it (formats all text). */
  fields?: FieldDescription[];
  /**
   * A Describe of it or of a portal of it was answered NoData: it returns no rows, so the row
   * count of an Execute of it is ignored by the server (the statement runs to completion).
   */
  noRows?: boolean;
  /** Row plans made from `fields`, by the result formats a Bind asked for. */
  plans?: Map<string, RowPlan>;
  /**
   * The result's type OIDs as the client was last told them, by a Describe of it or of a
   * portal of it: a driver that sends Bind and Execute alone afterwards parses values by them.
   */
  toldTypes?: readonly number[];
  /** The decision's row limit, when it applies to this statement (see row-limit.ts). */
  rowLimit?: RowLimit | undefined;
}

/**
 * A simple-protocol write running under a row limit: what its response said so far, and
 * whether the proxy opened the transaction around it.
 */
interface QueryGuard {
  limit: RowLimit;
  /** The proxy sent BEGIN before it (the session was idle), and ends it with COMMIT or ROLLBACK. */
  began: boolean;
  /** Its CommandComplete's tag, within the limit (held back until COMMIT when `began`). */
  tag?: string;
  /** The error the client gets once the write is undone: past the limit. */
  exceeded?: NoticeFields;
  /** The COMMIT the proxy sent failed (a deferred constraint): its error stands instead. */
  commitFailed?: boolean;
}

/** A statement that ran under column rules, as relaySideChannel looks back at it. */
interface RanStatement {
  context: MaskContext;
  source: TaintSource;
}

const RAN_IN_TRANSACTION_LIMIT = 32;

/** What a row plan is made with besides its columns (see createRowPlan). */
interface PlanFlags {
  types: TypeShapes;
  statementBound?: boolean;
  transient?: boolean;
}

/**
 * A plan made while the catalog could not tell a result's types: its values of those types are
 * NULL under detector masks, and the plan is kept for nothing, so the next run looks again.
 */
const TYPES_UNKNOWN = { statementBound: true, transient: true } as const;

/** Rounds of type lookups per result: a type made of types made of types … deeper is unreadable. */
const MAX_TYPE_ROUNDS = 8;

const CURSORS_REMEMBERED = 64;

interface PortalState {
  statement: StatementState;
  resultFormats: number[];
  /** From Describe of the portal, or derived from the statement's at Execute. */
  plan?: RowPlan;
  fields?: FieldDescription[];
  /** The types its Describe told the client (see StatementState.toldTypes). */
  toldTypes?: readonly number[];
  /** `plan` under the types the client was told (see portalRows). */
  toldPlan?: { from: RowPlan; told: readonly number[]; plan: RowPlan };
}

/** What the native lane's Query runs on, kept to take it back (see laneTakeBack). */
interface LaneVerdict {
  decision: Decision;
  /**
   * Its facts, with the first text it was registered for: what a run of it in a transaction
   * is noted as.
   */
  source: TaintSource;
}

/** A Query the native lane may relay from now on, once its response is seen to be clean. */
interface LaneCandidate {
  readonly sql: string;
  readonly verdict: LaneVerdict;
  /** The transaction status its response started in. */
  from: number | undefined;
  /** Its RowDescription's body, when one came and its plan masks nothing. */
  description: Buffer | undefined;
  completes: number;
  /** Nothing else came, and nothing was masked or held. */
  ok: boolean;
}

/**
 * An extended batch the native lane may relay from now on (Bind of the unnamed portal to a
 * prepared statement, Describe of it, Execute with no row limit, Sync), once its response
 * proves clean: BindComplete, a RowDescription whose plan masks nothing, rows,
 * CommandComplete, ReadyForQuery 'I'.
 */
interface LaneBatch {
  readonly name: string;
  readonly statement: StatementState;
  readonly portal: PortalState;
  /** As the lane keys it (boundLaneKey). */
  readonly key: Buffer;
  /** The transaction status it was bound in (nothing else was in flight). */
  readonly from: number;
  /** Client messages seen in order: 1 Bind, 2 Describe, 3 Execute, 4 Sync. */
  client: number;
  /**
   * Server messages seen in order: 1 BindComplete, 2 RowDescription or NoData, 3 rows,
   * 4 CommandComplete.
   */
  server: number;
  /** The RowDescription's body; undefined after NoData. */
  description: Buffer | undefined;
  ok: boolean;
}

/** What a registration's response must be (see LaneBinding.register). */
interface LaneAnswer {
  description: Buffer | null;
  from: number;
  to: number;
  limit: number;
}

/**
 * What a registration runs on: a Query's verdict (and the row limit it ran under in a
 * transaction block), or a prepared statement.
 */
type LaneRegistration =
  | { readonly query: LaneVerdict; readonly limit: RowLimit | undefined }
  | { readonly statement: string; readonly state: StatementState };

/** Why a lane hands back for good: its sockets ended or failed. */
const LANE_ENDS = new Set([
  'client-end',
  'client-error',
  'client-write',
  'server-end',
  'server-error',
  'upstream-write',
  'poll',
]);

type Pending =
  | {
      kind: 'query';
      mask: MaskContext | undefined;
      // Always present (undefined when unset), so every entry keeps one shape.
      plan: RowPlan | undefined;
      copy: CopyPlan | undefined;
      source: TaintSource;
      trace: StatementTrace | undefined;
      guard: QueryGuard | undefined;
      /** Watched for the native lane: registered there if its response proves clean. */
      lane: LaneCandidate | undefined;
    }
  | { kind: 'parse' }
  | { kind: 'bind' }
  | {
      kind: 'describe';
      target: 'S' | 'P';
      name: string;
      statement?: StatementState;
      portal?: PortalState;
      /** Called once the server has answered it, or the batch failed before it (see preflight). */
      answered?: (() => void)[];
      /** The server answered NoData: the statement returns no rows. */
      noData?: boolean;
    }
  | {
      kind: 'execute';
      portal?: PortalState;
      /** The server's error is replaced by this one; null: dropped (the client already has one). */
      replaceError?: NoticeFields | null;
      trace?: StatementTrace;
      /** Runs under a row limit: its count is read before anything after it is sent. */
      limit?: RowLimit | undefined;
    }
  | { kind: 'close' }
  | {
      kind: 'sync';
      /** A limited write of its batch went past its limit: the block is failed after it. */
      failBlock?: boolean;
    }
  | { kind: 'synthetic'; write: (w: MessageWriter) => void }
  /**
   * A query the proxy sent on the client's connection to read what it needs (see
   * sql-execute.ts): its answer goes to `done` at its ReadyForQuery, never to the client.
   */
  | {
      kind: 'lookup';
      rows: (string | null)[][];
      failed: boolean;
      done: (rows: (string | null)[][] | undefined) => void;
    }
  /** A simple Query or Sync the proxy sent around a limited write (BEGIN, COMMIT, ROLLBACK). */
  | {
      kind: 'tx';
      guard: QueryGuard | undefined;
      end: boolean;
      commit: boolean;
      /** The limited write's completion record, finished when this ends its transaction. */
      trace?: StatementTrace | undefined;
    };

/** A limited write's count is awaited: what the client sends next waits on `settled`. */
interface RowGuard {
  settled: Promise<void>;
  settle: () => void;
  /**
   * Extended protocol inside a transaction block: the client's Sync may follow the Execute at
   * once (it commits nothing there); anything else first asks the server to answer (Flush).
   */
  syncNext: boolean;
  /** That Sync went to the server: past the limit, the block is failed once it is answered. */
  syncPassed: boolean;
}

type Phase = 'startup' | 'password' | 'sasl-initial' | 'sasl-final' | 'connecting' | 'ready' | 'closed';

/** What to do with a statement, once the policy (and reviewers, for a held one) have spoken. */
interface Verdict {
  decision: Decision;
  /** The error the client gets instead of the policy's reasons. */
  error?: NoticeFields;
  /** Decided on these facts (for COPY masking and unresolved result columns). */
  statements: readonly StatementFacts[];
  unparsed: boolean;
  /** The engine's last answer (for the completion record). */
  result: DecisionResult;
}

/**
 * A forwarded statement's completion record in the making: what its response carried, for
 * the audit sink once it ends (see `audit` in PgProxyOptions).
 */
interface StatementTrace {
  /** The decision it ran under, with the effect enforced (an approved statement's is allow). */
  result: DecisionResult;
  receivedAt: number;
  decisionMs: number;
  forwardedAt: number;
  /** Offset into the bytes sent to the client where its response began (undefined once recorded). */
  start: number | undefined;
  rows?: number;
  commands: string[];
  errorCode?: string;
  /** Response digest, when sessions are recorded. */
  hash?: Hash;
}

export class ProxySession {
  readonly id = randomUUID();
  readonly startedAt = new Date().toISOString();
  readonly source: string;
  private phase: Phase = 'startup';
  private readonly clientFramer: MessageFramer;
  private readonly clientGate: FlowGate;
  private upstreamGate: FlowGate | undefined;
  private upstream: UpstreamConnection | undefined;
  private catalog: CatalogClient | undefined;
  private startup: ClientStartup | undefined;
  private upstreamStartup: Record<string, string> = {};
  private subject: AuthenticatedClient['subject'] | undefined;
  private requester = '';
  private status: number = TransactionStatus.Idle;
  private readonly toClient = new OutputBatch();
  private readonly toUpstream = new OutputBatch();
  private readonly pending: Pending[] = [];
  private readonly statements = new Map<string, StatementState>();
  private readonly portals = new Map<string, PortalState>();
  private readonly columnCache = new Map<string, ResolvedColumn>();
  private typesOfDatabase: TypeShapes | undefined;
  /** Types of the upstream database's results, by OID (see SessionHost.typeShapes). */
  private get types(): TypeShapes {
    this.typesOfDatabase ??= this.host.typeShapes(
      this.host.options.upstream.database ?? this.upstreamStartup.database ?? '',
    );
    return this.typesOfDatabase;
  }
  /**
   * Row plans by mask context and RowDescription bytes: a repeated query's result, or a
   * prepared statement's portal, is planned once, like its columns are resolved once.
   */
  private readonly rowPlans = new RowPlanCache();
  /** A session_start record was written; a session_end is owed. */
  private recording = false;
  private readonly openedAt = performance.now();
  /** Statements whose completion was recorded, and the rows they returned or affected. */
  private statementsRun = 0;
  private rowsOut = 0;
  /** The COPY … TO STDOUT whose data is being masked, from CopyOutResponse to CopyDone. */
  private copyOut: CopyOutStream | undefined;
  /** A result was withheld: drop what the server sends until ReadyForQuery. */
  private suppressing = false;
  /** After an extended-protocol error: discard client messages until Sync, as the server does. */
  private discarding = false;
  /** Something of the current extended batch (since the last Sync) has been forwarded. */
  private batchForwarded = false;
  private clientBusy = false;
  /** A client frame's asynchronous work (a decision, authentication) is pending. */
  private deciding = false;
  private upstreamBusy = false;
  private authTimer: NodeJS.Timeout | undefined;
  private client: Socket;
  /** Direct I/O on the client's and the server's sockets, once the session is ready. */
  private clientIo: DirectSocket | undefined;
  private upstreamIo: DirectSocket | undefined;
  private directTried = false;
  /** The client connection was upgraded to TLS. */
  private secure = false;
  /** Some bytes have come from the client (direct TLS is recognised only in the first). */
  private receivedAny = false;
  private scramExchange: ScramServerExchange | undefined;
  private scramClient: AuthenticatedClient | undefined;
  /** Approvals granted to this session's statements, passed to the policy as session.approvals. */
  private readonly granted: GrantedApproval[] = [];
  /** Set while a statement waits for approval; aborting it ends the wait. */
  private held: { id: string; abort: AbortController } | undefined;
  /** Completion records whose write failed, oldest first, to be written before the next decision. */
  private readonly unwritten: AuditRecord[] = [];
  /** This session's native lane, once made (see native-lane.ts). */
  private lane: LaneHandle | undefined;
  private laneRunning = false;
  /** No lane for the rest of the session: its sockets ended, or it could not start. */
  private laneOff = false;
  private laneNextId = 0;
  /** Registrations, in the order the lane holds them (see lane.c's register). */
  private readonly laneByKey = new Map<string, number>();
  private readonly laneVerdicts = new Map<number, LaneRegistration>();
  /**
   * Registrations forgotten while the lane ran: it may have run them in the transaction it
   * hands back in, or have one in flight (see laneTakeBack).
   */
  private readonly laneRetired = new Map<number, LaneRegistration>();
  /** An extended batch being watched for the lane (see LaneBatch). */
  private laneBatch: LaneBatch | undefined;
  /** Bytes the lane sent the client (for the session's record). */
  private laneBytes = 0;
  /**
   * With an audit sink: the statement the lane has in flight, asked for by onStatement, whose
   * completion record onComplete writes (or this side, if the lane hands it back unanswered).
   */
  private laneTrace: { id: number; trace: StatementTrace | undefined } | undefined;
  /**
   * What the lane's onStatement found for a Query it declined, which the Query it hands back
   * runs on rather than asking again: a verdict whose decision record it wrote (the
   * remembered decision is no longer the registration's), or none (the sink could not write
   * on the spot, the decision is not remembered or does not hold: the asynchronous way).
   */
  private laneDeclined: { sql: string; verdict: Verdict | undefined } | undefined;
  /** The `decisionsHold` answer onStatement got for a statement it declined (see holdAnswer). */
  private laneHold: { sql: string; answer: boolean | Promise<boolean> } | undefined;
  private writingUnwritten: Promise<void> | undefined;
  /** AuthenticationOk went out before the upstream was reached: a login held for approval. */
  private authOkSent = false;
  /** The resource in every policy input (the engine copies what it keeps). */
  private readonly resourceRef: PolicyRequest['resource'];
  /** Decisions already made in this session, by text (see DecisionMemo for what it assumes). */
  private readonly memo: DecisionMemo | undefined;
  /** The policy generation the memo's entries were made under. */
  private memoGeneration = 0;
  /** This session's key among host.sharedDecisions, per the generation it was worked out under. */
  private shareState: { generation: number; key: string | undefined } | undefined;
  /** The session's side of its input documents, as the engine builds them (see sessionParts). */
  private inputParts: SessionInputParts | null | undefined;
  /** As the server last reported it (ParameterStatus); see judgeableText. */
  private clientEncoding = 'UTF8';
  /** DateStyle, IntervalStyle and TimeZone as the server last reported them (scalar-text.ts). */
  private readonly textSettings = new TextSettings();
  /**
   * The mask of the latest decision with text rules: what applies to messages that belong to
   * no statement (a NOTIFY delivered while the session is idle).
   */
  private standingMask: MaskContext | undefined;
  /** Cursors DECLAREd in this session under column rules, by name (see fetchCarries). */
  private readonly cursors = new Map<string, TaintSource>();
  /** Functions named by fast-path calls, by OID (see onFunctionCall). */
  private readonly functionCache = new Map<number, NamedFunction>();
  /** Statements under column rules run in the current transaction (see noteRan). */
  private readonly ranInTransaction: RanStatement[] = [];
  /**
   * This session ran DDL that its transaction may not have committed: the catalog connection
   * does not see it, so until the session is idle again every expression column that needs
   * the taint test is taken to carry a masked column (see noteSchemaChange).
   */
  private schemaChanging = false;
  /** When the session last forgot what it learnt from the catalog (see forgetCatalog). */
  private catalogLearntSince = performance.now();
  /** A promised `decisionsHold` answer a synchronous path could not use (see holdAnswer). */
  private keptHold: { sql: string; answer: boolean | Promise<boolean> } | undefined;
  /** An Execute of the current extended batch (since the last Sync) has been forwarded. */
  private batchRan = false;
  /** A limited write's count is still to come: the client's next messages wait (see forwardLimited). */
  private rowGuard: RowGuard | undefined;
  /**
   * Work waiting for the next ReadyForQuery: text whose reading depends on the client_encoding
   * it reports (judgeableText), a limited write that needs the transaction status (forwardLimited).
   */
  private readonly readyWaiters: (() => void)[] = [];
  upstreamKey: { processId: number; secretKey: number } | undefined;

  constructor(
    private readonly host: SessionHost,
    client: Socket,
  ) {
    this.client = client;
    this.source = client.remoteAddress ?? '';
    this.clientFramer = new MessageFramer({ maxMessageSize: host.maxMessageSize, startup: true });
    this.clientGate = new FlowGate(client);
    const resource = host.options.resource;
    this.resourceRef = { type: 'postgres', name: resource.name, labels: resource.labels ?? {} };
    const cache = host.decisionCache;
    if (cache) this.memo = new DecisionMemo(cache);
    client.setNoDelay(true);
    this.listenClient(client);
    this.authTimer = setTimeout(() => {
      if (this.phase !== 'ready')
        this.fatal(protocolViolation('authentication timed out', SqlState.InvalidAuthorization));
    }, host.options.authenticationTimeoutMs ?? 60_000);
    this.authTimer.unref?.();
  }

  // -------------------------------------------------------------------------------------
  // Client → proxy
  // -------------------------------------------------------------------------------------

  private readonly onClientData = (chunk: Buffer): void => {
    if (!this.receivedAny) {
      this.receivedAny = true;
      // PostgreSQL 17's direct TLS: the connection opens with a ClientHello, no SSLRequest.
      if (chunk[0] === TLS_HANDSHAKE_RECORD && !this.secure) {
        this.directTls(chunk);
        return;
      }
    }
    try {
      this.clientFramer.push(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.deciding && this.clientFramer.buffered > CLIENT_BACKLOG_BYTES) this.clientGate.hold('backlog');
    this.pumpClient();
  };

  private readonly onClientError = (err: Error): void => {
    this.host.logger?.debug?.({ sessionId: this.id, err }, 'client socket error');
    this.close();
  };

  private readonly onClientClose = (): void => this.close();

  private listenClient(socket: Socket): void {
    socket.on('data', this.onClientData);
    socket.on('error', this.onClientError);
    socket.on('close', this.onClientClose);
  }

  /**
   * Answer SSLRequest with 'S' and continue over TLS on the same socket. Bytes the client
   * sent after SSLRequest but before the handshake would be plaintext injected into the
   * session (CVE-2021-23222's server-side twin), so they are refused.
   */
  private upgradeClient(secureContext: SecureContext): void {
    if (this.clientFramer.buffered > 0) throw new PgProtocolError('unencrypted data after SSL request');
    const plain = this.client;
    plain.off('data', this.onClientData);
    plain.off('error', this.onClientError);
    plain.off('close', this.onClientClose);
    plain.write(Buffer.from('S'));
    const secure = new TLSSocket(plain, { isServer: true, secureContext });
    this.client = secure;
    this.secure = true;
    this.clientGate.rebind(secure);
    this.listenClient(secure);
  }

  /**
   * A TLS handshake where the startup packet belongs. Without TLS configured it is refused
   * in the client's own protocol, with a TLS handshake_failure alert, as a PostgreSQL server
   * without ssl closes such a connection. With TLS, the handshake proceeds on the bytes
   * already read, and the client must have negotiated ALPN "postgresql", as PostgreSQL 17
   * insists, so a TLS client of some other protocol cannot be mistaken for ours.
   */
  private directTls(hello: Buffer): void {
    const plain = this.client;
    const secureContext = this.host.secureContext;
    if (!secureContext) {
      this.host.logger?.info?.({ sessionId: this.id }, 'direct TLS refused: no TLS configured');
      plain.end(TLS_HANDSHAKE_FAILURE_ALERT);
      this.close();
      return;
    }
    plain.off('data', this.onClientData);
    plain.off('error', this.onClientError);
    plain.off('close', this.onClientClose);
    plain.pause();
    plain.unshift(hello);
    const secure = new TLSSocket(plain, { isServer: true, secureContext, ALPNProtocols: [ALPN_POSTGRESQL] });
    this.client = secure;
    this.secure = true;
    this.clientGate.rebind(secure);
    this.listenClient(secure);
    secure.once('secure', () => {
      if (secure.alpnProtocol !== ALPN_POSTGRESQL) {
        this.fatal(
          protocolViolation(
            'received direct TLS connection request without ALPN protocol negotiation extension',
          ),
        );
      }
    });
  }

  /**
   * Handle client frames one at a time; a frame that needs asynchronous work (a decision
   * the memo does not hold, authentication) holds the rest until it is done. Synchronous
   * while there is nothing to wait for: most statements are decided from the memo.
   */
  private pumpClient(): void {
    if (this.clientBusy) return;
    this.clientBusy = true;
    let work: Promise<void> | undefined;
    try {
      work = this.pumpClientFrames();
    } catch (err) {
      this.fail(err);
    }
    if (work) {
      work.then(this.resumeClient, this.failClient);
      return;
    }
    this.clientIdle();
  }

  /** Frames until the framer runs dry, or until one returns work to wait for (returned). */
  private pumpClientFrames(): Promise<void> | undefined {
    for (;;) {
      if (this.phase === 'closed') return undefined;
      const frame = this.clientFramer.next();
      if (!frame) break;
      const work = this.onClientFrame(frame);
      if (work) {
        this.flushUpstream();
        this.flushClient();
        // Not paused here: what the client sends meanwhile is framed later, in order;
        // onClientData pauses reading once that backlog grows past CLIENT_BACKLOG_BYTES.
        this.deciding = true;
        return work;
      }
    }
    this.flushUpstream();
    this.flushClient();
    return undefined;
  }

  private clientIdle(): void {
    this.clientBusy = false;
    this.deciding = false;
    this.clientGate.release('backlog');
    if (!this.directTried && this.phase === 'ready') this.goDirect();
    if (this.lane) this.laneMaybeStart();
  }

  /**
   * Past startup, with nothing waiting, read and write a plain client socket on its handle
   * (direct-socket.ts). Tried once per session; a socket it does not fit stays on streams.
   */
  private goDirect(): void {
    this.directTried = true;
    const client = this.client;
    if (this.host.options.directSocketIo === false || this.secure || this.clientGate.held) return;
    if (client.timeout !== undefined && client.timeout > 0) return;
    const io = directSocket(client);
    if (!io) return;
    this.clientIo = io;
    this.clientGate.rebind(io);
    io.takeReads(this.onDirectClientData);
  }

  /**
   * A client read in a buffer that is used again: true when a view of it must outlive this
   * call (a frame waiting on a decision, forwarded bytes still being written).
   */
  private readonly onDirectClientData = (chunk: Buffer): boolean => {
    const framer = this.clientFramer;
    // While a frame waits on a decision, what arrives is only queued: a copy of its own, not
    // the whole read buffer kept alive per read (a client trickling single bytes during an
    // approval hold would otherwise pin 64 KiB for each).
    const queueOnly = this.clientBusy;
    try {
      framer.push(queueOnly ? Buffer.from(chunk) : chunk);
    } catch (err) {
      this.fail(err);
      return true;
    }
    if (this.deciding && framer.buffered > CLIENT_BACKLOG_BYTES) this.clientGate.hold('backlog');
    if (queueOnly) return false;
    this.pumpClient();
    if (this.clientBusy || this.upstreamIo?.pending || (this.upstream?.socket.writableLength ?? 0) > 0) {
      return true;
    }
    framer.ownRest();
    return false;
  };

  private readonly resumeClient = (): void => {
    this.deciding = false;
    this.clientBusy = false;
    this.pumpClient();
  };

  private readonly failClient = (err: unknown): void => {
    this.fail(err);
    this.clientIdle();
  };

  /** Returns a promise only when the frame needs asynchronous work. */
  private onClientFrame(frame: Frame): Promise<void> | undefined {
    switch (this.phase) {
      case 'startup':
        this.onStartupPacket(frame);
        return undefined;
      case 'password':
        return this.onPassword(frame);
      case 'sasl-initial':
        return this.onSaslInitial(frame);
      case 'sasl-final':
        return this.onSaslFinal(frame);
      case 'ready':
        return this.onClientMessage(frame);
      default:
        throw new PgProtocolError('unexpected message while connecting');
    }
  }

  private onStartupPacket(frame: Frame): void {
    const packet = readStartupPacket(frame.body);
    if (packet.kind === 'ssl' && this.host.secureContext && !this.secure) {
      this.upgradeClient(this.host.secureContext);
      return;
    }
    if (packet.kind === 'ssl' || packet.kind === 'gssenc') {
      // No TLS configured (or already on it), no GSSAPI: 'N' lets libpq fall back or give up per sslmode.
      this.client.write(Buffer.from('N'));
      return;
    }
    if (packet.kind === 'cancel') {
      this.host.cancel(packet.processId, packet.secretKey);
      this.close();
      return;
    }
    const { parameters } = packet;
    if (parameters.replication !== undefined && parameters.replication !== 'false') {
      throw new PgProtocolError('replication connections are not supported', SqlState.FeatureNotSupported);
    }
    const user = parameters.user;
    if (!user)
      throw new PgProtocolError(
        'no PostgreSQL user name specified in startup packet',
        SqlState.InvalidAuthorization,
      );
    if (this.host.options.requireTls && !this.secure) {
      // As pg_hba.conf's hostssl refuses a plaintext connection.
      throw new PgProtocolError(
        `connection for user "${user}" refused: TLS is required (use sslmode=require or stronger)`,
        SqlState.InvalidAuthorization,
      );
    }
    this.startup = { user, database: parameters.database, parameters, source: this.source };
    // Protocol 3.x with x > 0: answer that we speak 3.0 and ignore its protocol options.
    if (packet.minor > 0) {
      const unrecognized = Object.keys(parameters).filter((k) => k.startsWith('_pq_.'));
      writeNegotiateProtocolVersion(this.toClient.writer, 0, unrecognized);
    }
    // `options` could carry -c settings past the policy; `user` and `database` are the operator's.
    const forwarded: Record<string, string> = {};
    for (const [k, v] of Object.entries(parameters)) {
      if (k === 'user' || k === 'database' || k === 'options' || k === 'replication' || k.startsWith('_pq_.'))
        continue;
      forwarded[k] = v;
    }
    if (this.host.options.upstream.database === undefined) forwarded.database = parameters.database ?? user;
    this.upstreamStartup = forwarded;
    this.clientFramer.startup = false;
    if (this.host.options.scram) {
      // PostgreSQL's order: PLUS first, where this connection can bind to a certificate.
      const plus = this.secure && this.host.channelBinding !== undefined;
      writeAuthenticationSasl(
        this.toClient.writer,
        plus ? [SCRAM_PLUS_MECHANISM, SCRAM_MECHANISM] : [SCRAM_MECHANISM],
      );
      this.phase = 'sasl-initial';
    } else {
      writeAuthenticationCleartextPassword(this.toClient.writer);
      this.phase = 'password';
    }
  }

  /** SASLInitialResponse: look the user's secret up and answer with server-first-message. */
  private async onSaslInitial(frame: Frame): Promise<void> {
    if (frame.type !== FrontendCode.Password) throw new PgProtocolError('expected SASLInitialResponse');
    const initial = readSaslInitialResponse(frame.body);
    const binding = this.secure ? this.host.channelBinding : undefined;
    const offered =
      initial.mechanism === SCRAM_MECHANISM || (initial.mechanism === SCRAM_PLUS_MECHANISM && binding);
    if (!offered || initial.data === null)
      throw new PgProtocolError(
        `SASL mechanism ${initial.mechanism} is not supported; use ${SCRAM_MECHANISM}`,
        SqlState.InvalidAuthorization,
      );
    const startup = this.startup as ClientStartup;
    this.phase = 'connecting';
    let credential: Awaited<ReturnType<NonNullable<PgProxyOptions['scram']>>> = null;
    try {
      credential = (await this.host.options.scram?.(startup)) ?? null;
    } catch (err) {
      this.host.logger?.warn?.({ sessionId: this.id, err }, 'scram lookup failed');
    }
    if (this.phase !== 'connecting') return;
    const secret = credential ? parseScramVerifier(credential.verifier) : undefined;
    if (credential && !secret)
      this.host.logger?.warn?.({ sessionId: this.id, user: startup.user }, 'scram verifier is malformed');
    if (secret && credential) this.scramClient = credential.client;
    this.scramExchange = createScramServerExchange(
      secret,
      { key: this.host.scramMockKey, user: startup.user },
      binding,
    );
    const serverFirst = this.scramExchange.serverFirst(initial.data.toString('utf8'), initial.mechanism);
    writeAuthenticationSaslContinue(this.toClient.writer, Buffer.from(serverFirst, 'utf8'));
    this.phase = 'sasl-final';
  }

  /** SASLResponse: check the proof, then connect upstream as after a cleartext password. */
  private async onSaslFinal(frame: Frame): Promise<void> {
    if (frame.type !== FrontendCode.Password) throw new PgProtocolError('expected SASLResponse');
    const { data } = readSaslResponse(frame.body);
    const final = this.scramExchange?.serverFinal(data.toString('utf8'));
    this.phase = 'connecting';
    const who = final !== undefined ? this.scramClient : undefined;
    if (final !== undefined) writeAuthenticationSaslFinal(this.toClient.writer, Buffer.from(final, 'utf8'));
    await this.admit(who ?? null);
  }

  private async onPassword(frame: Frame): Promise<void> {
    if (frame.type !== FrontendCode.Password) throw new PgProtocolError('expected a password message');
    const { password } = readPasswordMessage(frame.body);
    const startup = this.startup as ClientStartup;
    this.phase = 'connecting';
    const authenticate = this.host.options.authenticate;
    let who: AuthenticatedClient | null = null;
    if (authenticate) {
      try {
        who = await authenticate(startup, password);
      } catch (err) {
        this.host.logger?.warn?.({ sessionId: this.id, err }, 'authenticate hook failed');
        who = null;
      }
    }
    await this.admit(who);
  }

  /** The client is who `who` says (or refused when null): connect upstream and say ready. */
  private async admit(who: AuthenticatedClient | null): Promise<void> {
    const startup = this.startup as ClientStartup;
    if (this.phase !== 'connecting') return;
    if (!who || typeof who.subject?.id !== 'string' || who.subject.id === '') {
      this.fatal({
        severity: 'FATAL',
        code: SqlState.InvalidPassword,
        message: `password authentication failed for user "${startup.user}"`,
      });
      return;
    }
    this.subject = who.subject;
    this.requester = who.requester ?? who.subject.id;
    if (this.host.options.decideConnect !== false) {
      let refusal: NoticeFields | undefined;
      try {
        refusal = await this.connectRefusal();
      } catch (err) {
        this.host.logger?.error?.({ sessionId: this.id, err }, 'connect decision failed');
        refusal = {
          severity: 'FATAL',
          code: SqlState.InternalError,
          message: 'the connection could not be decided',
        };
      }
      if (this.phase !== 'connecting') return;
      if (refusal) {
        this.fatal(refusal);
        return;
      }
    }
    if (this.host.options.recordSession) {
      // Fail closed: a session that cannot be recorded does not start.
      try {
        await this.host.options.audit?.write(this.sessionRecord('session_start'));
        this.recording = true;
      } catch (err) {
        this.host.logger?.error?.({ sessionId: this.id, err }, 'audit write of a session record failed');
        this.fatal({
          severity: 'FATAL',
          code: SqlState.InternalError,
          message: 'the session could not be recorded',
        });
        return;
      }
    }
    // A kept connection is handed over within this turn, before any read can reach it, and
    // only to a session still starting.
    if (this.phase !== 'connecting') return;
    const kept = this.host.upstreamReuse?.take(this.upstreamStartup);
    let upstream: UpstreamConnection;
    if (kept) upstream = kept.connection;
    else {
      try {
        upstream = await connectUpstream(
          this.host.options.upstream,
          this.upstreamStartup,
          this.host.maxMessageSize,
          { reuseReadBuffer: true },
        );
      } catch (err) {
        this.fatal(this.upstreamFailure(err));
        return;
      }
      if (this.phase !== 'connecting') {
        upstream.socket.destroy();
        return;
      }
    }
    this.attachUpstream(upstream, kept?.io);
    const w = this.toClient.writer;
    if (!this.authOkSent) writeAuthenticationOk(w);
    for (const [name, value] of upstream.parameters) writeParameterStatus(w, name, value);
    const key = this.host.registerCancelKey(this);
    writeBackendKeyData(w, key.processId, key.secretKey);
    this.status = upstream.status;
    writeReadyForQuery(w, upstream.status);
    clearTimeout(this.authTimer);
    this.phase = 'ready';
    this.host.logger?.info?.(
      { sessionId: this.id, subject: this.subject.id, source: this.source },
      'pg session started',
    );
  }

  /**
   * The policy's say on the session itself (`action: 'connect'`), once the client is
   * authenticated and before the upstream is reached. Undefined lets the session start;
   * otherwise the FATAL that refuses it. `approve` holds the login: the client is told it is
   * authenticated (libpq takes notices only after that) and which request to approve, and
   * the grant, once given, is in this session's approvals from then on.
   */
  private async connectRefusal(): Promise<NoticeFields | undefined> {
    const first = await this.decideConnect();
    const approvals = this.host.options.approvals;
    if (first.decision.effect === 'allow') return undefined;
    if (first.decision.effect === 'deny' || !approvals) return denyFields(first.decision, 'connection');
    let grant = await this.storedGrant(approvals, CONNECT_FINGERPRINT);
    if (!grant) {
      const request = await this.fileRequest(
        approvals,
        first.decision,
        CONNECT_FINGERPRINT,
        this.connectSummary(),
      );
      // Gone while the request was filed: refused (there is no one left to tell).
      if (this.phase !== 'connecting') return canceledWhileHeld(request.id, 'connection');
      const url = approvals.approveUrl?.(request.id);
      writeAuthenticationOk(this.toClient.writer);
      this.authOkSent = true;
      writeNoticeResponse(this.toClient.writer, heldNotice(request, url, approvals.waitMs, 'connection'));
      this.flushClient();
      // The wait is bounded by waitMs; the login timeout is for clients that do not authenticate.
      clearTimeout(this.authTimer);
      this.host.logger?.info?.({ sessionId: this.id, approval: request.id }, 'connection held for approval');
      const outcome = await this.waitForReviewers(approvals, request.id);
      if (outcome === undefined) return canceledWhileHeld(request.id, 'connection');
      if (outcome.state !== 'approved') return notApproved(outcome, url, 'connection');
      grant = toGrantedApproval(outcome);
    }
    if (!this.granted.some((g) => g.id === grant.id)) this.granted.push(grant);
    // Decided again with the grant in session.approvals, so a policy that reads them has its say.
    const again = await this.decideConnect();
    return again.decision.effect === 'deny' ? denyFields(again.decision, 'connection') : undefined;
  }

  /** What a login is called in its audit records and approval request. */
  private connectSummary(): string {
    const startup = this.startup as ClientStartup;
    return `connect user=${startup.user} database=${startup.database ?? startup.user}`;
  }

  /** A connect decision, written to the audit sink before it is enforced (a failed write denies). */
  private async decideConnect(): Promise<DecisionResult> {
    const result = await this.host.options.engine.decide({
      subject: this.subject as AuthenticatedClient['subject'],
      resource: this.resourceRef,
      session: {
        id: this.id,
        started_at: this.startedAt,
        source: this.source,
        approvals: this.memoState(Date.now()).approvals,
      },
      action: 'connect',
    });
    return this.audited(result, 'connection', this.connectSummary());
  }

  /**
   * A grant in the store that covers `fingerprint` for this subject on this resource (a
   * statement-scope one from any of its sessions, a session-scope one from this session).
   */
  private async storedGrant(
    approvals: PgApprovalOptions,
    fingerprint: string,
  ): Promise<GrantedApproval | undefined> {
    const found = await approvals.store.findGranted({
      subjectId: (this.subject as AuthenticatedClient['subject']).id,
      resourceName: this.host.options.resource.name,
      fingerprint,
      sessionId: this.id,
    });
    return found ? toGrantedApproval(found) : undefined;
  }

  /** Files a request for the approval `decision` asks for, shown to reviewers as `summary`. */
  private fileRequest(
    approvals: PgApprovalOptions,
    decision: Decision,
    fingerprint: string,
    summary: string,
  ): Promise<ApprovalRequest> {
    const requirement = decision.approval;
    return approvals.store.request({
      requester: this.requester,
      subject: (this.subject as AuthenticatedClient['subject']).id,
      resource: this.host.options.resource.name,
      fingerprint,
      sessionId: this.id,
      reviewers: requirement?.reviewers ?? [],
      quorum: requirement?.quorum ?? 1,
      scope: requirement?.scope ?? 'statement',
      ttl: requirement?.ttl ?? '0s',
      summary,
      reasons: decision.reasons,
      wait: `${approvals.waitMs}ms`,
    });
  }

  /**
   * Waits for the reviewers' answer to request `id`, within the wait limit; undefined when
   * the wait was ended here (the client canceled it, or went away).
   */
  private async waitForReviewers(
    approvals: PgApprovalOptions,
    id: string,
  ): Promise<ApprovalRequest | undefined> {
    const abort = new AbortController();
    this.held = { id, abort };
    try {
      return await approvals.store.waitFor(id, { timeoutMs: approvals.waitMs, signal: abort.signal });
    } catch (err) {
      if (!abort.signal.aborted) throw err;
      return undefined;
    } finally {
      this.held = undefined;
    }
  }

  /** Server errors about the operator's own credentials are not the client's business. */
  private upstreamFailure(err: unknown): NoticeFields {
    this.host.logger?.warn?.({ sessionId: this.id, err }, 'upstream connection failed');
    const fields = err instanceof UpstreamError ? err.fields : undefined;
    const code = fields?.get(ErrorField.Code);
    if (fields && code !== undefined && !code.startsWith('28')) {
      return { severity: 'FATAL', code, message: fields.get(ErrorField.Message) ?? 'upstream error' };
    }
    const detail = err instanceof UpstreamError ? err.clientDetail : undefined;
    return {
      severity: 'FATAL',
      code: SqlState.ConnectionFailure,
      message: 'could not connect to the upstream server',
      ...(detail !== undefined ? { detail } : {}),
    };
  }

  private onClientMessage(frame: Frame): Promise<void> | undefined {
    // A decisionsHold answer serves only the message it was asked for (see holdAnswer).
    this.keptHold = undefined;
    const batch = this.laneBatch;
    if (batch !== undefined && batch.client < 4) this.laneBatchClient(batch, frame);
    const guard = this.rowGuard;
    if (guard && !isCopyInput(frame.type)) {
      const syncNext = guard.syncNext;
      guard.syncNext = false;
      if (syncNext && frame.type === FrontendCode.Sync) guard.syncPassed = true;
      else {
        if (syncNext) this.toUpstream.writer.begin(FrontendCode.Flush).end();
        return guard.settled.then(() => (this.phase === 'ready' ? this.onClientMessage(frame) : undefined));
      }
    }
    if (this.discarding) {
      if (frame.type === FrontendCode.Sync) this.endDiscard();
      else if (frame.type === FrontendCode.Terminate) this.terminate();
      return undefined;
    }
    switch (frame.type) {
      case FrontendCode.Query:
        this.trustCatalogStill();
        return this.onQuery(frame);
      case FrontendCode.Parse:
        this.trustCatalogStill();
        return this.onParse(frame);
      case FrontendCode.Bind:
        // A driver past its prepare threshold sends Bind and Execute alone.
        this.trustCatalogStill();
        this.onBind(frame);
        return undefined;
      case FrontendCode.Describe: {
        const d = readDescribe(frame.body);
        const entry: Pending = { kind: 'describe', target: d.target, name: d.name };
        if (d.target === 'S') {
          const s = this.statements.get(d.name);
          if (s) entry.statement = s;
        } else {
          const p = this.portals.get(d.name);
          if (p) entry.portal = p;
        }
        this.forward(frame, entry);
        return undefined;
      }
      case FrontendCode.Execute:
        return this.onExecute(frame);
      case FrontendCode.Close: {
        const c = readClose(frame.body);
        if (c.target === 'S') {
          this.statements.delete(c.name);
          this.laneForgetStatement(c.name);
        } else this.portals.delete(c.name);
        this.forward(frame, { kind: 'close' });
        return undefined;
      }
      case FrontendCode.Sync:
        readEmpty(frame.body, 'Sync');
        this.forward(frame, { kind: 'sync' });
        this.batchForwarded = false;
        this.batchRan = false;
        // The unnamed portal does not outlive its transaction; forgetting it early is safe.
        return undefined;
      case FrontendCode.Flush:
        readEmpty(frame.body, 'Flush');
        this.forward(frame, undefined);
        return undefined;
      case FrontendCode.FunctionCall:
        return this.onFunctionCall(frame);
      case FrontendCode.CopyData:
      case FrontendCode.CopyDone:
      case FrontendCode.CopyFail:
        // COPY FROM STDIN data: the COPY statement itself was decided.
        this.forward(frame, undefined);
        return undefined;
      case FrontendCode.Terminate:
        this.terminate();
        return undefined;
      default:
        throw new PgProtocolError(`invalid frontend message type ${frame.type}`);
    }
  }

  /** The engine's policy generation; 0 for an engine (or wrapper) that does not count them. */
  private generation(): number {
    return this.host.options.engine.generation ?? 0;
  }

  /**
   * Statement text read as UTF-8 is what the policy judges; the server reads it in the
   * session's client_encoding, which may read the same bytes otherwise (in SJIS, BIG5 or GBK
   * a second byte can be a quote or a backslash). Plain ASCII reads alike in every encoding.
   * Other text is judged only under UTF8 and, where the server does not convert at all
   * (SQL_ASCII), when it is valid UTF-8; elsewhere it is refused before it is decided.
   *
   * The encoding the proxy knows may be stale: a statement that ran could have changed it
   * (SET client_encoding, set_config, any function), and the server reports that only just
   * before ReadyForQuery. So non-ASCII text waits while a Query or Sync is unanswered, and is
   * refused after an Execute of the current unsynced batch, whose report would need the
   * client's own Sync. Undefined when the text may be decided now; a promise to wait for; or
   * the refusal.
   */
  private judgeableText(sql: string): Promise<void> | NoticeFields | undefined {
    if (this.clientEncoding === 'UTF8' && !this.batchRan && !this.awaitingReport()) return undefined;
    if (isAscii(sql)) return undefined;
    if (this.batchRan) {
      return {
        severity: 'ERROR',
        code: SqlState.InsufficientPrivilege,
        message:
          'permission denied by policy: statement text that is not plain ASCII may not follow an Execute in the same pipeline',
        detail:
          'A statement that ran before it could have changed client_encoding, which the server reports only at the next Sync; the proxy cannot tell how the server will read this text.',
        hint: 'Send Sync before this statement.',
      };
    }
    if (this.awaitingReport()) return new Promise((resolve) => this.readyWaiters.push(resolve));
    if (this.clientEncoding === 'UTF8') return undefined;
    // Decoding turned any byte sequence that is not UTF-8 into U+FFFD.
    if (this.clientEncoding === 'SQL_ASCII' && !sql.includes('\uFFFD')) return undefined;
    this.host.logger?.warn?.(
      { sessionId: this.id, clientEncoding: this.clientEncoding },
      'statement refused: text the policy cannot read as the server does',
    );
    return {
      severity: 'ERROR',
      code: SqlState.InsufficientPrivilege,
      message: `permission denied by policy: client_encoding is ${this.clientEncoding}, and this statement is not plain ASCII`,
      detail:
        'The proxy judges statement text as UTF-8; in another encoding the server could read its bytes differently.',
      hint: "SET client_encoding TO 'UTF8'",
    };
  }

  /** A Query or Sync is unanswered: its ReadyForQuery, and what it reports, is still to come. */
  private awaitingReport(): boolean {
    for (const p of this.pending) if (p.kind === 'query' || p.kind === 'sync') return true;
    return false;
  }

  /** After a ReadyForQuery (or the end of the session): waiting text looks again. */
  private wakeReadyWaiters(): void {
    if (this.readyWaiters.length === 0) return;
    for (const wake of this.readyWaiters.splice(0)) wake();
  }

  /**
   * The `decisionsHold` hook's answer for a statement about to run on an earlier decision:
   * true or false at once, or a promise of it. A throw, a rejection or anything but true is
   * false (fail closed). An answer the synchronous paths cannot use is kept for the
   * asynchronous path of the same text (`decide`), so the hook is asked once per statement.
   */
  private holdAnswer(sql: string): boolean | Promise<boolean> {
    const kept = this.keptHold ?? this.laneHold;
    this.laneHold = undefined;
    if (kept) {
      this.keptHold = undefined;
      if (kept.sql === sql) return kept.answer;
    }
    const hold = this.host.options.decisionsHold;
    if (!hold) return true;
    const failed = (err: unknown): false => {
      this.host.logger?.error?.({ sessionId: this.id, err }, 'decisionsHold failed');
      return false;
    };
    try {
      const answer = hold(this.subject as AuthenticatedClient['subject']);
      if (answer instanceof Promise) return answer.then((v) => v === true, failed);
      return answer === true;
    } catch (err) {
      return failed(err);
    }
  }

  /**
   * holdAnswer for a synchronous path, which counts a promise as false. The answer is kept
   * for `decide`, which runs next (for the same message) whenever the synchronous path does
   * not go on; a new client message drops it, so no answer outlives its statement.
   */
  private decisionsHoldNow(sql: string): boolean {
    const answer = this.holdAnswer(sql);
    this.keptHold = { sql, answer };
    return answer === true;
  }

  /**
   * The session's live approvals, after dropping remembered decisions of an older policy
   * generation (they belong to the policy that made them).
   */
  private memoState(now: number): { approvals: GrantedApproval[]; approvalsKey: string } {
    const generation = this.generation();
    if (generation !== this.memoGeneration) {
      this.memo?.clear();
      this.memoGeneration = generation;
    }
    if (this.granted.length === 0) return NO_APPROVALS;
    const approvals = this.granted.filter((g) => Date.parse(g.expires_at) > now);
    return { approvals, approvalsKey: approvals.length === 0 ? '' : approvals.map((g) => g.id).join(',') };
  }

  /**
   * The verdict on a text whose decision this session already made, without waiting: only
   * for what the memo keeps (allow and deny), which needs no reviewer, and with an audit sink
   * only when it stores the decision's record on the spot (`writeNow`), so the record is
   * still written before the statement is enforced. Otherwise undefined, and the statement
   * goes the asynchronous way (`verdict`).
   */
  private rememberedVerdict(sql: string): Verdict | undefined {
    const declined = this.laneDeclined;
    if (declined) {
      this.laneDeclined = undefined;
      if (declined.sql === sql) return declined.verdict;
    }
    const memo = this.memo;
    const audit = this.host.options.audit;
    if (!memo || (audit && (!audit.writeNow || this.unwritten.length > 0)) || !this.decisionsHoldNow(sql))
      return undefined;
    const now = Date.now();
    const { approvalsKey } = this.memoState(now);
    const known =
      memo.get(sql, approvalsKey) ?? (approvalsKey === '' ? this.sharedDecision(sql, now) : undefined);
    if (!known || known.decision.effect === 'approve') return undefined;
    let result = known;
    if (audit) {
      result = reused(known, sql, now);
      try {
        if (!audit.writeNow?.(auditRecordFromDecision(result))) {
          // A sink that does not store on the spot never will: the lane would only decline.
          this.laneOff = true;
          return undefined;
        }
      } catch (err) {
        result = this.auditFailed(result, err);
      }
    }
    const facts = result.input.action.sql;
    return {
      decision: result.decision,
      statements: facts?.statements ?? [],
      unparsed: facts?.parsed !== true,
      result,
    };
  }

  private async decide(sql: string): Promise<DecisionResult> {
    const answer = this.memo ? this.holdAnswer(sql) : false;
    const holds = answer instanceof Promise ? await answer : answer;
    const options = this.host.options;
    const now = Date.now();
    const { approvals, approvalsKey } = this.memoState(now);
    const memo = this.memo;
    const known =
      holds && memo
        ? (memo.get(sql, approvalsKey) ?? (approvalsKey === '' ? this.sharedDecision(sql, now) : undefined))
        : undefined;
    if (known) return options.audit ? this.audited(reused(known, sql, now)) : known;
    const generation = this.generation();
    const result = await options.engine.decide({
      subject: this.subject as AuthenticatedClient['subject'],
      resource: this.resourceRef,
      session: { id: this.id, started_at: this.startedAt, source: this.source, approvals },
      sql,
    });
    memo?.remember(sql, approvalsKey, result);
    if (approvalsKey === '') this.shareDecision(sql, result, generation);
    return options.audit ? this.audited(result) : result;
  }

  /**
   * A decision another session made on `sql` that this one cannot be told apart from, made
   * this session's own (its subject, resource and session in the input) and remembered by it;
   * undefined when there is none, or this session shares nothing.
   */
  private sharedDecision(sql: string, now: number): DecisionResult | undefined {
    const shared = this.host.sharedDecisions;
    if (!shared) return undefined;
    const generation = this.generation();
    const key = this.shareKey(shared, generation);
    if (key === undefined) return undefined;
    const known = shared.get(sql, key, generation);
    const parts = this.inputParts;
    if (!known || !parts) return undefined;
    const adopted = reused(known, sql, now, parts);
    this.memo?.remember(sql, '', adopted);
    return adopted;
  }

  /** Offer a decision the engine made for this session (without approvals) to the others. */
  private shareDecision(sql: string, result: DecisionResult, generation: number): void {
    const shared = this.host.sharedDecisions;
    if (!shared) return;
    const key = this.shareKey(shared, generation);
    if (key !== undefined) shared.remember(sql, key, result, generation);
  }

  private shareKey(shared: SharedDecisions, generation: number): string | undefined {
    if (this.shareState?.generation !== generation) {
      const parts = this.sessionParts();
      this.shareState = { generation, key: parts ? shareKey(shared.inputPaths(), parts) : undefined };
    }
    return this.shareState.key;
  }

  /** The subject and resource as the engine puts them in the input; null if it refuses them. */
  private sessionParts(): SessionInputParts | null {
    if (this.inputParts !== undefined) return this.inputParts;
    try {
      const { subject, resource } = normalizeRequest({
        subject: this.subject as AuthenticatedClient['subject'],
        resource: this.resourceRef,
        action: 'connect',
      });
      this.inputParts = {
        subject,
        resource,
        session: { id: this.id, started_at: this.startedAt, source: this.source },
      };
    } catch {
      this.inputParts = null;
    }
    return this.inputParts;
  }

  /**
   * Write the decision to the audit sink before it is enforced; a failed write denies. The
   * session's completion records that could not be written go first: no statement runs while
   * an earlier record of its session is missing from the log.
   */
  private async audited(
    result: DecisionResult,
    kind: HeldKind = 'statement',
    summary?: string,
  ): Promise<DecisionResult> {
    const audit = this.host.options.audit;
    if (!audit) return result;
    try {
      if (this.unwritten.length > 0) await this.writeUnwritten(audit);
      const record = auditRecordFromDecision(result);
      if (summary !== undefined) record.action.summary = summary;
      await audit.write(record);
      return result;
    } catch (err) {
      return this.auditFailed(result, err, kind);
    }
  }

  /** Writes the kept completion records, in order, each dropped once it is written. */
  private writeUnwritten(audit: AuditSink): Promise<void> {
    this.writingUnwritten ??= (async () => {
      try {
        while (this.unwritten.length > 0) {
          await audit.write(this.unwritten[0] as AuditRecord);
          this.unwritten.shift();
        }
      } finally {
        this.writingUnwritten = undefined;
      }
    })();
    return this.writingUnwritten;
  }

  /** The deny a statement (or login) gets when its decision could not be written to the audit sink. */
  private auditFailed(result: DecisionResult, err: unknown, kind: HeldKind = 'statement'): DecisionResult {
    this.host.logger?.error?.({ sessionId: this.id, err }, 'audit write failed');
    return {
      ...result,
      decision: {
        effect: 'deny',
        reasons: [{ rule: 'portcullis.audit_failed', message: `the ${kind} could not be audited` }],
        masks: [],
      },
    };
  }

  /**
   * The policy's decision, and for `approve` the reviewers' answer: a granted approval for
   * the same fingerprint (this session's, or any session's from the store) lets it run;
   * otherwise the statement is held here, and only this session waits.
   */
  private async verdict(sql: string): Promise<Verdict> {
    const result = await this.decide(sql);
    const statements = result.input.action.sql?.statements ?? [];
    const unparsed = result.input.action.sql?.parsed !== true;
    const approvals = this.host.options.approvals;
    if (result.decision.effect !== 'approve' || !approvals)
      return { decision: result.decision, statements, unparsed, result };
    const fingerprint = approvalFingerprint(result, sql);
    // The policy saw this session's grants in session.approvals and still asked: a grant that
    // covers the statement is the approval it asks for.
    const mine = findCovering(this.granted, fingerprint, Date.now());
    if (mine) return { decision: this.grantedDecision(result.decision, mine), statements, unparsed, result };
    const earlier = await this.storedGrant(approvals, fingerprint);
    if (earlier) return this.withGrant(sql, earlier);
    const request = await this.fileRequest(approvals, result.decision, fingerprint, sql);
    const url = approvals.approveUrl?.(request.id);
    if (this.phase !== 'ready') return { decision: result.decision, statements, unparsed, result };
    writeNoticeResponse(this.toClient.writer, heldNotice(request, url, approvals.waitMs));
    this.flushClient();
    this.host.logger?.info?.({ sessionId: this.id, approval: request.id }, 'statement held for approval');
    const outcome = await this.waitForReviewers(approvals, request.id);
    if (outcome === undefined) {
      return {
        decision: result.decision,
        error: canceledWhileHeld(request.id),
        statements,
        unparsed,
        result,
      };
    }
    if (outcome.state === 'approved') return this.withGrant(sql, toGrantedApproval(outcome));
    return { decision: result.decision, error: notApproved(outcome, url), statements, unparsed, result };
  }

  /** Decide again with the grant in session.approvals, so a policy that reads them has its say. */
  private async withGrant(sql: string, grant: GrantedApproval): Promise<Verdict> {
    if (!this.granted.some((g) => g.id === grant.id)) this.granted.push(grant);
    const again = await this.decide(sql);
    const statements = again.input.action.sql?.statements ?? [];
    const unparsed = again.input.action.sql?.parsed !== true;
    if (again.decision.effect !== 'approve')
      return { decision: again.decision, statements, unparsed, result: again };
    return { decision: this.grantedDecision(again.decision, grant), statements, unparsed, result: again };
  }

  /** A held statement a reviewer let through: it runs as written, with no row limit. */
  private grantedDecision(decision: Decision, grant: GrantedApproval): Decision {
    return {
      effect: 'allow',
      reasons: [
        ...decision.reasons,
        { rule: 'portcullis.approval_granted', message: `approved in request ${grant.id}` },
      ],
      masks: decision.masks,
    };
  }

  /** After a policy reload: decide everything afresh. */
  clearDecisions(): void {
    this.memo?.clear();
    this.shareState = undefined;
    this.laneForget();
  }

  // -------------------------------------------------------------------------------------
  // The native lane (native-lane.ts)
  // -------------------------------------------------------------------------------------

  /** A Query the lane could take from now on, if its response proves clean; else undefined. */
  private laneCandidate(sql: string, verdict: Verdict): LaneCandidate | undefined {
    if (verdict.decision.effect !== 'allow' || !this.laneMayTake(verdict.statements, verdict.unparsed))
      return undefined;
    if (!isAscii(sql)) return undefined;
    const { decision, statements, unparsed } = verdict;
    return {
      sql,
      verdict: { decision, source: { sql, statements, unparsed } },
      from: undefined,
      description: undefined,
      completes: 0,
      ok: true,
    };
  }

  /**
   * What a Query or a prepared statement must be for the lane to take it (a single SELECT
   * that only reads, with no COPY; an INSERT, UPDATE or DELETE with no RETURNING that runs no
   * SQL of its own; a transaction statement), and what the session must be (a lane, plain
   * sockets on their handles, no grants, UTF8). Nothing the lane takes changes what the
   * session knows of the catalog or its cursors; what it runs in a transaction block is noted
   * as run there when it hands back (see laneRan).
   */
  private laneMayTake(statements: readonly StatementFacts[], unparsed: boolean): boolean {
    if (!this.host.lane || this.laneOff || !this.clientIo || !this.upstreamIo || this.secure) return false;
    if (this.granted.length > 0 || this.clientEncoding !== 'UTF8') return false;
    const only = statements.length === 1 && !unparsed ? statements[0] : undefined;
    if (!only || only.copy !== undefined) return false;
    switch (only.type) {
      case 'select':
        return only.category === 'read';
      case 'insert':
      case 'update':
      case 'delete':
        return only.category === 'write' && !only.dynamic && !mayReturnRows(only);
      case 'transaction':
        return true;
      default:
        return false;
    }
  }

  /**
   * A RowDescription the lane may expect again: relayed now with no work left (no catalog
   * lookup, nothing withheld) and, under masks, a plan that passes every row as it is and
   * holds for any statement with the same description.
   */
  private laneCleanDescription(
    frame: Frame,
    work: Promise<void> | undefined,
    mask: MaskContext | undefined,
    plan: RowPlan | undefined,
  ): boolean {
    if (work || this.suppressing || frame.body.length > LANE_DESCRIPTION_MAX) return false;
    if (mask === undefined) return true;
    return (
      plan?.passThrough === true &&
      plan.clientFields === undefined &&
      plan.withheld === undefined &&
      plan.statementBound !== true &&
      plan.transient !== true
    );
  }

  /** A frame of a lane candidate's response: relayed as any other, and watched. */
  private laneFrame(
    frame: Frame,
    head: Extract<Pending, { kind: 'query' }>,
    lane: LaneCandidate,
  ): Promise<void> | undefined {
    const type = frame.type;
    lane.from ??= this.status;
    const work = this.relayTraced(frame, head);
    switch (type) {
      case BackendCode.RowDescription:
        if (lane.description === undefined && this.laneCleanDescription(frame, work, head.mask, head.plan))
          lane.description = Buffer.from(frame.body);
        else lane.ok = false;
        break;
      case BackendCode.DataRow:
        break;
      case BackendCode.CommandComplete:
        lane.completes++;
        break;
      case BackendCode.ReadyForQuery: {
        // A write under a row limit only as the client's block runs it, counted within the limit.
        const guard = head.guard;
        if (guard && (guard.began || guard.exceeded !== undefined || guard.tag === undefined)) break;
        if (lane.ok && lane.completes === 1 && laneStatus(lane.from) && laneStatus(this.status))
          this.laneRegister(lane, lane.from as number, guard?.limit);
        break;
      }
      default:
        lane.ok = false;
    }
    if (work) lane.ok = false;
    return work;
  }

  /**
   * Register a clean Query with the lane, for as long as its decision and the catalog hold,
   * from the status it ran in.
   */
  private laneRegister(lane: LaneCandidate, from: number, limit: RowLimit | undefined): void {
    const found = this.memo?.laneKey(lane.sql, lane.verdict.decision);
    if (!found) return;
    this.laneAdd(
      found.template ? LaneKeyKind.Template : LaneKeyKind.Exact,
      Buffer.from(found.key, 'latin1'),
      { description: lane.description ?? null, from, to: this.status, limit: limit?.limit ?? -1 },
      found.expiresAt - Date.now(),
      { query: lane.verdict, limit },
    );
  }

  /**
   * Register with the lane, for at most `ttlMs` and no longer than the catalog is trusted.
   * The lane's registrations and `laneByKey` are kept in the same order (see lane.c).
   */
  private laneAdd(
    kind: LaneKeyKind,
    keyBytes: Buffer,
    answer: LaneAnswer,
    ttlMs: number,
    registration: LaneRegistration,
  ): void {
    const binding = this.host.lane;
    if (!binding || this.laneOff) return;
    const trust =
      (this.host.options.catalogTrustMs ?? 60_000) - (performance.now() - this.catalogLearntSince);
    const ttl = Math.floor(Math.min(ttlMs, trust));
    if (!(ttl >= 1)) return;
    const handle = this.laneHandle(binding);
    if (!handle) return;
    const key = `${kind}${String.fromCharCode(answer.from)}${keyBytes.toString('latin1')}`;
    const before = this.laneByKey.get(key);
    if (before !== undefined) {
      this.laneByKey.delete(key);
      this.laneVerdicts.delete(before);
    } else if (this.laneByKey.size >= LANE_REGISTRATIONS) {
      const [oldest, id] = this.laneByKey.entries().next().value as [string, number];
      this.laneByKey.delete(oldest);
      this.laneVerdicts.delete(id);
    }
    const id = ++this.laneNextId;
    const { description, from, to, limit } = answer;
    if (!binding.register(handle, id, kind, keyBytes, description, ttl, from, to, limit)) {
      // Out of memory in the lane: start over rather than guess what it still holds.
      this.laneForget();
      return;
    }
    this.laneByKey.set(key, id);
    this.laneVerdicts.set(id, registration);
  }

  /**
   * A Bind that may start a batch for the lane: of the unnamed portal, to a named statement
   * decided under this policy generation (see laneMayTake), with nothing else in flight. A
   * statement under a row limit only in a transaction block, where its Sync goes with it (see
   * forwardTraced).
   */
  private laneBatchOf(
    portalName: string,
    name: string,
    statement: StatementState,
    portal: PortalState,
  ): LaneBatch | undefined {
    if (portalName !== '' || name === '' || this.pending.length !== 1 || !laneStatus(this.status))
      return undefined;
    if (statement.generation !== this.generation()) return undefined;
    if (statement.rowLimit && this.status !== TransactionStatus.InTransaction) return undefined;
    if (!this.laneMayTake(statement.statements, statement.unparsed)) return undefined;
    return {
      name,
      statement,
      portal,
      key: boundLaneKey(name, portal.resultFormats),
      from: this.status,
      client: 1,
      server: 0,
      description: undefined,
      ok: true,
    };
  }

  /** The client's next message after a watched Bind: the batch goes on only as lane.c reads it. */
  private laneBatchClient(batch: LaneBatch, frame: Frame): void {
    const type = frame.type;
    const body = frame.body;
    if (
      batch.client === 1 &&
      type === FrontendCode.Describe &&
      body.length === 2 &&
      body[0] === 0x50 &&
      body[1] === 0
    )
      batch.client = 2;
    else if (
      batch.client === 2 &&
      type === FrontendCode.Execute &&
      body.length === 5 &&
      body[0] === 0 &&
      body.readUInt32BE(1) === 0
    )
      batch.client = 3;
    else if (batch.client === 3 && type === FrontendCode.Sync) batch.client = 4;
    else this.laneBatch = undefined;
  }

  /** A frame while a batch is watched: relayed as any other, and checked. */
  private laneBatchFrame(
    batch: LaneBatch,
    frame: Frame,
    head: Pending | undefined,
  ): Promise<void> | undefined {
    const type = frame.type;
    const work = this.relayTraced(frame, head);
    switch (type) {
      case BackendCode.BindComplete:
        batch.ok &&= batch.server === 0;
        batch.server = 1;
        break;
      case BackendCode.RowDescription:
        batch.ok &&=
          batch.server === 1 &&
          this.laneCleanDescription(frame, work, batch.statement.mask, batch.portal.plan);
        batch.server = 2;
        if (batch.ok) batch.description = Buffer.from(frame.body);
        break;
      case BackendCode.NoData:
        batch.ok &&= batch.server === 1;
        batch.server = 2;
        break;
      case BackendCode.DataRow:
        batch.ok &&= batch.server === 2 || batch.server === 3;
        batch.ok &&= batch.description !== undefined;
        batch.server = 3;
        break;
      case BackendCode.CommandComplete: {
        batch.ok &&= batch.server === 2 || batch.server === 3;
        batch.server = 4;
        const limit = batch.statement.rowLimit;
        batch.ok &&= !limit || withinRowLimit(readCommandComplete(frame.body).tag, limit);
        break;
      }
      case BackendCode.ReadyForQuery:
        this.laneBatch = undefined;
        if (
          batch.ok &&
          batch.server === 4 &&
          batch.client === 4 &&
          laneStatus(this.status) &&
          this.statements.get(batch.name) === batch.statement &&
          batch.statement.generation === this.generation()
        )
          this.laneAdd(
            LaneKeyKind.Bound,
            batch.key,
            {
              description: batch.description ?? null,
              from: batch.from,
              to: this.status,
              limit: batch.statement.rowLimit?.limit ?? -1,
            },
            Number.POSITIVE_INFINITY,
            { statement: batch.name, state: batch.statement },
          );
        break;
      default:
        batch.ok = false;
    }
    if (work) batch.ok = false;
    return work;
  }

  private laneHandle(binding: LaneBinding): LaneHandle | undefined {
    if (this.lane) return this.lane;
    const clientFd = this.clientIo?.fd;
    const upstreamFd = this.upstreamIo?.fd;
    if (clientFd === undefined || upstreamFd === undefined) {
      this.laneOff = true;
      return undefined;
    }
    try {
      this.lane = this.host.options.audit
        ? binding.create(
            clientFd,
            upstreamFd,
            this.host.maxMessageSize,
            this.onLaneHandoff,
            this.onLaneStatement,
            this.onLaneComplete,
            this.host.options.recordSession === true,
          )
        : binding.create(clientFd, upstreamFd, this.host.maxMessageSize, this.onLaneHandoff);
    } catch (err) {
      this.host.logger?.warn?.({ sessionId: this.id, err }, 'native lane not made');
      this.laneOff = true;
    }
    return this.lane;
  }

  /**
   * Forget what the lane holds (a new policy generation, a policy reload, the catalog
   * forgotten). A Query already in flight keeps its verdict, for a handoff: it was forwarded
   * under it, as a statement the JavaScript side had forwarded would have been.
   */
  laneForget(): void {
    if (this.laneByKey.size === 0 && this.laneVerdicts.size === 0) return;
    if (this.lane && this.host.lane) this.host.lane.clear(this.lane);
    // While the lane runs, what it ran in this transaction and what it has in flight are
    // handed back by id (no registration is made meanwhile, so these are at most 64).
    if (this.laneRunning)
      for (const [id, registration] of this.laneVerdicts) this.laneRetired.set(id, registration);
    this.laneByKey.clear();
    this.laneVerdicts.clear();
  }

  /**
   * Forget the batches of prepared statement `name` the lane holds (its name is about to mean
   * another statement, or none); what it holds of Queries stays.
   */
  private laneForgetStatement(name: string): void {
    const binding = this.host.lane;
    const lane = this.lane;
    if (!binding || !lane || this.laneByKey.size === 0) return;
    // As laneAdd keys a batch: its kind, its status, then boundLaneKey's bytes, which start
    // with the name.
    const prefix = `${Buffer.from(name, 'utf8').toString('latin1')}\u0000`;
    for (const [key, id] of this.laneByKey) {
      if (key[0] !== `${LaneKeyKind.Bound}` || !key.startsWith(prefix, 2)) continue;
      binding.unregister(lane, LaneKeyKind.Bound, key.charCodeAt(1), Buffer.from(key.slice(2), 'latin1'));
      this.laneByKey.delete(key);
      this.laneVerdicts.delete(id);
    }
  }

  /**
   * Hand the session's sockets to the lane, when nothing is under way: nothing pending or
   * buffered either way, nothing waiting to be written, no gate held, idle or in a
   * transaction block on the server (not failed, and with no DDL of its own to see committed).
   */
  private laneMaybeStart(): void {
    const binding = this.host.lane;
    const lane = this.lane;
    if (!binding || !lane || this.laneRunning || this.laneOff || this.laneByKey.size === 0) return;
    const clientIo = this.clientIo;
    const upstreamIo = this.upstreamIo;
    const upstream = this.upstream;
    if (!clientIo || !upstreamIo || !upstream || this.phase !== 'ready') return;
    if (this.pending.length > 0 || !laneStatus(this.status) || this.schemaChanging) return;
    if (this.clientBusy || this.upstreamBusy || this.deciding || this.readyWaiters.length > 0) return;
    if (this.clientFramer.buffered > 0 || upstream.framer.buffered > 0) return;
    if (!this.toClient.empty || !this.toUpstream.empty || clientIo.pending || upstreamIo.pending) return;
    if (this.clientGate.held || this.upstreamGate?.held) return;
    if (this.copyOut || this.suppressing || this.discarding || this.rowGuard || this.held) return;
    if (this.batchForwarded || this.batchRan || this.granted.length > 0 || this.clientEncoding !== 'UTF8')
      return;
    // Completion records waiting to be written go before the next decision record (audited).
    if (this.unwritten.length > 0) return;
    clientIo.pause();
    upstreamIo.pause();
    const err = binding.start(lane, this.status);
    if (err !== 0) {
      this.host.logger?.warn?.({ sessionId: this.id, err }, 'native lane not started');
      this.laneOff = true;
      clientIo.resume();
      upstreamIo.resume();
      return;
    }
    this.laneRunning = true;
  }

  private readonly onLaneHandoff = (handoff: LaneHandoff): void => {
    try {
      this.laneTakeBack(handoff);
    } catch (err) {
      this.fail(err);
    }
  };

  /**
   * An audited session's lane is about to send registration `id`'s statement: true once its
   * decision holds and is written, as this side would before forwarding it; false declines
   * (the lane hands the message back unsent and this side goes on from it).
   */
  private readonly onLaneStatement = (id: number, message: Buffer): boolean => {
    try {
      return this.laneAudited(id, message);
    } catch (err) {
      this.fail(err);
      return false;
    }
  };

  private laneAudited(id: number, message: Buffer): boolean {
    this.laneTrace = undefined;
    // A new message, as onClientMessage starts one: no answer of the hook's carries over.
    this.keptHold = undefined;
    // The lane looked it up just now: nothing of JavaScript's ran since to forget it.
    const registration = this.laneVerdicts.get(id);
    if (!registration || this.phase !== 'ready') return false;
    const receivedAt = performance.now();
    let result: DecisionResult | undefined;
    let decisionMs = 0;
    if ('query' in registration) {
      const { sql } = readQuery(new Frame(FrontendCode.Query, message, 0, message.length, 5).body);
      const verdict = this.rememberedVerdict(sql);
      // Declined with its record written (the decision is no longer the registration's), or
      // with none: this side goes on from what was found, and asks nothing twice.
      if (!verdict || verdict.decision !== registration.query.decision) {
        this.laneDeclined = { sql, verdict };
        return this.laneDecline();
      }
      result = verdict.result;
      decisionMs = performance.now() - receivedAt;
    } else {
      const state = registration.state;
      if (this.statements.get(registration.statement) !== state) return false;
      if (state.generation !== this.generation() || !this.decisionsHoldNow(state.sql))
        return this.laneDecline();
      result = state.result;
      decisionMs = state.decisionMs ?? 0;
    }
    this.keptHold = undefined;
    this.laneTrace = { id, trace: result && this.traceOf(result, receivedAt, decisionMs) };
    return true;
  }

  /**
   * onStatement declines: the hook's answer is kept for the message handed back. A hook that
   * answers with a promise cannot be waited for on the lane's path (every statement would be
   * handed back), so the session goes on without the lane.
   */
  private laneDecline(): false {
    const kept = this.keptHold;
    this.keptHold = undefined;
    this.laneHold = kept;
    if (kept?.answer instanceof Promise) this.laneOff = true;
    return false;
  }

  /** An audited session's lane has the whole response to `id`: its completion record. */
  private readonly onLaneComplete = (id: number, tag: string, bytes: number, response?: Buffer): void => {
    try {
      const traced = this.laneTrace;
      this.laneTrace = undefined;
      const trace = traced?.id === id ? traced.trace : undefined;
      if (!trace) return;
      if (trace.hash && response) trace.hash.update(response);
      trace.commands.push(tag);
      const rows = rowCount(tag);
      if (rows !== undefined) trace.rows = rows;
      this.writeCompletion(trace, bytes);
    } catch (err) {
      this.fail(err);
    }
  };

  /**
   * What the lane hands back, taken on as if this side had read it: the Query in flight is
   * noted as forwarded (on the verdict it was registered with), and the bytes either way are
   * framed and handled as they would have been.
   */
  private laneTakeBack(handoff: LaneHandoff): void {
    this.laneRunning = false;
    this.laneCounted(handoff);
    if (LANE_ENDS.has(handoff.reason)) this.laneOff = true;
    const retired = this.laneRetired.size > 0 ? new Map(this.laneRetired) : undefined;
    this.laneRetired.clear();
    if (this.phase === 'closed') return;
    const registered = (id: number) => {
      const registration = this.laneVerdicts.get(id) ?? retired?.get(id);
      if (!registration)
        throw new PgProtocolError(
          'the native lane handed back a statement it was not given',
          SqlState.InternalError,
        );
      return registration;
    };
    this.status = handoff.status.charCodeAt(0);
    if (handoff.idle) this.ranInTransaction.length = 0;
    for (const id of handoff.ran) this.laneRan(registered(id));
    const upstream = this.upstream as UpstreamConnection;
    if (handoff.toClient && handoff.toClient.length > 0)
      this.toClient.forwardFrame(rawBytes(handoff.toClient));
    if (handoff.id >= 0) {
      const registration = registered(handoff.id);
      const sent = handoff.query;
      if (!sent)
        throw new PgProtocolError(
          'the native lane handed back a statement it was not given',
          SqlState.InternalError,
        );
      // Asked for by an audited session's onStatement: its decision record is written, and
      // its completion record is this side's to write now.
      const traced = this.laneTrace?.id === handoff.id ? this.laneTrace.trace : undefined;
      this.laneTrace = undefined;
      if ('query' in registration) this.laneTookQuery(registration.query, registration.limit, sent, traced);
      else this.laneTookBatch(registration.statement, registration.state, sent, traced);
      if (handoff.unsent && handoff.unsent.length > 0) this.toUpstream.forwardFrame(rawBytes(handoff.unsent));
    }
    this.clientIo?.resume();
    this.upstreamIo?.resume();
    if (handoff.client.length > 0) this.clientFramer.push(handoff.client);
    if (handoff.server && handoff.server.length > 0) upstream.framer.push(handoff.server);
    this.flushClient();
    this.flushUpstream();
    this.pumpUpstream();
    this.pumpClient();
  }

  /**
   * A statement the lane ran in the transaction block it hands back in, noted as this side
   * notes one it relays (see noteRan).
   */
  private laneRan(registration: LaneRegistration): void {
    if ('query' in registration) {
      const { decision, source } = registration.query;
      this.noteRan({
        kind: 'query',
        mask: this.maskFor(decision),
        plan: undefined,
        copy: undefined,
        source,
        trace: undefined,
        guard: undefined,
        lane: undefined,
      });
    } else this.noteRan({ kind: 'execute', portal: { statement: registration.state, resultFormats: [] } });
  }

  /**
   * The Query the lane forwarded, noted as this side would have on its verdict: a write under
   * a row limit (registered in a transaction block) as forwardLimited runs it there.
   */
  private laneTookQuery(
    verdict: LaneVerdict,
    limit: RowLimit | undefined,
    sent: Buffer,
    trace: StatementTrace | undefined,
  ): void {
    const { sql } = readQuery(new Frame(FrontendCode.Query, sent, 0, sent.length, 5).body);
    this.pending.push({
      kind: 'query',
      mask: this.maskFor(verdict.decision),
      plan: undefined,
      copy: undefined,
      source: { sql, statements: verdict.source.statements, unparsed: verdict.source.unparsed },
      trace,
      guard: limit && { limit, began: false },
      lane: undefined,
    });
    if (limit) this.openRowGuard(false);
  }

  /**
   * The batch the lane forwarded (Bind, Describe, Execute, Sync of the statement `name`),
   * noted as this side notes one it forwards: the portal bound, and what each message waits for.
   */
  private laneTookBatch(
    name: string,
    statement: StatementState,
    sent: Buffer,
    trace: StatementTrace | undefined,
  ): void {
    const framer = new MessageFramer({ maxMessageSize: this.host.maxMessageSize });
    framer.push(sent);
    const bind = framer.next();
    if (this.statements.get(name) !== statement || bind?.type !== FrontendCode.Bind)
      throw new PgProtocolError(
        'the native lane handed back a batch it was not given',
        SqlState.InternalError,
      );
    const portal: PortalState = { statement, resultFormats: readBindTarget(bind.body).resultFormats };
    this.portals.set('', portal);
    // Under a row limit (registered in a transaction block), as forwardTraced runs it there:
    // its count is read before the client's next messages, its Sync already sent.
    const limit = statement.rowLimit;
    this.pending.push(
      { kind: 'bind' },
      { kind: 'describe', target: 'P', name: '', portal },
      trace ? { kind: 'execute', portal, limit, trace } : { kind: 'execute', portal, limit },
      { kind: 'sync' },
    );
    if (limit) {
      this.openRowGuard(false);
      (this.rowGuard as RowGuard).syncPassed = true;
    }
  }

  /**
   * What the lane relayed since it last handed back, counted as this side's own (with an audit
   * sink, each statement was counted as its completion record was written).
   */
  private laneCounted(handoff: LaneHandoff): void {
    if (!this.host.options.audit) {
      this.statementsRun += handoff.statements;
      this.rowsOut += handoff.rows;
    }
    this.laneBytes += handoff.bytes;
    this.host.laneHandedBack(handoff.statements);
  }

  /** The lane stops for good (the session ends): what it did is counted. */
  private laneEnd(): void {
    const binding = this.host.lane;
    const lane = this.lane;
    if (!binding || !lane) return;
    this.lane = undefined;
    if (this.laneRunning) {
      this.laneRunning = false;
      const handoff = binding.stop(lane);
      if (handoff) this.laneCounted(handoff);
    }
    binding.destroy(lane);
  }

  /** A client's CancelRequest for this session: ends a wait for approval, if there is one. */
  cancelHeld(): boolean {
    if (!this.held) return false;
    this.held.abort.abort();
    return true;
  }

  /**
   * A Query: decided at once when this session has decided its text before (the memo), else
   * when the policy answers. Returns a promise only when there is something to wait for.
   */
  private onQuery(frame: Frame): Promise<void> | undefined {
    const receivedAt = performance.now();
    const { sql } = readQuery(frame.body);
    const judgeable = this.judgeableText(sql);
    if (judgeable instanceof Promise)
      return judgeable.then(() => (this.phase === 'ready' ? this.onQuery(frame) : undefined));
    if (judgeable) {
      this.refuseCycle(judgeable);
      return undefined;
    }
    if (EXECUTE_START.test(sql)) return this.onExecuteQuery(frame, sql, receivedAt);
    const known = this.rememberedVerdict(sql);
    if (known) return this.queryDecided(frame, sql, known, receivedAt, true);
    return this.verdict(sql).then((verdict) =>
      this.phase === 'ready' ? this.queryDecided(frame, sql, verdict, receivedAt, true) : undefined,
    );
  }

  /**
   * `EXECUTE name(…)` sent by Query: decided as the statement `name` was prepared from, read
   * from the server just before (see sql-execute.ts). When that cannot be read without doubt
   * (arguments that are not literals, an unsynced batch, a failed transaction, a name the
   * server does not know), the EXECUTE's own text is decided, which a policy sees as opaque.
   */
  private async onExecuteQuery(frame: Frame, sql: string, receivedAt: number): Promise<void> {
    let text = sql;
    const name = executedName(sql);
    if (name !== undefined) {
      // The answer must come from the connection as the EXECUTE will find it.
      while (this.awaitingReport()) {
        await new Promise<void>((resolve) => this.readyWaiters.push(resolve));
        if (this.phase !== 'ready') return;
      }
      if (!this.batchRan && this.status !== TransactionStatus.Failed) {
        const rows = await this.lookup(preparedStatementQuery(name));
        if (this.phase !== 'ready') return;
        text = (rows && (await preparedText(name, rows))) ?? sql;
        if (this.phase !== 'ready') return;
      }
    }
    const verdict = this.rememberedVerdict(text) ?? (await this.verdict(text));
    if (this.phase !== 'ready') return;
    return this.queryDecided(frame, text, verdict, receivedAt);
  }

  /** Run a query of the proxy's own on the client's connection; undefined when it fails. */
  private lookup(sql: string): Promise<(string | null)[][] | undefined> {
    return new Promise((done) => {
      writeQuery(this.toUpstream.writer, sql);
      this.pending.push({ kind: 'lookup', rows: [], failed: false, done });
      this.flushUpstream();
    });
  }

  /** The answer to a `lookup`: rows as text, then its ReadyForQuery, all kept from the client. */
  private onLookupFrame(frame: Frame, head: Extract<Pending, { kind: 'lookup' }>): Promise<void> | undefined {
    switch (frame.type) {
      case BackendCode.DataRow:
        head.rows.push(readDataRow(frame.body).map((v) => v?.toString('utf8') ?? null));
        return undefined;
      case BackendCode.ErrorResponse:
        head.failed = true;
        return undefined;
      case BackendCode.ParameterStatus:
      case BackendCode.NotificationResponse:
        return this.relaySideChannel(frame, head);
      case BackendCode.ReadyForQuery:
        this.status = transactionStatus(frame);
        this.shift();
        head.done(head.failed ? undefined : head.rows);
        this.releaseSynthetic();
        this.wakeReadyWaiters();
        return undefined;
      default:
        // RowDescription, CommandComplete, a notice of its own.
        return undefined;
    }
  }

  /**
   * A fast-path call (FunctionCall) names a function by OID and carries its arguments, with no
   * SQL text. It is decided as the statement it stands for, `SELECT schema.name($1, …)`, and
   * its result is masked as that statement's one column would be: under `unresolvedColumns:
   * 'deny'`, a call whose result may carry a masked column is refused before it runs.
   */
  private async onFunctionCall(frame: Frame): Promise<void> {
    const receivedAt = performance.now();
    const call = readFunctionCall(frame.body);
    let fn = this.functionCache.get(call.functionOid);
    if (!fn) {
      fn = await this.catalogClient().functionByOid(call.functionOid);
      if (this.phase !== 'ready') return;
      if (!fn) {
        this.refuseCycle({
          severity: 'ERROR',
          code: SqlState.InsufficientPrivilege,
          message: `permission denied by policy: fast-path call of function OID ${call.functionOid}, which does not exist`,
        });
        return;
      }
      this.functionCache.set(call.functionOid, fn);
    }
    const placeholders = call.arguments.map((_, i) => `$${i + 1}`).join(', ');
    const sql = `SELECT ${quoteIdent(fn.schema)}.${quoteIdent(fn.name)}(${placeholders})`;
    const verdict = this.rememberedVerdict(sql) ?? (await this.verdict(sql));
    if (this.phase !== 'ready') return;
    const decision = verdict.decision;
    if (decision.effect !== 'allow') {
      const error = verdict.error ?? denyFields(decision);
      this.refuseCycle(error);
      return;
    }
    const mask = this.maskFor(decision);
    const source: TaintSource = { sql, statements: verdict.statements, unparsed: verdict.unparsed };
    let plan: RowPlan | undefined;
    if (mask) {
      const result: FieldDescription = {
        name: fn.name,
        tableOid: 0,
        attributeNumber: 0,
        typeOid: fn.resultType,
        typeSize: -1,
        typeModifier: -1,
        format: call.resultFormat,
      };
      await this.planFor(mask, [result], source, (p) => {
        plan = p;
      });
      if (this.phase !== 'ready') return;
      const withheld = plan?.withheld;
      if (withheld) {
        this.refuseCycle(withheld);
        return;
      }
    }
    this.forward(frame, {
      kind: 'query',
      mask,
      plan,
      copy: undefined,
      source,
      trace: this.host.options.audit
        ? this.trace(verdict, decision, receivedAt, performance.now() - receivedAt)
        : undefined,
      guard: undefined,
      lane: undefined,
    });
  }

  /**
   * Enforce a Query's verdict: forward it, or answer with the error. A COPY, and a write not
   * yet checked for unresolved columns, go through `queryChecked`.
   */
  private queryDecided(
    frame: Frame,
    sql: string,
    verdict: Verdict,
    receivedAt: number,
    /** The frame's own text is `sql` (not an EXECUTE of it): the native lane may take it. */
    laneable = false,
  ): Promise<void> | undefined {
    const decision = verdict.decision;
    if (decision.effect !== 'allow') {
      const error = verdict.error ?? denyFields(decision);
      this.refuseCycle(error);
      return undefined;
    }
    const limit = rowLimitOf(decision, verdict.statements, verdict.unparsed);
    if (limit && !('limit' in limit)) {
      this.refuseCycle(limit);
      return undefined;
    }
    const mask = this.maskFor(decision);
    if (mask) {
      if (hasCopy(verdict.statements)) return this.queryChecked(frame, sql, verdict, receivedAt, limit);
      if (mask.hasColumnRules && this.denyUnresolved()) {
        // A text whose result was withheld before is refused before it runs this time.
        const withheld = this.preflightOf(mask).get(sql);
        if (withheld === undefined && hasRowsOfWrite(verdict.statements))
          return this.queryChecked(frame, sql, verdict, receivedAt, limit);
        if (withheld) {
          this.refuseCycle(withheld);
          return undefined;
        }
      }
    }
    const entry: Pending = {
      kind: 'query',
      mask,
      plan: undefined,
      copy: undefined,
      source: { sql, statements: verdict.statements, unparsed: verdict.unparsed },
      trace: this.host.options.audit
        ? this.trace(verdict, decision, receivedAt, performance.now() - receivedAt)
        : undefined,
      guard: undefined,
      lane: laneable ? this.laneCandidate(sql, verdict) : undefined,
    };
    if (limit) return this.forwardLimited(frame, entry, limit);
    this.forward(frame, entry);
    return undefined;
  }

  /**
   * A Query whose write runs under a row limit (see row-limit.ts). The transaction status
   * must be the server's as the write will meet it, so what was sent before it is answered
   * first. Idle: the proxy opens a transaction around it (BEGIN now, COMMIT or ROLLBACK once
   * its count is read). In a transaction block it runs as it is, and a write past its limit
   * fails the block, as an error of its own would. Failed: the server refuses it anyway.
   * Either way nothing else of the client's is sent until its count has been read.
   */
  private forwardLimited(
    frame: Frame,
    entry: Extract<Pending, { kind: 'query' }>,
    limit: RowLimit,
  ): Promise<void> | undefined {
    if (this.awaitingReport()) {
      return new Promise<void>((resolve) => this.readyWaiters.push(resolve)).then(() =>
        this.phase === 'ready' ? this.forwardLimited(frame, entry, limit) : undefined,
      );
    }
    // An Execute of an unsynced batch may have changed the status (a BEGIN, a COMMIT) with no
    // report yet: acting on the last one could commit the client's transaction for it.
    if (this.batchRan) {
      this.refuseCycle(rowLimitAfterExecute(limit.limit));
      return undefined;
    }
    if (this.status === TransactionStatus.Failed) {
      this.forward(frame, entry);
      return undefined;
    }
    const guard: QueryGuard = { limit, began: this.status === TransactionStatus.Idle };
    if (guard.began) {
      writeQuery(this.toUpstream.writer, 'BEGIN');
      this.pending.push({ kind: 'tx', guard, end: false, commit: false });
    }
    entry.guard = guard;
    this.forward(frame, entry);
    this.openRowGuard(false);
    return undefined;
  }

  /** Hold the client's next messages (COPY data aside) until the limited write's count is read. */
  private openRowGuard(syncNext: boolean): void {
    let settle = (): void => {};
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.rowGuard = { settled, settle, syncNext, syncPassed: false };
  }

  private settleRowGuard(): void {
    const guard = this.rowGuard;
    this.rowGuard = undefined;
    guard?.settle();
  }

  /**
   * A Query whose verdict needs more than the policy: a COPY to plan, or a write to describe
   * before it runs (see preflightWrites).
   */
  private async queryChecked(
    frame: Frame,
    sql: string,
    verdict: Verdict,
    receivedAt: number,
    limit: RowLimit | undefined,
  ): Promise<void> {
    let { decision } = verdict;
    let copy: CopyPlan | undefined;
    const mask = decision.effect === 'allow' ? this.maskFor(decision) : undefined;
    const source: TaintSource = { sql, statements: verdict.statements, unparsed: verdict.unparsed };
    if (mask && hasCopy(verdict.statements)) {
      const planned = await this.planCopy(mask, source);
      if (this.phase !== 'ready') return;
      if (planned && 'effect' in planned) decision = planned;
      else copy = planned;
    }
    // A text whose result was withheld before is refused before it runs this time; a write
    // seen for the first time is described first (see preflightWrites).
    let withheld =
      decision.effect === 'allow' && mask?.hasColumnRules && this.denyUnresolved()
        ? this.preflightOf(mask).get(sql)
        : undefined;
    if (
      withheld === undefined &&
      decision.effect === 'allow' &&
      mask?.hasColumnRules &&
      this.denyUnresolved() &&
      hasRowsOfWrite(verdict.statements)
    ) {
      withheld = await this.preflightWrites(mask, source);
      if (this.phase !== 'ready') return;
    }
    if (withheld) {
      this.refuseCycle(withheld);
      return;
    }
    if (decision.effect === 'allow') {
      const entry: Pending = {
        kind: 'query',
        mask,
        plan: undefined,
        copy,
        source,
        trace: this.host.options.audit
          ? this.trace(verdict, decision, receivedAt, performance.now() - receivedAt)
          : undefined,
        guard: undefined,
        lane: undefined,
      };
      if (limit) return this.forwardLimited(frame, entry, limit);
      this.forward(frame, entry);
      return;
    }
    const error = decision === verdict.decision && verdict.error ? verdict.error : denyFields(decision);
    this.refuseCycle(error);
  }

  /**
   * How masks follow a COPY: COPY … FROM sends no rows back and needs nothing; COPY … TO
   * STDOUT has its rows cut out and masked as DataRows are (copy-mask.ts), which needs the
   * statement's format options and its columns with their types: the table's, from the
   * catalog, or those of `COPY (query)`'s query, described on the catalog connection (and
   * judged for unresolved columns as a result would be). Anything that cannot be pinned down
   * is refused rather than passed in clear, except a text or CSV COPY under detector and
   * pattern rules alone: its data can be scanned whole (undefined), as it was before its
   * columns were planned, which keeps a COPY of a temporary table working. Planned, a
   * detector's hit in a typed column is NULL and a mask is cut to a `varchar(n)`, so the
   * data reloads.
   */
  private async planCopy(mask: MaskContext, source: TaintSource): Promise<CopyPlan | undefined | Decision> {
    const statements = source.statements;
    if (statements.some((s) => s.inner.some((i) => i.type === 'copy')))
      return maskUnenforceable('a COPY inside a function or DO block');
    const copyTo = statements.filter(
      (s) => s.type === 'copy' && s.copy?.direction !== 'from' && s.copy?.stdio !== false,
    );
    const only = copyTo[0];
    if (!only) return undefined;
    if (statements.length !== 1)
      return mask.hasColumnRules ? maskUnenforceable('a COPY … TO STDOUT not alone in its Query') : undefined;
    const parsed = await parseCopyStatement(only.text);
    if (typeof parsed === 'string') return maskUnenforceable(parsed);
    const planned = await this.planCopyColumns(mask, source, parsed);
    // Scanned whole, the data would be read in the session's encoding, not the COPY's own.
    const ownEncoding = parsed.options.utf8 === true && this.textSettings.encoding.text !== 'utf8';
    const scannable = !mask.hasColumnRules && parsed.options.format !== 'binary' && !ownEncoding;
    return scannable && 'effect' in planned ? undefined : planned;
  }

  private async planCopyColumns(
    mask: MaskContext,
    source: TaintSource,
    parsed: CopyStatement,
  ): Promise<CopyPlan | Decision> {
    const { options } = parsed;
    let rows: RowPlan;
    let maxChars: (number | undefined)[] = [];
    let placeholders: (string | undefined)[] = [];
    if (parsed.query !== undefined) {
      let fields: FieldDescription[] | null;
      try {
        fields = await this.catalogClient().describe(parsed.query);
      } catch (err) {
        this.host.logger?.warn?.({ sessionId: this.id, err }, 'COPY query could not be described');
        return maskUnenforceable(`its query could not be described (${describeFailure(err, mask)})`);
      }
      if (!fields) return maskUnenforceable('its query returns no rows');
      maxChars = fields.map((f) =>
        (f.typeOid === 1042 || f.typeOid === 1043) && f.typeModifier >= 4 ? f.typeModifier - 4 : undefined,
      );
      rows = await this.planOnce(mask, fields, source);
      if (rows.withheld) return withheldDecision(rows.withheld);
    } else if (parsed.relation) {
      const relation = parsed.relation;
      let columns: ResolvedColumn[];
      try {
        columns = await this.catalogClient().tableColumns(relation.names);
      } catch (err) {
        this.host.logger?.warn?.({ sessionId: this.id, err }, 'COPY column lookup failed');
        return maskUnenforceable("its table's columns could not be looked up");
      }
      // Without a column list, COPY leaves generated columns out (a list naming one fails).
      let picked = columns.filter((c) => !c.generated);
      if (relation.columns.length > 0) {
        const found = relation.columns.map((n) => columns.find((c) => c.column === n));
        if (found.some((c) => c === undefined)) return maskUnenforceable('a column of its list is not known');
        picked = found as ResolvedColumn[];
      }
      if (picked.length === 0) return maskUnenforceable("its table's columns could not be looked up");
      maxChars = picked.map((c) => c.maxChars);
      placeholders = picked.map((c) => (c.notNullType ? notNullPlaceholder(c.notNullType) : undefined));
      const fields = picked.map((c) => copyField(c.column, c.typeOid ?? 0));
      const descriptors = picked.map((c) => ({
        table: `${quoteIdent(c.schema)}.${quoteIdent(c.table)}`,
        column: c.column,
      }));
      // A table's column may be of a domain (a result's column is of its base type): its
      // type is looked up under column rules too, so a domain over text reads as text.
      const unknown = this.types.unknown(fields.map((f) => f.typeOid));
      const learned = unknown.length === 0 || (await this.learnTypes(unknown));
      rows = createRowPlan(mask, fields, descriptors, {
        types: this.types,
        ...(learned ? {} : TYPES_UNKNOWN),
      });
    } else return maskUnenforceable('the COPY names neither a table nor a query');
    // COPY data carries no types: a reader reloads it into columns of the server's types
    // (pg_dump's output, psql's \copy), where a mask's text in a date or an int is refused.
    // Such a column-masked value is NULL instead, as in binary.
    rows =
      options.format === 'binary'
        ? withResultFormats(rows, [1])
        : withToldTypes(
            rows,
            rows.fields.map((f) => f.typeOid),
          );
    return {
      options,
      rows,
      context: mask,
      maxChars,
      ...(options.format !== 'binary' && placeholders.some((p) => p !== undefined) ? { placeholders } : {}),
    };
  }

  /** A result's row plan, as `planFor` makes it, awaited. */
  private planOnce(
    mask: MaskContext,
    fields: readonly FieldDescription[],
    source: TaintSource,
  ): Promise<RowPlan> {
    let planned: RowPlan | undefined;
    const work = this.planFor(mask, fields, source, (plan) => {
      planned = plan;
    });
    return (work ?? Promise.resolve()).then(() => {
      if (!planned) throw new Error('result was not planned');
      return planned;
    });
  }

  /**
   * A write whose result may carry a masked column through an expression (an `INSERT …
   * RETURNING lower(email)` sent as a Query) is described on the catalog connection before it
   * is forwarded, and refused there when `unresolvedColumns` is `deny` and its result would be
   * withheld: a write must not run only to have its rows withheld. Returns the refusal, if any.
   * What the catalog connection cannot prepare (a temporary table of this session, a table
   * created earlier in the same Query) is refused too: it cannot be checked before it runs.
   */
  private async preflightWrites(mask: MaskContext, source: TaintSource): Promise<NoticeFields | undefined> {
    const writes = writesOf(source.statements).filter(mayReturnRows);
    if (writes.length === 0) return undefined;
    let carries: ColumnDescriptor | undefined;
    try {
      carries = await this.statementCarries(mask, source);
    } catch (err) {
      this.host.logger?.warn?.({ sessionId: this.id, err }, 'write could not be checked');
      return uncheckedWrite(`its tables could not be looked up (${describeFailure(err, mask)})`);
    }
    if (!carries) return undefined;
    for (const s of writes) {
      let fields: FieldDescription[] | null;
      try {
        fields = await this.catalogClient().describe(s.text);
      } catch (err) {
        this.host.logger?.warn?.({ sessionId: this.id, err }, 'write could not be described');
        const refused = uncheckedWrite(`describing it failed (${describeFailure(err, mask)})`);
        // The server's own answer (a temporary table it cannot see) stands for this text; a
        // lookup that timed out or lost its connection is tried again next time.
        if (err instanceof UpstreamError && err.fields) this.notePreflight(mask, source.sql, refused);
        return refused;
      }
      if (!fields) continue;
      const plan = await this.planOnce(mask, fields, source);
      if (plan.withheld) {
        if (!plan.transient) this.notePreflight(mask, source.sql, plan.withheld);
        return plan.withheld;
      }
    }
    // Checked: the next run of this text goes without describing (its real result is still planned).
    this.notePreflight(mask, source.sql, null);
    return undefined;
  }

  /** A Parse: decided at once from the memo when it can be (see onQuery), else awaited. */
  private onParse(frame: Frame): Promise<void> | undefined {
    const receivedAt = performance.now();
    const parse = readParse(frame.body);
    // A name the lane may hold a batch of is about to mean another statement.
    if (parse.statement !== '') this.laneForgetStatement(parse.statement);
    const judgeable = this.judgeableText(parse.sql);
    if (judgeable instanceof Promise)
      return judgeable.then(() => (this.phase === 'ready' ? this.onParse(frame) : undefined));
    if (judgeable) {
      if (parse.statement === '') this.statements.delete('');
      this.denyExtended(judgeable);
      return undefined;
    }
    // Read before deciding: a reload while the policy runs makes Execute decide again.
    const generation = this.generation();
    const known = this.rememberedVerdict(parse.sql);
    if (known) {
      this.parseDecided(frame, parse, known, generation, receivedAt);
      return undefined;
    }
    return this.verdict(parse.sql).then((verdict) => {
      if (this.phase === 'ready') this.parseDecided(frame, parse, verdict, generation, receivedAt);
    });
  }

  private parseDecided(
    frame: Frame,
    parse: ParseMessage,
    verdict: Verdict,
    generation: number,
    receivedAt: number,
  ): void {
    const decision = extendedDecision(verdict);
    const limit =
      decision.effect === 'allow' ? rowLimitOf(decision, verdict.statements, verdict.unparsed) : undefined;
    if (limit && !('limit' in limit)) {
      if (parse.statement === '') this.statements.delete('');
      this.denyExtended(limit);
      return;
    }
    if (decision.effect === 'allow') {
      this.statements.set(parse.statement, {
        rowLimit: limit,
        mask: this.maskFor(decision),
        sql: parse.sql,
        generation,
        statements: verdict.statements,
        unparsed: verdict.unparsed,
        result: { ...verdict.result, decision },
        decisionMs: performance.now() - receivedAt,
      });
      this.forward(frame, { kind: 'parse' });
      return;
    }
    // The server would have dropped an unnamed statement replaced by a failed Parse.
    if (parse.statement === '') this.statements.delete('');
    this.denyExtended(decision === verdict.decision && verdict.error ? verdict.error : denyFields(decision));
  }

  /**
   * Execute runs what was decided at Parse, unless the policy has changed since or the
   * session's earlier decisions no longer hold (`decisionsHold`): then the statement is
   * decided again, and a deny fails the batch as a denied Parse does.
   */
  private onExecute(frame: Frame): Promise<void> | undefined {
    const e = readExecute(frame.body);
    const portal = this.portals.get(e.portal);
    if (!portal) {
      // A portal the proxy never saw bound (a cursor DECLAREd in SQL, say): its masks are unknown.
      this.denyExtended({
        severity: 'ERROR',
        code: SqlState.InsufficientPrivilege,
        message: `portal "${e.portal}" was not bound through the proxy`,
      });
      return undefined;
    }
    if (portal.statement.generation === this.generation() && this.decisionsHoldNow(portal.statement.sql)) {
      return this.forwardExecute(frame, portal, performance.now());
    }
    return this.redecideExecute(frame, portal);
  }

  /**
   * Execute of a portal whose result may have to be withheld (`unresolvedColumns: 'deny'`):
   * find that out before it runs, so that a denied statement is not executed at all. Known at
   * once when the portal's plan is, or when this text's result was planned before in this
   * session under the same masks; otherwise see `preflightSlow`.
   */
  private forwardExecute(frame: Frame, portal: PortalState, receivedAt: number): Promise<void> | undefined {
    const statement = portal.statement;
    const mask = statement.mask;
    if (mask?.hasColumnRules && this.denyUnresolved()) {
      let known: NoticeFields | null | undefined;
      if (!portal.plan && (portal.fields || statement.fields)) {
        const work = this.planPortal(portal);
        if (work) return work.then(() => this.executePlanned(frame, portal, receivedAt));
      }
      if (portal.plan) known = portal.plan.withheld ?? null;
      else known = this.preflightOf(mask).get(statement.sql);
      if (known === undefined) return this.preflightSlow(frame, portal, mask, receivedAt);
      if (known !== null) {
        this.denyExtended(known);
        return undefined;
      }
    }
    return this.forwardTraced(frame, portal, receivedAt);
  }

  /**
   * When the statement may carry a masked column into an expression and the batch asked to
   * describe the portal (or statement), ask the server to answer now (a Flush: it holds its
   * answers to Parse, Bind and Describe until Sync or Flush), plan the result, and deny the
   * Execute as a denied Parse is (the server fails the batch, so nothing of it runs) or let
   * it go. Without a Describe to wait for, the result is withheld when it arrives instead.
   */
  private async preflightSlow(
    frame: Frame,
    portal: PortalState,
    mask: MaskContext,
    receivedAt: number,
  ): Promise<void> {
    const statement = portal.statement;
    if (!portal.fields && !statement.fields) {
      const carries = await this.statementCarries(mask, statement);
      if (this.phase !== 'ready') return;
      const describe = this.pendingDescribe(portal);
      if (!carries) this.notePreflight(mask, statement.sql, null);
      if (carries && describe) {
        await this.describeAnswered(describe);
        if (this.phase !== 'ready') return;
        // NoData (no result to plan): nothing to wait for next time either.
        if (describe.noData) this.notePreflight(mask, statement.sql, null);
      }
    }
    const work = this.planPortal(portal);
    if (work) await work;
    return this.executePlanned(frame, portal, receivedAt);
  }

  /** The Describe of this portal or of its statement the server has yet to answer, if any. */
  private pendingDescribe(portal: PortalState): Extract<Pending, { kind: 'describe' }> | undefined {
    return this.pending.find(
      (p): p is Extract<Pending, { kind: 'describe' }> =>
        p.kind === 'describe' && (p.portal === portal || p.statement === portal.statement),
    );
  }

  /**
   * Settles once the server has answered this Describe (or failed the batch before it): the
   * server holds its answers until Sync or Flush, so a Flush asks for them now.
   */
  private describeAnswered(describe: Extract<Pending, { kind: 'describe' }>): Promise<void> {
    const answered = new Promise<void>((resolve) => {
      describe.answered ??= [];
      describe.answered.push(resolve);
    });
    this.toUpstream.writer.begin(FrontendCode.Flush).end();
    this.flushUpstream();
    return answered;
  }

  /** Execute once the portal's plan is known (or cannot be): deny a withheld result, else forward. */
  private executePlanned(frame: Frame, portal: PortalState, receivedAt: number): Promise<void> | undefined {
    if (this.phase !== 'ready') return undefined;
    const withheld = portal.plan?.withheld;
    if (!withheld) return this.forwardTraced(frame, portal, receivedAt);
    this.denyExtended(withheld);
    return undefined;
  }

  private denyUnresolved(): boolean {
    return (this.host.options.unresolvedColumns ?? DEFAULT_UNRESOLVED_COLUMNS) === 'deny';
  }

  /** Whether a text's result was withheld when last planned, by mask context. */
  private readonly preflights = new WeakMap<MaskContext, Map<string, NoticeFields | null>>();

  private preflightOf(mask: MaskContext): Map<string, NoticeFields | null> {
    let known = this.preflights.get(mask);
    if (!known) {
      known = new Map();
      this.preflights.set(mask, known);
    }
    return known;
  }

  /**
   * Remember how a text's result was planned. A withheld one stays withheld (a Query's other
   * result sets do not clear it). This only decides whether the proxy refuses before running
   * or withholds the rows after: a stale entry can never pass rows in clear.
   */
  private notePreflight(mask: MaskContext, sql: string, withheld: NoticeFields | null): void {
    const known = this.preflightOf(mask);
    if (withheld === null && known.has(sql)) return;
    if (known.size >= ROW_PLANS_PER_CONTEXT) known.clear();
    known.set(sql, withheld);
  }

  private forwardTraced(frame: Frame, portal: PortalState, receivedAt: number): Promise<void> | undefined {
    const entry: Extract<Pending, { kind: 'execute' }> = { kind: 'execute', portal };
    const statement = portal.statement;
    const limit = statement.rowLimit;
    // Rows fetched a few at a time would reach the client before the count that may undo them.
    // A statement that returns no rows runs whole whatever the count (pgjdbc's executeUpdate
    // asks for one row): once a Describe of it says NoData, the count does not matter.
    if (limit && !statement.noRows && readExecute(frame.body).maxRows !== 0) {
      const describe = this.pendingDescribe(portal);
      if (!describe) {
        this.denyExtended(rowLimitFetchRefused(limit.limit));
        return undefined;
      }
      return this.describeAnswered(describe).then(() => {
        if (this.phase !== 'ready') return undefined;
        if (statement.noRows) return this.forwardTraced(frame, portal, receivedAt);
        this.denyExtended(rowLimitFetchRefused(limit.limit));
        return undefined;
      });
    }
    if (this.host.options.audit && statement.result) {
      const decisionMs = statement.decisionMs ?? 0;
      entry.trace = this.traceOf(statement.result, receivedAt, decisionMs);
    }
    // In a transaction block (as the server last reported, with nothing of this batch run
    // yet that could end it), the Sync after it commits nothing: it may go at once.
    const inBlock =
      this.status === TransactionStatus.InTransaction && !this.batchRan && !this.awaitingReport();
    this.forward(frame, entry);
    if (!limit) return;
    // Otherwise its count is read before anything after it goes (the Sync would commit it):
    // the server is asked to answer now, and the client's next messages wait.
    entry.limit = limit;
    if (!inBlock) this.toUpstream.writer.begin(FrontendCode.Flush).end();
    this.openRowGuard(inBlock);
  }

  private async redecideExecute(frame: Frame, portal: PortalState): Promise<void> {
    const receivedAt = performance.now();
    const statement = portal.statement;
    const generation = this.generation();
    const verdict = await this.verdict(statement.sql);
    if (this.phase !== 'ready') return;
    const decision = extendedDecision(verdict);
    const limit =
      decision.effect === 'allow' ? rowLimitOf(decision, verdict.statements, verdict.unparsed) : undefined;
    if (decision.effect !== 'allow' || (limit && !('limit' in limit))) {
      // Left at its old generation, so every later Execute of it is decided again too.
      this.denyExtended(
        limit && !('limit' in limit)
          ? limit
          : decision === verdict.decision && verdict.error
            ? verdict.error
            : denyFields(decision),
      );
      return;
    }
    statement.rowLimit = limit;
    // The new policy's masks apply from here on, to every portal of the statement (each
    // portal's plan is rebuilt from its description when its context no longer matches).
    const mask = this.maskFor(decision);
    if (mask !== statement.mask) {
      statement.mask = mask;
      delete statement.plans;
      delete statement.carries;
    }
    statement.generation = generation;
    statement.result = { ...verdict.result, decision };
    statement.decisionMs = performance.now() - receivedAt;
    if (portal.plan && portal.plan.context !== mask) delete portal.plan;
    await this.forwardExecute(frame, portal, receivedAt);
  }

  /** A recorded session's start or end (see `recordSession`). */
  private sessionRecord(stage: AuditStage): AuditRecord {
    const subject = this.subject as AuthenticatedClient['subject'];
    const options = this.host.options;
    const record: AuditRecord = {
      id: newAuditRecordId(),
      time: new Date().toISOString(),
      session_id: this.id,
      subject: { id: subject.id, kind: subject.kind ?? 'human', groups: [...(subject.groups ?? [])] },
      resource: {
        type: 'postgres',
        name: options.resource.name,
        labels: { ...(options.resource.labels ?? {}) },
      },
      source: this.source,
      action: {
        type: 'connect',
        summary:
          stage === 'session_start'
            ? this.connectSummary()
            : `disconnect after ${this.statementsRun} statements`,
      },
      effect: 'allow',
      reasons: [],
      masks: [],
      durations: {},
      stage,
    };
    if (stage === 'session_end') {
      record.durations.total_ms = round(performance.now() - this.openedAt);
      record.response = {
        bytes: this.toClient.position + this.laneBytes,
        rows: this.rowsOut,
        count: this.statementsRun,
      };
    }
    return record;
  }

  // -------------------------------------------------------------------------------------
  // Completion records
  // -------------------------------------------------------------------------------------

  private trace(
    verdict: Verdict,
    decision: Decision,
    receivedAt: number,
    decisionMs: number,
  ): StatementTrace {
    return this.traceOf({ ...verdict.result, decision }, receivedAt, decisionMs);
  }

  private traceOf(result: DecisionResult, receivedAt: number, decisionMs: number): StatementTrace {
    const trace: StatementTrace = {
      result,
      receivedAt,
      decisionMs,
      forwardedAt: performance.now(),
      start: undefined,
      commands: [],
    };
    if (this.host.options.recordSession) trace.hash = createHash('sha256');
    return trace;
  }

  /** The response to a traced statement begins: count (and digest) from here. */
  private beginTrace(trace: StatementTrace): void {
    if (trace.hash) {
      this.toClient.settle();
      const hash = trace.hash;
      this.toClient.tap = (bytes) => hash.update(bytes);
    }
    trace.start = this.toClient.position;
  }

  private noteComplete(trace: StatementTrace, frame: Frame): void {
    const { tag } = readCommandComplete(frame.body);
    trace.commands.push(tag);
    const rows = rowCount(tag);
    if (rows !== undefined) trace.rows = (trace.rows ?? 0) + rows;
  }

  /** The response has ended: write the completion record (a failed write is logged). */
  private finishTrace(trace: StatementTrace): void {
    if (!this.host.options.audit || trace.start === undefined) return;
    if (trace.hash) {
      this.toClient.settle();
      this.toClient.tap = undefined;
    }
    this.writeCompletion(trace, this.toClient.position - trace.start);
  }

  /** The completion record of a traced statement whose response counted `bytes`. */
  private writeCompletion(trace: StatementTrace, bytes: number): void {
    const audit = this.host.options.audit;
    if (!audit) return;
    const now = performance.now();
    const record = auditRecordFromDecision(trace.result, {
      stage: 'completion',
      decisionMs: round(trace.decisionMs),
      upstreamMs: round(now - trace.forwardedAt),
      totalMs: round(now - trace.receivedAt),
      response: {
        bytes,
        ...(trace.rows !== undefined ? { rows: trace.rows } : {}),
        ...(trace.commands.length > 0 ? { command: trace.commands.join('; ') } : {}),
        ...(trace.errorCode !== undefined ? { error_code: trace.errorCode } : {}),
      },
      ...(trace.hash ? { responseDigest: `sha256:${trace.hash.digest('hex')}` } : {}),
    });
    trace.start = undefined;
    this.statementsRun++;
    this.rowsOut += trace.rows ?? 0;
    audit.write(record).catch((err: unknown) => {
      // Kept, and written before the session's next decision record (see audited); once the
      // session has ended, by the proxy.
      this.host.logger?.error?.({ sessionId: this.id, err }, 'audit write of a completion record failed');
      if (this.phase === 'closed') this.host.auditBacklog?.add([record]);
      else this.unwritten.push(record);
    });
  }

  private onBind(frame: Frame): void {
    const bind = readBindTarget(frame.body);
    const statement = this.statements.get(bind.statement);
    if (!statement) {
      this.denyExtended({
        severity: 'ERROR',
        code: SqlState.InsufficientPrivilege,
        message: `prepared statement "${bind.statement}" was not prepared through the proxy`,
      });
      return;
    }
    const portal: PortalState = { statement, resultFormats: bind.resultFormats };
    this.portals.set(bind.portal, portal);
    this.forward(frame, { kind: 'bind' });
    if (this.host.lane) this.laneBatch = this.laneBatchOf(bind.portal, bind.statement, statement, portal);
  }

  /**
   * An extended-protocol message the policy refused. When nothing of this batch has reached
   * the server, the error is made up here; otherwise the server is made to fail the batch at
   * this point (so what it already ran is rolled back as it would be on a real error) and its
   * error is replaced with ours. Either way the rest of the batch is discarded up to Sync.
   */
  private denyExtended(fields: NoticeFields): void {
    if (this.batchForwarded) {
      writeExecute(this.toUpstream.writer, POISON_PORTAL, 0);
      this.pending.push({ kind: 'execute', replaceError: fields });
    } else {
      this.respond((w) => writeErrorResponse(w, fields));
    }
    this.discarding = true;
  }

  private endDiscard(): void {
    this.discarding = false;
    if (this.batchForwarded) {
      const w = this.toUpstream.writer;
      w.begin(FrontendCode.Sync).end();
      this.pending.push({ kind: 'sync' });
    } else {
      this.respond((w) => writeReadyForQuery(w, this.status));
    }
    this.batchForwarded = false;
    this.batchRan = false;
  }

  private forward(frame: Frame, entry: Pending | undefined): void {
    this.toUpstream.forwardFrame(frame);
    if (entry) this.pending.push(entry);
    if (entry?.kind === 'execute') this.batchRan = true;
    if (entry && entry.kind !== 'query' && entry.kind !== 'sync') this.batchForwarded = true;
  }

  /** An error where the answer to a Query or a FunctionCall would be, then ReadyForQuery. */
  private refuseCycle(error: NoticeFields): void {
    this.respond((w) => {
      writeErrorResponse(w, error);
      writeReadyForQuery(w, this.status);
    });
  }

  /** A made-up answer, sent once the server has answered everything forwarded before it. */
  private respond(write: (w: MessageWriter) => void): void {
    this.pending.push({ kind: 'synthetic', write });
    this.releaseSynthetic();
  }

  private releaseSynthetic(): void {
    for (let head = this.pending[0]; head?.kind === 'synthetic'; head = this.pending[0]) {
      this.pending.shift();
      head.write(this.toClient.writer);
    }
  }

  private terminate(): void {
    const upstream = this.upstream;
    if (upstream && !upstream.socket.destroyed && !this.releaseUpstream(upstream)) {
      const w = new MessageWriter(8);
      writeTerminate(w);
      upstream.socket.end(w.flush());
    }
    this.close();
  }

  /**
   * Hand the upstream connection to `upstream.reuse`, if this session leaves nothing under way
   * on it (see upstream-reuse.ts): outside a transaction block, no response owed, nothing
   * queued or held, no COPY, no partial message, the lane stopped. True when handed over; the
   * session no longer touches it.
   */
  private releaseUpstream(upstream: UpstreamConnection): boolean {
    const reuse = this.host.upstreamReuse;
    if (!reuse || !upstream.reads || this.phase !== 'ready' || this.laneRunning) return false;
    if (this.status !== TransactionStatus.Idle || this.pending.length > 0 || this.held || this.copyOut)
      return false;
    if (this.upstreamBusy || !this.toUpstream.empty || upstream.framer.buffered > 0) return false;
    if (this.upstreamIo?.pending || upstream.socket.writableLength > 0) return false;
    // A hold would be released later, on a connection another session reads by then.
    if (this.upstreamGate?.held) return false;
    // Its duplicates of the sockets' descriptors go before another session's lane makes its own.
    this.laneEnd();
    if (this.upstreamListeners) {
      upstream.socket.off('error', this.upstreamListeners.onError);
      upstream.socket.off('close', this.upstreamListeners.onClose);
      this.upstreamListeners = undefined;
    }
    const io = this.upstreamIo;
    this.upstream = undefined;
    this.upstreamIo = undefined;
    this.upstreamGate = undefined;
    reuse.release(this.upstreamStartup, upstream, io);
    return true;
  }

  // -------------------------------------------------------------------------------------
  // PostgreSQL → proxy
  // -------------------------------------------------------------------------------------

  /**
   * A run-time parameter the server reports (at startup, and after SET): client_encoding, and
   * the styles binary dates and times are read in.
   */
  private noteParameter(frame: Frame): void {
    const { name, value } = readParameterStatus(frame.body);
    if (name === 'client_encoding') this.clientEncoding = value.toUpperCase();
    this.textSettings.note(name, value);
  }

  /** The listeners attachUpstream put on the upstream socket, taken off when it is handed on. */
  private upstreamListeners: { onError: (err: Error) => void; onClose: () => void } | undefined;

  private attachUpstream(upstream: UpstreamConnection, keptIo?: DirectSocket): void {
    this.upstream = upstream;
    for (const [name, value] of upstream.parameters) {
      if (name === 'client_encoding') this.clientEncoding = value.toUpperCase();
      this.textSettings.note(name, value);
    }
    this.upstreamKey = { processId: upstream.processId, secretKey: upstream.secretKey };
    this.upstreamGate = new FlowGate(upstream.socket);
    const socket = upstream.socket;
    const framer = upstream.framer;
    if (upstream.reads) {
      // Views of a read buffer that is used again: none may outlive this call unnoticed.
      const consume = (chunk: Buffer): boolean => {
        try {
          framer.push(chunk);
        } catch (err) {
          this.fail(err);
          return false;
        }
        this.pumpUpstream();
        // A pump waiting on a lookup holds its frame and the ones after it; a write not
        // done at once holds the forwarded bytes. Otherwise only a partial message is left,
        // and the framer takes a copy of it.
        if (this.upstreamBusy || this.clientIo?.pending || this.client.writableLength > 0) return true;
        framer.ownRest();
        return false;
      };
      const io = keptIo ?? (this.host.options.directSocketIo !== false ? directSocket(socket) : undefined);
      if (io) {
        this.upstreamIo = io;
        this.upstreamGate.rebind(io);
        io.takeReads(consume);
      } else upstream.reads.consume(consume);
    } else {
      socket.on('data', (chunk: Buffer) => {
        try {
          framer.push(chunk);
        } catch (err) {
          this.fail(err);
          return;
        }
        this.pumpUpstream();
      });
    }
    const onError = (err: Error) => {
      this.host.logger?.warn?.({ sessionId: this.id, err }, 'upstream socket error');
      this.close();
    };
    const onClose = () => {
      // Let what the server said last (a FATAL on shutdown) reach the client first.
      this.flushClient();
      this.client.end();
      this.close();
    };
    socket.on('error', onError);
    socket.on('close', onClose);
    this.upstreamListeners = { onError, onClose };
    for (const frame of upstream.pending) this.onUpstreamFrame(frame);
  }

  /**
   * Relay server frames one at a time; a frame that needs a catalog lookup holds the rest
   * (and reading from the server) until its result is planned. Synchronous otherwise.
   */
  private pumpUpstream(): void {
    if (this.upstreamBusy || !this.upstream) return;
    this.upstreamBusy = true;
    let work: Promise<void> | undefined;
    try {
      work = this.pumpUpstreamFrames();
    } catch (err) {
      this.fail(err);
    }
    if (work) {
      this.upstreamGate?.hold('resolving');
      work.then(this.resumeUpstream, this.failUpstream);
      return;
    }
    this.upstreamBusy = false;
    if (this.lane) this.laneMaybeStart();
  }

  private pumpUpstreamFrames(): Promise<void> | undefined {
    const framer = (this.upstream as UpstreamConnection).framer;
    for (;;) {
      if (this.phase === 'closed') return undefined;
      const frame = framer.next();
      if (!frame) break;
      const work = this.onUpstreamFrame(frame);
      if (work) {
        this.flushClient();
        return work;
      }
    }
    this.flushClient();
    this.flushUpstream();
    return undefined;
  }

  private readonly resumeUpstream = (): void => {
    this.upstreamGate?.release('resolving');
    this.upstreamBusy = false;
    this.pumpUpstream();
  };

  private readonly failUpstream = (err: unknown): void => {
    this.upstreamGate?.release('resolving');
    this.fail(err);
    this.upstreamBusy = false;
  };

  private onUpstreamFrame(frame: Frame): Promise<void> | undefined {
    const head = this.pending[0];
    if (head?.kind === 'lookup') return this.onLookupFrame(frame, head);
    if (head?.kind === 'query' && head.lane) return this.laneFrame(frame, head, head.lane);
    const batch = this.laneBatch;
    if (batch !== undefined) return this.laneBatchFrame(batch, frame, head);
    return this.relayTraced(frame, head);
  }

  /** Relay a frame, noting it for the completion record of a traced statement's response. */
  private relayTraced(frame: Frame, head: Pending | undefined): Promise<void> | undefined {
    const trace =
      head !== undefined && (head.kind === 'query' || head.kind === 'execute') ? head.trace : undefined;
    if (trace) return this.onTracedFrame(frame, head as Pending, trace);
    return this.relayUpstreamFrame(frame, head);
  }

  /** A frame of a traced statement's response: what it says goes into the completion record. */
  private onTracedFrame(frame: Frame, head: Pending, trace: StatementTrace): Promise<void> | undefined {
    if (trace.start === undefined) this.beginTrace(trace);
    const type = frame.type;
    // What the client never sees (the rest of a withheld result) is not its response.
    const seen = !this.suppressing;
    if (seen && type === BackendCode.ErrorResponse && trace.errorCode === undefined)
      trace.errorCode = readNoticeFields(frame.body).get(ErrorField.Code) ?? '';
    const work = this.relayUpstreamFrame(frame, head);
    if (seen && !this.suppressing && type === BackendCode.CommandComplete) this.noteComplete(trace, frame);
    const ended =
      head.kind === 'query'
        ? type === BackendCode.ReadyForQuery && !deferredEnd(head.guard)
        : type === BackendCode.CommandComplete ||
          type === BackendCode.EmptyQueryResponse ||
          type === BackendCode.PortalSuspended ||
          type === BackendCode.ErrorResponse ||
          type === BackendCode.ReadyForQuery;
    if (!ended) return work;
    if (work) return work.then(() => this.finishTrace(trace));
    this.finishTrace(trace);
    return undefined;
  }

  private relayUpstreamFrame(frame: Frame, head: Pending | undefined): Promise<void> | undefined {
    if (this.suppressing) {
      switch (frame.type) {
        case BackendCode.ReadyForQuery:
          this.suppressing = false;
          break;
        case BackendCode.ParameterStatus:
        case BackendCode.NotificationResponse:
          return this.relaySideChannel(frame, head);
        case BackendCode.CommandComplete:
        case BackendCode.EmptyQueryResponse:
        case BackendCode.PortalSuspended:
        case BackendCode.ErrorResponse:
          // A limited write whose result was withheld: the client has its error, and the
          // write goes with it (its count was never the client's to see).
          if (head?.kind === 'execute' && head.limit) this.failLimitedBatch(head);
          return undefined;
        case BackendCode.CopyInResponse: {
          // A later statement of the withheld Query waits for COPY data the client will not send.
          const w = this.toUpstream.writer;
          w.begin(FrontendCode.CopyFail).cstring('result withheld by the proxy').end();
          this.flushUpstream();
          return undefined;
        }
        default:
          return undefined;
      }
    }
    switch (frame.type) {
      case BackendCode.DataRow: {
        if (head?.kind === 'execute' && head.portal?.statement.mask && !head.portal.plan) {
          const portal = head.portal;
          const work = this.planPortal(portal);
          if (work) return work.then(() => this.relayRow(frame, this.portalRows(portal)));
          if (!portal.plan) {
            throw new PgProtocolError(
              'cannot mask a result whose columns were never described (send Describe before Execute)',
              SqlState.InternalError,
            );
          }
        }
        this.relayRow(frame, this.currentPlan(head));
        return undefined;
      }
      case BackendCode.RowDescription:
        return this.onRowDescription(frame, head);
      case BackendCode.FunctionCallResponse: {
        // The result of a fast-path call, planned as one column (see onFunctionCall).
        const plan = head?.kind === 'query' ? head.plan : undefined;
        if (!plan || plan.passThrough) this.toClient.forwardFrame(frame);
        else
          writeFunctionCallResponse(
            this.toClient.writer,
            maskValues(plan, [readFunctionCallResponse(frame.body)], this.textSettings)[0] ?? null,
          );
        return undefined;
      }
      case BackendCode.CommandComplete:
      case BackendCode.EmptyQueryResponse:
      case BackendCode.PortalSuspended:
        if (head?.kind === 'execute' && head.limit) {
          this.limitedExecuteEnded(frame, head, head.limit);
          return undefined;
        }
        if (head?.kind === 'query' && head.guard && frame.type === BackendCode.CommandComplete) {
          if (this.guardedComplete(frame, head, head.guard)) return undefined;
        } else if (head?.kind === 'tx') return undefined;
        if (head?.kind === 'execute' && head.portal?.plan?.withheld) {
          this.withhold(head.portal.plan.withheld);
          return undefined;
        }
        this.toClient.forwardFrame(frame);
        if (head?.kind === 'query') head.plan = undefined;
        else if (head?.kind === 'execute') this.pop();
        return undefined;
      case BackendCode.ParseComplete:
      case BackendCode.BindComplete:
      case BackendCode.CloseComplete:
      case BackendCode.NoData:
        if (frame.type === BackendCode.NoData && head?.kind === 'describe') {
          head.noData = true;
          const statement = head.statement ?? head.portal?.statement;
          if (statement) statement.noRows = true;
        }
        this.toClient.forwardFrame(frame);
        this.pop();
        return undefined;
      case BackendCode.ParameterStatus:
      case BackendCode.NotificationResponse:
        return this.relaySideChannel(frame, head);
      case BackendCode.ReadyForQuery:
        if (
          head?.kind === 'tx' ||
          (head?.kind === 'query' && head.guard) ||
          (head?.kind === 'sync' && head.failBlock)
        )
          this.guardedReady(frame, head);
        else this.readyForQuery(frame);
        return undefined;
      case BackendCode.ErrorResponse:
        return this.onUpstreamError(frame, head);
      case BackendCode.NoticeResponse:
        // Errors and notices can quote data (`Key (email)=(…) already exists`).
        return this.relayMasked(frame, head, writeMaskedNotice);
      case BackendCode.CopyOutResponse:
        this.copyOut = this.startCopyOut(frame, head);
        this.toClient.forwardFrame(frame);
        return undefined;
      case BackendCode.CopyDone: {
        const copyOut = this.copyOut;
        this.copyOut = undefined;
        copyOut?.end();
        this.toClient.forwardFrame(frame);
        return undefined;
      }
      case BackendCode.CopyData: {
        const mask = this.contextOf(head);
        if (head?.kind === 'query' && head.copy) {
          if (!this.copyOut)
            throw new PgProtocolError('cannot mask COPY data outside a COPY', SqlState.InternalError);
          const out = this.copyOut.push(frame.body);
          if (out.length > 0) this.toClient.writer.begin(BackendCode.CopyData).bytes(out).end();
        } else if (mask?.hasTextRules) {
          const encoding = encodingAt(this.textSettings.encoding, frame.body, 0, frame.body.length);
          this.toClient.writer
            .begin(BackendCode.CopyData)
            .bytes(Buffer.from(mask.masker.maskText(frame.body.toString(encoding)), encoding))
            .end();
        } else this.toClient.forwardFrame(frame);
        return undefined;
      }
      default:
        // ParameterDescription, CopyInResponse, CopyBothResponse …
        this.toClient.forwardFrame(frame);
        return undefined;
    }
  }

  /** ReadyForQuery: the server's transaction status, and the end of what it answers. */
  private readyForQuery(frame: Frame): void {
    this.status = transactionStatus(frame);
    this.toClient.forwardFrame(frame);
    // Everything up to the Sync or Query this answers is done (skipped after an error).
    for (let h = this.pending[0]; h && h.kind !== 'synthetic'; h = this.pending[0]) {
      this.shift();
      if (h.kind === 'sync' || h.kind === 'query' || h.kind === 'tx') break;
    }
    if (this.status === TransactionStatus.Idle) {
      this.ranInTransaction.length = 0;
      // DDL this session ran is committed (or rolled back) now.
      if (this.schemaChanging) {
        this.schemaChanging = false;
        this.forgetCatalog();
      }
    }
    this.releaseSynthetic();
    // The server reports changed parameters (client_encoding) just before this.
    this.wakeReadyWaiters();
  }

  /**
   * The CommandComplete of a limited write sent by Query: past the limit it is dropped (the
   * client gets the error once the write is undone); within it, held back when the proxy's
   * COMMIT is still to come. True when it is not forwarded now.
   */
  private guardedComplete(
    frame: Frame,
    head: Extract<Pending, { kind: 'query' }>,
    guard: QueryGuard,
  ): boolean {
    const { tag } = readCommandComplete(frame.body);
    const count = affectedRows(tag, guard.limit.statement);
    head.plan = undefined;
    if (count !== undefined && count > guard.limit.limit) {
      const exceeded = rowLimitExceeded(guard.limit.limit, tag, count, guard.limit.statement);
      guard.exceeded = exceeded;
      if (head.trace) head.trace.errorCode = exceeded.code;
      return true;
    }
    guard.tag = tag;
    return guard.began;
  }

  /**
   * ReadyForQuery around a limited write sent by Query. The write's own: the proxy ends the
   * transaction it opened (COMMIT when the count was read and within the limit, else ROLLBACK),
   * or fails the client's block when the write went past the limit; within the limit in a
   * client's block it passes as it is. The proxy's BEGIN's: dropped. The proxy's COMMIT's or
   * ROLLBACK's: the write's held CommandComplete (or the error) goes first, then this.
   */
  private guardedReady(
    frame: Frame,
    head: Extract<Pending, { kind: 'query' } | { kind: 'tx' } | { kind: 'sync' }>,
  ): void {
    if (head.kind === 'sync') {
      // A limited Execute's batch, in a transaction block, went past the limit after its Sync
      // was sent: the client has the error; the block is failed before this is answered.
      this.shift();
      this.failBlock(undefined, undefined);
      return;
    }
    if (head.kind === 'query') {
      const guard = head.guard as QueryGuard;
      if (!deferredEnd(guard)) {
        this.readyForQuery(frame);
        this.settleRowGuard();
        return;
      }
      this.shift();
      // The write's record ends with the transaction (see deferredEnd).
      const trace = head.trace;
      if (guard.began) {
        // A count never read (a result withheld, an error) is not committed either.
        const commit = !guard.exceeded && guard.tag !== undefined;
        writeQuery(this.toUpstream.writer, commit ? 'COMMIT' : 'ROLLBACK');
        this.pending.push({ kind: 'tx', guard, end: true, commit, trace });
      } else {
        // The client's own transaction: failed, so that nothing of it can be committed.
        this.failBlock(guard, trace);
      }
      return;
    }
    if (!head.end) {
      this.shift();
      return;
    }
    const guard = head.guard;
    if (guard && head.commit && !guard.commitFailed && guard.tag !== undefined)
      writeCommandComplete(this.toClient.writer, guard.tag);
    if (guard?.exceeded) writeErrorResponse(this.toClient.writer, guard.exceeded);
    this.readyForQuery(frame);
    if (head.trace) this.finishTrace(head.trace);
    this.settleRowGuard();
  }

  /**
   * Fail the client's transaction block after a write went past its limit: an Execute of a
   * portal that does not exist (its error is dropped), then a Sync, whose ReadyForQuery `E`
   * the client gets.
   */
  private failBlock(guard: QueryGuard | undefined, trace: StatementTrace | undefined): void {
    const w = this.toUpstream.writer;
    writeExecute(w, POISON_PORTAL, 0);
    writeSync(w);
    this.pending.push({ kind: 'tx', guard, end: true, commit: false, trace });
  }

  /**
   * The end of a limited Execute's response. Within the limit it passes and the client's
   * next messages go on. Past it (or withheld), the batch is failed before anything after it
   * reaches the server, so its Sync rolls the write back (or fails the client's block): the
   * client gets the error in place of the CommandComplete, and the rest of its batch is
   * discarded up to Sync, as after any error.
   */
  private limitedExecuteEnded(
    frame: Frame,
    head: Extract<Pending, { kind: 'execute' }>,
    limit: RowLimit,
  ): void {
    let error = head.portal?.plan?.withheld;
    if (!error && frame.type === BackendCode.CommandComplete) {
      const { tag } = readCommandComplete(frame.body);
      const count = affectedRows(tag, limit.statement);
      if (count !== undefined && count > limit.limit)
        error = rowLimitExceeded(limit.limit, tag, count, limit.statement);
    }
    if (!error) {
      this.settleRowGuard();
      this.toClient.forwardFrame(frame);
      this.pop();
      return;
    }
    writeErrorResponse(this.toClient.writer, error);
    if (head.trace) head.trace.errorCode = error.code;
    this.pop();
    this.failLimitedBatch(undefined);
  }

  /**
   * Fail the batch a limited Execute ran in, before anything after it reaches the server; the
   * client's messages up to its Sync are discarded. `head`: the Execute, when it is still
   * the expectation at the head (a withheld result, dropped up to ReadyForQuery).
   */
  private failLimitedBatch(head: Extract<Pending, { kind: 'execute' }> | undefined): void {
    if (head) head.limit = undefined;
    if (this.rowGuard?.syncPassed) {
      // The batch's Sync is on its way: the block is failed once it is answered (guardedReady).
      if (head && this.pending[0] === head) this.shift();
      const sync = this.pending.find((p) => p.kind === 'sync');
      if (sync?.kind === 'sync') {
        sync.failBlock = true;
        return;
      }
    }
    this.settleRowGuard();
    writeExecute(this.toUpstream.writer, POISON_PORTAL, 0);
    this.pending.push({ kind: 'execute', replaceError: null });
    this.discarding = true;
  }

  /**
   * A COPY … TO STDOUT begins: its rows are masked through a CopyOutStream when it was
   * planned, after checking the server sends the format and columns the statement said.
   * Unplanned data with detector rules is scanned as text, which binary data is not; so is
   * text data planned for those rules alone whose columns are not what was planned (a
   * temporary table shadowing the table the catalog connection found, say).
   */
  private startCopyOut(frame: Frame, head: Pending | undefined): CopyOutStream | undefined {
    const planned = head?.kind === 'query' ? head.copy : undefined;
    if (!planned && !this.contextOf(head)?.hasTextRules) return undefined;
    const response = readCopyResponse(frame.body);
    if (!planned) {
      if (response.format !== 0)
        throw new PgProtocolError('cannot mask a binary COPY that was not planned', SqlState.InternalError);
      return undefined;
    }
    const binary = planned.options.format === 'binary' ? 1 : 0;
    if (response.format !== binary || response.columnFormats.length !== planned.rows.fields.length) {
      // Planned for detector and pattern rules alone, text data can still be scanned whole.
      if (!planned.context.hasColumnRules && response.format === 0 && head?.kind === 'query') {
        head.copy = undefined;
        return undefined;
      }
      throw new PgProtocolError(
        'cannot mask this COPY: the server sends another format or other columns than planned',
        SqlState.InternalError,
      );
    }
    return new CopyOutStream(planned, this.host.maxMessageSize, this.textSettings);
  }

  private relayRow(frame: Frame, plan: RowPlan | undefined): void {
    if (!plan || plan.passThrough) this.toClient.forwardFrame(frame);
    else if (plan.withheld) this.withhold(plan.withheld);
    // Rows no mask changes go out as the bytes they came in.
    else if (!maskDataRowBody(plan, frame.body, this.toClient.writer, this.textSettings))
      this.toClient.forwardFrame(frame);
  }

  /**
   * Refuse a result already running on the server: the client gets this error where the rows
   * would have been (as when a statement fails mid-result), and everything the server sends
   * until ReadyForQuery is dropped, as a client expects nothing else after an error.
   */
  private withhold(fields: NoticeFields): void {
    if (this.suppressing) return;
    writeErrorResponse(this.toClient.writer, fields);
    this.suppressing = true;
    const head = this.pending[0];
    if ((head?.kind === 'query' || head?.kind === 'execute') && head.trace)
      head.trace.errorCode = fields.code;
  }

  private pop(): void {
    const head = this.pending[0];
    if (
      head &&
      head.kind !== 'synthetic' &&
      head.kind !== 'sync' &&
      head.kind !== 'query' &&
      head.kind !== 'tx'
    )
      this.shift();
    this.releaseSynthetic();
  }

  /** Drop the head expectation; an answered Describe wakes whoever waits for it. */
  private shift(): Pending | undefined {
    const head = this.pending.shift();
    if (head?.kind === 'query' || head?.kind === 'execute') {
      this.noteSchemaChange(head);
      this.noteRan(head);
    }
    if (head?.kind === 'describe' && head.answered) for (const wake of head.answered.splice(0)) wake();
    return head;
  }

  private contextOf(head: Pending | undefined): MaskContext | undefined {
    if (!head) return undefined;
    if (head.kind === 'query') return head.mask;
    if (head.kind === 'execute') return head.portal?.statement.mask;
    if (head.kind === 'describe') return head.statement?.mask ?? head.portal?.statement.mask;
    return undefined;
  }

  /** The statement's mask; between statements, the session's standing one. */
  private noticeContext(head: Pending | undefined): MaskContext | undefined {
    return head?.kind === 'query' || head?.kind === 'execute' || head?.kind === 'describe'
      ? this.contextOf(head)
      : this.standingMask;
  }

  private taintSourceOf(head: Pending | undefined): TaintSource | undefined {
    if (head?.kind === 'query') return head.source;
    if (head?.kind === 'execute') return head.portal?.statement;
    if (head?.kind === 'describe') return head.statement ?? head.portal?.statement;
    return undefined;
  }

  /** Every decision's mask comes through here, so the standing mask follows the latest. */
  private maskFor(decision: Decision): MaskContext | undefined {
    const mask = this.host.maskContext(decision);
    if (mask?.hasTextRules) this.standingMask = mask;
    return mask;
  }

  /** A NOTIFY payload or a reported parameter (see side-channel.ts). */
  private relaySideChannel(frame: Frame, head: Pending | undefined): Promise<void> | undefined {
    if (frame.type === BackendCode.ParameterStatus) this.noteParameter(frame);
    return this.relayMasked(frame, head, writeMaskedSideChannel);
  }

  /** A message of data outside result rows, masked by `writeMasked`, or forwarded as it came. */
  private relayMasked(
    frame: Frame,
    head: Pending | undefined,
    writeMasked: (frame: Frame, mask: SideChannelMask, w: MessageWriter, encoding: TextEncoding) => boolean,
  ): Promise<void> | undefined {
    const write = (mask: SideChannelMask | undefined) => {
      const encoding = encodingAt(this.textSettings.encoding, frame.body, 0, frame.body.length);
      if (!mask || !writeMasked(frame, mask, this.toClient.writer, encoding))
        this.toClient.forwardFrame(frame);
    };
    const mask = this.sideChannelMask(head);
    if (mask instanceof Promise) return mask.then(write);
    write(mask);
    return undefined;
  }

  /**
   * How to mask what the server sends outside result rows: the running statement's mask, or
   * between statements the standing one. While a statement whose result may carry a masked
   * column runs, or after one in the same transaction (see noteRan), the value is masked as
   * that column, since no column can be named for it: `pg_notify` and `set_config` are
   * functions and so taint, and a statement naming a masked column can quote its values in an
   * error (`invalid input syntax for type integer: "…"`).
   */
  private sideChannelMask(
    head: Pending | undefined,
  ): SideChannelMask | undefined | Promise<SideChannelMask | undefined> {
    const context = this.noticeContext(head);
    const source = context?.hasColumnRules ? this.taintSourceOf(head) : undefined;
    const plain = context && { context };
    const ran = source && context ? [{ context, source }, ...this.ranInTransaction] : this.ranInTransaction;
    if (ran.length === 0) return plain;
    return this.firstCarried(ran).then((carried) => carried ?? plain);
  }

  /** A DECLAREd cursor, for the FETCHes of it (see fetchCarries). */
  private noteCursor(declare: StatementFacts): void {
    const name = declaredCursorName(declare.text);
    if (name === undefined) return;
    // Past the bound, forgotten cursors are judged as unknown ones: as carrying anything.
    if (this.cursors.size >= CURSORS_REMEMBERED && !this.cursors.has(name)) this.cursors.clear();
    this.cursors.set(name, { sql: declare.text, statements: [declare], unparsed: false });
  }

  /** The first of these statements whose result may carry a masked column, with that column. */
  private async firstCarried(ran: readonly RanStatement[]): Promise<Required<SideChannelMask> | undefined> {
    for (const { context, source } of ran) {
      const carries = await this.statementCarries(context, source);
      if (carries) return { context, carries };
    }
    return undefined;
  }

  /**
   * A statement that may change what the catalog says (DDL: a function, operator or view
   * created, a column renamed; or DO or CALL, which may run some) has run: what the session
   * learnt is forgotten now, and again once it is idle, when its transaction's DDL is visible
   * to the catalog connection.
   */
  private noteSchemaChange(head: Pending): void {
    const source = this.taintSourceOf(head);
    if (!source?.statements.some(mayChangeSchema)) return;
    this.schemaChanging = true;
    this.forgetCatalog();
  }

  /**
   * A new statement (Query, Parse, or Bind of a prepared one), while nothing is in flight: what
   * was learnt from the catalog longer ago than the option says (another session's DDL since
   * is not seen in it) is forgotten.
   */
  private trustCatalogStill(): void {
    if (this.pending.length > 0 || this.status !== TransactionStatus.Idle) return;
    const trust = this.host.options.catalogTrustMs ?? 60_000;
    if (performance.now() - this.catalogLearntSince > trust) this.forgetCatalog();
  }

  /** Forget what was learnt from the catalog, and every plan and taint answer made of it. */
  private forgetCatalog(): void {
    this.catalogLearntSince = performance.now();
    this.laneForget();
    this.columnCache.clear();
    this.rowPlans.clear();
    this.viewSourceCache.clear();
    this.relationCache.clear();
    this.operatorCache.clear();
    this.relationColumnCache.clear();
    this.functionNameCache.clear();
    this.viewTargetCache.clear();
    for (const statement of this.statements.values()) {
      delete statement.plans;
      delete statement.carries;
    }
    for (const cursor of this.cursors.values()) delete cursor.carries;
  }

  /**
   * A statement under column rules has run: until its transaction ends, a NOTIFY payload or a
   * reported parameter may come from it (the server sends both only at commit, or at the next
   * ReadyForQuery), so it is remembered for relaySideChannel.
   */
  private noteRan(head: Pending): void {
    const context = this.contextOf(head);
    if (!context?.hasColumnRules) return;
    const source = this.taintSourceOf(head);
    if (!source) return;
    for (const s of source.statements) if (s.type === 'declare') this.noteCursor(s);
    if (this.ranInTransaction.some((r) => r.source === source)) return;
    // A transaction of many distinct statements: past the bound they stand as one that may
    // carry anything (an unparsed source, fresh: statementCarries keeps its answer on it).
    if (this.ranInTransaction.length >= RAN_IN_TRANSACTION_LIMIT)
      this.ranInTransaction.splice(0, Infinity, {
        context,
        source: { sql: '', statements: [], unparsed: true },
      });
    else this.ranInTransaction.push({ context, source });
  }

  private currentPlan(head: Pending | undefined): RowPlan | undefined {
    if (head?.kind === 'query') return head.plan;
    if (head?.kind === 'execute' && head.portal) return this.portalRows(head.portal);
    return undefined;
  }

  /**
   * The plan a portal's rows go out by: its own, as the types the client was told allow (see
   * withToldTypes): the portal's own Describe, or for a portal never described, the last
   * description of its statement. They differ from the plan's when the policy changed since
   * (a resumed portal, a statement pgjdbc described once). Read when the rows come, so that a
   * Describe answered before them in the pipeline counts.
   */
  private portalRows(portal: PortalState): RowPlan | undefined {
    const plan = portal.plan;
    const told = portal.toldTypes ?? portal.statement.toldTypes;
    if (!plan?.clientFields || !told) return plan;
    const known = portal.toldPlan;
    if (known?.from === plan && known.told === told) return known.plan;
    const adjusted = withToldTypes(plan, told);
    portal.toldPlan = { from: plan, told, plan: adjusted };
    return adjusted;
  }

  private onUpstreamError(frame: Frame, head: Pending | undefined): Promise<void> | undefined {
    if (head?.kind === 'tx') {
      // The proxy's own statements fail only at COMMIT (a deferred constraint): the client's
      // write failed, as it would have without the proxy. The other errors are the proxy's.
      if (!head.commit || !head.guard) return undefined;
      head.guard.commitFailed = true;
      if (head.trace) head.trace.errorCode = readNoticeFields(frame.body).get(ErrorField.Code) ?? '';
      return this.relayMasked(frame, head, writeMaskedNotice);
    }
    if (head?.kind === 'execute' && head.limit) this.settleRowGuard();
    if (head?.kind === 'execute' && head.replaceError !== undefined) {
      if (head.replaceError) writeErrorResponse(this.toClient.writer, head.replaceError);
    } else {
      const work = this.relayMasked(frame, head, writeMaskedNotice);
      if (work) return work.then(() => this.skipFailedBatch(head));
    }
    this.skipFailedBatch(head);
    return undefined;
  }

  /** Extended protocol: after an error the server skips everything up to Sync; so do the expectations. */
  private skipFailedBatch(head: Pending | undefined): void {
    if (head?.kind === 'query' || head === undefined) return;
    while (this.pending.length > 0) {
      const h = this.pending[0] as Pending;
      if (h.kind === 'sync' || h.kind === 'synthetic' || h.kind === 'query') break;
      this.shift();
    }
  }

  /**
   * A result's columns: planned before they go to the client, which may be told of some of
   * them as another type (see `RowPlan.clientFields`), so the RowDescription waits for its
   * plan as the rows after it do.
   */
  private onRowDescription(frame: Frame, head: Pending | undefined): Promise<void> | undefined {
    if (head?.kind === 'describe') {
      this.pop();
      const { portal, statement } = head;
      const mask = portal ? portal.statement.mask : statement?.mask;
      const described = portal?.statement ?? statement;
      if (portal && mask) {
        // A portal described on every execution (libpq's PQexecPrepared): planned once.
        const known = this.rowPlans.get(mask, frame.body);
        if (known) {
          portal.statement.fields ??= statementFields(known.fields);
          portal.fields = known.fields as FieldDescription[];
          portal.plan = known;
          this.notePreflight(mask, portal.statement.sql, known.withheld ?? null);
          this.sendDescription(frame, known, portal.statement, known.fields, portal);
          return undefined;
        }
      }
      const fields = readRowDescription(frame.body);
      if (statement) {
        statement.fields = fields;
        delete statement.plans;
      }
      if (portal) {
        portal.fields = fields;
        // Its statement's columns, for a later portal of it that is not described: pgjdbc,
        // past its prepareThreshold, describes a portal of the named statement once, then
        // sends Bind and Execute alone.
        portal.statement.fields ??= statementFields(fields);
        delete portal.plan;
      }
      if (!mask || !described) {
        this.sendDescription(frame, undefined, described, fields, portal);
        return undefined;
      }
      // Copied: the plan may come after this frame's bytes are gone (a catalog lookup).
      const description = Buffer.from(frame.body);
      let plan: RowPlan | undefined;
      const work = portal
        ? this.planPortal(portal, (planned) => this.rowPlans.set(mask, description, planned))
        : // A statement's own Describe: planned as a portal of it bound with text results.
          this.planStatement(statement as StatementState, [], (planned) => {
            plan = planned;
          });
      if (!work) {
        this.sendDescription(frame, portal ? portal.plan : plan, described, fields, portal);
        return undefined;
      }
      return work.then(() =>
        this.sendDescription(description, portal ? portal.plan : plan, described, fields, portal),
      );
    }
    if (head?.kind === 'query') {
      const mask = head.mask;
      if (!mask) {
        this.toClient.forwardFrame(frame);
        return undefined;
      }
      const known = this.rowPlans.get(mask, frame.body);
      if (known) {
        head.plan = known;
        this.sendDescription(frame, known);
        if (known.withheld) this.withhold(known.withheld);
        return undefined;
      }
      // Copied: the plan may come after this frame's bytes are gone (a catalog lookup).
      const description = Buffer.from(frame.body);
      return this.planFor(mask, readRowDescription(frame.body), head.source, (plan) => {
        head.plan = plan;
        this.sendDescription(description, plan);
        // Only a withheld text is looked up again (see onQuery).
        if (plan.withheld && !plan.transient) this.notePreflight(mask, head.source.sql, plan.withheld);
        // A Query's result has no Describe before it: refuse it before any row goes out.
        if (plan.withheld) this.withhold(plan.withheld);
        this.rowPlans.set(mask, description, plan);
      });
    }
    this.toClient.forwardFrame(frame);
    return undefined;
  }

  /**
   * A RowDescription as its plan declares it to the client, or as the server sent it (its
   * `fields`); a Describe's answer is remembered on the statement described (see `toldTypes`).
   */
  private sendDescription(
    received: Frame | Buffer,
    plan: RowPlan | undefined,
    described?: StatementState,
    fields?: readonly FieldDescription[],
    portal?: PortalState,
  ): void {
    if (described) {
      const told = plan?.clientFields ?? fields;
      // Described on every execution (libpq's PQexecPrepared): the same types, kept as they are.
      if (!told) delete described.toldTypes;
      else if (!sameTypes(described.toldTypes, told)) described.toldTypes = told.map((f) => f.typeOid);
      if (portal) {
        if (described.toldTypes) portal.toldTypes = described.toldTypes;
        else delete portal.toldTypes;
      }
    }
    if (plan?.clientFields) writeRowDescription(this.toClient.writer, plan.clientFields);
    else if (Buffer.isBuffer(received))
      this.toClient.writer.begin(BackendCode.RowDescription).bytes(received).end();
    else this.toClient.forwardFrame(received);
  }

  /**
   * Build the row plan for a result, resolving its columns through the catalog first when a
   * column rule needs table names. Returns a promise only when a lookup is needed. An
   * Execute's portal gets its plan lazily: see `planPortal`.
   */
  private planFor(
    mask: MaskContext,
    fields: readonly FieldDescription[],
    source: TaintSource,
    done: (plan: RowPlan) => void,
  ): Promise<void> | undefined {
    // Detectors read binary values by their types' layouts: types the server's own table does
    // not list are looked up first (once per upstream database: see SessionHost.typeShapes).
    const unknown = mask.hasTextRules ? this.types.unknown(fields.map((f) => f.typeOid)) : [];
    if (unknown.length === 0) return this.planColumns(mask, fields, source, done, { types: this.types });
    return this.learnTypes(unknown).then((learned) =>
      this.planColumns(mask, fields, source, done, {
        types: this.types,
        ...(learned ? {} : TYPES_UNKNOWN),
      }),
    );
  }

  /**
   * Look these types up in the catalog, and the types they are made of. False when the catalog
   * could not be read: their values are then NULL under detector masks (see binary-values.ts).
   */
  private async learnTypes(oids: readonly number[]): Promise<boolean> {
    try {
      let next = oids;
      for (let round = 0; next.length > 0 && round < MAX_TYPE_ROUNDS; round++)
        next = this.types.learn(await this.catalogClient().types(next));
      return true;
    } catch (err) {
      this.host.logger?.warn?.({ sessionId: this.id, err }, 'result types could not be looked up');
      return false;
    }
  }

  /** `planFor` once the result's types are known. */
  private planColumns(
    mask: MaskContext,
    fields: readonly FieldDescription[],
    source: TaintSource,
    done: (plan: RowPlan) => void,
    flags: PlanFlags,
  ): Promise<void> | undefined {
    if (!mask.hasColumnRules) {
      done(
        createRowPlan(
          mask,
          fields,
          fields.map((f) => ({ column: f.name })),
          flags,
        ),
      );
      return undefined;
    }
    const missing = fields.filter(
      (f) => f.tableOid !== 0 && !this.columnCache.has(columnKey(f.tableOid, f.attributeNumber)),
    );
    if (missing.length === 0) {
      const descriptors = this.describe(mask, fields);
      const picked = pickedColumns(mask, descriptors);
      if (!fields.some((f, i) => !picked[i] && this.unresolved(f))) {
        done(createRowPlan(mask, fields, descriptors, flags));
        return undefined;
      }
    }
    return this.buildPlan(mask, fields, source, missing, flags)
      .catch((err: unknown) => this.unplannable(mask, fields, err))
      .then(done);
  }

  /**
   * The plan for a result whose columns the catalog could not resolve (a lookup timed out or
   * failed): nothing tells which of them a column mask picks, so the rows are withheld.
   */
  private unplannable(mask: MaskContext, fields: readonly FieldDescription[], err: unknown): RowPlan {
    this.host.logger?.warn?.({ sessionId: this.id, err }, 'result columns could not be resolved');
    const reason = err instanceof Error ? err.message : String(err);
    return createRowPlan(
      mask,
      fields,
      fields.map((f) => ({ column: f.name })),
      {
        statementBound: true,
        transient: true,
        withheld: {
          severity: 'ERROR',
          code: SqlState.InsufficientPrivilege,
          message:
            "permission denied by policy: the result is withheld, as its columns' tables could not be looked up",
          detail: `portcullis.pg.catalog_unavailable: ${reason}`,
          hint: "Run it again. If it waits on this session's own transaction (a lock it holds, or a server that runs one transaction at a time), run it once outside a transaction first.",
        },
      },
    );
  }

  /** A result column no column rule can be matched to by its table (see unresolved-columns.ts). */
  private unresolved(f: FieldDescription): boolean {
    if (f.tableOid === 0) return true;
    const c = this.columnCache.get(columnKey(f.tableOid, f.attributeNumber));
    return c === undefined || !BASE_RELATION_KINDS.has(c.kind ?? '') || holdsSampleValues(c);
  }

  private async buildPlan(
    mask: MaskContext,
    fields: readonly FieldDescription[],
    source: TaintSource,
    missing: readonly FieldDescription[],
    flags: PlanFlags,
  ): Promise<RowPlan> {
    if (missing.length > 0) await this.resolveColumns(missing);
    const descriptors = this.describe(mask, fields);
    const picked = pickedColumns(mask, descriptors);
    const mode = this.host.options.unresolvedColumns ?? DEFAULT_UNRESOLVED_COLUMNS;
    let withheld: string | undefined;
    let statementBound = false;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as FieldDescription;
      if (picked[i] || !this.unresolved(f)) continue;
      const c = f.tableOid === 0 ? undefined : this.columnCache.get(columnKey(f.tableOid, f.attributeNumber));
      let carries: ColumnDescriptor | undefined;
      if (c && holdsSampleValues(c)) {
        carries = anyMaskedColumn(mask);
      } else if (c && (c.kind === 'v' || c.kind === 'm')) {
        // A plain column of a view is the column it reads: masked (or not) as that column.
        const traced = await this.traceViewColumn(mask, f.tableOid, f.attributeNumber);
        if (traced) {
          descriptors[i] = traced;
          continue;
        }
        carries = await this.viewCarries(mask, f.tableOid);
      } else if (c && c.kind !== undefined && c.kind !== '') {
        // A sequence, a composite type's relation …: stores its own values, like a table.
        continue;
      } else {
        statementBound = true;
        carries = await this.statementCarries(mask, source);
      }
      if (!carries) continue;
      if (mode === 'deny') {
        withheld ??= f.name;
      } else {
        // An expression over the column, or a view's computed column: not the column's value.
        descriptors[i] = { ...carries, derived: true };
      }
    }
    return createRowPlan(mask, fields, descriptors, {
      ...flags,
      statementBound: statementBound || flags.statementBound === true,
      ...(withheld !== undefined ? { withheld: unresolvedDenied(withheld) } : {}),
    });
  }

  /** Sources of views, per session: a view's definition rarely changes within a session. */
  private readonly viewSourceCache = new Map<number, DerivedSources>();
  /** Relations named in statements, per session; null when the catalog does not know the name. */
  private readonly relationCache = new Map<string, NamedRelation | null>();
  /** Operator names, per session: whether one of that name runs a function of the user's. */
  private readonly operatorCache = new Map<string, boolean>();
  /**
   * Columns of the relations statements name (for a star, and for composite columns), per
   * session; null when the catalog does not know the name.
   */
  private readonly relationColumnCache = new Map<string, ResolvedColumn[] | null>();
  /**
   * Function names called bare, per session: whether a call by that name may run a function
   * that is not the server's own.
   */
  private readonly functionNameCache = new Map<string, boolean>();

  private readonly viewTargetCache = new Map<number, ViewColumns>();

  private async viewColumns(oid: number): Promise<ViewColumns> {
    let columns = this.viewTargetCache.get(oid);
    if (!columns) {
      columns = await this.catalogClient().viewTargets(oid);
      this.viewTargetCache.set(oid, columns);
    }
    return columns;
  }

  /**
   * The stored column a view's column reads, through views of views, when it is a plain
   * column all the way down; undefined for an expression or anything not traced without doubt.
   */
  private async traceViewColumn(
    mask: MaskContext,
    oid: number,
    attnum: number,
  ): Promise<ColumnDescriptor | undefined> {
    let key = { tableOid: oid, attributeNumber: attnum };
    for (let depth = 0; depth < 16; depth++) {
      const origin = (await this.viewColumns(key.tableOid)).targets.get(key.attributeNumber);
      if (!origin) return undefined;
      const k = columnKey(origin.tableOid, origin.attributeNumber);
      if (!this.columnCache.has(k)) {
        await this.resolveColumns([origin]);
      }
      const c = this.columnCache.get(k);
      // Sample values are not the column they are named by: the view's reads decide.
      if (!c || holdsSampleValues(c)) return undefined;
      if (BASE_RELATION_KINDS.has(c.kind ?? '')) return storedColumn(mask, c);
      if (c.kind !== 'v' && c.kind !== 'm') return undefined;
      key = origin;
    }
    return undefined;
  }

  private async viewSources(oid: number): Promise<DerivedSources> {
    let sources = this.viewSourceCache.get(oid);
    if (!sources) {
      const found = await this.catalogClient().viewSources([oid]);
      sources = found.get(oid) ?? { columns: [], opaque: true };
      this.viewSourceCache.set(oid, sources);
    }
    return sources;
  }

  /** The masked column a view's results may carry, if any. */
  private async viewCarries(mask: MaskContext, oid: number): Promise<ColumnDescriptor | undefined> {
    const sources = await this.viewSources(oid);
    if (sources.opaque || sources.columns.some(holdsSampleValues)) return anyMaskedColumn(mask);
    return firstPicked(
      mask,
      sources.columns.map((c) => ({
        table: `${quoteIdent(c.schema)}.${quoteIdent(c.table)}`,
        column: c.column,
      })),
    );
  }

  /**
   * The masked column a statement may take from a view it reads, by the view's columns it
   * names: a plain column is the column it reads, masked or not; a computed one, or any column
   * the statement may read without naming it, may carry whatever the view reads.
   */
  private async viewReadCarries(
    mask: MaskContext,
    oid: number,
    refs: ViewColumnRefs,
  ): Promise<ColumnDescriptor | undefined> {
    const carries = await this.viewCarries(mask, oid);
    if (!carries || refs.all) return carries;
    // A plan shows no values, except where the planner folded a function to a constant.
    if (refs.explained && (await this.viewSources(oid)).opaque) return carries;
    const columns = await this.viewColumns(oid);
    if (columns.numbers.size === 0) return carries;
    for (const [name, qualified] of refs.names) {
      const attnum = columns.numbers.get(name);
      if (attnum === undefined) {
        // A bare name is another relation's; one the statement gives this view's name is not
        // a column the catalog knows of it (a name spelt in another case, say).
        if (qualified) return carries;
        continue;
      }
      const traced = await this.traceViewColumn(mask, oid, attnum);
      if (!traced) return carries;
      const picked = firstPicked(mask, [traced]);
      if (picked) return picked;
    }
    return undefined;
  }

  /** The masked column an expression column of this statement's results may carry, if any. */
  private statementCarries(mask: MaskContext, source: TaintSource): Promise<ColumnDescriptor | undefined> {
    // Not kept on the source: the cursor a FETCH reads may be declared again meanwhile.
    if (source.statements.some((s) => s.type === 'fetch')) return this.fetchCarries(mask, source);
    if (this.schemaChanging) return Promise.resolve(anyMaskedColumn(mask));
    if (source.carries) return source.carries;
    const carries = (async () => {
      if (source.unparsed) return anyMaskedColumn(mask);
      const facts = factsTaint(mask, source.statements);
      if (facts.carries) return facts.carries;
      const named = [...new Set([...facts.relations, ...facts.stars])];
      const unknown = {
        relations: named.filter((n) => !this.relationCache.has(n)),
        operators: facts.operators.filter((n) => !this.operatorCache.has(n)),
        functions: facts.functions.filter((n) => !this.functionNameCache.has(n)),
        // Every relation's columns, not only those read whole: a composite column named in an
        // expression carries its fields (see below).
        columns: named.filter((n) => !this.relationColumnCache.has(n)),
      };
      const asked =
        unknown.relations.length +
        unknown.operators.length +
        unknown.functions.length +
        unknown.columns.length;
      if (asked > 0) {
        const found = await this.catalogClient().taintLookup(unknown);
        for (const n of unknown.relations) this.relationCache.set(n, found.relations.get(n) ?? null);
        for (const n of unknown.operators) this.operatorCache.set(n, found.operators.has(n));
        for (const n of unknown.functions) this.functionNameCache.set(n, !found.systemFunctions.has(n));
        for (const n of unknown.columns) this.relationColumnCache.set(n, found.columns.get(n) ?? null);
      }
      if (facts.operators.some((n) => this.operatorCache.get(n) !== false)) return anyMaskedColumn(mask);
      if (facts.functions.some((n) => this.functionNameCache.get(n) !== false)) return anyMaskedColumn(mask);
      for (const name of named) {
        const relation = this.relationCache.get(name);
        // A name the catalog connection cannot resolve (a temporary table, another
        // search_path): what it holds is unknown.
        if (!relation || STATISTICS_CATALOG_OIDS.has(relation.oid)) return anyMaskedColumn(mask);
        if (relation.kind === 'v' || relation.kind === 'm') {
          const carries = await this.viewReadCarries(
            mask,
            relation.oid,
            viewColumnRefs(source.statements, name),
          );
          if (carries) return carries;
        }
      }
      // Every column of a table the statement reads whole: a masked one among them taints.
      for (const name of facts.stars) {
        const columns = this.relationColumnCache.get(name);
        if (!columns) return anyMaskedColumn(mask);
        const carries = firstPicked(
          mask,
          columns.map((c) => storedColumn(mask, c)),
        );
        if (carries) return carries;
      }
      // A composite column it names (`creds::text`, `concat(creds)`): a masked field of it taints.
      for (const name of named) {
        const composites = this.relationColumnCache.get(name)?.filter((c) => c.fields) ?? [];
        if (composites.length === 0) continue;
        const refs = viewColumnRefs(source.statements, name);
        for (const c of composites) {
          if (!refs.names.has(c.column)) continue;
          const carries = firstPicked(mask, [storedColumn(mask, c)]);
          if (carries) return carries;
        }
      }
      return undefined;
    })();
    source.carries = carries;
    // A failed lookup is not kept: the next statement of this source looks again.
    carries.catch(() => {
      if (source.carries === carries) delete source.carries;
    });
    return carries;
  }

  /**
   * A FETCH's rows come from its cursor's query: judged by the DECLARE this session ran (see
   * noteRan), or, for a cursor it did not see declared (one a function opened), as carrying
   * any masked column.
   */
  private async fetchCarries(mask: MaskContext, source: TaintSource): Promise<ColumnDescriptor | undefined> {
    for (const s of source.statements) {
      if (s.type !== 'fetch') continue;
      const name = fetchedCursorName(s.text);
      const declared = name === undefined ? undefined : this.cursors.get(name);
      if (!declared) return anyMaskedColumn(mask);
      const carries = await this.statementCarries(mask, declared);
      if (carries) return carries;
    }
    const rest = source.statements.filter((s) => s.type !== 'fetch');
    return rest.length === 0 ? undefined : this.statementCarries(mask, { ...source, statements: rest });
  }

  /**
   * The session's catalog connection, opened on first use. A closed session gets a client that
   * is already closed, so a lookup still in flight when the session ends opens nothing.
   */
  private catalogClient(): CatalogClient {
    if (this.catalog === undefined) {
      this.catalog = new CatalogClient(
        this.host.options.upstream,
        this.upstreamStartup,
        this.host.maxMessageSize,
        this.host.catalogPool,
      );
      if (this.phase === 'closed') this.catalog.close();
    }
    return this.catalog;
  }

  private async resolveColumns(
    fields: readonly { tableOid: number; attributeNumber: number }[],
  ): Promise<void> {
    const resolved = await this.catalogClient().resolve(
      fields.map((f) => ({ tableOid: f.tableOid, attributeNumber: f.attributeNumber })),
    );
    for (const [k, v] of resolved) this.columnCache.set(k, v);
  }

  private describe(mask: MaskContext, fields: readonly FieldDescription[]): ColumnDescriptor[] {
    return fields.map((f) => {
      if (f.tableOid === 0) return { table: null, column: f.name };
      const c = this.columnCache.get(columnKey(f.tableOid, f.attributeNumber));
      // A column the catalog does not know (dropped meanwhile): match rules by its name in any table.
      if (!c) return { table: null, column: f.name };
      return storedColumn(mask, c);
    });
  }

  // -------------------------------------------------------------------------------------
  // Writing, failing, closing
  // -------------------------------------------------------------------------------------

  private flushClient(): void {
    const out = this.toClient.take();
    if (!out || this.client.destroyed) return;
    const io = this.clientIo;
    if (io) {
      if (!io.write(io.pending ? Buffer.from(out) : out) && this.upstreamGate)
        this.holdIfBacklogged(this.upstreamGate, 'client-drain', io);
      return;
    }
    if (!this.client.write(out) && this.upstreamGate) {
      // A slow client: stop reading from the server until the client catches up.
      const gate = this.upstreamGate;
      gate.hold('client-drain');
      this.client.once('drain', () => gate.release('client-drain'));
    }
  }

  private flushUpstream(): void {
    const out = this.toUpstream.take();
    const socket = this.upstream?.socket;
    if (!out || !socket || socket.destroyed) return;
    const io = this.upstreamIo;
    if (io) {
      if (!io.write(io.pending ? Buffer.from(out) : out))
        this.holdIfBacklogged(this.clientGate, 'upstream-drain', io);
      return;
    }
    if (!socket.write(out)) {
      this.clientGate.hold('upstream-drain');
      socket.once('drain', () => this.clientGate.release('upstream-drain'));
    }
  }

  /**
   * A direct write was queued: past DIRECT_WRITE_BACKLOG bytes waiting, stop the other side's
   * reads until the queue is empty (a stream socket's write returning false, in effect).
   * Behind a queued write, a write is queued too, so it is given a copy (see flushClient): only
   * the write that first went to the queue holds a view of a read buffer, and so only one read
   * buffer per backlog is kept from reuse by a write, however small the reads behind it.
   */
  private holdIfBacklogged(gate: FlowGate, reason: string, io: DirectSocket): void {
    if (io.queuedBytes < DIRECT_WRITE_BACKLOG) return;
    gate.hold(reason);
    io.onDrain = () => gate.release(reason);
  }

  /** Any error escaping a handler: a protocol error is answered, anything else logged. */
  private fail(err: unknown): void {
    if (this.phase === 'closed') return;
    if (isPgProtocolError(err)) {
      this.host.logger?.info?.({ sessionId: this.id, err }, 'protocol violation from client');
      this.fatal(protocolViolation(err.message, err.sqlstate));
      return;
    }
    if (err instanceof UpstreamError) {
      // A catalog lookup the statement could not go without (see catalog-client.ts).
      this.host.logger?.warn?.({ sessionId: this.id, err }, 'pg session ended: upstream failure');
      this.fatal({
        severity: 'FATAL',
        code: SqlState.InternalError,
        message: `the proxy could not read the server's catalog: ${err.message}`,
      });
      return;
    }
    this.host.logger?.error?.({ sessionId: this.id, err }, 'pg session failed');
    this.fatal({ severity: 'FATAL', code: SqlState.InternalError, message: 'internal error in the proxy' });
  }

  /** Send a FATAL error and close the connection. */
  private fatal(fields: NoticeFields): void {
    if (this.phase === 'closed') return;
    this.flushClient();
    if (!this.client.destroyed) {
      const w = new MessageWriter(256);
      writeErrorResponse(w, fields);
      this.client.end(w.flush());
    }
    this.close();
  }

  close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    // Before the sockets close: the lane watches duplicates of their descriptors.
    this.laneEnd();
    // Statements cut off mid-response still get their completion record; nothing waits on.
    this.wakeReadyWaiters();
    this.settleRowGuard();
    for (const p of this.pending) {
      if (p.kind === 'describe' && p.answered) for (const wake of p.answered.splice(0)) wake();
      if ((p.kind === 'query' || p.kind === 'execute' || p.kind === 'tx') && p.trace?.start !== undefined) {
        p.trace.errorCode ??= SqlState.ConnectionFailure;
        this.finishTrace(p.trace);
      }
    }
    const backlog = this.host.auditBacklog;
    if (backlog) {
      // The session will not write again: what it kept, then its last record, go to the
      // proxy, in order, after any write of them under way.
      const last = this.recording ? this.sessionRecord('session_end') : undefined;
      this.recording = false;
      const handOver = () =>
        backlog.add(last ? [...this.unwritten.splice(0), last] : this.unwritten.splice(0));
      if (this.writingUnwritten) this.writingUnwritten.then(handOver, handOver);
      else handOver();
    }
    this.held?.abort.abort();
    clearTimeout(this.authTimer);
    // Give a FATAL already handed to `end` its chance to go out; destroy anything left.
    if (!this.client.writableEnded) this.client.destroy();
    else this.client.setTimeout(1000, () => this.client.destroy());
    this.upstream?.socket.destroy();
    this.catalog?.close();
    this.host.closed(this);
  }

  /**
   * A portal's plan: from Describe of the portal, else of its statement with Bind's formats.
   * `planned` sees a plan made from the portal's own description.
   */
  private planPortal(portal: PortalState, planned?: (plan: RowPlan) => void): Promise<void> | undefined {
    const mask = portal.statement.mask;
    if (!mask || portal.plan) return undefined;
    if (portal.fields) {
      return this.planFor(mask, portal.fields, portal.statement, (plan) => {
        portal.plan = plan;
        if (plan.transient) return;
        this.notePreflight(mask, portal.statement.sql, plan.withheld ?? null);
        planned?.(plan);
      });
    }
    return this.planStatement(portal.statement, portal.resultFormats, (plan) => {
      portal.plan = plan;
    });
  }

  /**
   * The plan of a statement's result under a Bind's result formats, from the statement's own
   * columns. A prepared statement executed over and over is planned once per set of formats.
   * `done` is not called when the statement has no mask or no known columns.
   */
  private planStatement(
    statement: StatementState,
    formats: readonly number[],
    done: (plan: RowPlan) => void,
  ): Promise<void> | undefined {
    const mask = statement.mask;
    const fields = statement.fields;
    if (!mask || !fields) return undefined;
    const key = formats.join(',');
    const known = statement.plans?.get(key);
    if (known) {
      done(known);
      return undefined;
    }
    return this.planFor(mask, fields, statement, (plan) => {
      const derived = withResultFormats(plan, formats);
      done(derived);
      if (plan.transient) return;
      this.notePreflight(mask, statement.sql, plan.withheld ?? null);
      if (statement.fields !== fields) return;
      statement.plans ??= new Map();
      statement.plans.set(key, derived);
    });
  }
}

function sameTypes(types: readonly number[] | undefined, fields: readonly FieldDescription[]): boolean {
  if (types?.length !== fields.length) return false;
  for (let i = 0; i < fields.length; i++) if (types[i] !== fields[i]?.typeOid) return false;
  return true;
}

/**
 * A statement's result columns, from a RowDescription of one of its portals: the same columns
 * (a prepared statement's result cannot change while it exists), formats as a Describe of the
 * statement reports them, since each later Bind chooses its own.
 */
function statementFields(fields: readonly FieldDescription[]): FieldDescription[] {
  return fields.map((f) => (f.format === 0 ? f : { ...f, format: 0 }));
}

/** Only code points below 0x80: text every client_encoding PostgreSQL accepts reads the same. */
/** Bytes to pass on as they are, as a Frame (OutputBatch.forwardFrame reads only where they lie). */
function rawBytes(bytes: Buffer): Frame {
  return new Frame(0, bytes, 0, bytes.length, 0);
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * A remembered decision as this statement's own, for the audit record: a fresh id and time,
 * this text, and `cached` so the record says the policy was not run again. With `parts`, a
 * decision another session made, now with this session's subject, resource and session
 * (without approvals: decisions are shared only between sessions that have none).
 */
function reused(known: DecisionResult, sql: string, now: number, parts?: SessionInputParts): DecisionResult {
  const input = known.input;
  const facts = input.action.sql;
  return {
    id: randomUUID(),
    decision: known.decision,
    input: {
      ...input,
      ...(parts && {
        subject: parts.subject,
        resource: parts.resource,
        session: { ...parts.session, approvals: [] },
      }),
      time: new Date(now).toISOString(),
      action: facts ? { ...input.action, sql: { ...facts, raw: sql } } : input.action,
    },
    evaluation: { ...known.evaluation, durationMs: 0, factsMs: 0, cached: true },
  };
}

/** COPY through the extended protocol is not masked: refused when masks apply. */
function extendedDecision(verdict: Verdict): Decision {
  const { decision } = verdict;
  if (decision.effect === 'allow' && decision.masks.length > 0 && hasCopy(verdict.statements))
    return maskUnenforceable('COPY through the extended protocol');
  return decision;
}

/** Statements with side effects whose result could be RETURNING rows (COPY is planned apart). */
function writesOf(statements: readonly StatementFacts[]): StatementFacts[] {
  return statements.filter(
    (s) => s.type !== 'copy' && (s.category === 'write' || s.inner.some((i) => i.category === 'write')),
  );
}

/**
 * A write statement returns rows only through RETURNING (a statement around a write, such as
 * a SELECT over a CTE that writes, returns its own). The keyword has no other spelling, so
 * its absence from the text is proof; its presence in a literal only costs a description.
 */
function mayReturnRows(s: StatementFacts): boolean {
  return s.category !== 'write' || /\breturning\b/i.test(s.text);
}

/** A statement that writes and may return rows (see mayReturnRows): one to describe first. */
function hasRowsOfWrite(statements: readonly StatementFacts[]): boolean {
  for (const s of statements)
    if (
      s.type !== 'copy' &&
      (s.category === 'write' || s.inner.some((i) => i.category === 'write')) &&
      mayReturnRows(s)
    )
      return true;
  return false;
}

/**
 * A limited write's response does not end at its own ReadyForQuery when the proxy still has to
 * end its transaction (COMMIT, ROLLBACK) or fail the client's block: its record waits for that.
 */
function deferredEnd(guard: QueryGuard | undefined): boolean {
  return guard !== undefined && (guard.began || guard.exceeded !== undefined);
}

/** COPY FROM STDIN data, which a limited COPY needs while its count is awaited. */
function isCopyInput(type: number): boolean {
  return type === FrontendCode.CopyData || type === FrontendCode.CopyDone || type === FrontendCode.CopyFail;
}

function hasCopy(statements: readonly StatementFacts[]): boolean {
  return statements.some((s) => s.type === 'copy' || s.inner.some((i) => i.type === 'copy'));
}

function maskUnenforceable(why?: string): Decision {
  return {
    effect: 'deny',
    reasons: [
      {
        rule: 'portcullis.pg.mask_unenforceable',
        message: `masks cannot be applied to this COPY${why ? `: ${why}` : ''}`,
      },
    ],
    masks: [],
  };
}

/** A result withheld for an unresolved column, as a decision (refused before it runs). */
function withheldDecision(fields: NoticeFields): Decision {
  const prefix = 'permission denied by policy: ';
  const message = fields.message.startsWith(prefix) ? fields.message.slice(prefix.length) : fields.message;
  return { effect: 'deny', reasons: [{ rule: 'portcullis.pg.unresolved_column', message }], masks: [] };
}

/** Why the catalog connection could not describe a statement, masked (it may quote the text). */
function describeFailure(err: unknown, mask: MaskContext): string {
  const message =
    err instanceof Error ? err.message.replace(/^catalog lookup failed: /, '') : 'unknown error';
  return mask.masker.maskText(message);
}

/** A COPY column as a result column would be described (text format; binary set by the plan). */
function copyField(name: string, typeOid: number): FieldDescription {
  return { name, tableOid: 0, attributeNumber: 0, typeOid, typeSize: -1, typeModifier: -1, format: 0 };
}

/** Rows returned or affected, from a CommandComplete tag (`SELECT 2`, `INSERT 0 1`); none for `CREATE TABLE`. */
function rowCount(tag: string): number | undefined {
  const m = /^(?:SELECT|INSERT \d+|UPDATE|DELETE|MERGE|COPY|FETCH|MOVE) (\d+)$/.exec(tag);
  return m ? Number(m[1]) : undefined;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Text that may be a lone `EXECUTE`: the cheap test before the full one (see sql-execute.ts). */
const EXECUTE_START = /^\s*execute\s/i;

/** A ReadyForQuery's status byte, read in place: every transaction ends with one of these. */
function transactionStatus(frame: Frame): number {
  return frame.length === 6
    ? (frame.source[frame.start + 5] as number)
    : readReadyForQuery(frame.body).status;
}

/** A write that may return a masked column, refused because it could not be checked first. */
function uncheckedWrite(why: string): NoticeFields {
  return {
    severity: 'ERROR',
    code: SqlState.InsufficientPrivilege,
    message:
      'permission denied by policy: the statement may return a masked column and cannot be checked before it runs',
    detail: `portcullis.pg.unresolved_column: ${why}`,
  };
}

function unresolvedDenied(column: string): NoticeFields {
  return {
    severity: 'ERROR',
    code: SqlState.InsufficientPrivilege,
    message: `permission denied by policy: result column "${column}" may carry a masked column`,
    detail:
      'portcullis.pg.unresolved_column: the column is an expression, or comes from a view or function, ' +
      'and a masked column may flow into it; select the table column itself so its mask applies',
  };
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/**
 * DDL, or a DO block or procedure, which may run some. (A prepared statement cannot be DDL, so
 * EXECUTE is not; DDL a function runs when a SELECT calls it is not seen.)
 */
/** The transaction statuses the native lane runs in: idle, and in a block (not failed). */
function laneStatus(status: number | undefined): boolean {
  return status === TransactionStatus.Idle || status === TransactionStatus.InTransaction;
}

/** A limited write's command tag within its limit, as limitedExecuteEnded reads it. */
function withinRowLimit(tag: string, limit: RowLimit): boolean {
  const count = affectedRows(tag, limit.statement);
  return count === undefined || count <= limit.limit;
}

function mayChangeSchema(s: StatementFacts): boolean {
  return s.category === 'ddl' || s.type === 'do' || s.type === 'call';
}

/**
 * The descriptor a stored column is masked by: itself, or, when no column rule picks it and its
 * values are composites (`creds login`, a row of another table), the first of their fields one
 * picks, by name in any table: `(ada,hunter2)` holds a password that no column is named for.
 */
function storedColumn(mask: MaskContext, c: ResolvedColumn): ColumnDescriptor {
  const own = { table: `${quoteIdent(c.schema)}.${quoteIdent(c.table)}`, column: c.column };
  if (!c.fields || firstPicked(mask, [own])) return own;
  const field = firstPicked(
    mask,
    c.fields.map((column) => ({ table: null, column })),
  );
  // The composite's text holds its other fields too.
  return field ? { ...field, derived: true } : own;
}
