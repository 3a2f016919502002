/**
 * A JSON response body masked whole, as the HTTP adapters mask one: `maskJsonText` (since
 * e21cc63: only the masked values change) beside what it replaced, `JSON.parse`, `maskJson`
 * and `JSON.stringify` (which rewrote every number, escape and space of the body).
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/masking/json-body.ts
 *
 * The body: ROWS customer rows (id, name, e-mail, SSN, a note, a score, tags), about 145
 * bytes each; masks: a JSONPath mask on every row's SSN and the e-mail, card and phone
 * detectors. Also an object reply (express res.json, a fastify object) both ways: masked as an
 * object then serialised, or serialised then masked as text. All are checked to mask the same before timing. Each runs once to warm
 * up, then RUNS times, interleaved; reported are the median, min and max ms per body and the
 * median MB/s. OUT writes the results as JSON.
 */

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { createMasker } from '../../packages/core/src/masking/index.js';
import { median } from '../support/median.js';

const ROWS = Number(process.env.ROWS ?? 5000);
const RUNS = Number(process.env.RUNS ?? 9);

const masker = createMasker({
  rules: [
    { path: '$.rows[*].ssn', strategy: 'redact' },
    { detector: 'email', strategy: 'redact' },
    { detector: 'credit_card', strategy: 'partial' },
    { detector: 'phone', strategy: 'partial' },
  ],
});
const text = JSON.stringify({
  rows: Array.from({ length: ROWS }, (_, i) => ({
    id: i,
    name: `user ${i}`,
    email: `u${i}@example.com`,
    ssn: '123-45-6789',
    note: 'nothing to see here at all',
    score: i * 1.5,
    tags: ['a', 'b'],
  })),
});

const doc = JSON.parse(text) as unknown;
const subjects: [string, () => string][] = [
  [
    'JSON.parse + maskJson + JSON.stringify (before)',
    () => JSON.stringify(masker.maskJson(JSON.parse(text))),
  ],
  ['maskJsonText (now)', () => masker.maskJsonText(text)],
  // An object reply (express res.json, a fastify object): masked as an object and then
  // serialised (before 19ece77), or serialised and then masked as text (since).
  ['object reply: maskJson + JSON.stringify (before)', () => JSON.stringify(masker.maskJson(doc))],
  ['object reply: JSON.stringify + maskJsonText (now)', () => masker.maskJsonText(JSON.stringify(doc))],
];
const outputs = subjects.map(([, fn]) => JSON.parse(fn()) as unknown);
if (!outputs.every((o) => isDeepStrictEqual(o, outputs[0]))) throw new Error('the ways mask differently');

const samples = new Map<string, number[]>(subjects.map(([name]) => [name, []]));
for (let run = -1; run < RUNS; run++) {
  for (const [name, fn] of subjects) {
    const start = process.hrtime.bigint();
    fn();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (run >= 0) samples.get(name)?.push(ms);
  }
}

const results = subjects.map(([name]) => {
  const runs = samples.get(name) as number[];
  const ms = median(runs);
  return {
    subject: name,
    median_ms: Number(ms.toFixed(2)),
    min_ms: Number(Math.min(...runs).toFixed(2)),
    max_ms: Number(Math.max(...runs).toFixed(2)),
    mb_per_s: Number((text.length / 1e6 / (ms / 1000)).toFixed(2)),
  };
});
process.stdout.write(`body ${text.length} characters, ${ROWS} rows\n`);
for (const r of results)
  process.stdout.write(
    `${r.median_ms.toFixed(1).padStart(8)} ms (${r.min_ms}–${r.max_ms})  ${r.mb_per_s} MB/s  ${r.subject}\n`,
  );
if (process.env.OUT) {
  const machine = { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version };
  writeFileSync(
    process.env.OUT,
    `${JSON.stringify({ benchmark: 'masking-json-body', date: new Date().toISOString(), machine, loadavg: os.loadavg(), settings: { ROWS, RUNS }, body_chars: text.length, results }, null, 1)}\n`,
  );
}
