import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultConformanceDir, formatConformanceSummary, runConformance } from '../src/conformance/index.js';

const dir = defaultConformanceDir();
const baselineFile = fileURLToPath(new URL('../conformance-baseline.json', import.meta.url));
const summaryFile = fileURLToPath(
  new URL('../node_modules/.cache/portcullis-conformance/summary.txt', import.meta.url),
);
const present = existsSync(dir);

describe('OPA conformance through our wasm backend', () => {
  if (!present) {
    it.skip(`conformance cases not found at ${dir}`, () => {});
    return;
  }
  it('passes at least the recorded baseline', async () => {
    const summary = await runConformance(dir, { timeoutMs: 10_000 });
    const report = formatConformanceSummary(summary);
    await mkdir(new URL('.', `file://${summaryFile}`), { recursive: true });
    await writeFile(summaryFile, `${report}\n`);
    console.log(`conformance: ${summary.passed} passed, ${summary.failed} failed (report: ${summaryFile})`);
    const baseline = (JSON.parse(readFileSync(baselineFile, 'utf8')) as { passed: number }).passed;
    expect(summary.passed).toBeGreaterThanOrEqual(baseline);
  }, 900_000);
});
