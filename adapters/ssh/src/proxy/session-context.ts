import { randomUUID } from 'node:crypto';
import type { EngineLogger, GrantedApproval } from '@portcullis/core';
import type { ServerChannel } from 'ssh2';
import { ClientAgentRelay } from '../forwarding/agent-forward.js';
import { connectUpstream, type UpstreamConnection } from '../upstream/connect-upstream.js';
import type { SshIdentity, SshProxyOptions } from './ssh-proxy-options.js';

/**
 * What every channel of one client connection shares: who the client is, the session the
 * policy sees, the approvals granted in it, and the one upstream connection, opened on first
 * use so that a client whose every command is denied never reaches the host.
 */
export class SessionContext {
  readonly id = randomUUID();
  readonly startedAt = new Date().toISOString().replace(/\.000Z$/, 'Z');
  readonly granted: GrantedApproval[] = [];
  /**
   * Whether a session channel of this connection was allowed agent forwarding (see
   * agent-forward.ts). Until then the host's agent channels are refused.
   */
  agentForwarding = false;
  /** Remote forwards (`ssh -R`) the host listens for on this connection's behalf. */
  readonly remoteForwards = new Map<string, { bindAddr: string; bindPort: number }>();
  /** Opens agent channels toward this client, where ssh2 can (agentChannelOpener). */
  agentChannels: (() => Promise<ServerChannel>) | undefined;
  #upstream: Promise<UpstreamConnection> | undefined;
  #recordings = 0;
  #closed = false;

  constructor(
    readonly options: SshProxyOptions,
    readonly identity: SshIdentity,
    readonly source: string,
    readonly logger: EngineLogger | undefined,
  ) {}

  upstream(): Promise<UpstreamConnection> {
    if (this.#upstream === undefined) {
      this.#upstream = connectUpstream(this.options.upstream, new ClientAgentRelay(this));
      this.#upstream.then(
        (u) => {
          if (this.#closed) u.close();
        },
        (err) => this.logger?.error?.({ sessionId: this.id, err }, 'upstream connection failed'),
      );
    }
    return this.#upstream;
  }

  /** 1, 2, … for the recordings of this session's channels. */
  nextRecordingNumber(): number {
    this.#recordings += 1;
    return this.#recordings;
  }

  close(): void {
    this.#closed = true;
    this.#upstream?.then(
      (u) => u.close(),
      () => {},
    );
  }
}
