import type { ConfigChecker } from './config-checker.js';
import { listenAt, NAME, secret } from './field-checks.js';
import type { PostgresResourceConfig } from './gateway-config.js';

/** Validates one `type: postgres` resource; `r` is the resource's object, its type already checked. */
export function validatePostgresResource(
  c: ConfigChecker,
  r: Record<string, unknown>,
  path: string,
): PostgresResourceConfig | undefined {
  c.known(r, path, ['name', 'type', 'labels', 'listen', 'upstream']);
  const name = c.string(r.name, `${path}.name`, { pattern: NAME, hint: 'letters, digits, ".", "_" and "-"' });
  const labels = c.stringMap(r.labels, `${path}.labels`);
  const listen = listenAt(c, r.listen, `${path}.listen`);
  const up = c.object(r.upstream, `${path}.upstream`);
  if (!up) return undefined;
  c.known(up, `${path}.upstream`, ['host', 'port', 'database', 'user', 'password']);
  const upHost = c.string(up.host, `${path}.upstream.host`);
  const upPort = c.port(up.port, `${path}.upstream.port`, { default: 5432 });
  const database = up.database === undefined ? undefined : c.string(up.database, `${path}.upstream.database`);
  const user = c.string(up.user, `${path}.upstream.user`);
  const password = secret(c, up.password, `${path}.upstream.password`);
  if (!name || !labels || !listen || !upHost || upPort === undefined) return;
  if (!user || !password) return undefined;
  return {
    type: 'postgres',
    name,
    labels,
    listen,
    upstream: {
      host: upHost,
      port: upPort,
      user,
      password,
      ...(database !== undefined ? { database } : {}),
    },
  };
}
