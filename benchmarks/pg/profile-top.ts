/**
 * Self time per function of a V8 `.cpuprofile` (from `node --cpu-prof` or cpu.ts), top N:
 *
 *   node --import tsx benchmarks/pg/profile-top.ts <file.cpuprofile> [N=30]
 */

import { frameLabel, readProfile, samples } from '../support/cpu-profile.js';

const [file, top = '30'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-top.ts <file.cpuprofile> [N]');
const profile = readProfile(file);
const self = new Map<string, number>();
let total = 0;
for (const [node, dt] of samples(profile)) {
  total += dt;
  const key = frameLabel(node);
  self.set(key, (self.get(key) ?? 0) + dt);
}
const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
process.stdout.write(
  `total ${(total / 1000).toFixed(0)} ms, busy ${((total - idle) / 1000).toFixed(0)} ms\n`,
);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  process.stdout.write(`${((100 * v) / (total - idle)).toFixed(1).padStart(5)}%  ${k}\n`);
}
