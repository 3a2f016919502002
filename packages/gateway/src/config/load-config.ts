import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import { ConfigError, type ConfigIssue, SecretResolutionError } from '../errors.js';
import type { GatewayConfig, ResourceConfig, SecretRef } from './gateway-config.js';
import { describeSecretRef, resolveSecret } from './secret-ref.js';
import { validateConfig } from './validate-config.js';

/** Reads and validates a portcullis.yaml; relative paths in it are taken from its directory. */
export async function loadConfig(file: string): Promise<GatewayConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        cause: err,
      },
    );
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new ConfigError(`${path} is not valid YAML${where}: ${(err as Error).message.split('\n')[0]}`, {
      cause: err,
    });
  }
  return validateConfig(doc, dirname(path));
}

/**
 * Checks that every secret the config references can be read, without returning any of them,
 * so `start --check` catches an unset variable before the gateway is started for real.
 */
export async function checkSecrets(
  config: GatewayConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const issues: ConfigIssue[] = [];
  for (const [i, r] of config.resources.entries()) {
    for (const [field, ref] of secretsOf(r)) {
      try {
        await resolveSecret(ref, env);
      } catch (err) {
        if (!(err instanceof SecretResolutionError)) throw err;
        issues.push({
          path: `resources[${i}].${field}`,
          message: `${err.message}; set it or point ${describeSecretRef(ref)} elsewhere`,
        });
      }
    }
  }
  const statePassword = config.state.postgres?.password;
  if (statePassword) {
    try {
      await resolveSecret(statePassword, env);
    } catch (err) {
      if (!(err instanceof SecretResolutionError)) throw err;
      issues.push({
        path: 'state.postgres.password',
        message: `${err.message}; set it or point ${describeSecretRef(statePassword)} elsewhere`,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/** Every secret a resource refers to, with its field path inside the resource. */
function secretsOf(r: ResourceConfig): [string, SecretRef][] {
  switch (r.type) {
    case 'postgres': {
      const refs: [string, SecretRef | undefined][] = [
        ['upstream.password', r.upstream.password],
        ['tls.cert', r.tls?.cert],
        ['tls.key', r.tls?.key],
        ['tls.ca', r.tls?.ca],
        ['upstream.tls.ca', r.upstream.tls?.ca],
      ];
      return refs.filter((e): e is [string, SecretRef] => e[1] !== undefined);
    }
    case 'ssh':
      return [
        ...r.hostKeys.map((ref, i): [string, SecretRef] => [`host_keys[${i}]`, ref]),
        ['upstream.private_key', r.upstream.privateKey],
        ...(r.upstream.passphrase
          ? [['upstream.passphrase', r.upstream.passphrase] as [string, SecretRef]]
          : []),
      ];
    case 'http':
      return Object.entries(r.upstream.headers).map(([name, ref]): [string, SecretRef] => [
        `upstream.headers.${name}`,
        ref,
      ]);
  }
}
