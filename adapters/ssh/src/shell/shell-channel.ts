/**
 * An interactive shell. The shell request itself is decided first (as `action: 'connect'`
 * with the pseudo command line `shell`), so a policy can refuse or hold shells outright, for
 * agents say. Then every line is decided when Enter is pressed, before the Enter reaches the
 * host: an allowed line gets its Enter; a refused one is erased on the host (Ctrl-U, or
 * Ctrl-C for a multi-line command) and explained on the terminal, and the session goes on.
 */

import { extractShellFacts } from '@portcullis/core';
import type { ServerChannel } from 'ssh2';
import { refuse } from '../exec/exec-request.js';
import { ExitStatus } from '../exec/exit-codes.js';
import { maskerFor } from '../exec/mask-for.js';
import { PTY_SETTLE_AFTER_MS, relayChannel } from '../exec/relay-channel.js';
import { agentForwardAllowed, type ChannelState } from '../exec/session-channel.js';
import { decideCommand, denyMessage, scrubSecret } from '../proxy/command-verdict.js';
import type { SessionContext } from '../proxy/session-context.js';
import { endsWithSecretPrompt } from '../recording/echo-gate.js';
import { openRecorder } from '../recording/open-recorder.js';
import { continuesLine, Key, LineEditor } from './line-editor.js';

/** How much of the host's latest output is kept to recognise a password prompt. */
const TAIL_BYTES = 512;

/** The pseudo command line a shell request is decided as. */
export const SHELL_REQUEST_LINE = 'shell';

const UNTRACKED_REASON = {
  rule: 'portcullis.untracked_line',
  message:
    'the line was edited with keys the proxy cannot follow (history, completion, search); type it out in full',
};

export async function runShell(
  session: SessionContext,
  channel: ServerChannel,
  state: ChannelState,
): Promise<void> {
  const eol = state.pty ? '\r\n' : '\n';
  let recorder: Awaited<ReturnType<typeof openRecorder>>;
  const say = (text: string) => {
    const shown = `${eol}${text.replaceAll('\n', eol)}${eol}`;
    recorder?.output(shown);
    channel.write(shown);
  };
  const abort = new AbortController();
  channel.once('close', () => abort.abort());

  const opened = await decideCommand(
    session,
    SHELL_REQUEST_LINE,
    'connect',
    (t) => channel.stderr.write(`${t}\n`),
    abort.signal,
  );
  if (abort.signal.aborted) return;
  if (opened.decision.effect !== 'allow') {
    await refuse(channel, opened.message ?? 'portcullis: not run', ExitStatus.refused);
    return;
  }
  try {
    recorder = await openRecorder(session, state.pty, 'shell');
  } catch (err) {
    session.logger?.error?.({ sessionId: session.id, err }, 'recording could not be opened');
    await refuse(channel, 'portcullis: not run: the session could not be recorded', ExitStatus.refused);
    return;
  }
  recorder?.marker(`${opened.decision.effect} ${SHELL_REQUEST_LINE}`);
  // One stream of output for the whole session: the masks are those the shell was opened with.
  const masker = maskerFor(session, opened.decision);
  let up: Awaited<ReturnType<Awaited<ReturnType<SessionContext['upstream']>>['shell']>>;
  try {
    const agentForward = await agentForwardAllowed(session, state);
    up = await (await session.upstream()).shell(state.pty ?? false, {}, { agentForward });
  } catch (err) {
    await recorder?.close().catch(() => {});
    await refuse(
      channel,
      `portcullis: host unavailable: ${(err as Error).message}`,
      ExitStatus.upstreamFailed,
    );
    return;
  }
  state.upstream = up;
  if (recorder) state.recorder = recorder;

  const editor = new LineEditor();
  /** Earlier physical lines of a command the shell is still reading (after `\` or an open quote). */
  let pending = '';
  /** The end of what the host last printed, to tell a password prompt from a shell prompt. */
  let outputTail = '';

  const onEnter = async (line: string, tracked: boolean, enter: Buffer) => {
    const logical = pending + line;
    if (tracked && pending === '' && logical.trim() === '') {
      up.write(enter);
      return;
    }
    if (tracked && continuesLine(line)) {
      pending = `${logical}\n`;
      up.write(enter);
      return;
    }
    // A line typed at a password prompt is still decided, but written down nowhere.
    const secret = pending === '' && endsWithSecretPrompt(outputTail);
    const verdict = tracked
      ? await decideCommand(
          session,
          logical,
          'shell',
          secret ? (text) => say(scrubSecret(text, logical)) : say,
          abort.signal,
          {
            secret,
          },
        )
      : { decision: { effect: 'deny' as const, reasons: [UNTRACKED_REASON], masks: [] }, message: undefined };
    recorder?.lineMarker(verdict.decision.effect, logical);
    if (verdict.decision.effect === 'allow') {
      const facts = await extractShellFacts(logical);
      pending = facts.parsed ? '' : `${logical}\n`;
      up.write(enter);
      return;
    }
    const message = verdict.message ?? denyMessage(verdict.decision);
    say(secret ? scrubSecret(message, logical) : message);
    // Erase what the host holds: Ctrl-U clears the line being typed; a command already
    // spanning several lines is only dropped whole by Ctrl-C.
    if (pending === '') up.write(Buffer.from([Key.ctrlE, Key.ctrlU, Key.carriageReturn]));
    else up.write(Buffer.from([Key.ctrlC]));
    pending = '';
  };

  try {
    await relayChannel(channel, up, {
      ...(masker ? { masker } : {}),
      ...(state.pty ? { settleAfterMs: PTY_SETTLE_AFTER_MS } : {}),
      tap: {
        output: (chunk: Buffer) => {
          recorder?.output(chunk);
          // Only the end matters (the prompt): decode at most its last bytes, not all output.
          const end = chunk.length > TAIL_BYTES ? chunk.subarray(chunk.length - TAIL_BYTES) : chunk;
          outputTail = (outputTail + end.toString('utf8')).slice(-TAIL_BYTES);
        },
      },
      onInput: async (chunk) => {
        recorder?.input(chunk);
        for (const event of editor.feed(chunk)) {
          if (event.kind === 'forward') up.write(event.bytes);
          else if (event.kind === 'interrupt') pending = '';
          else await onEnter(event.line, event.tracked, event.enter);
        }
      },
    });
  } finally {
    await recorder
      ?.close()
      .catch((err) => session.logger?.error?.({ sessionId: session.id, err }, 'recording failed'));
  }
}
