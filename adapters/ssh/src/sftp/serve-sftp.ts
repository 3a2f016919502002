/**
 * An `sftp` subsystem request: decided first as `action: 'connect'` with the pseudo command
 * line `subsystem sftp` (so a policy can refuse file transfer outright), then served by the
 * proxy and relayed operation by operation to the host's sftp-server.
 */

import type { SFTPWrapper } from 'ssh2';
import { ExitStatus } from '../exec/exit-codes.js';
import { decideCommand } from '../proxy/command-verdict.js';
import type { SessionContext } from '../proxy/session-context.js';
import { relaySftp } from './sftp-channel.js';

/** The pseudo command line an sftp subsystem request is decided as. */
export const SFTP_REQUEST_LINE = 'subsystem sftp';

/** SSH_EXTENDED_DATA_STDERR, RFC 4254 §5.2. */
const EXTENDED_DATA_STDERR = 1;

interface ChannelInternals {
  outgoing?: { id?: number; state?: string };
  _protocol?: {
    channelExtData?(id: number, data: Buffer, type: number): void;
    exitStatus?(id: number, status: number): void;
  };
}

/**
 * stderr and exit-status for an sftp channel. ssh2's server-side SFTP object has neither,
 * so both go out through its protocol object. An exit status matters: without one OpenSSH's
 * ssh exits 255 and scp (which runs sftp since OpenSSH 9) reports the copy as failed. If the
 * internals ever go away the text is dropped and the status codes alone tell the client.
 */
function channelOps(channel: SFTPWrapper) {
  const internals = channel as unknown as ChannelInternals;
  const send = (fn: (id: number) => void) => {
    const id = internals.outgoing?.id;
    if (id === undefined || internals.outgoing?.state !== 'open') return;
    try {
      fn(id);
    } catch {
      // The connection is going away.
    }
  };
  return {
    stderr: (text: string) =>
      send((id) =>
        internals._protocol?.channelExtData?.(id, Buffer.from(`${text}\n`, 'utf8'), EXTENDED_DATA_STDERR),
      ),
    exit: (status: number) => send((id) => internals._protocol?.exitStatus?.(id, status)),
  };
}

export function serveSftp(session: SessionContext, accept: () => SFTPWrapper): void {
  const client = accept();
  const ops = channelOps(client);
  const explain = ops.stderr;
  const abort = new AbortController();
  let up: SFTPWrapper | undefined;
  let status = 0;
  const closeBoth = () => {
    if (abort.signal.aborted) return;
    abort.abort();
    up?.end();
    ops.exit(status);
    client.end();
  };
  client.once('close', closeBoth);
  client.once('end', closeBoth);

  const upstream = (async (): Promise<SFTPWrapper | undefined> => {
    const opened = await decideCommand(session, SFTP_REQUEST_LINE, 'connect', explain, abort.signal);
    if (abort.signal.aborted) return undefined;
    if (opened.decision.effect !== 'allow') {
      explain(opened.message ?? 'portcullis: not run');
      status = ExitStatus.refused;
      closeBoth();
      return undefined;
    }
    try {
      up = await (await session.upstream()).sftp();
    } catch (err) {
      explain(`portcullis: host unavailable: ${(err as Error).message}`);
      status = ExitStatus.upstreamFailed;
      closeBoth();
      return undefined;
    }
    if (abort.signal.aborted) {
      up.end();
      return undefined;
    }
    up.once('close', () => {
      // The host ended sftp before the client did: say so the way OpenSSH's client does.
      if (!abort.signal.aborted) status = ExitStatus.upstreamFailed;
      closeBoth();
    });
    return up;
  })();
  upstream.catch((err) => {
    session.logger?.error?.({ sessionId: session.id, err }, 'sftp session failed');
    closeBoth();
  });
  relaySftp(session, client, upstream, { explain, signal: abort.signal });
}
