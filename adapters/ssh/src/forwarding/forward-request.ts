/**
 * Port forwarding as the policy sees it. The input document has no forwarding facts, so a
 * forwarding request is decided as an `action: 'connect'` request whose `command` is a
 * pseudo command line naming the kind of channel and its target, each word shell-quoted:
 *
 *   direct-tcpip <host> <port>                (ssh -L, ssh -D)
 *   tcpip-forward <bind address> <port>       (ssh -R; port 0 lets the host choose)
 *   auth-agent                                (ssh -A; see agent-forward.ts)
 *
 * A policy allows it with, for example,
 *   input.action.type == "connect"
 *   input.action.shell.commands[0].program == "direct-tcpip"
 *   input.action.shell.commands[0].args == ["db.internal", "5432"]
 */

import type { ClientChannel, Connection, ServerChannel, TcpipRequestInfo } from 'ssh2';
import { decideCommand } from '../proxy/command-verdict.js';
import type { SessionContext } from '../proxy/session-context.js';

/** Single-quote a word for the shell, so a hostile host name stays one argument. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_.:@%+=/,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export function directTcpipLine(info: TcpipRequestInfo): string {
  return ['direct-tcpip', info.destIP, String(info.destPort)].map(shellQuote).join(' ');
}

/**
 * Decide a direct-tcpip channel (ssh -L) and, when allowed, open the same channel from the
 * host and splice the two. Anything but allow refuses the channel open.
 */
export async function handleDirectTcpip(
  session: SessionContext,
  info: TcpipRequestInfo,
  accept: () => ServerChannel,
  reject: () => void,
): Promise<void> {
  const verdict = await decideCommand(session, directTcpipLine(info), 'connect', () => {});
  if (verdict.decision.effect !== 'allow') {
    session.logger?.info?.(
      { sessionId: session.id, target: `${info.destIP}:${info.destPort}` },
      'port forward refused',
    );
    reject();
    return;
  }
  let up: Awaited<ReturnType<Awaited<ReturnType<SessionContext['upstream']>>['forwardOut']>>;
  try {
    const upstream = await session.upstream();
    up = await upstream.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort);
  } catch (err) {
    session.logger?.warn?.({ sessionId: session.id, err }, 'upstream refused the forward');
    reject();
    return;
  }
  splice(accept(), up);
}

/** `ssh -R`: the address and port the host is asked to listen on, as the policy sees them. */
export function tcpipForwardLine(bindAddr: string, bindPort: number): string {
  return ['tcpip-forward', bindAddr, String(bindPort)].map(shellQuote).join(' ');
}

const forwardKey = (addr: string, port: number) => `${addr}\u0000${port}`;

/**
 * A client's global request. `tcpip-forward` (`ssh -R`) is decided as `action: 'connect'`
 * with the pseudo command `tcpip-forward <address> <port>`; when allowed, the host is asked to
 * listen, and each connection it accepts there is relayed to a `forwarded-tcpip` channel
 * toward the client, as sshd itself would open one. `cancel-tcpip-forward` stops one of this
 * session's forwards. Anything else (Unix-socket forwarding) is refused.
 */
export async function handleGlobalRequest(
  session: SessionContext,
  client: Connection,
  name: string,
  info: { bindAddr?: string; bindPort?: number } | undefined,
  accept: ((port?: number) => void) | undefined,
  reject: (() => void) | undefined,
): Promise<void> {
  const bindAddr = info?.bindAddr;
  const bindPort = info?.bindPort;
  if (
    (name !== 'tcpip-forward' && name !== 'cancel-tcpip-forward') ||
    bindAddr === undefined ||
    bindPort === undefined
  ) {
    reject?.();
    return;
  }
  if (name === 'cancel-tcpip-forward') {
    const key = forwardKey(bindAddr, bindPort);
    if (!session.remoteForwards.has(key)) {
      reject?.();
      return;
    }
    session.remoteForwards.delete(key);
    await (await session.upstream()).unforwardIn(bindAddr, bindPort);
    accept?.();
    return;
  }
  const line = tcpipForwardLine(bindAddr, bindPort);
  const verdict = await decideCommand(session, line, 'connect', () => {});
  if (verdict.decision.effect !== 'allow') {
    session.logger?.info?.(
      { sessionId: session.id, bind: `${bindAddr}:${bindPort}` },
      'remote forward refused',
    );
    reject?.();
    return;
  }
  const upstream = await session.upstream();
  upstream.onForwardedConnection((details, acceptUp, rejectUp) => {
    const forward = session.remoteForwards.get(forwardKey(details.destIP, details.destPort));
    if (!forward) {
      rejectUp();
      return;
    }
    client.forwardOut(forward.bindAddr, forward.bindPort, details.srcIP, details.srcPort, (err, channel) => {
      if (err) {
        session.logger?.warn?.({ sessionId: session.id, err }, 'the client refused a forwarded connection');
        rejectUp();
        return;
      }
      splice(channel, acceptUp());
    });
  });
  // The host may accept a connection before its reply to the request arrives: a known port
  // is registered first, so that connection is relayed rather than refused.
  if (bindPort !== 0) session.remoteForwards.set(forwardKey(bindAddr, bindPort), { bindAddr, bindPort });
  let port: number;
  try {
    port = await upstream.forwardIn(bindAddr, bindPort);
  } catch (err) {
    session.remoteForwards.delete(forwardKey(bindAddr, bindPort));
    session.logger?.warn?.({ sessionId: session.id, err }, 'the host refused the remote forward');
    reject?.();
    return;
  }
  session.remoteForwards.set(forwardKey(bindAddr, port), { bindAddr, bindPort: port });
  // ssh2 reports the port only for `-R 0:…`, where the host chose it.
  accept?.(port);
}

function splice(a: ServerChannel, b: ClientChannel): void {
  a.pipe(b).pipe(a);
  a.once('close', () => b.close());
  b.once('close', () => a.close());
}
