import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The policy library shipped with Portcullis, the `rego/` directory at the repository root.
 * Looked for upward from this module, because it runs at different depths: src/cli under
 * tsx, dist/cli, and dist itself once tsup moves code shared by the two entry points into a
 * chunk (where a fixed `../../../../rego` pointed above the repository).
 */
export function shippedPolicyDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'rego');
    if (existsSync(join(candidate, 'portcullis', 'decision.rego'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  // Not found: named as the repository layout has it, so the error says where it was expected.
  return fileURLToPath(new URL('../../../../rego', import.meta.url));
}

export function resolvePolicyPaths(paths: readonly string[] | undefined): string[] {
  const chosen = paths && paths.length > 0 ? [...paths] : [shippedPolicyDir()];
  for (const p of chosen) {
    if (!existsSync(p)) throw new Error(`policy path not found: ${p}`);
  }
  return chosen;
}
