/**
 * An exec request: the command line is decided before any of it reaches the host. Deny (and
 * an approval that does not come) answers on the channel itself: the reasons on stderr, exit
 * status 126, close. Allow runs it upstream and relays both ways.
 */

import type { ServerChannel } from 'ssh2';
import { decideCommand } from '../proxy/command-verdict.js';
import type { SessionContext } from '../proxy/session-context.js';
import { ExitStatus } from './exit-codes.js';
import { maskerFor } from './mask-for.js';
import { relayChannel } from './relay-channel.js';
import type { ChannelState } from './session-channel.js';

export async function runExec(
  session: SessionContext,
  channel: ServerChannel,
  command: string,
  state: ChannelState,
): Promise<void> {
  const abort = new AbortController();
  channel.once('close', () => abort.abort());
  let verdict: Awaited<ReturnType<typeof decideCommand>>;
  try {
    verdict = await decideCommand(
      session,
      command,
      'exec',
      (text) => channel.stderr.write(`${text}\n`),
      abort.signal,
    );
  } catch (err) {
    if (abort.signal.aborted) return;
    throw err;
  }
  if (abort.signal.aborted) return;
  if (verdict.decision.effect !== 'allow') {
    await refuse(channel, verdict.message ?? 'portcullis: not run', ExitStatus.refused);
    return;
  }
  let masker: ReturnType<typeof maskerFor>;
  try {
    masker = maskerFor(session, verdict.decision);
  } catch (err) {
    session.logger?.error?.({ sessionId: session.id, err }, 'mask rules cannot be enforced');
    await refuse(
      channel,
      'portcullis: not run: the output masks the policy asks for cannot be applied',
      ExitStatus.refused,
    );
    return;
  }
  let upstream: Awaited<ReturnType<SessionContext['upstream']>>;
  let up: Awaited<ReturnType<typeof upstream.exec>>;
  try {
    upstream = await session.upstream();
    up = await upstream.exec(command, state.pty ? { pty: state.pty } : {});
  } catch (err) {
    await refuse(
      channel,
      `portcullis: host unavailable: ${(err as Error).message}`,
      ExitStatus.upstreamFailed,
    );
    return;
  }
  if (abort.signal.aborted) {
    up.close();
    return;
  }
  state.upstream = up;
  await relayChannel(channel, up, masker ? { masker } : {});
}

/** Say why on stderr, then exit with `status` and close; waits for stderr to be sent first. */
export async function refuse(channel: ServerChannel, message: string, status: number): Promise<void> {
  await new Promise<void>((resolve) => {
    if (!channel.stderr.writable) return resolve();
    channel.stderr.write(`${message}\n`, () => resolve());
  });
  channel.exit(status);
  channel.end();
}
