/**
 * Every error class of @portcullis/ssh, by its stable code. All extend @portcullis/core's
 * PortcullisError. Over the wire they become what SSH has: a stderr line and an exit status
 * on the channel, or a refused channel or request.
 */
import { PortcullisError } from '@portcullis/core';

/** The upstream host could not be reached, refused the operator's key, or refused a channel. */
export class SshUpstreamError extends PortcullisError {
  override readonly code = 'PC_SSH_UPSTREAM';
}

/** The upstream host presented a host key that is not the pinned one (or the verifier refused it). */
export class SshHostKeyError extends PortcullisError {
  override readonly code = 'PC_SSH_HOST_KEY';
  readonly fingerprint: string;
  constructor(fingerprint: string, message: string) {
    super(message);
    this.fingerprint = fingerprint;
  }
}

export const sshErrorClasses = {
  PC_SSH_UPSTREAM: SshUpstreamError,
  PC_SSH_HOST_KEY: SshHostKeyError,
} as const;
