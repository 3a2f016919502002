import type { PseudoTtyOptions } from 'ssh2';
import type { SessionContext } from '../proxy/session-context.js';
import { AsciicastRecorder } from './asciicast-recorder.js';

/**
 * The recorder for one channel, or undefined when the proxy records nothing. Throws when the
 * operator's hook cannot open a recording: the caller refuses the channel.
 */
export async function openRecorder(
  session: SessionContext,
  pty: PseudoTtyOptions | undefined,
  kind: 'shell' | 'exec',
  command?: string,
): Promise<AsciicastRecorder | undefined> {
  const options = session.options.recording;
  if (!options) return undefined;
  const writer = await options.open({
    sessionId: session.id,
    channel: session.nextRecordingNumber(),
    kind,
    ...(command === undefined ? {} : { command }),
    subject: session.identity.subject.id,
    resource: session.options.resource.name,
    startedAt: new Date().toISOString(),
  });
  const env: Record<string, string> = {};
  if (pty?.term) env.TERM = pty.term;
  if (options.shell) env.SHELL = options.shell;
  return new AsciicastRecorder(writer, {
    width: pty?.cols || 80,
    height: pty?.rows || 24,
    env,
    title: `${session.identity.subject.id} on ${session.options.resource.name}${command === undefined ? '' : `: ${command}`}`,
    ...(options.echoWindowMs === undefined ? {} : { echoWindowMs: options.echoWindowMs }),
  });
}
