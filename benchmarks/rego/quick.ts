/**
 * A short decision-latency run of the shipped library for work in progress: wasm evaluation
 * p50 and CPU time per call for the SQL, shell and HTTP requests of rego.ts, and the floor.
 * Writes nothing; the committed numbers come from rego.ts.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/rego/quick.ts [runs] [calls]
 *
 * Profile one request's evaluations with `--cpu-prof` and QUICK_ONLY=sql|shell|http.
 */
import { fileURLToPath } from 'node:url';
import { buildInputDocument } from '@portcullis/core';
import { createRegoEvaluator, loadFiles, loadPolicy } from '@portcullis/rego';
import { median } from '../support/median.js';
import { requests } from './requests.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const runs = Number(process.argv[2] ?? 5);
const calls = Number(process.argv[3] ?? 2000);
const only = process.env.QUICK_ONLY;

/** Median over runs of the p50 latency (µs), and CPU µs per call over all runs. */
function measure(fn: () => unknown): { p50_us: number; cpu_us: number } {
  for (let i = 0; i < 300; i++) fn();
  const p50s: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < runs; r++) {
    const samples = new Array<number>(calls);
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      fn();
      samples[i] = (performance.now() - t0) * 1000;
    }
    samples.sort((a, b) => a - b);
    p50s.push(samples[Math.floor(calls / 2)]!);
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    p50_us: Math.round(median(p50s) * 10) / 10,
    cpu_us: Math.round(((cpu.user + cpu.system) / (runs * calls)) * 10) / 10,
  };
}

const files = await loadFiles([`${repoRoot}rego`]);
const sources = files.sources.filter((s) => !s.file.endsWith('_test.rego'));
const evaluator = await createRegoEvaluator({
  policy: sources,
  entrypoint: 'portcullis/decision',
  data: files.data,
});
const out: Record<string, unknown> = {};
if (only === undefined) {
  const trivial = await loadPolicy('package bench\n\nallow := true\n', { entrypoints: ['bench/allow'] });
  const small = (await buildInputDocument(requests.sql!)) as unknown;
  out.floor = measure(() => trivial.evaluate(small, 'bench/allow'));
}
for (const [kind, request] of Object.entries(requests)) {
  if (only !== undefined && only !== kind) continue;
  const input = await buildInputDocument(request);
  out[kind] = measure(() => evaluator.evaluate(input));
}
console.log(JSON.stringify(out));
