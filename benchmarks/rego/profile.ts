/**
 * Where an evaluation of the shipped library spends its time: builds rego/ with function
 * names kept (runtime and generated code), evaluates one request many times under the V8 CPU
 * profiler (started after loading, so only evaluations are sampled), and prints self time per
 * function. Shares survive the machine's noise better than wall-clock timings do.
 *
 *   node --conditions=portcullis-source --import tsx benchmarks/rego/profile.ts [sql|shell|http] [calls] [top]
 */
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { buildInputDocument } from '@portcullis/core';
import {
  compileModules,
  compileRuntime,
  emitWasm,
  jsBuiltinTable,
  LOADER_OWN_BUILTINS,
  loadFiles,
  loadPolicy,
  planPolicy,
} from '@portcullis/rego';
import { requests } from './requests.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const kind = process.argv[2] ?? 'sql';
const calls = Number(process.argv[3] ?? 20000);
const top = Number(process.argv[4] ?? 30);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

const request = requests[kind];
if (request === undefined) throw new Error(`unknown request ${kind}`);
const files = await loadFiles([`${repoRoot}rego`]);
const sources = files.sources.filter((s) => !s.file.endsWith('_test.rego'));
const program = compileModules(sources).program;
if (program === undefined) throw new Error('rego/ does not compile');
const planned = planPolicy(program, { entrypoints: ['portcullis/decision'] });
if (planned.policy === undefined) throw new Error('rego/ does not plan');
const table = await jsBuiltinTable();
const wasm = await emitWasm(planned.policy, {
  runtime: await compileRuntime({ debug: true }),
  debugNames: true,
  hostAliases: new Set([...LOADER_OWN_BUILTINS].filter((name) => table.has(name))),
});
const policy = await loadPolicy(wasm, { data: files.data });
const input = await buildInputDocument(request);
for (let i = 0; i < 1000; i++) policy.evaluate(input, 'portcullis/decision');

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 50 });
await session.post('Profiler.start');
const t0 = performance.now();
for (let i = 0; i < calls; i++) policy.evaluate(input, 'portcullis/decision');
const elapsed = performance.now() - t0;
const { profile } = (await session.post('Profiler.stop')) as unknown as {
  profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
};
session.disconnect();
// Generated functions are named by index (pcl$func12); print the rule they implement.
const ruleNames = planned.policy.funcs.map((f) => f.name.replace(/^g\d+\.data\./, ''));
for (const node of profile.nodes) {
  node.callFrame.functionName = node.callFrame.functionName.replace(
    /^pcl\$func(\d+)/,
    (whole, i: string) => `${whole} ${ruleNames[Number(i)] ?? ''}`,
  );
}

const selfTime = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const byName = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const t = selfTime.get(node.id) ?? 0;
  if (node.callFrame.functionName === '(idle)') continue;
  total += t;
  const file = node.callFrame.url.split('/').at(-1) ?? '';
  const name = `${node.callFrame.functionName || '(anonymous)'}${file === '' ? '' : ` ${file}`}`;
  byName.set(name, (byName.get(name) ?? 0) + t);
}
console.log(`${kind}: ${calls} evaluations, ${((elapsed * 1000) / calls).toFixed(1)} µs each (profiled)`);
for (const [name, t] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${name}`);

// Callers of the heaviest functions, by self time attributed through the parent chain.
if (process.env.PROFILE_CALLERS !== undefined) {
  const parent = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node);
  const wanted = process.env.PROFILE_CALLERS.split(',');
  for (const w of wanted) {
    const callers = new Map<string, number>();
    for (const node of profile.nodes) {
      if (!node.callFrame.functionName.endsWith(w)) continue;
      const p = parent.get(node.id);
      const key = p === undefined ? '(root)' : p.callFrame.functionName;
      callers.set(key, (callers.get(key) ?? 0) + (selfTime.get(node.id) ?? 0));
    }
    console.log(`callers of ${w}:`, [...callers].sort((a, b) => b[1] - a[1]).slice(0, 8));
  }
}

// Inclusive time (self and callees, each sample counted once per function on its stack).
if (process.env.PROFILE_INCLUSIVE !== undefined) {
  const parent = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inclusive = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const t = profile.timeDeltas[i] ?? 0;
    const seen = new Set<string>();
    let node = byId.get(id);
    if (node?.callFrame.functionName === '(idle)') return;
    all += t;
    while (node !== undefined) {
      seen.add(node.callFrame.functionName);
      node = parent.get(node.id);
    }
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + t);
  });
  console.log('inclusive:');
  for (const [name, t] of [...inclusive]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(process.env.PROFILE_INCLUSIVE)))
    console.log(`${((100 * t) / all).toFixed(1).padStart(5)}%  ${name}`);
}
