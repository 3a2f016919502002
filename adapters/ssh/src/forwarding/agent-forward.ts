/**
 * Agent forwarding (`ssh -A`) by policy. The client's `auth-agent-req@openssh.com` on a
 * session channel is decided as `action: 'connect'` with the pseudo command `auth-agent`;
 * when allowed, the proxy asks the host for agent forwarding on that session's upstream
 * channel, and each agent channel the host then opens is relayed to an
 * `auth-agent@openssh.com` channel the proxy opens toward the client. The user's agent
 * answers on the user's machine: its keys never reach the proxy or the host.
 *
 * ssh2's server side opens forwarded-tcpip, x11 and streamlocal channels toward a client,
 * but not agent channels, so `agentChannelOpener` opens one as its own `openChannel` does,
 * through ssh2 internals; where they are not what it expects, agent forwarding is refused.
 */

import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { Connection, ServerChannel } from 'ssh2';
import { decideCommand } from '../proxy/command-verdict.js';
import type { SessionContext } from '../proxy/session-context.js';
import { BaseAgent } from '../ssh2-runtime.js';

export const AUTH_AGENT_LINE = 'auth-agent';

const AGENT_CHANNEL_TYPE = 'auth-agent@openssh.com';

interface ChannelInternals {
  _chanMgr?: { add(handler: unknown): number };
  _protocol?: { openssh_authAgent?: (channel: number, window: number, packetSize: number) => void };
}

/** The window and packet size ssh2 records for a channel it opened (Channel.js), read once. */
let limits: { window: number; packetSize: number } | undefined | null = null;
function channelLimits(): { window: number; packetSize: number } | undefined {
  if (limits === null) limits = readChannelLimits();
  return limits;
}

function readChannelLimits(): { window: number; packetSize: number } | undefined {
  try {
    const require = createRequire(import.meta.url);
    const { MAX_WINDOW, PACKET_SIZE } = require('ssh2/lib/Channel.js') as Record<string, unknown>;
    return typeof MAX_WINDOW === 'number' && typeof PACKET_SIZE === 'number'
      ? { window: MAX_WINDOW, packetSize: PACKET_SIZE }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Opens agent channels toward the client, or undefined when this ssh2 cannot. */
export function agentChannelOpener(client: Connection): (() => Promise<ServerChannel>) | undefined {
  const internals = client as unknown as ChannelInternals;
  const manager = internals._chanMgr;
  const protocol = internals._protocol;
  const sizes = channelLimits();
  if (typeof manager?.add !== 'function' || typeof protocol?.openssh_authAgent !== 'function' || !sizes)
    return undefined;
  const open = protocol.openssh_authAgent.bind(protocol);
  return () =>
    new Promise<ServerChannel>((resolve, reject) => {
      // ssh2 calls this back on CHANNEL_OPEN_CONFIRMATION or _FAILURE, with `type` on it.
      const opened = Object.assign(
        (err: Error | undefined, channel: ServerChannel) => (err ? reject(err) : resolve(channel)),
        { type: AGENT_CHANNEL_TYPE },
      );
      const id = manager.add(opened);
      if (id === -1) {
        reject(new Error('no free channels toward the client'));
        return;
      }
      open(id, sizes.window, sizes.packetSize);
    });
}

/**
 * The agent the upstream connection is given: it offers the host no keys to log in with (the
 * operator's key does that), and hands the host's agent channels to the client's agent only
 * once a session channel of this connection was allowed agent forwarding.
 */
export class ClientAgentRelay extends BaseAgent {
  constructor(private readonly session: SessionContext) {
    super();
  }

  override getIdentities(cb: (err: Error | undefined, keys?: Buffer[]) => void): void {
    cb(undefined, []);
  }

  override sign(_key: unknown, _data: Buffer, options: unknown, cb?: (err: Error) => void): void {
    const done = typeof options === 'function' ? (options as (err: Error) => void) : cb;
    done?.(new Error('the relayed agent does not sign for the proxy'));
  }

  override getStream(cb: (err: Error | undefined, stream?: Duplex) => void): void {
    const open = this.session.agentChannels;
    if (!this.session.agentForwarding || !open) {
      cb(new Error('agent forwarding was not allowed in this session'));
      return;
    }
    open().then(
      (channel) => cb(undefined, channel),
      (err: Error) => {
        this.session.logger?.warn?.(
          { sessionId: this.session.id, err },
          'agent channel to the client failed',
        );
        cb(err);
      },
    );
  }
}

/**
 * A session channel's `auth-agent-req`: decided, and when allowed, accepted and remembered so
 * that the session's exec or shell asks the host for agent forwarding.
 */
export async function decideAgentForwarding(session: SessionContext): Promise<boolean> {
  const opener = session.agentChannels;
  if (!opener) {
    session.logger?.warn?.(
      { sessionId: session.id },
      'agent forwarding refused: ssh2 cannot open agent channels',
    );
    return false;
  }
  const verdict = await decideCommand(session, AUTH_AGENT_LINE, 'connect', () => {});
  if (verdict.decision.effect !== 'allow') {
    session.logger?.info?.({ sessionId: session.id }, 'agent forwarding refused');
    return false;
  }
  session.agentForwarding = true;
  return true;
}
