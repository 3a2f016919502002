/**
 * One `session` channel: records the pty and window size the client asks for, and turns its
 * exec or shell request into a decided, relayed (or refused) channel to the host.
 */

import type { PseudoTtyInfo, PseudoTtyOptions, ServerChannel, Session, WindowChangeInfo } from 'ssh2';
import { decideAgentForwarding } from '../forwarding/agent-forward.js';
import type { SessionContext } from '../proxy/session-context.js';
import type { AsciicastRecorder } from '../recording/asciicast-recorder.js';
import { serveSftp } from '../sftp/serve-sftp.js';
import { runShell } from '../shell/shell-channel.js';
import { runExec } from './exec-request.js';

export interface ChannelState {
  pty: PseudoTtyOptions | undefined;
  /** The upstream channel, once there is one, for window changes and signals. */
  upstream?: {
    setWindow(rows: number, cols: number, height: number, width: number): void;
    signal(name: string): void;
  };
  /** The channel's recording, once it has one. */
  recorder?: AsciicastRecorder;
  /**
   * The decision on the channel's agent forwarding request, if it sent one: the exec or shell
   * that follows waits for it, and asks the host for agent forwarding only when it is true.
   */
  agentForward?: Promise<boolean>;
}

/** Whether the channel's exec or shell may ask the host for agent forwarding. */
export async function agentForwardAllowed(session: SessionContext, state: ChannelState): Promise<boolean> {
  try {
    return (await state.agentForward) === true;
  } catch (err) {
    session.logger?.error?.({ sessionId: session.id, err }, 'agent forwarding decision failed');
    return false;
  }
}

export function handleSession(session: SessionContext, sshSession: Session): void {
  const state: ChannelState = { pty: undefined };
  let started = false;

  sshSession.on('pty', (accept, _reject, info: PseudoTtyInfo) => {
    state.pty = {
      term: info.term,
      rows: info.rows,
      cols: info.cols,
      height: info.height,
      width: info.width,
      modes: info.modes,
    };
    accept?.();
  });
  sshSession.on('window-change', (accept, _reject, info: WindowChangeInfo) => {
    if (state.pty)
      Object.assign(state.pty, { rows: info.rows, cols: info.cols, height: info.height, width: info.width });
    state.upstream?.setWindow(info.rows, info.cols, info.height, info.width);
    state.recorder?.resize(info.cols, info.rows);
    accept?.();
  });
  sshSession.on('signal', (accept, _reject, info: { name: string }) => {
    state.upstream?.signal(info.name);
    accept?.();
  });
  sshSession.on('exec', (accept, reject, info) => {
    if (started) return reject?.();
    started = true;
    const channel = accept();
    runExec(session, channel, info.command, state).catch((err) => failChannel(session, channel, err));
  });
  sshSession.on('shell', (accept, reject) => {
    if (started) return reject?.();
    started = true;
    const channel = accept();
    runShell(session, channel, state).catch((err) => failChannel(session, channel, err));
  });
  sshSession.on('sftp', (accept, reject) => {
    if (started) return reject?.();
    started = true;
    serveSftp(session, accept);
  });
  sshSession.on('auth-agent', (accept, reject) => {
    if (started || state.agentForward) return reject?.();
    const allowed = decideAgentForwarding(session);
    state.agentForward = allowed;
    allowed.then(
      (ok) => (ok ? accept?.() : reject?.()),
      () => reject?.(),
    );
  });
  // No listener for other subsystems, x11 or env: ssh2 refuses those requests.
}

function failChannel(session: SessionContext, channel: ServerChannel, err: unknown): void {
  session.logger?.error?.({ sessionId: session.id, err }, 'session channel failed');
  try {
    channel.stderr.write(`portcullis: ${(err as Error)?.message ?? String(err)}\n`);
    channel.exit(255);
    channel.end();
  } catch {
    // The channel is already gone.
  }
}
