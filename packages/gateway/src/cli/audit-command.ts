import { verifyAuditLog } from '@portcullis/core';
import { loadConfig } from '../config/load-config.js';
import { type CliIo, writeLine } from './cli-io.js';

/** `portcullis audit verify [log]`: exit 0 when the hash chain is intact, 1 at the first broken record. */
export async function runAuditVerify(
  path: string | undefined,
  flags: { config?: string },
  io: CliIo,
): Promise<number> {
  try {
    const log = path ?? (await loadConfig(flags.config ?? 'portcullis.yaml')).audit.path;
    const result = await verifyAuditLog(log);
    if (result.ok) {
      await writeLine(io.stdout, `${log}: ok, ${result.records} records, last hash ${result.lastHash}`);
      return 0;
    }
    await writeLine(io.stdout, `${log}: BROKEN at line ${result.line} (seq ${result.seq}): ${result.reason}`);
    return 1;
  } catch (err) {
    await writeLine(io.stderr, `portcullis audit verify: ${(err as Error).message}`);
    return 1;
  }
}
