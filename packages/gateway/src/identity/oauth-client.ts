import { LoginError } from '../errors.js';

/** A successful token response (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope?: string;
}

/** A device authorization response (RFC 8628 §3.2). */
export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  /** Seconds between polls; RFC 8628 says 5 when absent. */
  interval?: number;
}

interface OAuthCallOptions {
  fetch?: typeof fetch;
}

export interface ClientCredentialsOptions extends OAuthCallOptions {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** RFC 8707 resource indicator: the gateway's audience. */
  resource?: string;
}

export interface DeviceAuthorizationOptions extends OAuthCallOptions {
  endpoint: string;
  clientId: string;
  scope?: string;
  resource?: string;
}

export interface DevicePollOptions extends OAuthCallOptions {
  tokenEndpoint: string;
  clientId: string;
  authorization: DeviceAuthorization;
  /** Injected by tests to run the clock fast; default a real timer. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Called after each poll answered authorization_pending or slow_down, with the next interval. */
  onPoll?: (error: 'authorization_pending' | 'slow_down' | 'unreachable', intervalMs: number) => void;
}

const FORM = 'application/x-www-form-urlencoded';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded. */
function basicAuth(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

interface RawResult {
  status: number;
  body: Record<string, unknown>;
}

async function post(
  url: string,
  form: Record<string, string | undefined>,
  options: OAuthCallOptions,
  headers: Record<string, string> = {},
): Promise<RawResult> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) if (v !== undefined && v !== '') params.set(k, v);
  const res = await (options.fetch ?? fetch)(url, {
    method: 'POST',
    headers: { 'content-type': FORM, accept: 'application/json', ...headers },
    body: params,
    redirect: 'error',
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new LoginError(`${url} answered HTTP ${res.status} with a body that is not JSON`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new LoginError(`${url} answered HTTP ${res.status} with JSON that is not an object`);
  return { status: res.status, body: body as Record<string, unknown> };
}

function oauthError(what: string, body: Record<string, unknown>, status: number): LoginError {
  const code = typeof body.error === 'string' ? body.error : `HTTP ${status}`;
  const description = typeof body.error_description === 'string' ? `: ${body.error_description}` : '';
  return new LoginError(`${what} failed (${code}${description})`);
}

function tokenFrom(what: string, result: RawResult): TokenResponse {
  const { body, status } = result;
  if (status !== 200) throw oauthError(what, body, status);
  if (typeof body.access_token !== 'string' || body.access_token === '')
    throw new LoginError(`${what}: the token response has no access_token`);
  if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer')
    throw new LoginError(
      `${what}: expected a Bearer token, got token_type ${JSON.stringify(body.token_type)}`,
    );
  const out: TokenResponse = { access_token: body.access_token, token_type: body.token_type };
  if (typeof body.expires_in === 'number') out.expires_in = body.expires_in;
  if (typeof body.scope === 'string') out.scope = body.scope;
  return out;
}

async function reach<T>(url: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LoginError) throw err;
    throw new LoginError(`cannot reach ${url}: ${(err as Error).message}`, { cause: err });
  }
}

/** The client credentials grant (RFC 6749 §4.4), for agents: the client authenticates with HTTP Basic. */
export function clientCredentialsToken(options: ClientCredentialsOptions): Promise<TokenResponse> {
  return reach(options.tokenEndpoint, async () =>
    tokenFrom(
      'client credentials grant',
      await post(
        options.tokenEndpoint,
        { grant_type: 'client_credentials', scope: options.scope, resource: options.resource },
        options,
        { authorization: basicAuth(options.clientId, options.clientSecret) },
      ),
    ),
  );
}

/** RFC 8628 §3.1–3.2: asks for a device code and the user code to show. */
export function startDeviceAuthorization(options: DeviceAuthorizationOptions): Promise<DeviceAuthorization> {
  return reach(options.endpoint, async () => {
    const { status, body } = await post(
      options.endpoint,
      { client_id: options.clientId, scope: options.scope, resource: options.resource },
      options,
    );
    if (status !== 200) throw oauthError('device authorization', body, status);
    const { device_code, user_code, verification_uri, verification_uri_complete, expires_in, interval } =
      body;
    if (
      typeof device_code !== 'string' ||
      typeof user_code !== 'string' ||
      typeof verification_uri !== 'string' ||
      typeof expires_in !== 'number'
    )
      throw new LoginError(
        'device authorization: the response lacks device_code, user_code, verification_uri or expires_in',
      );
    const out: DeviceAuthorization = { device_code, user_code, verification_uri, expires_in };
    if (typeof verification_uri_complete === 'string')
      out.verification_uri_complete = verification_uri_complete;
    if (typeof interval === 'number' && interval > 0) out.interval = interval;
    return out;
  });
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * RFC 8628 §3.4–3.5: polls the token endpoint until the user approves. `authorization_pending`
 * keeps the interval, `slow_down` adds 5 s to it for good, an unreachable endpoint doubles it
 * (the exponential back-off §3.5 asks for), and `access_denied`, `expired_token` or the device
 * code's own lifetime running out end the login.
 */
export async function pollDeviceToken(options: DevicePollOptions): Promise<TokenResponse> {
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const { authorization } = options;
  let intervalMs = (authorization.interval ?? 5) * 1000;
  const deadline = now() + authorization.expires_in * 1000;
  for (;;) {
    await sleep(intervalMs);
    if (now() >= deadline)
      throw new LoginError(
        'the device code expired before the login was approved (expired_token); run login again',
      );
    let result: RawResult;
    try {
      result = await post(
        options.tokenEndpoint,
        { grant_type: DEVICE_GRANT, device_code: authorization.device_code, client_id: options.clientId },
        options,
      );
    } catch (err) {
      if (err instanceof LoginError) throw err;
      intervalMs = Math.min(intervalMs * 2, 60_000);
      options.onPoll?.('unreachable', intervalMs);
      continue;
    }
    if (result.status === 200) return tokenFrom('device code grant', result);
    const error = result.body.error;
    if (error === 'authorization_pending') {
      options.onPoll?.('authorization_pending', intervalMs);
      continue;
    }
    if (error === 'slow_down') {
      intervalMs += 5_000;
      options.onPoll?.('slow_down', intervalMs);
      continue;
    }
    if (error === 'expired_token')
      throw new LoginError(
        'the device code expired before the login was approved (expired_token); run login again',
      );
    if (error === 'access_denied')
      throw new LoginError('the login was denied at the identity provider (access_denied)');
    throw oauthError('device code grant', result.body, result.status);
  }
}
