/** The real SSH host behind the proxy, and how the proxy logs in to it. */
export interface UpstreamOptions {
  host: string;
  port?: number;
  /** The account on the host the proxy logs in as. */
  username: string;
  /** The operator's private key (never the user's). */
  privateKey: string | Buffer;
  passphrase?: string;
  /**
   * The host key pinned as `SHA256:<base64>` (what `ssh-keygen -lf` prints), or several during
   * a key rotation. One of this and `hostVerifier` is required: the proxy never trusts a
   * host key on first use.
   */
  hostKeyFingerprint?: string | string[];
  /** Decide on the host key yourself (a known_hosts lookup); receives the key blob. */
  hostVerifier?: (key: Buffer, fingerprint: string) => boolean;
  /** How long connecting and logging in may take; default 15 000 ms. */
  readyTimeoutMs?: number;
}
