import { writeFileSync } from 'node:fs';
import os from 'node:os';

/**
 * Write a benchmark's results as JSON to `path`, with the date and the machine it ran on
 * (CPU model, cores, Node, load average at the end): what a committed result must carry.
 */
export function writeResults(path: string, benchmark: string, fields: Record<string, unknown>): void {
  const machine = {
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    node: process.version,
    load: os.loadavg(),
  };
  const document = { benchmark, date: new Date().toISOString(), machine, ...fields };
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
}
