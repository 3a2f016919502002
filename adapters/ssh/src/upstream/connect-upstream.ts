/**
 * One SSH connection to the real host per client connection, made with the operator's key
 * and only to a host whose key is the pinned one (or one the operator's verifier accepts).
 */

import type {
  BaseAgent,
  ClientChannel,
  ExecOptions,
  PseudoTtyOptions,
  SFTPWrapper,
  TcpConnectionDetails,
} from 'ssh2';
import { SshHostKeyError, SshUpstreamError } from '../errors.js';
import { Client } from '../ssh2-runtime.js';
import { hostKeyFingerprint, normalizeFingerprint } from './host-key-fingerprint.js';
import type { UpstreamOptions } from './upstream-options.js';

export interface UpstreamConnection {
  exec(command: string, options: ExecOptions): Promise<ClientChannel>;
  shell(
    pty: PseudoTtyOptions | false,
    env: Record<string, string>,
    options?: { agentForward?: boolean },
  ): Promise<ClientChannel>;
  forwardOut(srcIp: string, srcPort: number, dstIp: string, dstPort: number): Promise<ClientChannel>;
  /** Asks the host to listen for a remote forward (`ssh -R`); resolves with the bound port. */
  forwardIn(bindAddr: string, bindPort: number): Promise<number>;
  unforwardIn(bindAddr: string, bindPort: number): Promise<void>;
  /**
   * Where the host's connections to remote forwards go: `handler` accepts or rejects each.
   * Without one, they are rejected.
   */
  onForwardedConnection(handler: ForwardedConnectionHandler): void;
  /** A fresh sftp subsystem channel on the host. */
  sftp(): Promise<SFTPWrapper>;
  close(): void;
  readonly closed: boolean;
}

/**
 * `agent` is what a host's agent channels are handed to (agent forwarding); it is never asked
 * for keys to log in with, which the operator's key does.
 */
export type ForwardedConnectionHandler = (
  details: TcpConnectionDetails,
  accept: () => ClientChannel,
  reject: () => void,
) => void;

export function connectUpstream(options: UpstreamOptions, agent?: BaseAgent): Promise<UpstreamConnection> {
  const client = new Client();
  const pinned = options.hostKeyFingerprint;
  const pins = (Array.isArray(pinned) ? pinned : pinned === undefined ? [] : [pinned]).map(
    normalizeFingerprint,
  );
  let hostKeyError: SshHostKeyError | undefined;
  let closed = false;

  return new Promise((resolve, reject) => {
    client.once('ready', () => {
      client.removeAllListeners('error');
      client.on('error', () => {
        closed = true;
      });
      resolve({
        exec: (command, execOptions) => channel((cb) => client.exec(command, execOptions, cb)),
        shell: (pty, env, shellOptions = {}) =>
          channel((cb) =>
            client.shell(
              pty === false ? false : pty,
              { env, ...(shellOptions.agentForward ? { agentForward: true } : {}) },
              cb,
            ),
          ),
        forwardOut: (srcIp, srcPort, dstIp, dstPort) =>
          channel((cb) => client.forwardOut(srcIp, srcPort, dstIp, dstPort, cb)),
        sftp: () => channel<SFTPWrapper>((cb) => client.sftp(cb)),
        forwardIn: (bindAddr, bindPort) =>
          new Promise<number>((resolve, reject) =>
            client.forwardIn(bindAddr, bindPort, (err, port) =>
              err
                ? reject(
                    new SshUpstreamError(`the host refused the remote forward: ${err.message}`, {
                      cause: err,
                    }),
                  )
                : resolve(port),
            ),
          ),
        unforwardIn: (bindAddr, bindPort) =>
          new Promise<void>((resolve, reject) =>
            client.unforwardIn(bindAddr, bindPort, (err) =>
              err
                ? reject(new SshUpstreamError(`cancelling the remote forward failed: ${err.message}`))
                : resolve(),
            ),
          ),
        onForwardedConnection: (handler) => {
          client.removeAllListeners('tcp connection');
          client.on('tcp connection', (details, accept, reject) => handler(details, accept, reject));
        },
        close: () => {
          closed = true;
          client.end();
        },
        get closed() {
          return closed;
        },
      });
    });
    client.once('error', (err) => {
      closed = true;
      reject(
        hostKeyError ??
          new SshUpstreamError(`cannot log in to ${options.host}:${options.port ?? 22}: ${err.message}`, {
            cause: err,
          }),
      );
    });
    client.on('close', () => {
      closed = true;
    });
    client.connect({
      host: options.host,
      port: options.port ?? 22,
      username: options.username,
      privateKey: options.privateKey,
      ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
      readyTimeout: options.readyTimeoutMs ?? 15_000,
      ...(agent ? { agent } : {}),
      hostVerifier: (key: Buffer) => {
        const fingerprint = hostKeyFingerprint(key);
        const ok = options.hostVerifier ? options.hostVerifier(key, fingerprint) : pins.includes(fingerprint);
        if (!ok) {
          hostKeyError = new SshHostKeyError(
            fingerprint,
            `host key of ${options.host}:${options.port ?? 22} is ${fingerprint}, which is not the pinned key`,
          );
        }
        return ok;
      },
    });
  });

  function channel<T = ClientChannel>(open: (cb: (err: Error | undefined, ch: T) => void) => void) {
    return new Promise<T>((resolve, reject) => {
      try {
        open((err, ch) => {
          if (err)
            reject(new SshUpstreamError(`upstream refused the channel: ${err.message}`, { cause: err }));
          else resolve(ch);
        });
      } catch (err) {
        reject(new SshUpstreamError(`upstream channel failed: ${(err as Error).message}`, { cause: err }));
      }
    });
  }
}
