/**
 * What reading binary scalars as their text costs the relay (scalar-text.ts), against the
 * same values in text format: one DataRow of a timestamptz, a float8, a uuid, a date and a
 * numeric, under every built-in detector (as the shipped library gives an agent on
 * production), masked by `maskDataRowBody` in a loop, the row in text format (the server's
 * text, scanned) and in binary (read as text, then scanned). No value is changed, so both
 * go out as they came: the difference is the reading.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/pg/binary-scalars.ts
 *
 * Settings (environment): RUNS (9) runs of CALLS (200000) rows, the time zone ZONE
 * (Europe/Paris); OUT writes the medians and every run as JSON.
 */

import { createMasker, DETECTOR_NAMES, type MaskRule } from '@portcullis/core';
import type { FieldDescription } from '../../adapters/pg/src/protocol/backend-messages.js';
import { writeDataRow } from '../../adapters/pg/src/protocol/backend-writers.js';
import { MessageWriter } from '../../adapters/pg/src/protocol/message-writer.js';
import { BUILTIN_TYPES, numericText } from '../../adapters/pg/src/proxy/binary-values.js';
import { createRowPlan, maskDataRowBody, withResultFormats } from '../../adapters/pg/src/proxy/mask-plan.js';
import { scalarText, TextSettings } from '../../adapters/pg/src/proxy/scalar-text.js';
import { median } from '../support/median.js';
import { writeResults } from '../support/write-results.js';

const RUNS = Number(process.env.RUNS ?? 9);
const CALLS = Number(process.env.CALLS ?? 200_000);
const ZONE = process.env.ZONE ?? 'Europe/Paris';

const rules: MaskRule[] = DETECTOR_NAMES.map((detector) => ({ detector, strategy: 'redact' }));
const context = { masker: createMasker({ rules }), hasColumnRules: false, hasTextRules: true };

function field(name: string, typeOid: number): FieldDescription {
  return { name, tableOid: 0, attributeNumber: 0, typeOid, typeSize: -1, typeModifier: -1, format: 0 };
}

// timestamptz 2024-05-17 09:41:12.5+00, float8, uuid, date 1985-03-14, numeric 1234.60.
const timestamptz = Buffer.alloc(8);
timestamptz.writeBigInt64BE(769_254_072_500_000n);
const float8 = Buffer.alloc(8);
float8.writeDoubleBE(-373571.1841271783);
const uuid = Buffer.from('a0eebc999c0b4ef8bb6d6bb9bd380a11', 'hex');
const date = Buffer.alloc(4);
date.writeInt32BE(-5406);
const numeric = Buffer.from('0002000000000002' + '04d2' + '1770', 'hex');
const fields = [field('t', 1184), field('f', 701), field('u', 2950), field('d', 1082), field('n', 1700)];
const binaryValues = [timestamptz, float8, uuid, date, numeric];

const settings = new TextSettings();
settings.note('TimeZone', ZONE);
const textValues = binaryValues.map((v, i) => {
  const oid = fields[i]?.typeOid ?? 0;
  const scalar = BUILTIN_TYPES.shapeOf(oid)?.scalar;
  const text =
    scalar === undefined ? numericText(v, 0, v.length) : scalarText(scalar, v, 0, v.length, settings);
  return Buffer.from(text ?? '', 'utf8');
});

function body(values: Buffer[]): Buffer {
  const w = new MessageWriter();
  writeDataRow(w, values);
  return w.flush().subarray(5);
}

const textPlan = createRowPlan(
  context,
  fields,
  fields.map((f) => ({ column: f.name })),
);
const binaryPlan = withResultFormats(textPlan, [1]);
const rows = { text: body(textValues), binary: body(binaryValues) };
const out = new MessageWriter();
let changed = 0;

function run(format: 'text' | 'binary'): number {
  const plan = format === 'text' ? textPlan : binaryPlan;
  const row = rows[format];
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) if (maskDataRowBody(plan, row, out, settings)) changed++;
  return Number(process.hrtime.bigint() - start) / CALLS;
}

const runs: Record<'text' | 'binary', number[]> = { text: [], binary: [] };
for (let r = 0; r < RUNS; r++) {
  runs.text.push(run('text'));
  runs.binary.push(run('binary'));
}
if (changed !== 0) throw new Error('a detector changed a value: the rows are not what this measures');
const summary = (['text', 'binary'] as const).map((format) => ({
  format,
  ns_per_row_median: Number(median(runs[format]).toFixed(0)),
  runs: runs[format].map((x) => Number(x.toFixed(0))),
}));
const ratio = Number(
  ((summary[1]?.ns_per_row_median ?? 0) / (summary[0]?.ns_per_row_median ?? 1)).toFixed(2),
);
for (const s of summary) process.stdout.write(`${s.format.padEnd(7)} ${s.ns_per_row_median} ns per row\n`);
process.stdout.write(`binary / text ${ratio}\n`);
if (process.env.OUT) {
  writeResults(process.env.OUT, 'pg binary scalars', {
    method: {
      runs: RUNS,
      calls: CALLS,
      zone: ZONE,
      row: 'timestamptz, float8, uuid, date, numeric; every built-in detector; nothing changed',
      text: textValues.map((v) => v.toString('utf8')),
    },
    results: summary,
    binary_over_text: ratio,
  });
}
