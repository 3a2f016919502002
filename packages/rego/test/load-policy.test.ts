import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRegoEvaluator,
  instantiatePolicy,
  loadPolicy,
  PolicyCompileError,
  PolicyEvalError,
  readTar,
} from '../src/load/index.js';
import type { Policy } from '../src/plan/ir.js';
import { emitWasm } from '../src/wasm/index.js';

const plannerReady = existsSync(fileURLToPath(new URL('../src/plan/index.ts', import.meta.url)));

// data.x, input.name and upper(input.name) as entrypoints, in hand-written IR.
const POLICY: Policy = {
  static: {
    strings: ['result', 'x', 'name', 'effect'],
    builtinFuncs: [{ name: 'upper', arity: 1 }],
    files: [],
  },
  plans: [
    {
      name: 'portcullis/decision',
      blocks: [
        {
          stmts: [
            {
              type: 'DotStmt',
              source: { type: 'local', value: 0 },
              key: { type: 'string_index', value: 2 },
              target: 2,
            },
            { type: 'CallStmt', func: 'upper', args: [{ type: 'local', value: 2 }], result: 3 },
            { type: 'MakeObjectStmt', target: 4 },
            {
              type: 'ObjectInsertStmt',
              key: { type: 'string_index', value: 3 },
              value: { type: 'local', value: 3 },
              object: 4,
            },
            { type: 'MakeObjectStmt', target: 5 },
            {
              type: 'ObjectInsertStmt',
              key: { type: 'string_index', value: 0 },
              value: { type: 'local', value: 4 },
              object: 5,
            },
            { type: 'ResultSetAddStmt', value: 5 },
          ],
        },
      ],
    },
    {
      name: 'test/x',
      blocks: [
        {
          stmts: [
            {
              type: 'DotStmt',
              source: { type: 'local', value: 1 },
              key: { type: 'string_index', value: 1 },
              target: 2,
            },
            { type: 'MakeObjectStmt', target: 3 },
            {
              type: 'ObjectInsertStmt',
              key: { type: 'string_index', value: 0 },
              value: { type: 'local', value: 2 },
              object: 3,
            },
            { type: 'ResultSetAddStmt', value: 3 },
          ],
        },
      ],
    },
  ],
  funcs: [],
};

/** A tar writer just big enough for test bundles. */
function tar(files: Record<string, string | Uint8Array>): Uint8Array {
  const blocks: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const [name, content] of Object.entries(files)) {
    const data = typeof content === 'string' ? enc.encode(content) : content;
    const header = new Uint8Array(512);
    header.set(enc.encode(name), 0);
    header.set(enc.encode('0000644\0'), 100);
    header.set(enc.encode(`${data.length.toString(8).padStart(11, '0')}\0`), 124);
    header.set(enc.encode('        '), 148);
    header[156] = '0'.charCodeAt(0);
    header.set(enc.encode('ustar\0' + '00'), 257);
    const sum = header.reduce((a, b) => a + b, 0);
    header.set(enc.encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    blocks.push(header, data, new Uint8Array((512 - (data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  return new Uint8Array(Buffer.concat(blocks));
}

let wasm: Uint8Array;
let dir: string;
beforeAll(async () => {
  wasm = await emitWasm(POLICY);
  dir = await mkdtemp(join(tmpdir(), 'portcullis-load-'));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadPolicy', () => {
  it('loads wasm bytes and serves JS builtins through opa_builtinN', async () => {
    const policy = await loadPolicy(wasm);
    expect(policy.evaluate({ name: 'ann' })).toEqual([{ result: { effect: 'ANN' } }]);
    policy.setData({ x: [1, 2] });
    expect(policy.evaluate(undefined, 'test/x')).toEqual([{ result: [1, 2] }]);
  });

  it('lets embedders override builtins', async () => {
    const policy = await loadPolicy(wasm, { builtins: { upper: (s) => `<${String(s)}>` } });
    expect(policy.evaluate({ name: 'ann' })).toEqual([{ result: { effect: '<ann>' } }]);
  });

  it('loads a .wasm file and an OPA bundle (.tar.gz) with nested data', async () => {
    const file = join(dir, 'policy.wasm');
    await writeFile(file, wasm);
    expect((await loadPolicy(file)).evaluate({ name: 'a' })).toEqual([{ result: { effect: 'A' } }]);

    const bundle = gzipSync(
      tar({
        '/.manifest': '{}',
        '/policy.wasm': wasm,
        '/data.json': '{"x": {"top": true}}',
        '/x/deep/data.json': '{"leaf": 1}',
      }),
    );
    expect(readTar(bundle).map((e) => e.path)).toEqual([
      '/.manifest',
      '/policy.wasm',
      '/data.json',
      '/x/deep/data.json',
    ]);
    const bundleFile = join(dir, 'bundle.tar.gz');
    await writeFile(bundleFile, bundle);
    const policy = await loadPolicy(bundleFile);
    expect(policy.evaluate({}, 'test/x')).toEqual([{ result: { top: true, deep: { leaf: 1 } } }]);
  });

  it('raises errors as Error objects with codes', async () => {
    const policy = await loadPolicy(wasm);
    expect(() => policy.evaluate({}, 'nope/nope')).toThrow(PolicyEvalError);
    const failure = await loadPolicy('package broken\n\np := {\n').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PolicyCompileError);
    const diagnostics = (failure as PolicyCompileError).diagnostics;
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics[0]).toMatchObject({ code: 'rego_parse_error', location: { file: 'module0.rego' } });
    expect((failure as PolicyCompileError).code).toBe('PC_REGO_COMPILE');
  });
});

describe('builtins the opa-wasm loader would shadow', () => {
  it('serves ours under an alias, and type tests see sets', async () => {
    const policy: Policy = {
      static: {
        strings: ['result', 'x: %v and %v', 'a'],
        builtinFuncs: [
          { name: 'sprintf', arity: 2 },
          { name: 'type_name', arity: 1 },
        ],
        files: [],
      },
      plans: [
        {
          name: 'f/s',
          blocks: [
            {
              stmts: [
                { type: 'MakeSetStmt', target: 2 },
                { type: 'SetAddStmt', value: { type: 'string_index', value: 2 }, set: 2 },
                { type: 'CallStmt', func: 'type_name', args: [{ type: 'local', value: 2 }], result: 3 },
                { type: 'MakeArrayStmt', capacity: 2, target: 4 },
                { type: 'ArrayAppendStmt', value: { type: 'local', value: 3 }, array: 4 },
                { type: 'MakeArrayStmt', capacity: 1, target: 7 },
                { type: 'ArrayAppendStmt', value: { type: 'string_index', value: 2 }, array: 7 },
                { type: 'ArrayAppendStmt', value: { type: 'local', value: 7 }, array: 4 },
                {
                  type: 'CallStmt',
                  func: 'sprintf',
                  args: [
                    { type: 'string_index', value: 1 },
                    { type: 'local', value: 4 },
                  ],
                  result: 5,
                },
                { type: 'MakeObjectStmt', target: 6 },
                {
                  type: 'ObjectInsertStmt',
                  key: { type: 'string_index', value: 0 },
                  value: { type: 'local', value: 5 },
                  object: 6,
                },
                { type: 'ResultSetAddStmt', value: 6 },
              ],
            },
          ],
        },
      ],
      funcs: [],
    };
    const aliased = await instantiatePolicy(await emitWasm(policy, { hostAliases: new Set(['sprintf']) }));
    // The loader's own sprintf would print the inner array as `a`.
    expect(aliased.evaluate({})).toEqual([{ result: 'x: set and ["a"]' }]);
  });
});

describe('compile cache', () => {
  it.skipIf(!plannerReady)('writes compiled modules to cacheDir and reuses them', async () => {
    const cacheDir = join(dir, 'cache');
    const source = 'package c\n\nanswer := 42\n';
    const first = await loadPolicy(source, { cacheDir, entrypoints: ['c/answer'] });
    expect(first.evaluate({}, 'c/answer')).toEqual([{ result: 42 }]);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(cacheDir)).filter((f) => f.endsWith('.wasm'))).toHaveLength(1);
    const second = await loadPolicy(source, { cacheDir, entrypoints: ['c/answer'] });
    expect(second.evaluate({}, 'c/answer')).toEqual([{ result: 42 }]);
  });

  it.skipIf(!plannerReady)('loads a directory of .rego files', async () => {
    const policyDir = join(dir, 'policies');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(policyDir, { recursive: true });
    await writeFile(
      join(policyDir, 'a.rego'),
      'package portcullis\n\ndecision := {"effect": data.portcullis.effect}\n',
    );
    await writeFile(
      join(policyDir, 'b.rego'),
      'package portcullis\n\neffect := "allow" if input.ok\n\ndefault effect := "deny"\n',
    );
    const evaluator = await createRegoEvaluator({ policy: policyDir });
    expect(evaluator.evaluate({ ok: true })).toEqual({ effect: 'allow' });
    expect(evaluator.evaluate({ ok: false })).toEqual({ effect: 'deny' });
  });
});

describe('createRegoEvaluator', () => {
  it('returns the decision value, undefined when the rule is undefined', async () => {
    const evaluator = await createRegoEvaluator({ policy: wasm });
    expect(evaluator.name).toBe('rego:portcullis/decision');
    expect(evaluator.evaluate({ name: 'bob' })).toEqual({ effect: 'BOB' });
    expect(evaluator.evaluate({})).toBeUndefined();
  });

  it.skipIf(!plannerReady)('compiles Rego text end to end', async () => {
    const evaluator = await createRegoEvaluator({
      policy: `package portcullis

decision := {"effect": effect}

default effect := "deny"

effect := "allow" if input.subject.kind == "human"
`,
    });
    expect(evaluator.evaluate({ subject: { kind: 'human' } })).toEqual({ effect: 'allow' });
    expect(evaluator.evaluate({ subject: { kind: 'agent' } })).toEqual({ effect: 'deny' });
  });

  it.skipIf(!plannerReady)(
    'answers time.now_ns, rand.intn and uuid.rfc4122 once per query, as OPA does',
    async () => {
      const evaluator = await createRegoEvaluator({
        policy: `package portcullis

first := time.now_ns()

later := time.now_ns() if {
	sum(numbers.range(1, 200000)) > 0
}

decision := {
	"same_time": first == later,
	"rands": count({rand.intn("key", 1000000) | numbers.range(1, 50)[_]}),
	"uuids": count({uuid.rfc4122("k") | numbers.range(1, 50)[_]}),
	"now": first,
}
`,
      });
      const a = evaluator.evaluate({}) as { same_time: boolean; rands: number; uuids: number; now: number };
      expect(a).toMatchObject({ same_time: true, rands: 1, uuids: 1 });
      await new Promise((resolve) => setTimeout(resolve, 5));
      // A new query is a new time.
      const b = evaluator.evaluate({}) as { now: number };
      expect(b.now).toBeGreaterThan(a.now);
    },
  );
});

describe('gzip bombs', () => {
  it('refuses an archive that unpacks to more than the limit, before taking that memory', () => {
    const archive = gzipSync(Buffer.alloc(64 * 1024));
    expect(() => readTar(archive, 4096)).toThrow(/unpacks to more than 4096 bytes/);
    // Under the limit it unpacks as before (all zeros: an empty archive).
    expect(readTar(gzipSync(Buffer.alloc(1024)), 4096)).toEqual([]);
  });
});
