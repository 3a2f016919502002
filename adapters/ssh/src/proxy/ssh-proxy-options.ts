import type { ApprovalStore, AuditSink, Engine, EngineLogger, PolicyRequest } from '@portcullis/core';
import type { SshRecordingOptions } from '../recording/recording-options.js';
import type { UpstreamOptions } from '../upstream/upstream-options.js';

/** Who the authenticate hooks say the client is. */
export interface SshIdentity {
  subject: PolicyRequest['subject'];
  /**
   * Who approval requests are filed for (the person an agent acts for); reviewers may not
   * approve their own requests. Defaults to the subject's id.
   */
  requester?: string;
}

/** A public key the client offered, for the `publicKey` hook. */
export interface PublicKeyContext {
  /** The user name the client asked for (`alice` in `ssh alice@gateway`). */
  username: string;
  /** Key algorithm as offered (`ssh-ed25519`, `rsa-sha2-256` …). */
  algorithm: string;
  /** The public key blob in SSH wire format. */
  key: Buffer;
  /** `SHA256:<base64>`, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** `<type> <base64>`, the authorized_keys form of the key (without comment). */
  authorizedKey: string;
  /** The client's address. */
  source: string;
}

export interface SshAuthenticateHooks {
  /**
   * Map a public key to an identity, or null to refuse it. Only consulted for a key whose
   * possession the client has proved (or is about to prove: the proxy checks the signature
   * before it takes the identity).
   */
  publicKey?(ctx: PublicKeyContext): SshIdentity | null | Promise<SshIdentity | null>;
  /** Check a password (a short-lived gateway credential, typically); null refuses. */
  password?(
    username: string,
    password: string,
    ctx: { source: string },
  ): SshIdentity | null | Promise<SshIdentity | null>;
}

/** Holding commands whose decision is `approve`. */
export interface SshApprovalOptions {
  store: ApprovalStore;
  /** How long a held command waits for reviewers, in milliseconds. */
  waitMs: number;
  /** Where a reviewer approves request `id`, named in the stderr message. */
  approveUrl?: (id: string) => string;
}

export interface SshProxyOptions {
  engine: Engine;
  /** Private host keys the proxy presents to clients (PEM / OpenSSH format). At least one. */
  hostKeys: (string | Buffer)[];
  /** How clients prove who they are. With neither hook every client is refused. */
  authenticate: SshAuthenticateHooks;
  /** The real host and the operator's key for it; never shown to clients. */
  upstream: UpstreamOptions;
  /** The resource in every policy input: `{ type: 'ssh', name, labels }`. */
  resource: { name: string; labels?: Record<string, string> };
  /**
   * Hold commands the policy says need approval: file a request in `store`, say so on
   * stderr, run the command if approved within `waitMs`. Without it such commands are refused.
   */
  approvals?: SshApprovalOptions;
  /** Every decision is written here before it is enforced; a failed write denies. */
  audit?: AuditSink;
  /** Masking of channel output (the rules themselves come from each decision's `masks`). */
  masking?: {
    /** Key for `hash` masks (at least 16 bytes), so hashes are stable across processes. */
    hashKey?: string | Uint8Array;
  };
  /**
   * Record interactive shells and pty execs in asciicast v2 (see docs/adapters/ssh.md):
   * `open` says where each recording goes (`directoryRecordings(dir)` writes `.cast` files).
   */
  recording?: SshRecordingOptions;
  /**
   * Ciphers offered to clients, by ssh2's names (`aes128-gcm@openssh.com`, …); default
   * ssh2's list. A client takes the first cipher of its own list that is offered, so offering
   * fewer is the only way to steer it: OpenSSH's client prefers chacha20-poly1305, then the
   * CTR ciphers (with a MAC), then AES-GCM. See benchmarks/ssh for what each costs the proxy.
   */
  ciphers?: string[];
  /** How long a client may take to authenticate; default 30 000 ms. */
  authenticationTimeoutMs?: number;
  /** pino-shaped; nothing is logged without it. */
  logger?: EngineLogger;
}
