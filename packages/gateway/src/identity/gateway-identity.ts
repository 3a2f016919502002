import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/gateway-config.js';
import { createCredentialsApi, type ResourceEndpoint } from '../server/credentials-api.js';
import type { Credentials } from '../state/credential-rules.js';
import { BearerAuthenticator } from './bearer-authenticator.js';
import { OidcVerifier } from './oidc-verifier.js';
import type { StaticKeyVerifier } from './static-keys.js';

/** The HTTP API's bearer authentication as the config describes it: API keys, plus OIDC when configured. */
export function createBearerAuthenticator(
  config: GatewayConfig,
  keys: StaticKeyVerifier,
  logger: Logger,
): BearerAuthenticator {
  const o = config.identity.oidc;
  const oidc = o
    ? new OidcVerifier({
        issuer: o.issuer,
        audience: o.audience,
        claims: o.claims,
        clockToleranceMs: o.clockToleranceMs,
      })
    : undefined;
  return new BearerAuthenticator({
    keys,
    ...(oidc ? { oidc } : {}),
    logger: logger.child({ component: 'identity' }),
  });
}

export interface GatewayCredentialsApiDeps {
  credentials: Credentials;
  bearer: BearerAuthenticator;
  /** Where a resource's proxy listens, once it does. */
  address: (name: string) => AddressInfo | undefined;
  logger: Logger;
}

/** The `/api/credentials` and `/api/login` handler for a gateway running `config`. */
export function gatewayCredentialsApi(config: GatewayConfig, deps: GatewayCredentialsApiDeps) {
  const limits = config.credentials ?? {
    maxTtl: '1h',
    maxTtlMs: 3_600_000,
    defaultTtl: '15m',
    adminGroups: [],
  };
  const resource = (name: string): ResourceEndpoint | undefined => {
    const r = config.resources.find((x) => x.name === name);
    const address = deps.address(name);
    if (!r || !address) return undefined;
    const database = (r as { upstream?: { database?: unknown } }).upstream?.database;
    return {
      type: r.type,
      host: address.address,
      port: address.port,
      ...(typeof database === 'string' ? { database } : {}),
    };
  };
  const oidc = deps.bearer.oidc;
  return createCredentialsApi({
    credentials: deps.credentials,
    authenticate: (token) => deps.bearer.authenticate(token),
    resource,
    ...(oidc ? { oidc } : {}),
    maxTtl: limits.maxTtl,
    maxTtlMs: limits.maxTtlMs,
    defaultTtl: limits.defaultTtl,
    adminGroups: limits.adminGroups,
    logger: deps.logger.child({ component: 'credentials-api' }),
  });
}
