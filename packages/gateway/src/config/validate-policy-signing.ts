import { SIGNING_ALGORITHMS } from '../policy/bundle-signature.js';
import type { ConfigChecker } from './config-checker.js';
import { secret } from './field-checks.js';
import type { BundleSigningConfig, SecretRef } from './gateway-config.js';

/**
 * `policy.signing`: the keys a bundle's `.signatures.json` must verify with. Once this block is
 * present every bundle must be signed; there is no "verify if signed" mode, since stripping
 * the signature would then be enough to pass a forged policy.
 */
export function policySigning(c: ConfigChecker, raw: unknown): BundleSigningConfig | undefined {
  const s = c.object(raw, 'policy.signing');
  if (!s) return undefined;
  c.known(s, 'policy.signing', ['keys', 'keyid', 'scope']);
  const keysRaw = c.object(s.keys, 'policy.signing.keys');
  const keyId = s.keyid === undefined ? undefined : c.string(s.keyid, 'policy.signing.keyid');
  const scope = s.scope === undefined ? undefined : c.string(s.scope, 'policy.signing.scope');
  if (!keysRaw) return undefined;
  const keys: Record<string, { algorithm: string; key: SecretRef }> = {};
  for (const [id, entry] of Object.entries(keysRaw)) {
    const path = `policy.signing.keys.${id}`;
    const k = c.object(entry, path);
    if (!k) continue;
    c.known(k, path, ['algorithm', 'key']);
    const algorithm = c.string(k.algorithm, `${path}.algorithm`, { default: 'RS256' });
    if (algorithm !== undefined && !SIGNING_ALGORITHMS.includes(algorithm))
      c.fail(
        `${path}.algorithm`,
        `expected one of ${SIGNING_ALGORITHMS.join(', ')}, got ${JSON.stringify(algorithm)}`,
      );
    const key = secret(c, k.key, `${path}.key`);
    if (algorithm !== undefined && key) keys[id] = { algorithm, key };
  }
  if (Object.keys(keysRaw).length === 0) return c.fail('policy.signing.keys', 'name at least one key');
  if (keyId !== undefined && !Object.hasOwn(keysRaw, keyId))
    c.fail('policy.signing.keyid', `${JSON.stringify(keyId)} is not one of policy.signing.keys`);
  return { keys, ...(keyId !== undefined ? { keyId } : {}), ...(scope !== undefined ? { scope } : {}) };
}
