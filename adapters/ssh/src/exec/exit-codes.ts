/**
 * Exit statuses the proxy reports on a channel it did not let reach the host. 126 is the
 * shell's "found but cannot execute", which scripts already treat as a refusal; 255 is what
 * OpenSSH's own client reports when the connection failed.
 */
export const ExitStatus = {
  /** Denied by policy, not approved, or approval unavailable. */
  refused: 126,
  /** The host could not be reached or refused the channel. */
  upstreamFailed: 255,
} as const;
