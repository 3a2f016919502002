/**
 * The SSH proxy: an ssh2 Server facing the user's own ssh client, and per client connection
 * one ssh2 Client toward the real host, logged in with the operator's key. Every exec, shell
 * line and forwarding request is decided by the engine before it reaches the host.
 */

import type { AddressInfo } from 'node:net';
import { InvalidOptionError } from '@portcullis/core';
import type { CipherAlgorithm, ClientInfo, Connection } from 'ssh2';
import { authenticateAttempt, offeredMethods } from '../auth/authenticate-client.js';
import { handleSession } from '../exec/session-channel.js';
import { agentChannelOpener } from '../forwarding/agent-forward.js';
import { handleDirectTcpip, handleGlobalRequest } from '../forwarding/forward-request.js';
import { Server } from '../ssh2-runtime.js';
import { SessionContext } from './session-context.js';
import type { SshIdentity, SshProxyOptions } from './ssh-proxy-options.js';
import { validateOptions } from './validate-options.js';

export interface SshProxy {
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Stop accepting, and end every client connection and its upstream connection. */
  close(): Promise<void>;
  address(): AddressInfo | null;
  /** Client connections open now. */
  readonly sessions: number;
}

const DEFAULT_AUTH_TIMEOUT_MS = 30_000;

export function createSshProxy(options: SshProxyOptions): SshProxy {
  validateOptions(options);
  const logger = options.logger;
  const methods = offeredMethods(options.authenticate);
  const connections = new Set<Connection>();
  const sessions = new Set<SessionContext>();

  let server: InstanceType<typeof Server>;
  try {
    server = new Server(
      {
        hostKeys: options.hostKeys,
        ident: 'Portcullis',
        ...(options.ciphers ? { algorithms: { cipher: options.ciphers as CipherAlgorithm[] } } : {}),
      },
      onConnection,
    );
  } catch (err) {
    const message = (err as Error).message;
    // ssh2 names an unknown cipher: `Unsupported algorithm: <name>`.
    if (options.ciphers && message.startsWith('Unsupported algorithm'))
      throw new InvalidOptionError('ciphers', message);
    throw err;
  }

  function onConnection(client: Connection, info: ClientInfo): void {
    connections.add(client);
    const source = info.ip ?? '';
    let identity: SshIdentity | undefined;
    const authTimer = setTimeout(
      () => client.end(),
      options.authenticationTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS,
    );

    client.on('authentication', (ctx) => {
      authenticateAttempt(options.authenticate, ctx, source).then(
        (outcome) => {
          if (!outcome.accepted) return ctx.reject(methods);
          if (outcome.identity) identity = outcome.identity;
          ctx.accept();
        },
        (err) => {
          logger?.error?.({ err, source }, 'authenticate hook failed');
          ctx.reject(methods);
        },
      );
    });

    client.on('ready', () => {
      clearTimeout(authTimer);
      if (!identity) {
        client.end();
        return;
      }
      const session = new SessionContext(options, identity, source, logger);
      session.agentChannels = agentChannelOpener(client);
      sessions.add(session);
      logger?.info?.({ sessionId: session.id, subject: identity.subject.id, source }, 'ssh session started');
      client.on('session', (accept) => handleSession(session, accept()));
      client.on('tcpip', (accept, reject, tcpip) => {
        handleDirectTcpip(session, tcpip, accept, reject).catch((err) => {
          logger?.error?.({ sessionId: session.id, err }, 'port forward failed');
          reject();
        });
      });
      client.on('request', (accept, reject, name, info) => {
        handleGlobalRequest(
          session,
          client,
          name,
          info as { bindAddr?: string; bindPort?: number },
          accept,
          reject,
        ).catch((err) => {
          logger?.error?.({ sessionId: session.id, err }, 'global request failed');
          reject?.();
        });
      });
      // No listener for openssh.streamlocal: ssh2 refuses Unix-socket channels.
      client.once('close', () => {
        sessions.delete(session);
        session.close();
      });
    });
    client.on('error', (err) => logger?.debug?.({ err, source }, 'client connection error'));
    client.once('close', () => {
      clearTimeout(authTimer);
      connections.delete(client);
    });
  }
  server.on('error', (err: Error) => logger?.error?.({ err }, 'ssh proxy server error'));

  return {
    get sessions() {
      return sessions.size;
    },
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.removeListener('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.close();
      for (const client of connections) client.end();
      await closed;
    },
    address() {
      const address = server.address();
      return address && typeof address === 'object' ? address : null;
    },
  };
}
