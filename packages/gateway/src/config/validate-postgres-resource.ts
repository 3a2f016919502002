import type { ConfigChecker } from './config-checker.js';
import { listenAt, NAME, secret } from './field-checks.js';
import type { PostgresResourceConfig, SecretRef } from './gateway-config.js';

type ClientTls = NonNullable<PostgresResourceConfig['tls']>;
type UpstreamTls = NonNullable<PostgresResourceConfig['upstream']['tls']>;

/** `tls: { cert, key, ca?, require? }`: the certificate clients see; `require` refuses plain connections. */
function clientTls(c: ConfigChecker, raw: unknown, path: string): ClientTls | undefined {
  const t = c.object(raw, path, false);
  if (!t) return undefined;
  c.known(t, path, ['cert', 'key', 'ca', 'require']);
  const cert = secret(c, t.cert, `${path}.cert`);
  const key = secret(c, t.key, `${path}.key`);
  const ca = t.ca === undefined ? undefined : secret(c, t.ca, `${path}.ca`);
  const require = c.boolean(t.require, `${path}.require`, true);
  if (!cert || !key || require === undefined) return undefined;
  return { cert, key, require, ...(ca ? { ca } : {}) };
}

/**
 * `upstream.tls: { ca?, server_name?, channel_binding? }`: TLS to PostgreSQL, always
 * verify-full (certificate chain and host name); `ca` for a private CA, else the system's;
 * `channel_binding` prefer (default), require or disable: SCRAM-SHA-256-PLUS to the server.
 */
function upstreamTls(c: ConfigChecker, raw: unknown, path: string): UpstreamTls | undefined {
  if (raw === undefined || raw === false) return undefined;
  const t = c.object(raw === true ? {} : raw, path);
  if (!t) return undefined;
  c.known(t, path, ['ca', 'server_name', 'channel_binding']);
  const ca: SecretRef | undefined = t.ca === undefined ? undefined : secret(c, t.ca, `${path}.ca`);
  const serverName = t.server_name === undefined ? undefined : c.string(t.server_name, `${path}.server_name`);
  const binding = t.channel_binding;
  if (binding !== undefined && binding !== 'prefer' && binding !== 'require' && binding !== 'disable')
    c.fail(`${path}.channel_binding`, 'must be prefer, require or disable');
  return {
    ...(ca ? { ca } : {}),
    ...(serverName ? { serverName } : {}),
    ...(binding === 'prefer' || binding === 'require' || binding === 'disable'
      ? { channelBinding: binding }
      : {}),
  };
}

/** Validates one `type: postgres` resource; `r` is the resource's object, its type already checked. */
export function validatePostgresResource(
  c: ConfigChecker,
  r: Record<string, unknown>,
  path: string,
): PostgresResourceConfig | undefined {
  c.known(r, path, ['name', 'type', 'labels', 'listen', 'tls', 'upstream']);
  const name = c.string(r.name, `${path}.name`, { pattern: NAME, hint: 'letters, digits, ".", "_" and "-"' });
  const labels = c.stringMap(r.labels, `${path}.labels`);
  const listen = listenAt(c, r.listen, `${path}.listen`);
  const tls = clientTls(c, r.tls, `${path}.tls`);
  const up = c.object(r.upstream, `${path}.upstream`);
  if (!up) return undefined;
  c.known(up, `${path}.upstream`, ['host', 'port', 'database', 'user', 'password', 'tls', 'reuse']);
  const reuse = c.boolean(up.reuse, `${path}.upstream.reuse`, false);
  const upTls = upstreamTls(c, up.tls, `${path}.upstream.tls`);
  const upHost = c.string(up.host, `${path}.upstream.host`);
  const upPort = c.port(up.port, `${path}.upstream.port`, { default: 5432 });
  const database = up.database === undefined ? undefined : c.string(up.database, `${path}.upstream.database`);
  const user = c.string(up.user, `${path}.upstream.user`);
  const password = secret(c, up.password, `${path}.upstream.password`);
  if (upHost?.startsWith('/') && upTls)
    c.fail(
      `${path}.upstream.tls`,
      'must be off when upstream.host is the directory of a Unix-domain socket: PostgreSQL offers no TLS there',
    );
  if (!name || !labels || !listen || !upHost || upPort === undefined) return;
  if (!user || !password) return undefined;
  return {
    type: 'postgres',
    name,
    labels,
    listen,
    ...(tls ? { tls } : {}),
    upstream: {
      host: upHost,
      port: upPort,
      user,
      password,
      ...(database !== undefined ? { database } : {}),
      ...(upTls ? { tls: upTls } : {}),
      ...(reuse ? { reuse } : {}),
    },
  };
}
