import { readFile } from 'node:fs/promises';
import { SecretResolutionError } from '../errors.js';
import type { SecretRef } from './gateway-config.js';

/** `env:NAME` or `file:/path`; anything else is refused so a secret is never written inline. */
export function parseSecretRef(text: string): SecretRef | undefined {
  const env = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(text);
  if (env) return { from: 'env', name: env[1]! };
  if (text.startsWith('file:') && text.length > 'file:'.length) return { from: 'file', path: text.slice(5) };
  return undefined;
}

export function describeSecretRef(ref: SecretRef): string {
  return ref.from === 'env' ? `env:${ref.name}` : `file:${ref.path}`;
}

/**
 * The secret's value. Errors name the reference, never the value. A file's trailing newline
 * is dropped, since `echo secret > file` is how most people write one.
 */
export async function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (ref.from === 'env') {
    const value = env[ref.name];
    if (value === undefined || value === '')
      throw new SecretResolutionError(`environment variable ${ref.name} is not set (from env:${ref.name})`);
    return value;
  }
  try {
    return (await readFile(ref.path, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new SecretResolutionError(
      `cannot read secret file ${ref.path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      { cause: err },
    );
  }
}
