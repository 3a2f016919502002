import type { RecordingWriter } from './asciicast-recorder.js';

/** What a recording is of, for naming and indexing it. */
export interface RecordingInfo {
  /** The proxy's session id: audit records of the same connection carry it as `session_id`. */
  sessionId: string;
  /** 1, 2, … per recorded channel of the session. */
  channel: number;
  kind: 'shell' | 'exec';
  /** The exec command line. */
  command?: string;
  subject: string;
  resource: string;
  /** RFC 3339. */
  startedAt: string;
}

export interface SshRecordingOptions {
  /**
   * Where one channel's recording goes. Called for every interactive shell and every exec
   * with a pty, before the host is reached; a hook that throws or rejects refuses the
   * channel (a session that was to be recorded and cannot be does not run).
   */
  open(info: RecordingInfo): RecordingWriter | Promise<RecordingWriter>;
  /** How long typed input may wait for its echo before it is left out; default 250 ms. */
  echoWindowMs?: number;
  /** The host's login shell, for the header's `env.SHELL`; left out when not given. */
  shell?: string;
}
