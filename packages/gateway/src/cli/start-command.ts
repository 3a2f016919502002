import { isPortcullisError } from '@portcullis/core';
import { checkSecrets, loadConfig } from '../config/load-config.js';
import { ConfigError } from '../errors.js';
import { startGateway } from '../gateway/start-gateway.js';
import { loadPolicyEngine } from '../policy/load-policy-engine.js';
import { type CliIo, writeLine } from './cli-io.js';
import { untilSignal } from './until-signal.js';

export interface StartFlags {
  config: string;
  check?: boolean;
  exitAfterReady?: boolean;
}

/**
 * `portcullis start --config portcullis.yaml`: runs the gateway until SIGINT or SIGTERM.
 * With --check, validates the file, the secrets it names and the policy, then exits 0 or 1.
 */
export async function runStart(flags: StartFlags, io: CliIo): Promise<number> {
  try {
    const config = await loadConfig(flags.config);
    await checkSecrets(config);
    if (flags.check) {
      const engine = await loadPolicyEngine(config.policy);
      await engine.close();
      await writeLine(
        io.stdout,
        `${flags.config}: ok (${config.resources.length} resource${config.resources.length === 1 ? '' : 's'}: ${config.resources.map((r) => r.name).join(', ')})`,
      );
      return 0;
    }
    const gateway = await startGateway({ config });
    for (const [name, address] of gateway.resources)
      await writeLine(io.stdout, `${name}: listening on ${address.address}:${address.port}`);
    await writeLine(io.stdout, `approvals: ${gateway.url}/approvals  metrics: ${gateway.url}/metrics`);
    if (!flags.exitAfterReady) await untilSignal();
    await gateway.close();
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      await writeLine(io.stderr, `portcullis start: invalid configuration in ${flags.config}:`);
      for (const issue of err.issues)
        await writeLine(io.stderr, `  ${issue.path === '' ? '' : `${issue.path}: `}${issue.message}`);
      return 1;
    }
    const code = isPortcullisError(err) ? ` [${err.code}]` : '';
    await writeLine(io.stderr, `portcullis start: ${(err as Error).message}${code}`);
    return 1;
  }
}
