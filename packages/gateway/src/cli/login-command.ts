import { parseSecretRef, resolveSecret } from '../config/secret-ref.js';
import { LoginError } from '../errors.js';
import {
  clientCredentialsToken,
  type DevicePollOptions,
  pollDeviceToken,
  startDeviceAuthorization,
  type TokenResponse,
} from '../identity/oauth-client.js';
import { assertTrustedUrl, discoverOidc } from '../identity/oidc-discovery.js';
import type { IssuedCredentialResponse } from '../server/credentials-api.js';
import { type CliIo, writeLine } from './cli-io.js';

export interface LoginFlags {
  gateway?: string;
  resource?: string;
  issuer?: string;
  audience?: string;
  clientId?: string;
  /** `env:VAR` or `file:/path`: use the client credentials grant (agents). */
  clientSecret?: string;
  scope?: string;
  ttl?: string;
  dbname?: string;
  json?: boolean;
}

/** What tests inject: a fast clock for device-flow polling, and the environment. */
export interface LoginDeps {
  env?: NodeJS.ProcessEnv;
  sleep?: DevicePollOptions['sleep'];
}

interface LoginInfo {
  oidc: { issuer: string; audience: string } | null;
}

async function gatewayCall<T>(url: string, init: RequestInit, what: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new LoginError(`cannot reach the gateway at ${url}: ${(err as Error).message}`, { cause: err });
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new LoginError(`${what}: the gateway answered HTTP ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) {
    const p = body as { detail?: unknown; code?: unknown; reason?: unknown };
    const code =
      typeof p.code === 'string' ? ` [${p.code}${typeof p.reason === 'string' ? ` ${p.reason}` : ''}]` : '';
    throw new LoginError(
      `${what}: HTTP ${res.status}: ${typeof p.detail === 'string' ? p.detail : text}${code}`,
    );
  }
  return body as T;
}

/** A libpq keyword/value: quoted when it holds spaces, quotes or backslashes (libpq §34.1.1). */
function conninfoValue(value: string): string {
  return /^[^\s'\\]+$/.test(value) ? value : `'${value.replace(/(['\\])/g, '\\$1')}'`;
}

const shellQuote = (s: string) => (/^[A-Za-z0-9_.:@%+=/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** Where to tell the user to connect: a wildcard listener is reached at the gateway's own host name. */
function connectHost(host: string, gateway: URL): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return gateway.hostname.replace(/^\[|\]$/g, '');
  return host;
}

/**
 * `portcullis login`: gets an OIDC access token (device code flow for people, client
 * credentials for agents), trades it at the gateway for a short-lived credential for one
 * resource, and prints it with the psql line to use it.
 */
export async function runLogin(flags: LoginFlags, io: CliIo, deps: LoginDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  try {
    const gatewayText = flags.gateway ?? env.PORTCULLIS_URL;
    if (!gatewayText) throw new LoginError('--gateway URL is required (or set PORTCULLIS_URL)');
    if (!flags.resource) throw new LoginError('--resource NAME is required');
    let gateway: URL;
    try {
      gateway = new URL(gatewayText);
      if (gateway.protocol !== 'http:' && gateway.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new LoginError(`--gateway ${JSON.stringify(gatewayText)} is not an http:// or https:// URL`);
    }
    const base = gateway.href.replace(/\/$/, '');

    const info = await gatewayCall<LoginInfo>(`${base}/api/login`, {}, 'asking the gateway how to log in');
    const issuer = flags.issuer ?? info.oidc?.issuer;
    const audience = flags.audience ?? info.oidc?.audience;
    if (!issuer) throw new LoginError('the gateway names no OIDC issuer; give --issuer URL');
    const clientId = flags.clientId ?? env.PORTCULLIS_CLIENT_ID;
    if (!clientId) throw new LoginError('--client-id is required (or set PORTCULLIS_CLIENT_ID)');

    let metadata: Awaited<ReturnType<typeof discoverOidc>>;
    try {
      metadata = await discoverOidc(issuer);
    } catch (err) {
      throw new LoginError(`OIDC discovery for ${issuer} failed: ${(err as Error).message}`, { cause: err });
    }
    if (!metadata.token_endpoint) throw new LoginError(`${issuer} publishes no token_endpoint`);
    const tokenEndpoint = assertTrustedUrl(metadata.token_endpoint, 'token_endpoint').href;

    let token: TokenResponse;
    if (flags.clientSecret !== undefined) {
      const ref = parseSecretRef(flags.clientSecret);
      if (!ref)
        throw new LoginError('--client-secret takes env:VARIABLE or file:/path, never the secret itself');
      token = await clientCredentialsToken({
        tokenEndpoint,
        clientId,
        clientSecret: await resolveSecret(ref, env),
        ...(flags.scope ? { scope: flags.scope } : {}),
        ...(audience ? { resource: audience } : {}),
      });
    } else {
      if (!metadata.device_authorization_endpoint)
        throw new LoginError(
          `${issuer} publishes no device_authorization_endpoint; agents log in with --client-secret`,
        );
      const endpoint = assertTrustedUrl(
        metadata.device_authorization_endpoint,
        'device_authorization_endpoint',
      ).href;
      const authorization = await startDeviceAuthorization({
        endpoint,
        clientId,
        scope: flags.scope ?? 'openid',
        ...(audience ? { resource: audience } : {}),
      });
      // Instructions go to stderr so stdout holds only the result (and stays parseable with --json).
      await writeLine(io.stderr, `To log in, open ${authorization.verification_uri}`);
      await writeLine(io.stderr, `and enter the code ${authorization.user_code}`);
      if (authorization.verification_uri_complete)
        await writeLine(io.stderr, `(or open ${authorization.verification_uri_complete})`);
      await writeLine(io.stderr, 'Waiting for approval…');
      token = await pollDeviceToken({
        tokenEndpoint,
        clientId,
        authorization,
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
      });
    }

    const issued = await gatewayCall<IssuedCredentialResponse>(
      `${base}/api/credentials`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ resource: flags.resource, ...(flags.ttl ? { ttl: flags.ttl } : {}) }),
      },
      'exchanging the token for a credential',
    );

    if (flags.json) {
      await writeLine(io.stdout, JSON.stringify(issued));
      return 0;
    }
    await writeLine(
      io.stdout,
      `credential ${issued.id} for ${issued.user} on ${issued.resource}, expires ${issued.expires_at}`,
    );
    const ep = issued.endpoint;
    if (ep?.type === 'postgres') {
      const conninfo = [
        `host=${conninfoValue(connectHost(ep.host, gateway))}`,
        `port=${ep.port}`,
        `user=${conninfoValue(issued.user)}`,
        `dbname=${conninfoValue(flags.dbname ?? ep.database ?? 'postgres')}`,
      ].join(' ');
      await writeLine(
        io.stdout,
        `PGPASSWORD=${shellQuote(issued.password)} psql "${conninfo.replace(/(["\\$`])/g, '\\$1')}"`,
      );
    } else {
      if (ep)
        await writeLine(
          io.stdout,
          `connect to ${connectHost(ep.host, gateway)}:${ep.port} as ${issued.user}`,
        );
      await writeLine(io.stdout, `password (shown once): ${issued.password}`);
    }
    return 0;
  } catch (err) {
    await writeLine(io.stderr, `portcullis login: ${(err as Error).message}`);
    return 1;
  }
}
