/**
 * Runs OPA's conformance suite (YAML cases, ../shared/opa-conformance/v1 beside the
 * repository) through our compiler, planner, wasm backend and the official opa-wasm loader.
 * Every case is isolated: errors are caught and reported as failures with a reason, so one
 * bad case never stops the run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { runtimeWasm } from '../runtime/compile-runtime.js';
import { type ConformanceCase, runCase } from './run-case.js';

export interface ConformanceOptions {
  /** Per-case time limit in milliseconds (default 10 000). */
  readonly timeoutMs?: number;
  /** Only directories whose name passes this filter. */
  readonly filter?: (directory: string) => boolean;
  /** Called after each case, e.g. for progress output. */
  readonly onCase?: (result: CaseResult) => void;
}

export interface CaseResult {
  readonly directory: string;
  readonly file: string;
  readonly note: string;
  readonly pass: boolean;
  readonly reason?: string;
}

export interface ConformanceSummary {
  readonly passed: number;
  readonly failed: number;
  readonly byDirectory: Readonly<Record<string, { passed: number; failed: number }>>;
  readonly failures: readonly CaseResult[];
}

/** The repository root: the nearest ancestor whose package.json declares workspaces. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { workspaces?: unknown }).workspaces) {
      return dir;
    }
    dir = dirname(dir);
  }
  return process.cwd();
}

/** `<repoRoot>/../shared/opa-conformance/v1`. */
export function defaultConformanceDir(): string {
  return resolve(repoRoot(), '..', 'shared', 'opa-conformance', 'v1');
}

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function casesIn(text: string): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  for (const doc of parseAllDocuments(text)) {
    // OPA's YAML uses plain JSON-ish values; large integers must stay numbers, not strings.
    const value = doc.toJS({ maxAliasCount: -1 }) as { cases?: ConformanceCase[] } | null;
    for (const c of value?.cases ?? []) cases.push(c);
  }
  return cases;
}

export async function runConformance(
  dir: string = defaultConformanceDir(),
  options: ConformanceOptions = {},
): Promise<ConformanceSummary> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const byDirectory: Record<string, { passed: number; failed: number }> = {};
  const failures: CaseResult[] = [];
  let passed = 0;
  let failed = 0;
  // Build (or fetch) the runtime before the first case's clock starts.
  await runtimeWasm();
  for (const file of await yamlFiles(dir)) {
    const rel = relative(dir, file);
    const directory = rel.split(/[\\/]/)[0] ?? rel;
    if (options.filter !== undefined && !options.filter(directory)) continue;
    const counts = byDirectory[directory] ?? { passed: 0, failed: 0 };
    byDirectory[directory] = counts;
    let cases: ConformanceCase[];
    try {
      cases = casesIn(await readFile(file, 'utf8'));
    } catch (error) {
      const result = {
        directory,
        file: rel,
        note: '(file)',
        pass: false,
        reason: `unreadable YAML: ${String(error)}`,
      };
      failures.push(result);
      failed++;
      counts.failed++;
      options.onCase?.(result);
      continue;
    }
    for (const c of cases) {
      const outcome = await runCase(c, timeoutMs);
      const result: CaseResult = outcome.pass
        ? { directory, file: rel, note: c.note, pass: true }
        : { directory, file: rel, note: c.note, pass: false, reason: outcome.reason };
      if (outcome.pass) {
        passed++;
        counts.passed++;
      } else {
        failed++;
        counts.failed++;
        failures.push(result);
      }
      options.onCase?.(result);
    }
  }
  return { passed, failed, byDirectory, failures };
}

/** A plain-text report: per-directory counts, the total line and the failures. */
export function formatConformanceSummary(
  summary: ConformanceSummary,
  maxFailures = Number.POSITIVE_INFINITY,
): string {
  const lines: string[] = [];
  for (const [dir, c] of Object.entries(summary.byDirectory).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`${dir.padEnd(44)} ${String(c.passed).padStart(4)} / ${c.passed + c.failed}`);
  }
  lines.push('', `${summary.passed} passed, ${summary.failed} failed`);
  if (summary.failures.length > 0) lines.push('', 'failures:');
  for (const f of summary.failures.slice(0, maxFailures)) {
    lines.push(`  ${f.file} — ${f.note}: ${f.reason ?? ''}`);
  }
  if (summary.failures.length > maxFailures) lines.push(`  … ${summary.failures.length - maxFailures} more`);
  return lines.join('\n');
}
