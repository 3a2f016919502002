/**
 * Self time per function of a V8 `.cpuprofile`, counting only samples whose stack passes
 * through a function named `root` (default `decide`), as shares of that function's
 * inclusive time: what a call costs, without module loading and the benchmark's own loop.
 *
 *   node --import tsx benchmarks/support/profile-under.ts <file.cpuprofile> [root=decide] [N=30]
 *
 * With SPLIT=<url part> (e.g. `rego-evaluator.ts`), also the share of root's time spent under
 * a function of that file: the evaluator's part of a decision, against the engine's.
 */
import { frameLabel, type ProfileNode, readProfile, samples } from './cpu-profile.js';

const [file, root = 'decide', top = '30'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-under.ts <file.cpuprofile> [root] [N]');
const profile = readProfile(file);
const parent = new Map<number, ProfileNode>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);

const split = process.env.SPLIT;
let splitTime = 0;
const self = new Map<string, number>();
let inside = 0;
let total = 0;
for (const [node, dt] of samples(profile)) {
  total += dt;
  let under = false;
  let inSplit = false;
  for (let n: ProfileNode | undefined = node; n; n = parent.get(n.id)) {
    if (split !== undefined && n.callFrame.url.includes(split)) inSplit = true;
    if (n.callFrame.functionName === root) {
      under = true;
      break;
    }
  }
  if (!under) continue;
  inside += dt;
  if (inSplit) splitTime += dt;
  const key = frameLabel(node);
  self.set(key, (self.get(key) ?? 0) + dt);
}
process.stdout.write(`under ${root}: ${(inside / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms\n`);
if (split !== undefined) {
  const pct = (100 * splitTime) / inside;
  process.stdout.write(`under ${split}: ${pct.toFixed(1)}%, the rest ${(100 - pct).toFixed(1)}%\n`);
}
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  process.stdout.write(`${((100 * v) / inside).toFixed(1).padStart(5)}%  ${k}\n`);
}
