import { defaultConformanceDir, runConformance } from '@portcullis/rego';
import { type CliIo, writeLine } from './cli-io.js';

export interface ConformanceFlags {
  min?: string;
  failures?: boolean;
}

/**
 * OPA's conformance cases compiled by us and run in @open-policy-agent/opa-wasm: the pass rate
 * per directory, then "N passed, N failed". With --min, exits 1 when fewer pass.
 */
export async function runConformanceCommand(
  dir: string | undefined,
  flags: ConformanceFlags,
  io: CliIo,
): Promise<number> {
  try {
    const summary = await runConformance(dir ?? defaultConformanceDir());
    const rows = Object.entries(summary.byDirectory).sort(([a], [b]) => a.localeCompare(b));
    const width = Math.max(10, ...rows.map(([d]) => d.length));
    for (const [directory, { passed, failed }] of rows) {
      const total = passed + failed;
      const pct = total === 0 ? 0 : (100 * passed) / total;
      await writeLine(
        io.stdout,
        `${directory.padEnd(width)} ${String(passed).padStart(4)}/${String(total).padEnd(4)} ${pct.toFixed(1).padStart(5)}%`,
      );
    }
    if (flags.failures) {
      for (const f of summary.failures) {
        await writeLine(io.stdout, `FAIL ${f.directory}/${f.file}: ${f.note}: ${f.reason ?? ''}`);
      }
    }
    await writeLine(io.stdout, `${summary.passed} passed, ${summary.failed} failed`);
    const min = flags.min === undefined ? undefined : Number(flags.min);
    if (min !== undefined && !(summary.passed >= min)) {
      await writeLine(
        io.stderr,
        `portcullis conformance: ${summary.passed} passed, below the minimum ${min}`,
      );
      return 1;
    }
    return 0;
  } catch (err) {
    await writeLine(io.stderr, `portcullis conformance: ${(err as Error).message}`);
    return 1;
  }
}
