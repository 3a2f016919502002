/**
 * An exec request: the command line is decided before any of it reaches the host. Deny (and
 * an approval that does not come) answers on the channel itself: the reasons on stderr, exit
 * status 126, close. Allow runs it upstream and relays both ways.
 */

import type { FileFacts } from '@portcullis/core';
import type { ServerChannel } from 'ssh2';
import { decideAttempt, decideCommand, denyMessage, type Verdict } from '../proxy/command-verdict.js';
import type { SessionContext } from '../proxy/session-context.js';
import { openRecorder } from '../recording/open-recorder.js';
import { parseScpCommand } from '../sftp/scp-command.js';
import { ExitStatus } from './exit-codes.js';
import { maskerFor } from './mask-for.js';
import { PTY_SETTLE_AFTER_MS, relayChannel } from './relay-channel.js';
import { agentForwardAllowed, type ChannelState } from './session-channel.js';

export async function runExec(
  session: SessionContext,
  channel: ServerChannel,
  command: string,
  state: ChannelState,
): Promise<void> {
  const abort = new AbortController();
  channel.once('close', () => abort.abort());
  let verdict: Verdict;
  const onHeld = (text: string) => channel.stderr.write(`${text}\n`);
  try {
    const scp = await parseScpCommand(command);
    if (scp.kind === 'scp') verdict = await decideScp(session, scp.files, onHeld, abort.signal);
    else if (scp.kind === 'malformed') {
      verdict = {
        decision: {
          effect: 'deny',
          reasons: [{ rule: 'portcullis.scp_malformed', message: scp.reason }],
          masks: [],
        },
      };
    } else verdict = await decideCommand(session, command, 'exec', onHeld, abort.signal);
  } catch (err) {
    if (abort.signal.aborted) return;
    throw err;
  }
  if (abort.signal.aborted) return;
  if (verdict.decision.effect !== 'allow') {
    await refuse(channel, verdict.message ?? denyMessage(verdict.decision), ExitStatus.refused);
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
  let recorder: Awaited<ReturnType<typeof openRecorder>>;
  try {
    // Only terminal sessions are recorded: a plain exec is a command and its byte stream
    // (a file, a backup), which the audit record of its decision already accounts for.
    recorder = state.pty ? await openRecorder(session, state.pty, 'exec', command) : undefined;
  } catch (err) {
    session.logger?.error?.({ sessionId: session.id, err }, 'recording could not be opened');
    await refuse(channel, 'portcullis: not run: the session could not be recorded', ExitStatus.refused);
    return;
  }
  recorder?.marker(`${verdict.decision.effect} ${command}`);
  let upstream: Awaited<ReturnType<SessionContext['upstream']>>;
  let up: Awaited<ReturnType<typeof upstream.exec>>;
  try {
    upstream = await session.upstream();
    const agentForward = await agentForwardAllowed(session, state);
    up = await upstream.exec(command, {
      ...(state.pty ? { pty: state.pty } : {}),
      ...(agentForward ? { agentForward: true } : {}),
    });
  } catch (err) {
    await recorder?.close().catch(() => {});
    await refuse(
      channel,
      `portcullis: host unavailable: ${(err as Error).message}`,
      ExitStatus.upstreamFailed,
    );
    return;
  }
  if (abort.signal.aborted) {
    up.close();
    await recorder?.close().catch(() => {});
    return;
  }
  state.upstream = up;
  if (recorder) state.recorder = recorder;
  try {
    await relayChannel(channel, up, {
      ...(masker ? { masker } : {}),
      ...(state.pty ? { settleAfterMs: PTY_SETTLE_AFTER_MS } : {}),
      ...(recorder ? { tap: recorder } : {}),
    });
  } finally {
    await recorder
      ?.close()
      .catch((err) => session.logger?.error?.({ sessionId: session.id, err }, 'recording failed'));
  }
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

/**
 * A legacy scp transfer: every path is decided as a file read (`-f`) or write (`-t`), and all
 * must be allowed. Output masks cannot be applied to the rcp protocol stream, so a decision
 * that asks for them refuses the transfer.
 */
async function decideScp(
  session: SessionContext,
  files: FileFacts[],
  onHeld: (text: string) => void,
  signal: AbortSignal,
): Promise<Verdict> {
  let last: Verdict | undefined;
  for (const file of files) {
    const verdict = await decideAttempt(session, { file }, onHeld, signal);
    if (verdict.decision.effect !== 'allow') return verdict;
    if (maskerFor(session, verdict.decision) !== undefined) {
      const reason = {
        rule: 'portcullis.masks_unenforceable',
        message: 'the output masks the policy asks for cannot be applied to a file transfer',
      };
      return {
        decision: { effect: 'deny', reasons: [reason], masks: [] },
        message: `portcullis: not run: scp ${file.operation} ${file.path}: the output masks the policy asks for cannot be applied to a file transfer`,
      };
    }
    last = verdict;
  }
  // A transfer is never masked: its masks were checked above to be empty.
  return (
    last ?? {
      decision: { effect: 'deny', reasons: [], masks: [] },
      message: 'portcullis: not run: scp names no path',
    }
  );
}
