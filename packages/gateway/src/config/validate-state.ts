import { isAbsolute, resolve } from 'node:path';
import type { ConfigChecker } from './config-checker.js';
import { retention, secret } from './field-checks.js';
import type { GatewayConfig, PolicyConfig, PostgresStateConfig } from './gateway-config.js';

const DEFAULT_STATE_PATH = './.portcullis/state.db';

/**
 * `state:` is either `path` (one SQLite file, the default) or `postgres` (a database several
 * gateways share), never both: a gateway writing to one while its peers read the other
 * would silently split approvals and revocations.
 */
export function validateState(
  c: ConfigChecker,
  raw: unknown,
  base: string,
): GatewayConfig['state'] | undefined {
  const state = c.object(raw ?? {}, 'state');
  if (!state) return undefined;
  c.known(state, 'state', ['path', 'postgres', 'retention']);
  const kept = retention(c, state.retention, 'state.retention', '2160h');
  if (state.path !== undefined && state.postgres !== undefined) {
    c.fail('state', 'give either path (a SQLite file) or postgres (a shared database), not both');
    return undefined;
  }
  const text = c.string(state.path, 'state.path', {
    default: DEFAULT_STATE_PATH,
    hint: 'a file path, relative to the config file',
  });
  if (text === undefined) return undefined;
  const path = isAbsolute(text) ? text : resolve(base, text);
  const history = kept ? { retention: kept[0], retentionMs: kept[1] } : {};
  if (state.postgres === undefined) return { path, ...history };
  const postgres = postgresState(c, state.postgres);
  return postgres ? { path, postgres, ...history } : undefined;
}

function postgresState(c: ConfigChecker, raw: unknown): PostgresStateConfig | undefined {
  const p = c.object(raw, 'state.postgres');
  if (!p) return undefined;
  c.known(p, 'state.postgres', ['url', 'host', 'port', 'database', 'user', 'password']);
  const out: PostgresStateConfig = {};
  let ok = true;
  if (p.url !== undefined) {
    const url = c.string(p.url, 'state.postgres.url', { hint: 'postgres://user@host:port/database' });
    if (url === undefined) ok = false;
    else {
      let parsed: URL | undefined;
      try {
        parsed = new URL(url);
      } catch {}
      if (!parsed || (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')) {
        // The URL is not echoed: it may carry a password.
        c.fail('state.postgres.url', 'expected postgres://user@host:port/database');
        ok = false;
      } else if (parsed.password !== '') {
        c.fail('state.postgres.url', 'must not hold a password; use state.postgres.password: env:VARIABLE');
        ok = false;
      } else out.url = url;
    }
  } else if (p.host === undefined) {
    c.fail('state.postgres', 'give url (postgres://user@host:port/database) or host, database and user');
    ok = false;
  }
  for (const field of ['host', 'database', 'user'] as const) {
    if (p[field] === undefined) continue;
    const value = c.string(p[field], `state.postgres.${field}`);
    if (value === undefined) ok = false;
    else out[field] = value;
  }
  if (p.port !== undefined) {
    const port = c.port(p.port, 'state.postgres.port', { default: 5432 });
    if (port === undefined) ok = false;
    else out.port = port;
  }
  if (p.password !== undefined) {
    const password = secret(c, p.password, 'state.postgres.password');
    if (password === undefined) ok = false;
    else out.password = password;
  }
  return ok ? out : undefined;
}

/**
 * `policy.bundle: https://…`: a bundle polled as OPA's bundle service polls, with
 * `polling.min_delay_seconds` / `max_delay_seconds` (OPA's names and defaults, 60 and 120).
 */
export function remoteBundlePolicy(
  c: ConfigChecker,
  url: string,
  pollingRaw: unknown,
  entrypoint: string,
): PolicyConfig | undefined {
  const checked = c.url(url, 'policy.bundle', true);
  const polling = c.object(pollingRaw ?? {}, 'policy.polling');
  if (!checked || !polling) return undefined;
  c.known(polling, 'policy.polling', ['min_delay_seconds', 'max_delay_seconds']);
  const seconds = (value: unknown, field: string, fallback: number): number | undefined => {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      return c.fail(
        `policy.polling.${field}`,
        `expected a positive number of seconds, got ${JSON.stringify(v)}`,
      );
    return v;
  };
  const min = seconds(polling.min_delay_seconds, 'min_delay_seconds', 60);
  const max = seconds(polling.max_delay_seconds, 'max_delay_seconds', 120);
  if (min === undefined || max === undefined) return undefined;
  if (max < min) return c.fail('policy.polling', 'max_delay_seconds must not be less than min_delay_seconds');
  return {
    kind: 'remote-bundle',
    url: checked,
    entrypoint,
    polling: { minDelayMs: Math.round(min * 1000), maxDelayMs: Math.round(max * 1000) },
  };
}
