import { resolveSecret } from '../config/secret-ref.js';
import type { Credentials } from '../state/credential-rules.js';
import { openStateStores } from '../state/open-state-stores.js';
import { type CliIo, writeLine } from './cli-io.js';
import { resolveStateConfig } from './state-path.js';

export interface CredentialsFlags {
  config?: string;
  state?: string;
  subject?: string;
  resource?: string;
  ttl?: string;
  kind?: 'human' | 'agent';
  groups?: string;
  json?: boolean;
}

/** The configured store: the SQLite file, or the PostgreSQL database gateways share. */
async function withStore<T>(flags: CredentialsFlags, fn: (store: Credentials) => Promise<T>): Promise<T> {
  const state = await openStateStores(await resolveStateConfig(flags), {
    resolveSecret: (ref) => resolveSecret(ref),
  });
  try {
    return await fn(state.credentials);
  } finally {
    await state.close();
  }
}

/**
 * `portcullis credentials issue`: an admin command writing to the state database directly,
 * until `portcullis login` obtains credentials through OIDC. The token is printed once.
 */
export async function runCredentialsIssue(flags: CredentialsFlags, io: CliIo): Promise<number> {
  try {
    if (!flags.subject || !flags.resource) throw new Error('--subject and --resource are required');
    const issued = await withStore(flags, (store) =>
      store.issue({
        subject: flags.subject!,
        resource: flags.resource!,
        ttl: flags.ttl ?? '15m',
        kind: flags.kind ?? 'human',
        groups: flags.groups ? flags.groups.split(',').filter(Boolean) : [],
      }),
    );
    if (flags.json) await writeLine(io.stdout, JSON.stringify(issued));
    else {
      await writeLine(
        io.stdout,
        `credential ${issued.id} for ${issued.subject} on ${issued.resource}, expires ${issued.expires_at}`,
      );
      await writeLine(io.stdout, `password (shown once): ${issued.token}`);
    }
    return 0;
  } catch (err) {
    await writeLine(io.stderr, `portcullis credentials issue: ${(err as Error).message}`);
    return 1;
  }
}

/** `portcullis credentials revoke <id>` or `--subject s`: takes effect at the next statement of live sessions. */
export async function runCredentialsRevoke(
  id: string | undefined,
  flags: CredentialsFlags,
  io: CliIo,
): Promise<number> {
  try {
    if (id === undefined && !flags.subject) throw new Error('give a credential id or --subject');
    const message = await withStore(flags, async (store) => {
      if (id !== undefined) {
        if (!(await store.revoke(id))) throw new Error(`no credential ${id}`);
        return `revoked ${id}`;
      }
      return `revoked ${await store.revokeSubject(flags.subject!)} credential(s) of ${flags.subject}`;
    });
    await writeLine(io.stdout, message);
    return 0;
  } catch (err) {
    await writeLine(io.stderr, `portcullis credentials revoke: ${(err as Error).message}`);
    return 1;
  }
}

export async function runCredentialsList(flags: CredentialsFlags, io: CliIo): Promise<number> {
  try {
    const list = await withStore(flags, (store) =>
      store.list(flags.subject ? { subject: flags.subject } : {}),
    );
    if (flags.json) await writeLine(io.stdout, JSON.stringify(list));
    else
      for (const c of list)
        await writeLine(
          io.stdout,
          `${c.id}\t${c.subject}\t${c.resource}\t${c.expires_at}\t${c.revoked_at ? 'revoked' : ''}`,
        );
    return 0;
  } catch (err) {
    await writeLine(io.stderr, `portcullis credentials list: ${(err as Error).message}`);
    return 1;
  }
}
