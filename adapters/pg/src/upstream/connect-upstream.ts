/**
 * Open an authenticated connection to PostgreSQL with the operator's credentials: optional
 * TLS, StartupMessage, then whatever authentication the server asks for (SCRAM-SHA-256, MD5,
 * cleartext), then ParameterStatus and BackendKeyData up to the first ReadyForQuery.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */

import { isIP, connect as netConnect, type Socket } from 'node:net';
import { TLSSocket, connect as tlsConnect } from 'node:tls';
import {
  readAuthentication,
  readBackendKeyData,
  readNoticeFields,
  readParameterStatus,
  readReadyForQuery,
} from '../protocol/backend-messages.js';
import { tlsServerEndPoint } from '../protocol/channel-binding.js';
import {
  writeCancelRequest,
  writePasswordMessage,
  writeSaslInitialResponse,
  writeSaslResponse,
  writeStartupMessage,
} from '../protocol/frontend-writers.js';
import { AuthCode, BackendCode, ErrorField, StartupCode } from '../protocol/message-codes.js';
import { type Frame, MessageFramer } from '../protocol/message-framer.js';
import { MessageWriter } from '../protocol/message-writer.js';
import { FrameSource } from './frame-source.js';
import { md5PasswordResponse } from './md5-password.js';
import { ReusedReads } from './reused-reads.js';
import { SaltedPasswords } from './salted-passwords.js';
import { createScramClient, SCRAM_SHA_256, SCRAM_SHA_256_PLUS, type ScramClient } from './scram-client.js';
import { UpstreamError } from './upstream-error.js';
import { type UpstreamOptions, upstreamSocketPath } from './upstream-options.js';

export interface UpstreamConnection {
  socket: Socket;
  /** Holds any partial message that arrived after the first ReadyForQuery. */
  framer: MessageFramer;
  /** Whole messages that arrived after the first ReadyForQuery, to handle first. */
  pending: Frame[];
  parameters: [name: string, value: string][];
  processId: number;
  secretKey: number;
  /** Transaction status of the first ReadyForQuery. */
  status: number;
  /** Reads into a reused buffer (see ConnectOptions.reuseReadBuffer); 'data' until consumed. */
  reads?: ReusedReads;
}

export interface ConnectOptions {
  /**
   * Read into one reused buffer rather than a new one per read (plain TCP only; ignored with
   * `ssl`): for a connection whose reader takes the bytes in place, the relay's.
   */
  reuseReadBuffer?: boolean;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** One per process: its keys include the password, so proxies with other credentials share it safely. */
const saltedPasswords = new SaltedPasswords();

function openSocket(options: UpstreamOptions, reads: ReusedReads | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const path = upstreamSocketPath(options);
    const socket = netConnect({
      ...(path === undefined ? { host: options.host, port: options.port } : { path }),
      ...(reads ? { onread: reads.onread } : {}),
    });
    reads?.bind(socket);
    if (path === undefined) socket.setNoDelay(true);
    const onError = (err: Error) =>
      reject(
        new UpstreamError(`cannot connect to ${path ?? `${options.host}:${options.port}`}: ${err.message}`, {
          cause: err,
        }),
      );
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** SSLRequest; then TLS over the same socket if the server agrees. */
async function startTls(socket: Socket, options: UpstreamOptions): Promise<Socket> {
  const w = new MessageWriter(8);
  w.beginUntyped().int32(StartupCode.SSLRequest).end();
  socket.write(w.flush());
  const answer = await new Promise<number>((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => {
      // A server that answers with more than one byte is not following the protocol (and
      // could be injecting plaintext ahead of the handshake: CVE-2021-23222).
      if (chunk.length !== 1) reject(new UpstreamError('unexpected bytes after SSLRequest'));
      else resolve(chunk[0] as number);
    });
    socket.once('error', reject);
  });
  if (answer !== 0x53)
    throw new UpstreamError('the server refused TLS (ssl is required by the proxy configuration)');
  const tlsOptions = typeof options.ssl === 'object' ? options.ssl : {};
  // SNI may not carry an IP address (RFC 6066); the certificate is then checked against
  // `host`, which tls.connect uses when no servername is given.
  const identity = isIP(options.host) ? { host: options.host } : { servername: options.host };
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({ ...identity, ...tlsOptions, socket }, () =>
      resolve(secure as unknown as Socket),
    );
    secure.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new UpstreamError(`TLS to ${options.host} failed: ${err.message}`, {
          cause: err,
          clientDetail: `TLS verification of the upstream server failed${err.code ? ` (${err.code})` : ''}`,
        }),
      ),
    );
  });
}

export async function connectUpstream(
  options: UpstreamOptions,
  startupParameters: Readonly<Record<string, string>>,
  maxMessageSize: number,
  connectOptions: ConnectOptions = {},
): Promise<UpstreamConnection> {
  const reads = connectOptions.reuseReadBuffer && !options.ssl ? new ReusedReads() : undefined;
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let socket: Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      socket?.destroy();
      reject(
        new UpstreamError(`connecting to ${options.host}:${options.port} took longer than ${timeoutMs} ms`),
      );
    }, timeoutMs);
  });
  const attempt = (async () => {
    socket = await openSocket(options, reads);
    if (options.ssl) socket = await startTls(socket, options);
    const connection = await handshake(socket, options, startupParameters, maxMessageSize);
    if (reads) connection.reads = reads;
    return connection;
  })();
  try {
    return await Promise.race([attempt, timeout]);
  } catch (err) {
    socket?.destroy();
    attempt.catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function handshake(
  socket: Socket,
  options: UpstreamOptions,
  startupParameters: Readonly<Record<string, string>>,
  maxMessageSize: number,
): Promise<UpstreamConnection> {
  const framer = new MessageFramer({ maxMessageSize });
  const source = new FrameSource(socket, framer);
  const w = new MessageWriter(256);
  writeStartupMessage(w, {
    ...startupParameters,
    user: options.user,
    ...(options.database ? { database: options.database } : {}),
  });
  socket.write(w.flush());

  const parameters: [string, string][] = [];
  let processId = 0;
  let secretKey = 0;
  let scram: ScramClient | undefined;
  /** The server proved it knows the password (SASLFinal's signature checked). */
  let verified = false;
  let bound = false;
  const requireBinding = options.channelBinding === 'require';
  try {
    for (;;) {
      const frame = await source.next().catch((err: Error) => {
        throw err instanceof UpstreamError
          ? err
          : new UpstreamError(`upstream: ${err.message}`, { cause: err });
      });
      switch (frame.type) {
        case BackendCode.Authentication: {
          const auth = readAuthentication(frame.body);
          if (auth.code === AuthCode.Ok) {
            if (requireBinding && !bound) throw unbound('authenticated the proxy without SCRAM-SHA-256-PLUS');
            // SCRAM authenticates both ends: a server that skips its proof is not let off.
            if (scram && !verified)
              throw new UpstreamError(
                'the server ended SCRAM authentication without proving it knows the password',
              );
            break;
          }
          // Neither a password nor a proof goes to a server that will not bind to its certificate.
          const sasl =
            auth.code === AuthCode.SASL ||
            auth.code === AuthCode.SASLContinue ||
            auth.code === AuthCode.SASLFinal;
          if (requireBinding && !sasl)
            throw unbound(`asked for authentication request ${auth.code}, not SCRAM-SHA-256-PLUS`);
          if (auth.code === AuthCode.CleartextPassword) {
            writePasswordMessage(w, options.password);
          } else if (auth.code === AuthCode.MD5Password && 'salt' in auth) {
            writePasswordMessage(w, md5PasswordResponse(options.user, options.password, auth.salt));
          } else if (auth.code === AuthCode.SASL && 'mechanisms' in auth) {
            const binding = channelBinding(socket, options, auth.mechanisms);
            if (requireBinding && !(binding instanceof Buffer)) {
              throw unbound(
                socket instanceof TLSSocket
                  ? `offered ${auth.mechanisms.join(', ')}, and the proxy binds only with SCRAM-SHA-256-PLUS on a certificate whose signature names its hash`
                  : 'is reached without TLS, which SCRAM-SHA-256-PLUS binds to',
              );
            }
            if (!(binding instanceof Buffer) && !auth.mechanisms.includes(SCRAM_SHA_256)) {
              throw new UpstreamError(`no supported SASL mechanism among ${auth.mechanisms.join(', ')}`);
            }
            scram = createScramClient(options.password, {
              saltedPasswords,
              ...(binding === undefined ? {} : { binding }),
            });
            writeSaslInitialResponse(w, scram.mechanism, Buffer.from(scram.clientFirst));
          } else if (auth.code === AuthCode.SASLContinue && 'data' in auth && scram) {
            writeSaslResponse(w, Buffer.from(await scram.respond(auth.data.toString('utf8'))));
          } else if (auth.code === AuthCode.SASLFinal && 'data' in auth && scram) {
            scram.verify(auth.data.toString('utf8'));
            verified = true;
            bound = scram.mechanism === SCRAM_SHA_256_PLUS;
            break;
          } else {
            throw new UpstreamError(`unsupported authentication request ${auth.code}`);
          }
          socket.write(w.flush());
          break;
        }
        case BackendCode.ParameterStatus: {
          const p = readParameterStatus(frame.body);
          parameters.push([p.name, p.value]);
          break;
        }
        case BackendCode.BackendKeyData:
          ({ processId, secretKey } = readBackendKeyData(frame.body));
          break;
        case BackendCode.NoticeResponse:
        case BackendCode.NegotiateProtocolVersion:
          break;
        case BackendCode.ErrorResponse: {
          const fields = readNoticeFields(frame.body);
          throw new UpstreamError(`upstream: ${fields.get(ErrorField.Message) ?? 'error'}`, { fields });
        }
        case BackendCode.ReadyForQuery: {
          const { status } = readReadyForQuery(frame.body);
          source.detach();
          // Anything after ReadyForQuery is unsolicited (a NOTICE, say); the caller relays it.
          return { socket, framer, pending: source.drain(), parameters, processId, secretKey, status };
        }
        default:
          throw new UpstreamError(`unexpected message ${String.fromCharCode(frame.type)} during startup`);
      }
    }
  } catch (err) {
    source.detach();
    throw err;
  }
}

/**
 * What to bind SCRAM to on this connection (see scram-client.ts): the server certificate's
 * `tls-server-end-point` data when the server offers PLUS over TLS, `'unoffered'` over TLS
 * when it does not, nothing without TLS, when `channelBinding` is `'disable'`, or when the
 * certificate's signature names no single hash (Ed25519, RSASSA-PSS), which the server cannot
 * bind to either.
 */
function channelBinding(
  socket: Socket,
  options: UpstreamOptions,
  mechanisms: readonly string[],
): Buffer | 'unoffered' | undefined {
  if (!(socket instanceof TLSSocket) || options.channelBinding === 'disable') return undefined;
  if (!mechanisms.includes(SCRAM_SHA_256_PLUS)) return 'unoffered';
  const certificate = socket.getPeerX509Certificate();
  return certificate ? tlsServerEndPoint(certificate.raw) : undefined;
}

function unbound(what: string): UpstreamError {
  return new UpstreamError(`channel binding is required (upstream.channelBinding), but the server ${what}`, {
    clientDetail: 'the upstream server did not authenticate with channel binding',
  });
}

/** Send a CancelRequest for an upstream backend on a connection of its own. */
export function cancelUpstream(options: UpstreamOptions, processId: number, secretKey: number): void {
  const path = upstreamSocketPath(options);
  const socket = netConnect(path === undefined ? { host: options.host, port: options.port } : { path });
  socket.on('error', () => socket.destroy());
  socket.once('connect', () => {
    const w = new MessageWriter(16);
    writeCancelRequest(w, processId, secretKey);
    socket.end(w.flush());
  });
  socket.setTimeout(5000, () => socket.destroy());
}
