/**
 * What masking COPY … TO STDOUT data costs the relay (copy-mask.ts): ROWS rows of `id int4,
 * email text, note text, amount numeric` in text and in CSV format, cut into 64 KiB messages
 * as a server's stream arrives, pushed through a CopyOutStream whose plan masks `email` by a
 * column rule and scans the other columns with the email and card detectors (one note in ten
 * holds an address). Reported: nanoseconds per row, the median of RUNS runs.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/pg/copy-mask.ts
 *
 * Settings (environment): RUNS (9), ROWS (200000); OUT writes the medians and every run as
 * JSON. The script only uses the CopyOutStream API, so the same file runs against an older
 * checkout for a before/after comparison.
 */

import { createMasker } from '@portcullis/core';
import type { FieldDescription } from '../../adapters/pg/src/protocol/backend-messages.js';
import { CopyOutStream, type CopyPlan } from '../../adapters/pg/src/proxy/copy-mask.js';
import type { CopyOptions } from '../../adapters/pg/src/proxy/copy-statement.js';
import { createRowPlan } from '../../adapters/pg/src/proxy/mask-plan.js';
import { median } from '../support/median.js';
import { writeResults } from '../support/write-results.js';

const RUNS = Number(process.env.RUNS ?? 9);
const ROWS = Number(process.env.ROWS ?? 200_000);
const CHUNK = 64 * 1024;

const masker = createMasker({
  rules: [
    { column: 'people.email', strategy: 'redact' },
    { detector: 'email', strategy: 'redact' },
    { detector: 'credit_card', strategy: 'partial', keep: 4 },
  ],
});
const context = { masker, hasColumnRules: true, hasTextRules: true };
const field = (name: string, typeOid: number): FieldDescription => ({
  name,
  tableOid: 0,
  attributeNumber: 0,
  typeOid,
  typeSize: -1,
  typeModifier: -1,
  format: 0,
});
const rows = createRowPlan(
  context,
  [field('id', 23), field('email', 25), field('note', 25), field('amount', 1700)],
  ['id', 'email', 'note', 'amount'].map((column) => ({ table: 'public.people', column })),
);

const TEXT: CopyOptions = {
  format: 'text',
  delimiter: '\t',
  null: '\\N',
  header: false,
  quote: '"',
  escape: '"',
};
const CSV: CopyOptions = { format: 'csv', delimiter: ',', null: '', header: false, quote: '"', escape: '"' };

function data(format: 'text' | 'csv'): Buffer[] {
  const lines: string[] = [];
  for (let i = 1; i <= ROWS; i++) {
    const note = i % 10 === 0 ? `call back at ann${i}@example.com, about order ${i}` : `order ${i}, shipped`;
    const values = [String(i), `user${i}@example.com`, note, `${i}.50`];
    lines.push(
      format === 'csv' ? values.map((v) => (v.includes(',') ? `"${v}"` : v)).join(',') : values.join('\t'),
    );
  }
  const all = Buffer.from(`${lines.join('\n')}\n`);
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += CHUNK) chunks.push(all.subarray(at, at + CHUNK));
  return chunks;
}

const inputs = { text: data('text'), csv: data('csv') };
let outBytes = 0;

function run(format: 'text' | 'csv'): number {
  const plan: CopyPlan = { options: format === 'csv' ? CSV : TEXT, rows, context };
  const stream = new CopyOutStream(plan, 1 << 26);
  const start = process.hrtime.bigint();
  for (const chunk of inputs[format]) outBytes += stream.push(chunk).length;
  stream.end();
  return Number(process.hrtime.bigint() - start) / ROWS;
}

const runs: Record<'text' | 'csv', number[]> = { text: [], csv: [] };
for (let r = 0; r < RUNS; r++) {
  runs.text.push(run('text'));
  runs.csv.push(run('csv'));
}
if (outBytes === 0) throw new Error('nothing came out');
const summary = (['text', 'csv'] as const).map((format) => ({
  format,
  ns_per_row_median: Number(median(runs[format]).toFixed(0)),
  runs: runs[format].map((x) => Number(x.toFixed(0))),
}));
for (const s of summary) process.stdout.write(`${s.format.padEnd(5)} ${s.ns_per_row_median} ns per row\n`);
if (process.env.OUT) {
  writeResults(process.env.OUT, 'pg COPY masking', {
    method: {
      runs: RUNS,
      rows: ROWS,
      chunk_bytes: CHUNK,
      columns: 'id int4, email text (column rule), note text (detectors), amount numeric',
    },
    results: summary,
  });
}
