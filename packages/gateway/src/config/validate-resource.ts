import type { ConfigChecker } from './config-checker.js';
import type { ResourceConfig } from './gateway-config.js';
import { validateHttpResource } from './validate-http-resource.js';
import { validatePostgresResource } from './validate-postgres-resource.js';
import { validateSshResource } from './validate-ssh-resource.js';

type ResourceValidator = (
  c: ConfigChecker,
  r: Record<string, unknown>,
  path: string,
  baseDir: string,
) => ResourceConfig | undefined;

/** One validator per resource type; `type` defaults to postgres, the first resource type. */
const validators: Record<string, ResourceValidator> = {
  postgres: (c, r, path) => validatePostgresResource(c, r, path),
  ssh: validateSshResource,
  http: (c, r, path) => validateHttpResource(c, r, path),
};

export function validateResource(
  c: ConfigChecker,
  raw: unknown,
  path: string,
  baseDir: string,
): ResourceConfig | undefined {
  const r = c.object(raw, path);
  if (!r) return undefined;
  const type = r.type ?? 'postgres';
  const validate = typeof type === 'string' ? validators[type] : undefined;
  if (!validate)
    return c.fail(
      `${path}.type`,
      `expected one of ${Object.keys(validators).join(', ')}, got ${JSON.stringify(type)}`,
    );
  return validate(c, r, path, baseDir);
}
