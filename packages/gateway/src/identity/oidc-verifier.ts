import { InvalidOptionError } from '@portcullis/core';
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { IdentityProviderError, TokenError, type TokenFailure } from '../errors.js';
import { type ClaimsMapping, DEFAULT_CLAIMS, identityFromClaims } from './claims-mapping.js';
import type { Identity } from './identity.js';
import { discoverOidc, type OidcMetadata } from './oidc-discovery.js';

/**
 * Asymmetric JWS algorithms only. `none` is unsigned, and an HMAC (`HS*`) key would have to be
 * a secret shared with the gateway, so a token "signed" with a public key used as an HMAC
 * secret (the classic algorithm-confusion forgery) must never verify.
 */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export interface OidcVerifierOptions {
  /** Exactly the issuer's `iss` value. */
  issuer: string;
  /** The `aud` access tokens for this gateway carry. */
  audience: string;
  claims?: ClaimsMapping;
  /** Tolerated clock difference for exp and nbf; default 30 s. */
  clockToleranceMs?: number;
  /** A subset of ASYMMETRIC_ALGORITHMS; default all of them. */
  algorithms?: readonly string[];
  /** For discovery. */
  fetch?: typeof fetch;
  /** Minimum time between JWKS refetches for an unknown `kid`; default 30 s (jose's). */
  jwksCooldownMs?: number;
  /** How long fetched keys are used before a refetch; default 10 min. */
  jwksMaxAgeMs?: number;
  /** For tests: the time tokens are checked at. */
  clock?: () => number;
}

export interface VerifiedToken {
  identity: Identity;
  claims: JWTPayload;
  expiresAt: Date;
}

/** A failed discovery is not retried for this long, so a down IdP is not hammered per request. */
const DISCOVERY_RETRY_MS = 5_000;

const TOKEN_CODES: Record<string, TokenFailure> = {
  ERR_JWT_EXPIRED: 'expired',
  ERR_JOSE_ALG_NOT_ALLOWED: 'algorithm',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature',
  ERR_JWKS_NO_MATCHING_KEY: 'unknown_key',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'unknown_key',
  ERR_JWS_INVALID: 'malformed',
  ERR_JWT_INVALID: 'malformed',
};

const CLAIM_FAILURES: Record<string, TokenFailure> = {
  iss: 'issuer',
  aud: 'audience',
  nbf: 'not_yet_valid',
  exp: 'expired',
};

function describe(reason: TokenFailure, detail: string): string {
  switch (reason) {
    case 'expired':
      return 'the token has expired';
    case 'not_yet_valid':
      return 'the token is not valid yet (nbf is in the future)';
    case 'audience':
      return `the token is not for this gateway (${detail})`;
    case 'issuer':
      return `the token is from another issuer (${detail})`;
    case 'signature':
      return "the token's signature does not verify with the issuer's keys";
    case 'unknown_key':
      return "the token is signed with a key the issuer's JWKS does not hold";
    case 'algorithm':
      return `the token's algorithm is not accepted (${detail})`;
    default:
      return `the token is not a valid JWT (${detail})`;
  }
}

/**
 * Validates OIDC access tokens (JWTs) against the issuer's JWKS, found through discovery.
 * jose's remote key set refetches the JWKS when a token names a `kid` it does not hold, so the
 * issuer's key rotation needs no restart; the cooldown bounds refetches caused by forged kids.
 */
export class OidcVerifier {
  readonly issuer: string;
  readonly audience: string;
  readonly #claims: ClaimsMapping;
  readonly #toleranceSec: number;
  readonly #algorithms: string[];
  readonly #options: OidcVerifierOptions;
  #keys: Promise<{ metadata: OidcMetadata; getKey: JWTVerifyGetKey }> | undefined;
  #failedAt = 0;
  #failure: unknown;

  constructor(options: OidcVerifierOptions) {
    if (typeof options?.issuer !== 'string' || options.issuer === '')
      throw new InvalidOptionError('issuer', 'must be the issuer URL');
    if (typeof options.audience !== 'string' || options.audience === '')
      throw new InvalidOptionError('audience', 'must be the audience access tokens carry');
    const allowed = new Set<string>(ASYMMETRIC_ALGORITHMS);
    const algorithms = [...(options.algorithms ?? ASYMMETRIC_ALGORITHMS)];
    const bad = algorithms.find((a) => !allowed.has(a));
    if (bad !== undefined || algorithms.length === 0)
      throw new InvalidOptionError(
        'algorithms',
        `must be asymmetric JWS algorithms (${ASYMMETRIC_ALGORITHMS.join(', ')})${bad ? `; ${bad} is not` : ''}`,
      );
    this.issuer = options.issuer;
    this.audience = options.audience;
    this.#claims = options.claims ?? DEFAULT_CLAIMS;
    this.#toleranceSec = Math.ceil((options.clockToleranceMs ?? 30_000) / 1000);
    this.#algorithms = algorithms;
    this.#options = options;
  }

  /** The issuer's metadata (discovered once, and again after a failure). */
  async metadata(): Promise<OidcMetadata> {
    return (await this.#keySet()).metadata;
  }

  /** The identity an access token carries; throws TokenError or IdentityProviderError. */
  async verify(token: string): Promise<VerifiedToken> {
    // Structure and algorithm are checked before any network call, so garbage and alg=none
    // never cost a JWKS fetch and always get a precise reason.
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      decodeJwt(token);
    } catch (err) {
      throw new TokenError(describe('malformed', (err as Error).message), {
        reason: 'malformed',
        cause: err,
      });
    }
    if (typeof alg !== 'string' || !this.#algorithms.includes(alg))
      throw new TokenError(describe('algorithm', `alg ${JSON.stringify(alg)}`), { reason: 'algorithm' });

    const { getKey } = await this.#keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: this.issuer,
        audience: this.audience,
        algorithms: this.#algorithms,
        clockTolerance: this.#toleranceSec,
        requiredClaims: ['exp'],
        ...(this.#options.clock ? { currentDate: new Date(this.#options.clock()) } : {}),
      }));
    } catch (err) {
      throw this.#mapError(err, token);
    }
    const identity = identityFromClaims(payload as Record<string, unknown>, this.#claims);
    return { identity, claims: payload, expiresAt: new Date((payload.exp ?? 0) * 1000) };
  }

  #mapError(err: unknown, token: string): Error {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
      const claim = String((err as { claim?: unknown }).claim);
      const reason = CLAIM_FAILURES[claim] ?? 'claims';
      let detail = (err as Error).message;
      if (reason === 'audience') {
        const aud = decodeJwt(token).aud;
        detail = `aud ${JSON.stringify(aud ?? null)}, expected ${JSON.stringify(this.audience)}`;
      } else if (reason === 'issuer') {
        detail = `iss ${JSON.stringify(decodeJwt(token).iss ?? null)}, expected ${JSON.stringify(this.issuer)}`;
      }
      return new TokenError(describe(reason, detail), { reason, cause: err });
    }
    const reason = typeof code === 'string' ? TOKEN_CODES[code] : undefined;
    if (reason) return new TokenError(describe(reason, (err as Error).message), { reason, cause: err });
    // Anything else (JWKS unreachable, not JSON, timed out) is the provider's fault, not the
    // token's: the caller sees 503, and the token is still refused.
    return new IdentityProviderError(
      `cannot check the token against the issuer's JWKS: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }

  #keySet(): Promise<{ metadata: OidcMetadata; getKey: JWTVerifyGetKey }> {
    const now = Date.now();
    if (this.#keys === undefined && now - this.#failedAt < DISCOVERY_RETRY_MS)
      return Promise.reject(this.#failure);
    if (this.#keys === undefined) {
      this.#keys = (async () => {
        const metadata = await discoverOidc(this.issuer, {
          ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
        });
        const getKey = createRemoteJWKSet(new URL(metadata.jwks_uri), {
          cooldownDuration: this.#options.jwksCooldownMs ?? 30_000,
          cacheMaxAge: this.#options.jwksMaxAgeMs ?? 600_000,
          timeoutDuration: 5_000,
        });
        return { metadata, getKey };
      })();
      this.#keys.catch((err: unknown) => {
        this.#keys = undefined;
        this.#failedAt = Date.now();
        this.#failure = err;
      });
    }
    return this.#keys;
  }
}
