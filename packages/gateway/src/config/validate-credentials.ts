import type { ConfigChecker } from './config-checker.js';
import { duration } from './field-checks.js';

/** `credentials:`, the limits of credentials issued through the HTTP API (`portcullis login`). */
export interface CredentialsConfig {
  /** Longest credential the API issues; default 1h. */
  maxTtl: string;
  maxTtlMs: number;
  /** When a request names no ttl; default 15m (cut to maxTtl). */
  defaultTtl: string;
  /** Members may revoke or list anyone's credentials; default none. */
  adminGroups: string[];
}

export function validateCredentials(c: ConfigChecker, raw: unknown): CredentialsConfig | undefined {
  const o = c.object(raw ?? {}, 'credentials');
  if (!o) return undefined;
  c.known(o, 'credentials', ['max_ttl', 'default_ttl', 'admin_groups']);
  const max = duration(c, o.max_ttl, 'credentials.max_ttl', '1h');
  const def = duration(c, o.default_ttl, 'credentials.default_ttl', '15m');
  const adminGroups = c.stringList(o.admin_groups, 'credentials.admin_groups');
  if (!max || !def || !adminGroups) return undefined;
  if (def[1] > max[1] && o.default_ttl !== undefined)
    return c.fail('credentials.default_ttl', `${def[0]} is longer than credentials.max_ttl (${max[0]})`);
  return { maxTtl: max[0], maxTtlMs: max[1], defaultTtl: def[0], adminGroups };
}
