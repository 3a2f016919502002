import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPortcullisError, tryParseDuration } from '@portcullis/core';
import type { Logger } from 'pino';
import { CredentialError, TokenError } from '../errors.js';
import type { Identity } from '../identity/identity.js';
import type { Credentials } from '../state/credential-rules.js';
import { readBody, sendJson, sendProblem } from './http-helpers.js';

/** Where a client reaches a resource, returned with a credential so `login` can print the psql line. */
export interface ResourceEndpoint {
  type: string;
  host: string;
  port: number;
  /** The upstream database, when the resource pins one. */
  database?: string;
}

export interface CredentialsApiOptions {
  credentials: Credentials;
  /** Who presents the bearer token; throws TokenError or IdentityProviderError. */
  authenticate: (token: string) => Promise<Identity>;
  /** The resource by name, once it listens; undefined for an unknown name. */
  resource: (name: string) => ResourceEndpoint | undefined;
  /** What clients need to log in: the OIDC issuer and audience, when configured. */
  oidc?: { issuer: string; audience: string };
  /** Longest credential the API issues. */
  maxTtl: string;
  maxTtlMs: number;
  /** Used when the request names none (cut to maxTtl). */
  defaultTtl: string;
  /** Members may revoke and list anyone's credentials. */
  adminGroups: readonly string[];
  logger?: Logger;
}

/** The JSON a successful exchange returns; the password is in no other response, ever. */
export interface IssuedCredentialResponse {
  id: string;
  password: string;
  user: string;
  kind: 'human' | 'agent';
  groups: string[];
  resource: string;
  issued_at: string;
  expires_at: string;
  endpoint?: ResourceEndpoint;
}

// Refusal messages quote token claims (aud, iss) that the caller chose: the header gets
// printable ASCII without quotes, so such a value can neither break it nor make node refuse it.
const headerSafe = (text: string) => text.replace(/[^\x20-\x7e]|["\\]/g, "'");

const bearer = (req: IncomingMessage): string | undefined => {
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
};

/**
 * The credential exchange: `POST /api/credentials` trades an OIDC access token (or an API key)
 * for a short-lived gateway credential for one resource; `DELETE /api/credentials/:id` revokes
 * one (its owner, or a member of an admin group); `GET /api/credentials` lists the caller's;
 * `GET /api/login` tells `portcullis login` which issuer and audience to ask for.
 */
export function createCredentialsApi(options: CredentialsApiOptions) {
  const { credentials, logger } = options;
  const isAdmin = (who: Identity) => who.groups.some((g) => options.adminGroups.includes(g));

  async function issue(req: IncomingMessage, res: ServerResponse, who: Identity): Promise<void> {
    let body: unknown;
    try {
      const text = await readBody(req);
      body = text.trim() === '' ? {} : JSON.parse(text);
    } catch (err) {
      return sendProblem(res, 400, 'Bad Request', `the body must be JSON: ${(err as Error).message}`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return sendProblem(res, 400, 'Bad Request', 'the body must be {"resource": "name", "ttl": "15m"}');
    const { resource, ttl } = body as { resource?: unknown; ttl?: unknown };
    if (typeof resource !== 'string' || resource === '')
      return sendProblem(res, 400, 'Bad Request', 'resource is required: the name of a configured resource');
    if (ttl !== undefined && typeof ttl !== 'string')
      return sendProblem(res, 400, 'Bad Request', 'ttl must be a duration string such as 15m');
    const endpoint = options.resource(resource);
    if (!endpoint)
      return sendProblem(
        res,
        404,
        'Not Found',
        `no resource named ${JSON.stringify(resource)}`,
        'PC_GATEWAY_CREDENTIAL',
      );
    let want = ttl;
    if (want === undefined) {
      const def = tryParseDuration(options.defaultTtl) ?? 0;
      want = def > options.maxTtlMs ? options.maxTtl : options.defaultTtl;
    }
    const ms = tryParseDuration(want);
    if (ms === undefined || ms <= 0)
      return sendProblem(
        res,
        400,
        'Bad Request',
        `ttl ${JSON.stringify(want)} is not a positive duration such as 15m`,
        'PC_GATEWAY_CREDENTIAL',
      );
    if (ms > options.maxTtlMs)
      return sendProblem(
        res,
        400,
        'Bad Request',
        `ttl ${want} is longer than this gateway issues (credentials.max_ttl ${options.maxTtl}); ask for less`,
        'PC_GATEWAY_CREDENTIAL',
      );
    const issued = await credentials.issue({
      subject: who.id,
      kind: who.kind,
      groups: who.groups,
      resource,
      ttl: want,
    });
    logger?.info(
      { credential: issued.id, subject: who.id, via: who.via, resource, expires_at: issued.expires_at },
      'credential issued',
    );
    const out: IssuedCredentialResponse = {
      id: issued.id,
      password: issued.token,
      user: issued.subject,
      kind: issued.kind,
      groups: issued.groups,
      resource: issued.resource,
      issued_at: issued.issued_at,
      expires_at: issued.expires_at,
      endpoint,
    };
    return sendJson(res, 201, out);
  }

  async function revoke(res: ServerResponse, who: Identity, id: string): Promise<void> {
    const own = (await credentials.list({ subject: who.id })).some((c) => c.id === id);
    // Someone else's credential is reported as missing, so ids cannot be probed.
    if (!own && !isAdmin(who))
      return sendProblem(res, 404, 'Not Found', `no credential ${id} of yours`, 'PC_GATEWAY_CREDENTIAL');
    if (!(await credentials.revoke(id)))
      return sendProblem(res, 404, 'Not Found', `no credential ${id}`, 'PC_GATEWAY_CREDENTIAL');
    logger?.info({ credential: id, by: who.id }, 'credential revoked');
    return sendJson(res, 200, { id, revoked: true });
  }

  return async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === '/api/login') {
      if (req.method !== 'GET') return sendProblem(res, 405, 'Method Not Allowed', 'use GET');
      return sendJson(res, 200, { oidc: options.oidc ?? null, max_ttl: options.maxTtl });
    }
    const token = bearer(req);
    let who: Identity;
    try {
      if (token === undefined)
        throw new TokenError('send an OIDC access token or an API key as Authorization: Bearer <token>');
      who = await options.authenticate(token);
    } catch (err) {
      const code = isPortcullisError(err) ? err.code : undefined;
      if (code === 'PC_GATEWAY_TOKEN') {
        const reason = (err as TokenError).reason;
        res.setHeader(
          'www-authenticate',
          `Bearer realm="portcullis", error="invalid_token", error_description="${headerSafe((err as Error).message)}"`,
        );
        res.writeHead(401, { 'content-type': 'application/problem+json', 'cache-control': 'no-store' });
        res.end(
          JSON.stringify({
            type: 'about:blank',
            title: 'Unauthorized',
            status: 401,
            detail: (err as Error).message,
            code,
            reason,
          }),
        );
        return;
      }
      if (code === 'PC_GATEWAY_IDP') {
        logger?.warn({ err }, 'cannot check OIDC token');
        return sendProblem(res, 503, 'Service Unavailable', (err as Error).message, code);
      }
      throw err;
    }

    const parts = url.pathname.split('/').filter(Boolean).slice(2).map(decodeURIComponent);
    try {
      if (req.method === 'POST' && parts.length === 0) return await issue(req, res, who);
      if (req.method === 'DELETE' && parts.length === 1) return await revoke(res, who, parts[0]!);
      if (req.method === 'GET' && parts.length === 0) {
        const subject = url.searchParams.get('subject');
        if (subject !== null && subject !== who.id && !isAdmin(who))
          return sendProblem(res, 403, 'Forbidden', 'only members of an admin group list other subjects');
        const all = subject === null && isAdmin(who) && url.searchParams.has('all');
        return sendJson(res, 200, await credentials.list(all ? {} : { subject: subject ?? who.id }));
      }
      return sendProblem(res, 404, 'Not Found', `no route ${req.method} ${url.pathname}`);
    } catch (err) {
      if (err instanceof CredentialError) return sendProblem(res, 400, 'Bad Request', err.message, err.code);
      throw err;
    }
  };
}
