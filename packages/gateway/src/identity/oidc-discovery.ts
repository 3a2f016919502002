import { IdentityProviderError } from '../errors.js';

/** The parts of an OpenID Provider's metadata the gateway and `portcullis login` use. */
export interface OidcMetadata {
  issuer: string;
  jwks_uri: string;
  token_endpoint?: string;
  device_authorization_endpoint?: string;
  grant_types_supported?: string[];
}

export interface DiscoverOptions {
  fetch?: typeof fetch;
  /** Per request; default 5 s. */
  timeoutMs?: number;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Keys and tokens fetched over plain HTTP could be replaced by anyone on the path, which
 * would let them mint tokens the gateway trusts; only loopback (a local IdP, tests) is exempt.
 */
export function assertTrustedUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new IdentityProviderError(`${what} ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && (LOOPBACK.has(url.hostname) || url.hostname.startsWith('127.'))) return url;
  throw new IdentityProviderError(`${what} ${url.href} must use https (plain http only on loopback)`);
}

/** Fetches JSON with a timeout, turning every failure into an IdentityProviderError naming the URL. */
export async function fetchJson(
  url: URL,
  what: string,
  options: DiscoverOptions = {},
): Promise<Record<string, unknown>> {
  const doFetch = options.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
  } catch (err) {
    throw new IdentityProviderError(`cannot fetch the ${what} at ${url.href}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new IdentityProviderError(`the ${what} at ${url.href} answered HTTP ${res.status}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    throw new IdentityProviderError(`the ${what} at ${url.href} is not JSON`, { cause: err });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new IdentityProviderError(`the ${what} at ${url.href} is not a JSON object`);
  return body as Record<string, unknown>;
}

/** Where OpenID Connect Discovery 1.0 §4 puts the metadata of an issuer (path issuers included). */
export function discoveryUrl(issuer: string): URL {
  return assertTrustedUrl(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, 'issuer');
}

/**
 * OpenID Connect Discovery: fetches the issuer's metadata and checks it is the issuer's own
 * (§4.3: `issuer` must be exactly the configured one, or a compromised or misconfigured
 * document could point the gateway at someone else's keys).
 */
export async function discoverOidc(issuer: string, options: DiscoverOptions = {}): Promise<OidcMetadata> {
  const url = discoveryUrl(issuer);
  const doc = await fetchJson(url, 'OIDC discovery document', options);
  if (doc.issuer !== issuer)
    throw new IdentityProviderError(
      `the discovery document at ${url.href} names issuer ${JSON.stringify(doc.issuer)}; ` +
        `set identity.oidc.issuer to exactly that value if it is the right provider`,
    );
  if (typeof doc.jwks_uri !== 'string')
    throw new IdentityProviderError(`the discovery document at ${url.href} has no jwks_uri`);
  assertTrustedUrl(doc.jwks_uri, 'jwks_uri');
  const out: OidcMetadata = { issuer, jwks_uri: doc.jwks_uri };
  for (const key of ['token_endpoint', 'device_authorization_endpoint'] as const) {
    const value = doc[key];
    if (typeof value === 'string') out[key] = value;
  }
  if (Array.isArray(doc.grant_types_supported))
    out.grant_types_supported = doc.grant_types_supported.filter((g): g is string => typeof g === 'string');
  return out;
}
