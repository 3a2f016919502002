import { InvalidOptionError } from '@portcullis/core';
import type { SshProxyOptions } from './ssh-proxy-options.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Checks options once, at construction, naming the option that is wrong. */
export function validateOptions(options: SshProxyOptions): void {
  if (!isObject(options)) throw new InvalidOptionError('options', 'must be an object');
  if (!isObject(options.engine) || typeof options.engine.decide !== 'function') {
    throw new InvalidOptionError('engine', 'must be an engine from createEngine');
  }
  if (!Array.isArray(options.hostKeys) || options.hostKeys.length === 0) {
    throw new InvalidOptionError('hostKeys', 'must list at least one private host key');
  }
  const auth = options.authenticate;
  if (!isObject(auth) || (typeof auth.publicKey !== 'function' && typeof auth.password !== 'function')) {
    throw new InvalidOptionError('authenticate', 'needs a publicKey or a password hook');
  }
  const up = options.upstream;
  if (!isObject(up)) throw new InvalidOptionError('upstream', 'is required');
  if (typeof up.host !== 'string' || up.host === '')
    throw new InvalidOptionError('upstream.host', 'is required');
  if (up.port !== undefined && (!Number.isInteger(up.port) || up.port < 1 || up.port > 65535)) {
    throw new InvalidOptionError('upstream.port', 'must be a TCP port');
  }
  if (typeof up.username !== 'string' || up.username === '') {
    throw new InvalidOptionError('upstream.username', 'is required');
  }
  if (typeof up.privateKey !== 'string' && !Buffer.isBuffer(up.privateKey)) {
    throw new InvalidOptionError('upstream.privateKey', "is required (the operator's key)");
  }
  const pins = up.hostKeyFingerprint === undefined ? [] : [up.hostKeyFingerprint].flat();
  if (up.hostVerifier === undefined && pins.length === 0) {
    throw new InvalidOptionError(
      'upstream.hostKeyFingerprint',
      'is required (or upstream.hostVerifier): the host key must be pinned',
    );
  }
  if (!pins.every((p) => typeof p === 'string' && /^(SHA256:)?[A-Za-z0-9+/]{43}=?$/.test(p))) {
    throw new InvalidOptionError(
      'upstream.hostKeyFingerprint',
      'must be SHA256:<base64>, as ssh-keygen -lf prints',
    );
  }
  if (up.hostVerifier !== undefined && typeof up.hostVerifier !== 'function') {
    throw new InvalidOptionError('upstream.hostVerifier', 'must be a function');
  }
  if (
    !isObject(options.resource) ||
    typeof options.resource.name !== 'string' ||
    options.resource.name === ''
  ) {
    throw new InvalidOptionError('resource.name', 'is required');
  }
  const ciphers = options.ciphers;
  if (
    ciphers !== undefined &&
    (!Array.isArray(ciphers) ||
      ciphers.length === 0 ||
      !ciphers.every((c) => typeof c === 'string' && c !== ''))
  ) {
    throw new InvalidOptionError('ciphers', 'must be a non-empty list of cipher names');
  }
  const approvals = options.approvals;
  if (approvals !== undefined) {
    if (!isObject(approvals) || !isObject(approvals.store)) {
      throw new InvalidOptionError('approvals.store', 'is required with approvals');
    }
    if (!Number.isFinite(approvals.waitMs) || approvals.waitMs <= 0) {
      throw new InvalidOptionError('approvals.waitMs', 'must be a positive number of milliseconds');
    }
  }
  const timeout = options.authenticationTimeoutMs;
  if (timeout !== undefined && (!Number.isFinite(timeout) || timeout <= 0)) {
    throw new InvalidOptionError('authenticationTimeoutMs', 'must be a positive number of milliseconds');
  }
}
