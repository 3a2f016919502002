import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Subject } from '@portcullis/core';
import { createHttpReverseProxy } from '@portcullis/http';
import type { HttpResourceConfig } from '../config/gateway-config.js';
import { GatewayStartError } from '../errors.js';
import type { ResourceContext, RunningResource } from './resource-context.js';

/** Names the subject when a client authenticates with `Authorization: Bearer <credential>`. */
export const HTTP_USER_HEADER = 'x-portcullis-user';

/**
 * An HTTP resource: a reverse proxy in front of one upstream API. Clients authenticate on
 * every request, either with Basic auth (`user:password`) or with `Authorization: Bearer
 * <password>` plus `X-Portcullis-User: <user>`, where the password is a gateway credential
 * for this resource or a static API key of that user, as for the other resource types.
 * Neither header reaches the upstream; the configured upstream headers do.
 */
export async function startHttpResource(
  ctx: ResourceContext,
  resource: HttpResourceConfig,
): Promise<RunningResource> {
  const headers: Record<string, string> = {};
  for (const [name, ref] of Object.entries(resource.upstream.headers)) {
    const value = await ctx.resolveSecret(ref);
    Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  }
  const logger = ctx.logger.child({ resource: resource.name });
  const proxy = createHttpReverseProxy({
    engine: ctx.engine,
    resource: { name: resource.name, labels: resource.labels },
    upstream: { url: resource.upstream.url, headers, timeoutMs: resource.upstream.timeoutMs },
    authenticate: (req) => authenticate(ctx, resource.name, req),
    stripRequestHeaders: [HTTP_USER_HEADER],
    approvals: { store: ctx.approvals },
    onApprove: resource.onApprove,
    unmaskedTypes: resource.unmaskedTypes,
    holdMs: ctx.approvalWaitMs,
    audit: ctx.audit,
    // The adapter's decision cache stays on: every request authenticates first, and
    // `authenticatePassword` accepts only a credential that is unrevoked and unexpired at that
    // moment, so a reused decision never outlives its credential. Denies of the credential
    // guard carry an evaluation error and are never kept.
  });
  const server = createServer(proxy.handle);
  server.on('clientError', (err, socket) => {
    logger.debug({ err }, 'malformed HTTP request');
    socket.destroy();
  });
  const close = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await proxy.close();
  };
  try {
    server.listen(resource.listen.port, resource.listen.host);
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([err]) => Promise.reject(err as Error)),
    ]);
  } catch (err) {
    await proxy.close();
    throw new GatewayStartError(
      `resource ${resource.name} cannot listen on ${resource.listen.host}:${resource.listen.port}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  logger.info({ upstream: resource.upstream.url }, 'HTTP resource listening');
  return {
    address: server.address() as AddressInfo,
    get sessions() {
      return proxy.inFlight;
    },
    close,
  };
}

/** The client's user and password, from Basic auth or from a bearer token and the user header. */
function credentialsOf(req: IncomingMessage): { user: string; password: string } | undefined {
  const authorization = req.headers.authorization ?? '';
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return undefined;
    return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  const user = req.headers[HTTP_USER_HEADER];
  if (bearer && typeof user === 'string' && user !== '') return { user, password: bearer[1]! };
  return undefined;
}

async function authenticate(
  ctx: ResourceContext,
  resource: string,
  req: IncomingMessage,
): Promise<Subject | undefined> {
  const login = credentialsOf(req);
  if (login === undefined || login.password === '') return undefined;
  const subject = await ctx.authenticatePassword(
    resource,
    login.user,
    login.password,
    req.socket.remoteAddress ?? '',
  );
  return subject ?? undefined;
}
