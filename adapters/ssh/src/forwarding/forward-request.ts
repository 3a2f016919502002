/**
 * Port forwarding as the policy sees it. The input document has no forwarding facts, so a
 * forwarding request is decided as an `action: 'connect'` request whose `command` is a
 * pseudo command line naming the kind of channel and its target, each word shell-quoted:
 *
 *   direct-tcpip <host> <port>                (ssh -L, ssh -D)
 *
 * A policy allows it with, for example,
 *   input.action.type == "connect"
 *   input.action.shell.commands[0].program == "direct-tcpip"
 *   input.action.shell.commands[0].args == ["db.internal", "5432"]
 */

import type { ServerChannel, TcpipRequestInfo } from 'ssh2';
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
  const channel = accept();
  channel.pipe(up).pipe(channel);
  channel.once('close', () => up.close());
  up.once('close', () => channel.close());
}
