import { tryParseDuration } from '@portcullis/core';
import type { ConfigChecker } from './config-checker.js';
import type { ListenConfig, SecretRef } from './gateway-config.js';
import { parseSecretRef } from './secret-ref.js';

/** Resource names: they appear in metrics labels, log fields and URLs. */
export const NAME = /^[a-z0-9][a-z0-9._-]*$/i;

export function duration(
  c: ConfigChecker,
  value: unknown,
  path: string,
  fallback: string,
): [string, number] | undefined {
  return durationOrZero(c, value, path, fallback, false);
}

/** A duration that may also be `0`, for "keep forever" (a retention). */
export function retention(
  c: ConfigChecker,
  value: unknown,
  path: string,
  fallback: string,
): [string, number] | undefined {
  return durationOrZero(c, value, path, fallback, true);
}

function durationOrZero(
  c: ConfigChecker,
  value: unknown,
  path: string,
  fallback: string,
  zero: boolean,
): [string, number] | undefined {
  const text = value === undefined ? fallback : value;
  const ms = typeof text === 'string' ? tryParseDuration(text) : undefined;
  if (ms === undefined || (ms <= 0 && !(zero && ms === 0))) {
    const expected = zero
      ? 'a duration such as 720h or 2160h, or 0 to keep everything'
      : 'a duration such as 30s, 15m or 1h30m';
    c.fail(path, `expected ${expected}, got ${JSON.stringify(text)}`);
    return undefined;
  }
  return [text as string, ms];
}

export function secret(c: ConfigChecker, value: unknown, path: string): SecretRef | undefined {
  if (typeof value !== 'string' || value === '')
    return c.fail(path, 'expected env:VARIABLE or file:/path/to/secret');
  const ref = parseSecretRef(value);
  // The value is deliberately not echoed: it may be the secret itself.
  if (!ref) return c.fail(path, 'inline secrets are not accepted; use env:VARIABLE or file:/path/to/secret');
  return ref;
}

/** A resource's `listen: { host, port }`; host defaults to loopback, port is required. */
export function listenAt(c: ConfigChecker, raw: unknown, path: string): ListenConfig | undefined {
  const listen = c.object(raw, path);
  if (!listen) return undefined;
  c.known(listen, path, ['host', 'port']);
  const host = c.string(listen.host, `${path}.host`, { default: '127.0.0.1' });
  const port = c.port(listen.port, `${path}.port`, { listen: true });
  return host === undefined || port === undefined ? undefined : { host, port };
}
