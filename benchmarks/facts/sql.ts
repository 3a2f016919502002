/**
 * SQL fact extraction benchmark: libpg-query-based extraction against node-sql-parser on the
 * same PostgreSQL statements (the corpus statements both parsers accept), plus libpg-query's
 * raw parse alone so the cost of our walk is visible.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/facts/sql.ts
 *
 * Method: each measured function is run over every statement ITERATIONS times per run, after
 * one warm-up round (subjects interleaved per round); a run's figure is elapsed time / (statements × iterations). Reported is the
 * median over RUNS runs, with min and max. Results go to benchmarks/facts/results/sql-<date>.json.
 */

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { genericSqlFacts } from '../../packages/core/src/sql/generic-sql-facts.js';
import { extractSqlFactsSync, loadSqlParsers } from '../../packages/core/src/sql/index.js';
import { loadedSqlParsers } from '../../packages/core/src/sql/parser-loader.js';
import { sqlCorpus } from '../../packages/core/test/corpus/sql-corpus.js';

const RUNS = 11;
const ITERATIONS = 20;

await loadSqlParsers();
const { parsePg, generic } = loadedSqlParsers();

const pgStatements = sqlCorpus
  .filter((c) => c.dialect === undefined && c.sql.trim() !== '')
  .map((c) => c.sql);

const libpgFailed = pgStatements.filter((sql) => !extractSqlFactsSync(sql).parsed);
const nspFailed = pgStatements.filter((sql) => {
  try {
    generic.parse(sql, { database: 'PostgresQL' });
    return false;
  } catch {
    return true;
  }
});
const both = pgStatements.filter((sql) => !libpgFailed.includes(sql) && !nspFailed.includes(sql));

const subjects: [string, (sql: string) => unknown][] = [
  ['libpg-query raw parse (parseSync)', (sql) => parsePg(sql)],
  ['portcullis extraction via libpg-query', (sql) => extractSqlFactsSync(sql)],
  ['node-sql-parser raw parse (postgresql)', (sql) => generic.parse(sql, { database: 'PostgresQL' })],
  [
    'portcullis extraction via node-sql-parser (postgresql)',
    (sql) => genericSqlFacts(sql, 'postgresql', generic),
  ],
];

function once(fn: (sql: string) => unknown): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) for (const sql of both) fn(sql);
  return Number(process.hrtime.bigint() - started) / 1_000 / (ITERATIONS * both.length);
}

// Runs are interleaved (every subject once per round) so that load from elsewhere on the
// machine falls on all subjects alike instead of on whichever happened to run then.
const perRun: number[][] = subjects.map(() => []);
for (let run = 0; run <= RUNS; run++) {
  subjects.forEach(([, fn], i) => {
    const micros = once(fn);
    if (run > 0) perRun[i]!.push(micros);
  });
}
const round = (n: number) => Math.round(n * 100) / 100;
const results = subjects.map(([name], i) => {
  const runs = [...perRun[i]!].sort((a, b) => a - b);
  return {
    name,
    median_us_per_statement: round(runs[Math.floor(runs.length / 2)]!),
    min_us: round(runs[0]!),
    max_us: round(runs[runs.length - 1]!),
  };
});

const rawPg = results[0]!.median_us_per_statement;
const ourPg = results[1]!.median_us_per_statement;
const report = {
  date: new Date().toISOString(),
  machine: {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    total_mem_bytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    load_average_at_start: os.loadavg().map(round),
  },
  method:
    `PostgreSQL statements of the SQL corpus (packages/core/test/corpus/sql-corpus.ts) accepted by both ` +
    `libpg-query and node-sql-parser (database PostgresQL). Each function runs over all of them ` +
    `${ITERATIONS} times per run; one warm-up round, then ${RUNS} measured rounds, subjects interleaved within each round; figure per run = elapsed / ` +
    `(statements × iterations), reported as median (min, max) over runs. Single process; the machine was shared with other work, so min is the least-disturbed figure.`,
  corpus: {
    postgresql_statements: pgStatements.length,
    libpg_query_failed: libpgFailed.length,
    node_sql_parser_failed: nspFailed.length,
    measured_on: both.length,
  },
  results,
  walk_overhead_us: Math.round((ourPg - rawPg) * 100) / 100,
};

const here = dirname(fileURLToPath(import.meta.url));
const file = join(here, 'results', `sql-${report.date.slice(0, 10)}.json`);
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
console.table(results);
console.log(report.corpus, `walk overhead ≈ ${report.walk_overhead_us} µs/statement`);
console.log(`written to ${file}`);
