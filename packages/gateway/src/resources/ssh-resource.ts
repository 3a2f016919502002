import { readFile } from 'node:fs/promises';
import { createSshProxy, directoryRecordings, type SshIdentity } from '@portcullis/ssh';
import type { SshResourceConfig } from '../config/gateway-config.js';
import { GatewayStartError } from '../errors.js';
import { knownHostsVerifier } from './known-hosts.js';
import type { ResourceContext, RunningResource } from './resource-context.js';

/**
 * An SSH resource: the gateway is the sshd users reach, and logs in to the real host with the
 * operator's key. Users authenticate with a configured public key or, as password, a gateway
 * credential for this resource (or a static API key).
 */
export async function startSshResource(
  ctx: ResourceContext,
  resource: SshResourceConfig,
): Promise<RunningResource> {
  const u = resource.upstream;
  const hostKeys = await Promise.all(resource.hostKeys.map((ref) => ctx.resolveSecret(ref)));
  const privateKey = await ctx.resolveSecret(u.privateKey);
  const passphrase = u.passphrase ? await ctx.resolveSecret(u.passphrase) : undefined;
  let verify: ((key: Buffer) => boolean) | undefined;
  if (u.knownHosts) {
    let text: string;
    try {
      text = await readFile(u.knownHosts, 'utf8');
    } catch (err) {
      throw new GatewayStartError(
        `resource ${resource.name}: cannot read known_hosts ${u.knownHosts}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    verify = knownHostsVerifier(text, u.host, u.port);
  }
  const pinned = u.hostKeyFingerprints;
  const keys = new Map(resource.authorizedKeys.map((k) => [k.key, k]));
  const logger = ctx.logger.child({ resource: resource.name });

  const proxy = createSshProxy({
    engine: ctx.engine,
    hostKeys,
    resource: { name: resource.name, labels: resource.labels },
    ...(resource.ciphers ? { ciphers: resource.ciphers } : {}),
    upstream: {
      host: u.host,
      port: u.port,
      username: u.user,
      privateKey,
      ...(passphrase !== undefined ? { passphrase } : {}),
      // Either source may vouch for the key: a pinned fingerprint or a known_hosts entry.
      hostVerifier: (key, fingerprint) =>
        (pinned?.includes(fingerprint) ?? false) || (verify?.(key) ?? false),
    },
    authenticate: {
      publicKey: ({ authorizedKey, username, source }): SshIdentity | null => {
        const entry = keys.get(authorizedKey);
        if (!entry || entry.id !== username) {
          logger.info({ user: username, source }, 'public key refused');
          return null;
        }
        return { subject: { id: entry.id, kind: entry.kind, groups: entry.groups, claims: {} } };
      },
      password: async (username, password, { source }): Promise<SshIdentity | null> => {
        const subject = await ctx.authenticatePassword(resource.name, username, password, source);
        return subject ? { subject } : null;
      },
    },
    approvals: { store: ctx.approvals, waitMs: ctx.approvalWaitMs, approveUrl: ctx.approveUrl },
    audit: ctx.audit,
    // Every shell and pty exec is recorded; the gateway's /recordings page plays them.
    recording: { open: directoryRecordings(ctx.recordingsDir, { open: ctx.openRecordings }) },
    logger,
  });
  try {
    const address = await proxy.listen(resource.listen.port, resource.listen.host);
    return {
      address,
      get sessions() {
        return proxy.sessions;
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
