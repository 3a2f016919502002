/**
 * Rego toolchain benchmark: compile time of the shipped policy library (rego/), and decision
 * latency of data.portcullis.decision for SQL, shell and HTTP requests — the wasm evaluation
 * alone and end to end through engine.decide (fact extraction included) — next to a trivial
 * policy through the same loader, which is the floor any compiled policy pays.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/rego/rego.ts
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildInputDocument, createEngine } from '@portcullis/core';
import {
  compileModules,
  createRegoEvaluator,
  emitWasm,
  FALLBACK_NATIVES,
  jsBuiltinTable,
  LOADER_OWN_BUILTINS,
  type LoadedPolicy,
  loadFiles,
  loadPolicy,
  planPolicy,
} from '@portcullis/rego';
import { median } from '../support/median.js';
import { requests } from './requests.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const regoDir = `${repoRoot}rego`;
const RUNS = 7;
const ITERATIONS = 3000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Per-call latencies in µs over RUNS runs; reports the median over runs of p50 and p99. */
async function latency(fn: () => unknown | Promise<unknown>): Promise<{ p50_us: number; p99_us: number }> {
  for (let i = 0; i < 500; i++) await fn();
  const p50s: number[] = [];
  const p99s: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const samples = new Array<number>(ITERATIONS);
    for (let i = 0; i < ITERATIONS; i++) {
      const t0 = performance.now();
      await fn();
      samples[i] = (performance.now() - t0) * 1000;
    }
    samples.sort((a, b) => a - b);
    p50s.push(percentile(samples, 50));
    p99s.push(percentile(samples, 99));
  }
  return { p50_us: round(median(p50s)), p99_us: round(median(p99s)) };
}

async function main(): Promise<void> {
  // 1. Compile time of rego/ (without its tests), every stage run afresh (no cache), median
  // over runs; the stages are timed separately so the slow one is visible.
  const files = await loadFiles([regoDir]);
  const sources = files.sources.filter((s) => !s.file.endsWith('_test.rego'));
  const stageMs = {
    compile: [] as number[],
    plan: [] as number[],
    emit: [] as number[],
    total: [] as number[],
  };
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const compiled = compileModules(sources);
    const t1 = performance.now();
    if (compiled.program === undefined) throw new Error('rego/ does not compile');
    const planned = planPolicy(compiled.program, { entrypoints: ['portcullis/decision'] });
    const t2 = performance.now();
    if (planned.policy === undefined) throw new Error('rego/ does not plan');
    await emitWasm(planned.policy);
    const t3 = performance.now();
    stageMs.compile.push(t1 - t0);
    stageMs.plan.push(t2 - t1);
    stageMs.emit.push(t3 - t2);
    stageMs.total.push(t3 - t0);
  }

  // 2. The floor: a trivial policy through the same loader.
  const trivial = await loadPolicy('package bench\n\nallow := true\n', { entrypoints: ['bench/allow'] });
  const smallInput = (await buildInputDocument(requests.sql!)) as unknown;
  const floor = await latency(() => trivial.evaluate(smallInput, 'bench/allow'));

  // 3. The shipped policy library.
  const evaluator = await createRegoEvaluator({
    policy: sources,
    entrypoint: 'portcullis/decision',
    data: files.data,
  });
  const engine = createEngine({ evaluator });
  const results: Record<string, unknown> = {};
  for (const [kind, request] of Object.entries(requests)) {
    const input = await buildInputDocument(request);
    const decision = evaluator.evaluate(input) as { effect?: string } | undefined;
    results[kind] = {
      effect: decision?.effect,
      wasm_evaluate: await latency(() => evaluator.evaluate(input)),
      engine_decide: await latency(() => engine.decide(request)),
    };
  }

  // 4. What each optimisation buys, back to back on the same machine state: the same library
  // built without the rule index and/or with every string builtin sent to JavaScript (as
  // before both existed); wasm evaluation only, the variants interleaved per request.
  const program = compileModules(sources).program;
  if (program === undefined) throw new Error('rego/ does not compile');
  const table = await jsBuiltinTable();
  const hostAliases = new Set([...LOADER_OWN_BUILTINS].filter((name) => table.has(name)));
  const variant = async (ruleIndexing: boolean, natives: boolean): Promise<LoadedPolicy> => {
    const planned = planPolicy(program, { entrypoints: ['portcullis/decision'], ruleIndexing });
    if (planned.policy === undefined) throw new Error('rego/ does not plan');
    const wasm = await emitWasm(planned.policy, {
      hostAliases,
      ...(natives ? {} : { forceJsBuiltins: new Set(FALLBACK_NATIVES) }),
    });
    return loadPolicy(wasm, { data: files.data });
  };
  const variants: Record<string, LoadedPolicy> = {
    neither: await variant(false, false),
    rule_index_only: await variant(true, false),
    native_builtins_only: await variant(false, true),
    both: await variant(true, true),
  };
  const comparison: Record<string, Record<string, number>> = {};
  for (const [kind, request] of Object.entries(requests)) {
    const input = await buildInputDocument(request);
    const answers = new Set(
      Object.values(variants).map((p) => JSON.stringify(p.evaluate(input, 'portcullis/decision'))),
    );
    if (answers.size !== 1) throw new Error(`${kind}: the variants decide differently`);
    const row: Record<string, number> = {};
    for (const [name, p] of Object.entries(variants))
      row[name] = (await latency(() => p.evaluate(input, 'portcullis/decision'))).p50_us;
    comparison[kind] = row;
  }

  const report = {
    benchmark: 'rego toolchain: compile time and decision latency',
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memory_bytes: totalmem(),
      platform: `${platform()} ${release()}`,
      node: process.version,
      load_average_at_start: loadavg().map(round),
    },
    method:
      `Compile: rego/ without _test.rego files through parse+compile, plan and wasm emit (runtime already built), 5 runs, median ms per stage. Latency: ${RUNS} runs of ${ITERATIONS} ` +
      'sequential calls after 500 warm-up calls; each call timed with performance.now(); per run p50 and ' +
      'p99; reported value is the median over runs. wasm_evaluate is the compiled policy through ' +
      '@open-policy-agent/opa-wasm on a prebuilt input document; engine_decide is engine.decide(request) ' +
      'from the raw request (fact extraction, evaluation, decision validation; cache off). The floor is ' +
      'a one-rule policy (allow := true) through the same loader with the SQL input document. ' +
      'wasm_p50_us_by_variant: the same library planned with or without the rule index and emitted ' +
      'with or without the native string builtins (else every one crosses to JavaScript), wasm ' +
      'evaluation p50 measured the same way, the four variants one after the other per request.',
    compile_rego_dir_ms: Object.fromEntries(
      Object.entries(stageMs).map(([stage, runs]) => [
        stage,
        { median: round(median(runs)), runs: runs.map(round) },
      ]),
    ),
    floor_trivial_policy: floor,
    decision: results,
    wasm_p50_us_by_variant: comparison,
  };
  const out = `${repoRoot}benchmarks/rego/results/rego-${report.date.slice(0, 10)}.json`;
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
  await engine.close?.();
}

await main();
