/**
 * A real OpenID Provider for tests: `oidc-provider` in process on loopback, issuing JWT access
 * tokens (RFC 9068) for any resource indicator, with clients for the client credentials grant
 * (agents) and the device authorization grant (people). The "user" of the device flow is played
 * through the provider's own HTTP pages: the device page, its confirmation form, and an
 * interaction endpoint that signs the account in and grants consent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';

export interface TestIssuer {
  issuer: string;
  /** The signing key the provider publishes (so a test can forge with another key under its kid). */
  kid: string;
  privateJwk: JWK;
  /** How many device-code polls reached the token endpoint. */
  devicePolls(): number;
  /** Plays the user: opens the verification page, confirms the code and signs in as `account`. */
  approveDevice(userCode: string, account: string): Promise<void>;
  close(): Promise<void>;
}

export interface TestClient {
  client_id: string;
  client_secret?: string;
  /** Access-token lifetime, seconds; default 300. */
  ttl?: number;
  grant: 'client_credentials' | 'device_code';
}

/** Groups and kind each subject's access tokens carry, keyed by account id or client id. */
export type Directory = Record<string, { groups: string[]; kind?: 'agent' | 'human' }>;

export async function startTestIssuer(clients: TestClient[], directory: Directory): Promise<TestIssuer> {
  const kid = 'issuer-key-1';
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ttlOf = new Map(clients.map((c) => [c.client_id, c.ttl ?? 300]));

  const provider = new Provider(issuer, {
    jwks: { keys: [privateJwk] },
    clients: clients.map((c) =>
      c.grant === 'client_credentials'
        ? {
            client_id: c.client_id,
            client_secret: c.client_secret,
            grant_types: ['client_credentials'],
            response_types: [],
            redirect_uris: [],
          }
        : {
            client_id: c.client_id,
            token_endpoint_auth_method: 'none',
            grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
            response_types: [],
            redirect_uris: [],
          },
    ),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        // JWT access tokens whose aud is the requested resource (the gateway's audience).
        getResourceServerInfo: (_ctx: unknown, resource: string, client: { clientId: string }) => ({
          scope: 'gateway',
          audience: resource,
          accessTokenTTL: ttlOf.get(client.clientId) ?? 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: (_ctx: unknown, token: { kind: string; accountId?: string; clientId?: string }) => {
      const who = token.kind === 'ClientCredentials' ? token.clientId : token.accountId;
      const entry = who === undefined ? undefined : directory[who];
      if (!entry) return {};
      return { groups: entry.groups, ...(entry.kind ? { portcullis_kind: entry.kind } : {}) };
    },
    findAccount: (_ctx: unknown, id: string) =>
      directory[id] ? { accountId: id, claims: () => ({ sub: id }) } : undefined,
    ttl: {
      DeviceCode: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      IdToken: 3600,
      AccessToken: (_ctx: unknown, _token: unknown, client: { clientId: string }) =>
        ttlOf.get(client.clientId) ?? 300,
      ClientCredentials: (_ctx: unknown, _token: unknown, client: { clientId: string }) =>
        ttlOf.get(client.clientId) ?? 300,
    },
  });
  let polls = 0;
  const handle = provider.callback();
  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (req.method === 'POST' && url.pathname === '/token') {
      // Count device-code polls without consuming the body the provider reads.
      const type = req.headers['content-type'] ?? '';
      if (type.startsWith('application/x-www-form-urlencoded') && !req.headers.authorization) polls++;
    }
    // The provider's login/consent step, done as a signed-in user would: the account is given
    // as ?account=…, and consent covers the scopes and the resource asked for.
    if (url.pathname.startsWith('/interaction/')) {
      void (async () => {
        try {
          const details = await provider.interactionDetails(req, res);
          const accountId = url.searchParams.get('account');
          if (!accountId) {
            res.statusCode = 400;
            res.end('account missing');
            return;
          }
          const clientId = String(details.params.client_id);
          const grant = new provider.Grant({ accountId, clientId });
          for (const s of String(details.params.scope ?? '')
            .split(' ')
            .filter(Boolean))
            grant.addOIDCScope(s);
          if (typeof details.params.resource === 'string')
            grant.addResourceScope(details.params.resource, 'gateway');
          const grantId = await grant.save();
          await provider.interactionFinished(
            req,
            res,
            { login: { accountId }, consent: { grantId } },
            { mergeWithLastSubmission: false },
          );
        } catch (err) {
          res.statusCode = 500;
          res.end(String(err));
        }
      })();
      return;
    }
    handle(req, res);
  });

  async function approveDevice(userCode: string, account: string): Promise<void> {
    const jar = new Map<string, string>();
    const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const keep = (res: Response) => {
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair!.indexOf('=');
        jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
      }
    };
    // 1. The verification page with the code filled in renders a form carrying an xsrf token.
    let res = await fetch(`${issuer}/device?user_code=${encodeURIComponent(userCode)}`, {
      redirect: 'manual',
    });
    keep(res);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(await res.text())?.[1];
    if (!xsrf) throw new Error('no xsrf token on the device page');
    // 2. Submitting it confirms the code and starts an interaction (login and consent).
    res = await fetch(`${issuer}/device`, {
      method: 'POST',
      headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, user_code: userCode, confirm: 'yes' }),
      redirect: 'manual',
    });
    keep(res);
    const interaction = res.headers.get('location');
    if (res.status !== 303 || !interaction?.startsWith('/interaction/'))
      throw new Error(`device confirmation answered ${res.status} ${await res.text()}`);
    // 3. Sign in, consent, and follow the provider back to its success page.
    let next: string | null = `${interaction}?account=${encodeURIComponent(account)}`;
    for (let i = 0; i < 5 && next; i++) {
      res = await fetch(new URL(next, issuer), { headers: { cookie: cookie() }, redirect: 'manual' });
      keep(res);
      next = res.headers.get('location');
      if (!next) {
        const text = await res.text();
        if (res.status !== 200 || !/Sign-in Success/i.test(text))
          throw new Error(`device flow did not succeed: ${res.status} ${text.slice(0, 200)}`);
      } else await res.body?.cancel();
    }
  }

  return {
    issuer,
    kid,
    privateJwk,
    devicePolls: () => polls,
    approveDevice,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
