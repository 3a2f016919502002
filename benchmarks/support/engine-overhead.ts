/**
 * What the engine itself costs per decision, beside the policy evaluation: `engine.decide`
 * for an HTTP request, a SQL statement and a shell command, with (a) a trivial static
 * evaluator and (b) the shipped policy through createRegoEvaluator. The evaluator's own time
 * (evaluate on the built input, measured alone) and, for SQL and shell, the fact extractor's
 * own time (the parser) are subtracted, leaving the engine's bookkeeping. Writes nothing.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/support/engine-overhead.ts [runs] [calls]
 *
 * Profile with `--cpu-prof`, OVERHEAD_DECIDE_ONLY=1 and OVERHEAD_ONLY=http|sql|shell,
 * OVERHEAD_EVALUATOR=static|rego.
 */
import {
  buildInputDocument,
  createEngine,
  type Evaluator,
  type InputDocument,
  loadDefaultFactExtractors,
} from '@portcullis/core';
import { allowAllEvaluator, shippedPolicyEvaluator } from './bench-evaluator.js';
import { overheadRequests } from './engine-overhead-requests.js';

const runs = Number(process.argv[2] ?? 40);
const calls = Number(process.argv[3] ?? 200);
const only = process.env.OVERHEAD_ONLY;
const onlyEvaluator = process.env.OVERHEAD_EVALUATOR;
/** Only engine.decide, so a profile holds nothing else. */
const decideOnly = process.env.OVERHEAD_DECIDE_ONLY === '1';

function quantile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
}

/**
 * µs per call of each function, measured in short interleaved blocks (a block of each in
 * turn, `runs` rounds) so that load from other processes falls on all of them alike; the
 * 25th percentile of the blocks is reported, the cost with the least interference.
 */
async function measure(fns: Record<string, () => unknown>): Promise<Record<string, number>> {
  const names = Object.keys(fns);
  const blocks: Record<string, number[]> = {};
  for (const name of names) {
    blocks[name] = [];
    for (let i = 0; i < 500; i++) await fns[name]!();
  }
  for (let r = 0; r < runs; r++) {
    for (const name of names) {
      const fn = fns[name]!;
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) await fn();
      blocks[name]!.push(((performance.now() - t0) * 1000) / calls);
    }
  }
  const out: Record<string, number> = {};
  for (const name of names) out[name] = quantile(blocks[name]!, 0.25);
  return out;
}

const evaluators: Record<string, () => Promise<Evaluator>> = {
  static: async () => allowAllEvaluator(),
  rego: shippedPolicyEvaluator,
};

const extractors = await loadDefaultFactExtractors();
const rows: Record<string, unknown>[] = [];
for (const [evalName, make] of Object.entries(evaluators)) {
  if (onlyEvaluator !== undefined && onlyEvaluator !== evalName) continue;
  const evaluator = await make();
  const engine = createEngine({ evaluator });
  for (const [kind, request] of Object.entries(overheadRequests)) {
    if (only !== undefined && only !== kind) continue;
    const input: InputDocument = await buildInputDocument(request);
    const context = { signal: new AbortController().signal };
    if (decideOnly) {
      const { decide } = await measure({ decide: () => engine.decide(request) });
      rows.push({ evaluator: evalName, request: kind, decide_us: +decide!.toFixed(1) });
      continue;
    }
    const fns: Record<string, () => unknown> = {
      decide: () => engine.decide(request),
      decideInput: () => engine.decideInput(input),
      evaluate: () => evaluator.evaluate(input, context),
    };
    if (kind === 'sql') {
      const raw = request.sql as string;
      fns.extract = () => extractors.sql(raw, 'postgresql');
    } else if (kind === 'shell') {
      const raw = request.command as string;
      fns.extract = () => extractors.shell(raw);
    }
    const t = await measure(fns);
    const decide = t.decide!;
    const evaluate = t.evaluate!;
    const extract = t.extract ?? 0;
    rows.push({
      evaluator: evalName,
      request: kind,
      decide_us: +decide.toFixed(1),
      evaluate_us: +evaluate.toFixed(1),
      extract_us: +extract.toFixed(1),
      overhead_us: +(decide - evaluate - extract).toFixed(1),
      decideInput_overhead_us: +(t.decideInput! - evaluate).toFixed(1),
    });
  }
  await engine.close();
}
console.table(rows);
