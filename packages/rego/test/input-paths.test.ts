/**
 * What a compiled policy may read of its input: the compiler's answer (compile/input-paths),
 * the custom section that carries it in the module, and what loaders report. The answer may
 * say too much, never too little: the last block checks it against the shipped library by
 * changing what it says the library does not read.
 */
import { fileURLToPath } from 'node:url';
import { buildInputDocument, type PolicyRequest } from '@portcullis/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileModules, inputPaths } from '../src/compile/index.js';
import {
  compilePolicy,
  createRegoEvaluator,
  instantiatePolicy,
  loadPolicy,
  type RegoEvaluator,
} from '../src/load/index.js';
import { loadFiles } from '../src/test-runner/index.js';
import { emitWasm, INPUT_PATHS_SECTION, readInputPaths } from '../src/wasm/index.js';

function pathsOf(source: string): string[][] {
  const compiled = compileModules([{ file: 'p.rego', source: `package p\nimport rego.v1\n${source}` }]);
  expect(compiled.diagnostics).toEqual([]);
  return inputPaths(compiled.program as NonNullable<typeof compiled.program>);
}

describe('inputPaths', () => {
  it('lists the constant part of every input ref, shortest first wins', () => {
    expect(
      pathsOf(`
a if input.subject.kind == "agent"
b if input.subject.kind == input.resource.labels.env
c if input.resource.labels.tier == "x"
d if input.time
e if input.resource.labels`),
    ).toEqual([['resource', 'labels'], ['subject', 'kind'], ['time']]);
    expect(pathsOf('a if input.r.l.env == input.r.l.tier')).toEqual([
      ['r', 'l', 'env'],
      ['r', 'l', 'tier'],
    ]);
  });

  it('reads through imports', () => {
    expect(pathsOf('import input.session as s\na if s.source == "10.0.0.1"')).toEqual([
      ['session', 'source'],
    ]);
  });

  it('stops at the first key that is not a constant string', () => {
    expect(pathsOf('a if { some k; input.subject.claims[k] == 1 }')).toEqual([['subject', 'claims']]);
    expect(pathsOf('a if { input.list[0] == 1 }')).toEqual([['list']]);
  });

  it('takes input used whole as a read of everything', () => {
    expect(pathsOf('a if { x := input; x.session.id == "s" }')).toEqual([[]]);
    expect(pathsOf('f(x) := x.session.id\na if f(input) == "s"')).toEqual([[]]);
    expect(pathsOf('a if { walk(input, [p, v]); v == "s" }')).toEqual([[]]);
    expect(pathsOf('a if { json.filter(input, ["subject"]) }')).toEqual([[]]);
  });

  it('sees through object.get on input with a constant path, and only that', () => {
    expect(pathsOf('a := object.get(input, ["action", "type"], null)')).toEqual([['action', 'type']]);
    expect(pathsOf('a := object.get(input, "time", null)')).toEqual([['time']]);
    expect(pathsOf('f(k) := object.get(input, [k], null)\na := f("x")')).toEqual([[]]);
    expect(pathsOf('a := object.get(input.subject, "id", null)')).toEqual([['subject']]);
  });

  it('looks into comprehensions, every, else branches, function bodies and with', () => {
    expect(pathsOf('a := [x | some x in input.items]')).toEqual([['items']]);
    expect(pathsOf('a if every x in input.list { x > 0 }')).toEqual([['list']]);
    expect(pathsOf('a := 1 if input.one\nelse := input.two')).toEqual([['one'], ['two']]);
    expect(pathsOf('f(x) := input.k[x]\na := f(1)')).toEqual([['k']]);
    expect(pathsOf('b if input.x\na if b with input.y as 1')).toEqual([['x'], ['y']]);
  });

  it('is empty for a policy that never reads input', () => {
    expect(pathsOf('a := 1\nb if data.p.a == 1')).toEqual([]);
  });
});

describe('the input paths section', () => {
  const policy = `package portcullis
import rego.v1
decision := {"effect": "allow"} if input.subject.kind == "human"
`;

  it('travels in the module and is reported by the loaders', async () => {
    const wasm = await compilePolicy([{ file: 'a.rego', source: policy }]);
    expect(readInputPaths(wasm)).toEqual([['subject', 'kind']]);
    expect((await loadPolicy(policy)).inputPaths).toEqual([['subject', 'kind']]);
    expect((await createRegoEvaluator({ policy })).inputPaths).toEqual([['subject', 'kind']]);
    expect((await createRegoEvaluator({ policy: wasm })).inputPaths).toEqual([['subject', 'kind']]);
  });

  it('is absent from modules that do not say, which then read everything as far as anyone knows', async () => {
    const wasm = await emitWasm({
      static: { strings: [], builtinFuncs: [], files: [] },
      plans: [],
      funcs: [],
    });
    expect(readInputPaths(wasm)).toBeUndefined();
    expect((await instantiatePolicy(wasm)).inputPaths).toBeUndefined();
  });

  it('is ignored when it is not a list of paths, or runs past the module', async () => {
    const wasm = await emitWasm({
      static: { strings: [], builtinFuncs: [], files: [] },
      plans: [],
      funcs: [],
    });
    const withSection = (payload: string, trim = 0): Uint8Array => {
      const name = new TextEncoder().encode(INPUT_PATHS_SECTION);
      const body = new TextEncoder().encode(payload);
      const content = [name.length, ...name, ...body];
      expect(content.length).toBeLessThan(128);
      const bytes = new Uint8Array([...wasm, 0, content.length, ...content]);
      return bytes.subarray(0, bytes.length - trim);
    };
    expect(readInputPaths(withSection('[["a"],["b","c"]]'))).toEqual([['a'], ['b', 'c']]);
    expect(readInputPaths(withSection('[["a"],[1]]'))).toBeUndefined();
    expect(readInputPaths(withSection('{"a":1}'))).toBeUndefined();
    expect(readInputPaths(withSection('[["a"'))).toBeUndefined();
    expect(readInputPaths(withSection('[["a"]]', 2))).toBeUndefined();
  });
});

describe('the shipped library reads only what it says', () => {
  let evaluator: RegoEvaluator;
  beforeAll(async () => {
    const { sources, data } = await loadFiles([fileURLToPath(new URL('../../../rego', import.meta.url))]);
    evaluator = await createRegoEvaluator({
      policy: sources.filter((s) => !s.file.endsWith('_test.rego')),
      data,
    });
  }, 120_000);

  it('leaves out the session id, start and source, and the claims', () => {
    const paths = evaluator.inputPaths ?? [[]];
    // What docs/rego-toolchain.md and docs/adapters/pg.md say the library reads.
    expect(paths).toEqual([
      ...['file', 'fingerprint', 'http', 'shell', 'sql', 'type'].map((k) => ['action', k]),
      ...['labels', 'name', 'type'].map((k) => ['resource', k]),
      ['session', 'approvals'],
      ...['groups', 'id', 'kind'].map((k) => ['subject', k]),
      ['time'],
    ]);
    for (const hidden of [
      ['session', 'id'],
      ['session', 'started_at'],
      ['session', 'source'],
      ['subject', 'claims'],
    ])
      expect(paths.some((p) => hidden.slice(0, p.length).join('\0') === p.join('\0'))).toBe(false);
  });

  it('decides alike whatever those hold', async () => {
    const requests: PolicyRequest[] = [
      {
        subject: { id: 'ops-agent', kind: 'agent', groups: ['agents'] },
        resource: { type: 'postgres', name: 'prod-db', labels: { env: 'prod' } },
        sql: 'SELECT email, phone FROM users WHERE id = 1',
      },
      {
        subject: { id: 'alice', kind: 'human', groups: ['dev'] },
        resource: { type: 'postgres', name: 'prod-db', labels: { env: 'prod' } },
        sql: 'DROP TABLE users',
      },
      {
        subject: { id: 'ops-agent', kind: 'agent', groups: [] },
        resource: { type: 'ssh', name: 'web-1', labels: { env: 'prod' } },
        command: 'sudo rm -rf /srv/app',
      },
    ];
    const clock = () => Date.parse('2026-11-25T21:00:00Z');
    const text = fc.string({ maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...requests),
        fc.record({ id: text, started_at: text, source: text }),
        fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        async (request, session, claims) => {
          const plain = (await buildInputDocument(request, { clock })) as unknown as Record<string, unknown>;
          const changed = structuredClone(plain) as {
            session: Record<string, unknown>;
            subject: Record<string, unknown>;
          };
          Object.assign(changed.session, session);
          changed.subject.claims = claims;
          expect(evaluator.evaluate(changed)).toEqual(evaluator.evaluate(plain));
        },
      ),
      { numRuns: 60 },
    );
  });
});
