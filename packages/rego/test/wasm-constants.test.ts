/**
 * Ground values (MakeConstStmt): array, set and object literals without variables are planned
 * as constants, laid out once in the module's data segment and shared by every use and every
 * evaluation. Sharing is only safe if nothing writes to them: these tests extend, union,
 * replace (`with`) and iterate constants, then check that later evaluations (and the bytes of
 * the constants in memory) are exactly as before.
 */
import { describe, expect, it } from 'vitest';
import { compileModules } from '../src/compile/index.js';
import { instantiatePolicy, type LoadedPolicy } from '../src/load/index.js';
import { fromJson, IrInterpreter, type Policy, planPolicy, printIr, toJson } from '../src/plan/index.js';
import { runtimeWasm } from '../src/runtime/compile-runtime.js';
import { layoutConstants, policyConstants } from '../src/wasm/constants.js';
import { emitWasm } from '../src/wasm/index.js';
import { runtimeLayout } from '../src/wasm/runtime-layout.js';

const SOURCE = [
  'package t',
  'import rego.v1',
  'base := {"a": 1, "nested": {"k": "v"}, "list": ["x"], "tags": {"p", "q"}, "empty": {}, 3: [null, true, 2.50]}',
  'tags := base.tags | {input.tag}',
  'list := array.concat(base.list, [input.tag])',
  'union1 := object.union(base, {"b": 2, "nested": {"k2": input.tag}})',
  'union2 := object.union(base, {"c": input.tag})',
  'probe := input',
  'replaced := x if x := probe with input as {"a": {"b": 1}}',
  'extended := x if x := replaced_inner with input as {"a": {"b": 1}}',
  'replaced_inner := x if x := probe with input.a.c as 2',
  'patched := x if x := patch_inner with input as base',
  'patch_inner := x if x := probe with input.nested.k as "w"',
  'keys contains k if some k, _ in base',
  'sorted := [t | some t in base.tags]',
  'same if base == {"a": 1, "nested": {"k": "v"}, "list": ["x"], "tags": {"q", "p"}, "empty": {}, 3: [null, true, 2.5]}',
  'empty_dump := base.empty',
  'all := {"tags": tags, "list": list, "union1": union1, "union2": union2, "replaced": replaced,',
  '  "extended": extended, "patched": patched, "keys": keys, "sorted": sorted, "same": same,',
  '  "empty": empty_dump, "base": base}',
].join('\n');

const BASE = { 3: [null, true, 2.5], a: 1, empty: {}, list: ['x'], nested: { k: 'v' }, tags: ['p', 'q'] };

function expected(tag: string): unknown {
  return {
    tags: [tag, 'p', 'q'].sort(),
    list: ['x', tag],
    union1: { ...BASE, b: 2, nested: { k: 'v', k2: tag } },
    union2: { ...BASE, c: tag },
    replaced: { a: { b: 1 } },
    extended: { a: { b: 1, c: 2 } },
    patched: { ...BASE, nested: { k: 'w' } },
    keys: [3, 'a', 'empty', 'list', 'nested', 'tags'],
    sorted: ['p', 'q'],
    same: true,
    empty: {},
    base: BASE,
  };
}

function plan(source: string, entrypoints: string[]): Policy {
  const compiled = compileModules([{ file: 't.rego', source }]);
  expect(compiled.diagnostics).toEqual([]);
  if (compiled.program === undefined) throw new Error('no program');
  const planned = planPolicy(compiled.program, { entrypoints });
  expect(planned.diagnostics).toEqual([]);
  if (planned.policy === undefined) throw new Error('no policy');
  return planned.policy;
}

/** The loader's memory, to read the constants' bytes. */
function memoryOf(policy: LoadedPolicy): { buffer: ArrayBuffer } {
  return (policy as unknown as { inner: { mem: { buffer: ArrayBuffer } } }).inner.mem;
}

describe('constants', () => {
  it('plans ground literals as constants and rules of a constant as a constant', () => {
    const ir = printIr(plan(SOURCE, ['t/all']));
    const func = ir.slice(ir.indexOf('Func g0.data.t.base '));
    const body = func.slice(0, func.indexOf('\nFunc '));
    expect(body).toContain(
      'MakeConstStmt {value={"a": 1, "nested": {"k": "v"}, "list": ["x"], "tags": {"p", "q"}',
    );
    expect(body).not.toMatch(/MakeObjectStmt|ObjectInsertStmt|MakeSetStmt/);
    // Literals with a variable inside are built as before; their ground parts are constants.
    expect(ir).toMatch(/MakeConstStmt \{value=\{"b": 2\}|MakeConstStmt \{value=\["x"\]\}|MakeSetStmt/);
  });

  it('shares constants across evaluations that extend, union and replace them', async () => {
    const policy = plan(SOURCE, ['t/all']);
    const loaded = await instantiatePolicy(await emitWasm(policy));
    const runtime = await runtimeWasm();
    const { base, end } = layoutConstants(runtime, runtimeLayout(runtime).heapBase, policyConstants(policy));
    expect(end).toBeGreaterThan(base);
    const before = new Uint8Array(memoryOf(loaded).buffer.slice(base, end));
    for (const tag of ['z', 'a', 'z']) {
      const got = loaded.evaluate({ tag }, 't/all')[0]?.result;
      expect(got).toEqual(expected(tag));
      // The interpreter, which builds every literal afresh, agrees.
      const interpreted = new IrInterpreter(policy).run('t/all', { input: fromJson({ tag }) }).map(toJson);
      expect(interpreted[0]).toEqual({ result: expected(tag) });
    }
    // Not a byte of the constants changed: no evaluation wrote into them (not even a lazily
    // sorted index).
    expect(new Uint8Array(memoryOf(loaded).buffer.slice(base, end))).toEqual(before);
  });

  it('keeps constants intact across setData', async () => {
    const loaded = await instantiatePolicy(
      await emitWasm(
        plan(`${SOURCE}\nfrom_data := object.union(base, data.extra)`, ['t/all', 't/from_data']),
      ),
    );
    loaded.setData({ extra: { a: 'replaced' } });
    expect(loaded.evaluate({ tag: 'y' }, 't/from_data')[0]?.result).toEqual({ ...BASE, a: 'replaced' });
    loaded.setData({ extra: { more: 1 } });
    expect(loaded.evaluate({ tag: 'y' }, 't/from_data')[0]?.result).toEqual({ ...BASE, more: 1 });
    expect(loaded.evaluate({ tag: 'y' }, 't/all')[0]?.result).toEqual(expected('y'));
  });

  it('lays out one copy of a constant used in several places', () => {
    const policy = plan(
      'package t\nimport rego.v1\na := ["x", {"y": 1}]\nb := ["x", {"y": 1}]\nc := [["x", {"y": 1}]]\nd := [a, b, c]',
      ['t/d'],
    );
    expect([...policyConstants(policy).keys()]).toEqual(['["x", {"y": 1}]', '[["x", {"y": 1}]]']);
  });
});
