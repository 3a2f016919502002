/**
 * Shell fact extraction speed over the shell corpus, next to its two peers: tree-sitter-bash
 * parsing alone (the floor under our extractor, which parses with it) and shell-quote alone
 * (the tokenizer a naive extractor would use, which misses newlines, substitutions in quotes
 * and heredocs). Run from the repository root:
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/facts/shell.ts
 *
 * Writes benchmarks/facts/results/shell-<date>.json.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as shellQuoteParse } from 'shell-quote';
import { parseBash } from '../../packages/core/src/shell/bash-parser.js';
import { extractShellFactsSync, loadShellParser } from '../../packages/core/src/shell/index.js';
import { shellCorpus } from '../../packages/core/test/corpus/shell-corpus.js';
import { median } from '../support/median.js';

const RUNS = 7;
/** Passes over the corpus per run, so one run is long enough for the timer. */
const PASSES = 20;
const WARMUP_PASSES = 20;

type Subject = (line: string) => unknown;

const subjects: Record<string, Subject> = {
  portcullis_extract_shell_facts: (line) => extractShellFactsSync(line),
  tree_sitter_bash_parse_only: (line) => {
    parseBash(line)?.delete();
  },
  shell_quote_parse_only: (line) => {
    // shell-quote throws on some valid bash (`${X:-$(cmd)}`); a throw still costs its time.
    try {
      return shellQuoteParse(line);
    } catch {
      return undefined;
    }
  },
};

const shellQuoteThrows = shellCorpus.filter((c) => {
  try {
    shellQuoteParse(c.line);
    return false;
  } catch {
    return true;
  }
}).length;

/** Mean µs per line over the corpus for one run, and the per-line times (µs) behind it. */
function run(subject: Subject, lines: readonly string[]): { mean: number; perLine: number[] } {
  const perLine: number[] = [];
  let total = 0;
  for (const line of lines) {
    const started = performance.now();
    for (let i = 0; i < PASSES; i++) subject(line);
    const micros = ((performance.now() - started) * 1000) / PASSES;
    perLine.push(micros);
    total += micros;
  }
  return { mean: total / lines.length, perLine };
}

/** A dependency's version; some packages do not export package.json, so walk up from their entry. */
function version(pkg: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(pkg));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (json.name === pkg && json.version !== undefined) return json.version;
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

await loadShellParser();
const lines = shellCorpus.map((c) => c.line);
const loadBefore = os.loadavg();
const results: Record<string, unknown> = {};
for (const [name, subject] of Object.entries(subjects)) {
  for (let i = 0; i < WARMUP_PASSES; i++) for (const line of lines) subject(line);
  const runs = Array.from({ length: RUNS }, () => run(subject, lines));
  const means = runs.map((r) => r.mean);
  const lineMedians = runs.map((r) => median(r.perLine));
  results[name] = {
    median_us_per_line: Number(median(means).toFixed(2)),
    median_of_line_medians_us: Number(median(lineMedians).toFixed(2)),
    min_run_us_per_line: Number(Math.min(...means).toFixed(2)),
    max_run_us_per_line: Number(Math.max(...means).toFixed(2)),
    runs_us_per_line: means.map((m) => Number(m.toFixed(2))),
  };
  console.log(`${name.padEnd(34)} median ${median(means).toFixed(1)} µs/line over ${RUNS} runs`);
}

const date = new Date().toISOString().slice(0, 10);
const report = {
  benchmark: 'shell fact extraction',
  date: new Date().toISOString(),
  machine: {
    cpu_model: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memory_bytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    load_average_at_start: loadBefore.map((l) => Number(l.toFixed(2))),
  },
  versions: {
    'web-tree-sitter': version('web-tree-sitter'),
    'tree-sitter-bash': version('tree-sitter-bash'),
    'shell-quote': version('shell-quote'),
  },
  method:
    `Input: the ${lines.length} lines of packages/core/test/corpus/shell-corpus.ts (realistic and adversarial). ` +
    `Each subject is warmed up with ${WARMUP_PASSES} passes over the corpus, then timed in ${RUNS} runs; in a run ` +
    `each line is processed ${PASSES} times back to back and timed with performance.now(). A run's figure is the ` +
    'mean µs per line over the corpus; median_us_per_line is the median of the runs. ' +
    'portcullis_extract_shell_facts is extractShellFactsSync (parse, walk, unwrap wrappers, re-parse sh -c/eval ' +
    'strings, build ShellFacts); tree_sitter_bash_parse_only is one web-tree-sitter parse plus tree.delete(); ' +
    "shell_quote_parse_only is shell-quote's parse(). Single process, one thread, no other load controlled for: " +
    'see load_average_at_start.',
  corpus_lines: lines.length,
  shell_quote_throws_on_lines: shellQuoteThrows,
  results,
};
const outDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
const outFile = `${outDir}shell-${date}.json`;
writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${outFile}`);
