import type { RegoTestRunResult } from './run-rego-tests.js';

/**
 * A report in the shape of `opa test`'s: one line per failure (`file:row: name: FAIL (why)`),
 * then a summary line that is exactly `N passed, N failed`. With `verbose`, passes are listed too.
 */
export function formatTestReport(run: RegoTestRunResult, options: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  for (const r of run.results) {
    if (r.passed) {
      if (options.verbose === true) lines.push(`${r.file}:${r.row}: ${r.name}: PASS`);
      continue;
    }
    lines.push(`${r.file}:${r.row}: ${r.name}: FAIL (${r.error ?? 'failed'})`);
  }
  lines.push(`${run.passed} passed, ${run.failed} failed`);
  return lines.join('\n');
}
