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

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const SIZE = /^(\d+)\s*(B|KiB|MiB|GiB)?$/;

/** A size in bytes: a whole number, or one with a unit (`512MiB`, `1GiB`); `0` for "never". */
export function byteSize(
  c: ConfigChecker,
  value: unknown,
  path: string,
  fallback: number,
): number | undefined {
  if (value === undefined) return fallback;
  const match =
    typeof value === 'number'
      ? SIZE.exec(String(value))
      : typeof value === 'string'
        ? SIZE.exec(value)
        : null;
  const bytes = match ? Number(match[1]) * (SIZE_UNITS[match[2] ?? ''] as number) : Number.NaN;
  if (!Number.isSafeInteger(bytes)) {
    c.fail(
      path,
      `expected a size such as 512MiB or 1GiB (or bytes, or 0 for never), got ${JSON.stringify(value)}`,
    );
    return undefined;
  }
  return bytes;
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
