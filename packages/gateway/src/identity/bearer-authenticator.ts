import type { Logger } from 'pino';
import { TokenError } from '../errors.js';
import type { Identity } from './identity.js';
import type { OidcVerifier } from './oidc-verifier.js';
import type { StaticKeyVerifier } from './static-keys.js';

export interface BearerAuthenticatorOptions {
  keys: StaticKeyVerifier;
  /** Absent when `identity.oidc` is not configured: JWTs are then refused. */
  oidc?: OidcVerifier;
  logger?: Logger;
}

// Three base64url segments, the first a JSON object: what a JWS compact serialisation looks
// like. API keys (`pck_…`) never contain a dot.
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

export const looksLikeJwt = (token: string): boolean => JWT_SHAPE.test(token);

/**
 * Who presents a bearer token to the HTTP API: an OIDC access token (a JWT) checked by the
 * OidcVerifier, or a static API key. Gateway credentials (`pcc_…`) are passwords for the data
 * path only and are not accepted here, so a leaked credential cannot mint more of them.
 */
export class BearerAuthenticator {
  readonly #keys: StaticKeyVerifier;
  readonly #oidc: OidcVerifier | undefined;
  readonly #logger: Logger | undefined;

  constructor(options: BearerAuthenticatorOptions) {
    this.#keys = options.keys;
    this.#oidc = options.oidc;
    this.#logger = options.logger;
  }

  /** The OIDC settings a client needs to obtain a token, when OIDC is configured. */
  get oidc(): { issuer: string; audience: string } | undefined {
    return this.#oidc ? { issuer: this.#oidc.issuer, audience: this.#oidc.audience } : undefined;
  }

  /** The caller's identity; throws TokenError (refused) or IdentityProviderError (cannot check). */
  async authenticate(token: string): Promise<Identity> {
    if (looksLikeJwt(token)) {
      if (!this.#oidc)
        throw new TokenError('this gateway does not accept OIDC tokens (identity.oidc is not configured)', {
          reason: 'oidc_disabled',
        });
      return (await this.#oidc.verify(token)).identity;
    }
    const key = this.#keys.verify(token);
    if (key) return key;
    throw new TokenError('the bearer token is neither a valid OIDC access token nor a known API key', {
      reason: 'malformed',
    });
  }

  /** As authenticate, with null for any refusal (the approvals API and page answer 401). */
  async tryAuthenticate(token: string): Promise<Identity | null> {
    try {
      return await this.authenticate(token);
    } catch (err) {
      this.#logger?.info(
        { err: { code: (err as { code?: string }).code, message: (err as Error).message } },
        'bearer token refused',
      );
      return null;
    }
  }
}
