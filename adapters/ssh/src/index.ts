/**
 * @portcullis/ssh — an SSH proxy on ssh2 channels. Users keep their own ssh client; the proxy
 * authenticates them through the embedder's hooks, logs in to the real host with the
 * operator's key (verifying its pinned host key), and decides every exec request (and
 * forwarding request) with @portcullis/core's engine before it reaches the host: denied
 * commands get their reasons on stderr and exit status 126, held ones wait for reviewers,
 * allowed ones run with their output masked as the decision says. The sftp subsystem is
 * served by the proxy and every file operation decided (`action: 'file'`), legacy scp too;
 * interactive sessions can be recorded in asciicast v2.
 */

export { authenticateAttempt, offeredMethods } from './auth/authenticate-client.js';
export { SshHostKeyError, SshUpstreamError, sshErrorClasses } from './errors.js';
export { ExitStatus } from './exec/exit-codes.js';
export { directTcpipLine, shellQuote } from './forwarding/forward-request.js';
export { commandFingerprint } from './proxy/command-verdict.js';
export { createSshProxy, type SshProxy } from './proxy/create-ssh-proxy.js';
export type {
  PublicKeyContext,
  SshApprovalOptions,
  SshAuthenticateHooks,
  SshIdentity,
  SshProxyOptions,
} from './proxy/ssh-proxy-options.js';
export {
  type AsciicastHeader,
  AsciicastRecorder,
  type RecorderOptions,
  type RecordingWriter,
} from './recording/asciicast-recorder.js';
export { type DirectoryRecordingsOptions, directoryRecordings } from './recording/directory-recordings.js';
export type { RecordingInfo, SshRecordingOptions } from './recording/recording-options.js';
export { SFTP_REQUEST_LINE } from './sftp/serve-sftp.js';
export { SHELL_REQUEST_LINE } from './shell/shell-channel.js';
export { hostKeyFingerprint } from './upstream/host-key-fingerprint.js';
export type { UpstreamOptions } from './upstream/upstream-options.js';
