import { existsSync } from 'node:fs';
import type { GatewayConfig } from '../config/gateway-config.js';
import { loadConfig } from '../config/load-config.js';

/** The state database a command works on: --state, else the one the config names. */
export async function resolveStatePath(flags: { state?: string; config?: string }): Promise<string> {
  if (flags.state) return flags.state;
  const config = flags.config ?? 'portcullis.yaml';
  if (!existsSync(config))
    throw new Error(`no --state given and no config at ${config} (use --config or --state)`);
  return (await loadConfig(config)).state.path;
}

/** The state store a command works on: the SQLite file --state names, else the config's `state`. */
export async function resolveStateConfig(flags: {
  state?: string;
  config?: string;
}): Promise<GatewayConfig['state']> {
  if (flags.state) return { path: flags.state };
  const config = flags.config ?? 'portcullis.yaml';
  if (!existsSync(config))
    throw new Error(`no --state given and no config at ${config} (use --config or --state)`);
  return (await loadConfig(config)).state;
}
