/**
 * Message type bytes of the PostgreSQL frontend/backend protocol 3.0, as `as const` maps so a
 * switch over them is checked. Each entry names the message it introduces; the formats are in
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** Messages a client (frontend) sends, by their type byte. */
export const FrontendCode = {
  /** Bind: bind parameters to a prepared statement, creating a portal. */
  Bind: 0x42, // 'B'
  /** Close: close a prepared statement ('S') or a portal ('P'). */
  Close: 0x43, // 'C'
  /** Describe: describe a prepared statement ('S') or a portal ('P'). */
  Describe: 0x44, // 'D'
  /** Execute: run a portal, optionally with a row limit. */
  Execute: 0x45, // 'E'
  /** FunctionCall: the fast-path function call interface (no SQL text). */
  FunctionCall: 0x46, // 'F'
  /** Flush: ask the server to send what it has buffered. */
  Flush: 0x48, // 'H'
  /** Parse: create a prepared statement from SQL text. */
  Parse: 0x50, // 'P'
  /** Query: the simple query protocol; one or more statements in one string. */
  Query: 0x51, // 'Q'
  /** Sync: end of an extended-protocol batch; the server answers ReadyForQuery. */
  Sync: 0x53, // 'S'
  /** Terminate: the client is going away. */
  Terminate: 0x58, // 'X'
  /** CopyDone: end of COPY FROM STDIN data (shared with the backend). */
  CopyDone: 0x63, // 'c'
  /** CopyData: a chunk of COPY data (shared with the backend). */
  CopyData: 0x64, // 'd'
  /** CopyFail: the client aborts COPY FROM STDIN. */
  CopyFail: 0x66, // 'f'
  /**
   * PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse all share 'p'; which
   * one it is follows from the authentication request that preceded it.
   */
  Password: 0x70, // 'p'
} as const;
export type FrontendCode = (typeof FrontendCode)[keyof typeof FrontendCode];

/** Messages the server (backend) sends, by their type byte. */
export const BackendCode = {
  /** ParseComplete. */
  ParseComplete: 0x31, // '1'
  /** BindComplete. */
  BindComplete: 0x32, // '2'
  /** CloseComplete. */
  CloseComplete: 0x33, // '3'
  /** NotificationResponse: a NOTIFY delivered to a LISTENing session. */
  NotificationResponse: 0x41, // 'A'
  /** CommandComplete: a statement finished; carries its tag (`SELECT 3`). */
  CommandComplete: 0x43, // 'C'
  /** DataRow: one result row. */
  DataRow: 0x44, // 'D'
  /** ErrorResponse: fields keyed by a type byte, SQLSTATE in 'C'. */
  ErrorResponse: 0x45, // 'E'
  /** CopyInResponse: the server is ready for COPY FROM STDIN data. */
  CopyInResponse: 0x47, // 'G'
  /** CopyOutResponse: COPY TO STDOUT data follows. */
  CopyOutResponse: 0x48, // 'H'
  /** EmptyQueryResponse: the query string was empty. */
  EmptyQueryResponse: 0x49, // 'I'
  /** BackendKeyData: process id and secret key, for CancelRequest. */
  BackendKeyData: 0x4b, // 'K'
  /** NoticeResponse: same fields as ErrorResponse, not an error. */
  NoticeResponse: 0x4e, // 'N'
  /** Authentication*: an int32 sub-code says which (see AuthCode). */
  Authentication: 0x52, // 'R'
  /** ParameterStatus: a run-time parameter's current value. */
  ParameterStatus: 0x53, // 'S'
  /** RowDescription: the columns of the rows that follow. */
  RowDescription: 0x54, // 'T'
  /** FunctionCallResponse. */
  FunctionCallResponse: 0x56, // 'V'
  /** CopyBothResponse: streaming replication only. */
  CopyBothResponse: 0x57, // 'W'
  /** ReadyForQuery: carries the transaction status ('I', 'T' or 'E'). */
  ReadyForQuery: 0x5a, // 'Z'
  /** CopyDone. */
  CopyDone: 0x63, // 'c'
  /** CopyData. */
  CopyData: 0x64, // 'd'
  /** NoData: the statement or portal returns no rows. */
  NoData: 0x6e, // 'n'
  /** PortalSuspended: Execute's row limit was reached. */
  PortalSuspended: 0x73, // 's'
  /** ParameterDescription: the parameter types of a prepared statement. */
  ParameterDescription: 0x74, // 't'
  /** NegotiateProtocolVersion: the server supports an older minor version. */
  NegotiateProtocolVersion: 0x76, // 'v'
} as const;
export type BackendCode = (typeof BackendCode)[keyof typeof BackendCode];

/** The int32 sub-code of an Authentication ('R') message. */
export const AuthCode = {
  /** AuthenticationOk. */
  Ok: 0,
  /** AuthenticationKerberosV5 (unsupported by modern servers). */
  KerberosV5: 2,
  /** AuthenticationCleartextPassword. */
  CleartextPassword: 3,
  /** AuthenticationMD5Password, with a 4-byte salt. */
  MD5Password: 5,
  /** AuthenticationGSS. */
  GSS: 7,
  /** AuthenticationGSSContinue. */
  GSSContinue: 8,
  /** AuthenticationSSPI. */
  SSPI: 9,
  /** AuthenticationSASL, with the list of mechanisms. */
  SASL: 10,
  /** AuthenticationSASLContinue, with the server-first message. */
  SASLContinue: 11,
  /** AuthenticationSASLFinal, with the server-final message. */
  SASLFinal: 12,
} as const;
export type AuthCode = (typeof AuthCode)[keyof typeof AuthCode];

/**
 * The int32 codes of startup-phase packets, which have no type byte: a protocol version or
 * one of the special request codes.
 */
export const StartupCode = {
  /** StartupMessage for protocol 3.0 (major 3 in the high 16 bits, minor 0). */
  Protocol3: 196608,
  /** CancelRequest: process id and secret key of the backend to cancel. */
  CancelRequest: 80877102,
  /** SSLRequest: the client asks to switch to TLS. */
  SSLRequest: 80877103,
  /** GSSENCRequest: the client asks for GSSAPI encryption. */
  GSSENCRequest: 80877104,
} as const;
export type StartupCode = (typeof StartupCode)[keyof typeof StartupCode];

/** Transaction status in ReadyForQuery. */
export const TransactionStatus = {
  Idle: 0x49, // 'I'
  InTransaction: 0x54, // 'T'
  Failed: 0x45, // 'E'
} as const;
export type TransactionStatus = (typeof TransactionStatus)[keyof typeof TransactionStatus];

/** Field type bytes of ErrorResponse and NoticeResponse. */
export const ErrorField = {
  Severity: 0x53, // 'S' (localised)
  SeverityNonLocalized: 0x56, // 'V'
  Code: 0x43, // 'C' the SQLSTATE
  Message: 0x4d, // 'M'
  Detail: 0x44, // 'D'
  Hint: 0x48, // 'H'
  Position: 0x50, // 'P'
  InternalPosition: 0x70, // 'p'
  InternalQuery: 0x71, // 'q'
  Where: 0x57, // 'W'
  Schema: 0x73, // 's'
  Table: 0x74, // 't'
  Column: 0x63, // 'c'
  DataType: 0x64, // 'd'
  Constraint: 0x6e, // 'n'
  File: 0x46, // 'F'
  Line: 0x4c, // 'L'
  Routine: 0x52, // 'R'
} as const;

/** SQLSTATEs this adapter sends (Appendix A of the PostgreSQL documentation). */
export const SqlState = {
  /** insufficient_privilege: a statement the policy denied. */
  InsufficientPrivilege: '42501',
  /** protocol_violation: a malformed or unexpected message. */
  ProtocolViolation: '08P01',
  /** invalid_password: the client's credentials were refused. */
  InvalidPassword: '28P01',
  /** invalid_authorization_specification: authentication could not take place. */
  InvalidAuthorization: '28000',
  /** connection_failure: the upstream server could not be reached or refused the proxy. */
  ConnectionFailure: '08006',
  /** sqlclient_unable_to_establish_sqlconnection. */
  UnableToConnect: '08001',
  /** feature_not_supported: replication connections, protocol versions we do not speak. */
  FeatureNotSupported: '0A000',
  /** internal_error: the proxy could not enforce a decision (a catalog lookup failed). */
  InternalError: 'XX000',
  /** program_limit_exceeded: a message longer than the configured maximum. */
  ProgramLimitExceeded: '54000',
} as const;
export type SqlState = (typeof SqlState)[keyof typeof SqlState];
