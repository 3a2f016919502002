/**
 * portcullis — the reference gateway and its command-line tool, built only on the public API
 * of @portcullis/core, @portcullis/rego and the adapters.
 */
export { buildProgram, main } from './cli/main.js';
export { requestFromFlags } from './cli/request-flags.js';
export { ApprovalsClient, type ApprovalsClientOptions } from './client/approvals-client.js';
export type {
  GatewayConfig,
  HttpResourceConfig,
  PostgresResourceConfig,
  PostgresStateConfig,
  SecretRef,
  SshResourceConfig,
} from './config/gateway-config.js';
export { checkSecrets, loadConfig } from './config/load-config.js';
export { parseSecretRef, resolveSecret } from './config/secret-ref.js';
export { validateConfig } from './config/validate-config.js';
export { type Demo, type StartDemoOptions, startDemo } from './demo/start-demo.js';
export {
  ConfigError,
  type ConfigIssue,
  CredentialError,
  GatewayApiError,
  GatewayStartError,
  gatewayErrorClasses,
  PolicySourceError,
  SecretResolutionError,
  StateStoreError,
} from './errors.js';
export { webhookPayload } from './gateway/approval-webhook.js';
export { CREDENTIAL_CLAIM, guardEngine } from './gateway/guarded-engine.js';
export { type Gateway, type StartGatewayOptions, startGateway } from './gateway/start-gateway.js';
export { generateApiKey, hashApiKey, verifyApiKeyHash } from './identity/api-key-hash.js';
export { BearerAuthenticator, type BearerAuthenticatorOptions } from './identity/bearer-authenticator.js';
export { OidcVerifier, type OidcVerifierOptions, type VerifiedToken } from './identity/oidc-verifier.js';
export { AuditIndex, type AuditIndexStore, PgAuditIndex } from './state/audit-index.js';
export type { Credentials, IssuedCredential } from './state/credential-rules.js';
export { CredentialStore } from './state/credential-store.js';
export { type OpenStateStoresOptions, openStateStores, type StateStores } from './state/open-state-stores.js';
export { PgApprovalStore, type PgApprovalStoreOptions } from './state/pg-approval-store.js';
export { PgCredentialStore, type PgCredentialStoreOptions } from './state/pg-credential-store.js';
export { PgStateDatabase } from './state/pg-state-database.js';
export { SqliteApprovalStore, type SqliteApprovalStoreOptions } from './state/sqlite-approval-store.js';
export { openStateDatabase } from './state/state-database.js';
