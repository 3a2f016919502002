/**
 * The gateway's errors. Each has a stable code and is registered in `gatewayErrorClasses`,
 * beside core's `errorClasses`; callers branch on `code`, never on message text.
 */
import { PortcullisError, type PortcullisErrorOptions } from '@portcullis/core';

/** One problem found in a configuration file: where (`resources[0].upstream.port`) and what to do. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** The configuration file cannot be read, is not YAML, or fails validation; `issues` lists every problem. */
export class ConfigError extends PortcullisError {
  override readonly code = 'PC_GATEWAY_CONFIG';
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[] | string, options?: PortcullisErrorOptions) {
    const list = typeof issues === 'string' ? [{ path: '', message: issues }] : issues;
    super(list.map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`)).join('\n'), options);
    this.issues = list;
  }
}

/** A secret reference (`env:NAME`, `file:/path`) could not be resolved; the message never holds the secret. */
export class SecretResolutionError extends PortcullisError {
  override readonly code = 'PC_GATEWAY_SECRET';
}

/** The state database could not be opened, migrated, read or written. */
export class StateStoreError extends PortcullisError {
  override readonly code = 'PC_GATEWAY_STATE';
}

/** A credential cannot be issued or revoked as asked: unknown resource, bad TTL, unknown id. */
export class CredentialError extends PortcullisError {
  override readonly code = 'PC_GATEWAY_CREDENTIAL';
}

/** The configured policy source could not be read, compiled or loaded. */
export class PolicySourceError extends PortcullisError {
  override readonly code = 'PC_GATEWAY_POLICY';
}

/** A policy bundle's signature is missing, does not verify, or does not cover exactly its files. */
export class BundleSignatureError extends PortcullisError {
  override readonly code = 'PC_GATEWAY_BUNDLE_SIGNATURE';
}

/** A call to the gateway's HTTP API failed; `status` is the HTTP status, 0 when unreachable. */
export class GatewayApiError extends PortcullisError {
  override readonly code = 'PC_GATEWAY_API';
  readonly status: number;
  constructor(message: string, status = 0, options?: PortcullisErrorOptions) {
    super(message, options);
    this.status = status;
  }
}

/** A listener (HTTP or a resource's proxy) could not be started, or the gateway failed to start. */
export class GatewayStartError extends PortcullisError {
  override readonly code = 'PC_GATEWAY_START';
}

/** Why a bearer token was refused; stable values, safe to show the caller. */
export type TokenFailure =
  | 'malformed'
  | 'algorithm'
  | 'signature'
  | 'issuer'
  | 'audience'
  | 'expired'
  | 'not_yet_valid'
  | 'claims'
  | 'unknown_key'
  | 'oidc_disabled';

/** A bearer token (OIDC access token or API key) was refused; `reason` says which check failed. */
export class TokenError extends PortcullisError {
  override readonly code = 'PC_GATEWAY_TOKEN';
  readonly reason: TokenFailure;
  constructor(message: string, options?: PortcullisErrorOptions & { reason?: TokenFailure }) {
    super(message, options);
    this.reason = options?.reason ?? 'malformed';
  }
}

/** The OIDC issuer's discovery document or JWKS could not be fetched or is not usable. */
export class IdentityProviderError extends PortcullisError {
  override readonly code = 'PC_GATEWAY_IDP';
}

/** `portcullis login` could not obtain a token or a credential (device code expired, access denied …). */
export class LoginError extends PortcullisError {
  override readonly code = 'PC_GATEWAY_LOGIN';
}

/** Every gateway error class, by code. */
export const gatewayErrorClasses = {
  PC_GATEWAY_CONFIG: ConfigError,
  PC_GATEWAY_SECRET: SecretResolutionError,
  PC_GATEWAY_STATE: StateStoreError,
  PC_GATEWAY_CREDENTIAL: CredentialError,
  PC_GATEWAY_POLICY: PolicySourceError,
  PC_GATEWAY_BUNDLE_SIGNATURE: BundleSignatureError,
  PC_GATEWAY_API: GatewayApiError,
  PC_GATEWAY_START: GatewayStartError,
  PC_GATEWAY_TOKEN: TokenError,
  PC_GATEWAY_IDP: IdentityProviderError,
  PC_GATEWAY_LOGIN: LoginError,
} as const;
