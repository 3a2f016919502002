/**
 * Client authentication against the embedder's hooks. A public key is taken as an identity
 * only after the client's signature over the session is verified with it: the hook maps
 * keys to identities, the proxy checks possession.
 */

import type { AuthContext } from 'ssh2';
import type { SshAuthenticateHooks, SshIdentity } from '../proxy/ssh-proxy-options.js';
import { utils } from '../ssh2-runtime.js';
import { hostKeyFingerprint } from '../upstream/host-key-fingerprint.js';

export type AuthOutcome = { accepted: false } | { accepted: true; identity?: SshIdentity };

export function offeredMethods(hooks: SshAuthenticateHooks): ('publickey' | 'password')[] {
  const methods: ('publickey' | 'password')[] = [];
  if (hooks.publicKey) methods.push('publickey');
  if (hooks.password) methods.push('password');
  return methods;
}

/**
 * One authentication attempt. `accepted` with no identity is OpenSSH's "this key would do,
 * now sign with it" step; only an attempt that returns an identity completes login.
 */
export async function authenticateAttempt(
  hooks: SshAuthenticateHooks,
  ctx: AuthContext,
  source: string,
): Promise<AuthOutcome> {
  if (ctx.method === 'publickey' && hooks.publicKey) {
    const parsed = utils.parseKey(ctx.key.data);
    if (parsed instanceof Error || Array.isArray(parsed)) return { accepted: false };
    const identity = await hooks.publicKey({
      username: ctx.username,
      algorithm: ctx.key.algo,
      key: ctx.key.data,
      fingerprint: hostKeyFingerprint(ctx.key.data),
      authorizedKey: `${parsed.type} ${ctx.key.data.toString('base64')}`,
      source,
    });
    if (!identity) return { accepted: false };
    if (ctx.signature === undefined || ctx.blob === undefined) return { accepted: true };
    if (parsed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return { accepted: false };
    return { accepted: true, identity };
  }
  if (ctx.method === 'password' && hooks.password) {
    const identity = await hooks.password(ctx.username, ctx.password, { source });
    return identity ? { accepted: true, identity } : { accepted: false };
  }
  return { accepted: false };
}
