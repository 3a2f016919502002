import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The policy library shipped with Portcullis. From src/cli and from dist/cli alike, it is four
 * levels up: packages/gateway/<src|dist>/cli → the repository root.
 */
export function shippedPolicyDir(): string {
  return fileURLToPath(new URL('../../../../rego', import.meta.url));
}

export function resolvePolicyPaths(paths: readonly string[] | undefined): string[] {
  const chosen = paths && paths.length > 0 ? [...paths] : [shippedPolicyDir()];
  for (const p of chosen) {
    if (!existsSync(p)) throw new Error(`policy path not found: ${p}`);
  }
  return chosen;
}
