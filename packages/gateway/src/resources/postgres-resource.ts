import { createPgProxy } from '@portcullis/pg';
import type { PostgresResourceConfig } from '../config/gateway-config.js';
import { GatewayStartError } from '../errors.js';
import type { ResourceContext, RunningResource } from './resource-context.js';

/** A PostgreSQL resource: one wire proxy in front of one upstream server. */
export async function startPostgresResource(
  ctx: ResourceContext,
  resource: PostgresResourceConfig,
): Promise<RunningResource> {
  const u = resource.upstream;
  const password = await ctx.resolveSecret(u.password);
  const tls = resource.tls && {
    cert: await ctx.resolveSecret(resource.tls.cert),
    key: await ctx.resolveSecret(resource.tls.key),
    ...(resource.tls.ca ? { ca: await ctx.resolveSecret(resource.tls.ca) } : {}),
  };
  const upstreamCa = u.tls?.ca ? await ctx.resolveSecret(u.tls.ca) : undefined;
  const logger = ctx.logger.child({ resource: resource.name });
  const proxy = createPgProxy({
    engine: ctx.engine,
    resource: { name: resource.name, labels: resource.labels },
    upstream: {
      host: u.host,
      port: u.port,
      user: u.user,
      password,
      ...(u.database !== undefined ? { database: u.database } : {}),
      ...(u.reuse ? { reuse: true } : {}),
      // verify-full: the chain against `ca` (or the system CAs) and the host name.
      ...(u.tls
        ? {
            ssl: {
              rejectUnauthorized: true,
              ...(upstreamCa !== undefined ? { ca: upstreamCa } : {}),
              ...(u.tls.serverName !== undefined ? { servername: u.tls.serverName } : {}),
            },
            ...(u.tls.channelBinding !== undefined ? { channelBinding: u.tls.channelBinding } : {}),
          }
        : {}),
    },
    ...(tls ? { tls, requireTls: resource.tls?.require ?? true } : {}),
    authenticate: async (startup, clientPassword) => {
      const subject = await ctx.authenticatePassword(
        resource.name,
        startup.user,
        clientPassword,
        startup.source,
      );
      return subject ? { subject } : null;
    },
    approvals: { store: ctx.approvals, waitMs: ctx.approvalWaitMs, approveUrl: ctx.approveUrl },
    audit: ctx.audit,
    // Session start and end records, so the audit log shows every session, not only its statements.
    recordSession: true,
    // A revocation stops the very next statement: a statement that would run on an earlier
    // decision (remembered, or made at Parse) first checks the session's credential, and goes
    // to the engine, which denies it, once that is dead or cannot be checked on the spot.
    decisionsHold: ctx.decisionsHold,
    logger,
  });
  try {
    const address = await proxy.listen(resource.listen.port, resource.listen.host);
    return {
      address,
      get sessions() {
        return proxy.sessions;
      },
      get nativeLane() {
        return proxy.nativeLane;
      },
      get catalogIdle() {
        return proxy.catalogIdle;
      },
      get upstreamIdle() {
        return proxy.upstreamReuse.idle;
      },
      close: () => proxy.close(),
    };
  } catch (err) {
    await proxy.close();
    throw new GatewayStartError(
      `resource ${resource.name} cannot listen on ${resource.listen.host}:${resource.listen.port}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
