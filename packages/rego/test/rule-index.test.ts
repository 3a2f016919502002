/**
 * Rule indexing (src/plan/rule-index.ts): rules whose `input` equality guards cannot hold are
 * skipped before their bodies run. Every program here is planned with and without the index
 * and run on the same inputs by the reference IR interpreter (and once through wasm): the
 * results must be identical; the printed IR must show the index where one pays.
 */
import { describe, expect, it } from 'vitest';
import { compileModules } from '../src/compile/index.js';
import { loadPolicy } from '../src/load/index.js';
import {
  fromJson,
  IrEvalError,
  IrInterpreter,
  type Policy,
  planPolicy,
  printIr,
  toJson,
} from '../src/plan/index.js';

function plan(source: string, entrypoints: string[], ruleIndexing: boolean): Policy {
  const compiled = compileModules([{ file: 'p.rego', source }]);
  expect(compiled.diagnostics).toEqual([]);
  if (compiled.program === undefined) throw new Error('no program');
  const planned = planPolicy(compiled.program, { entrypoints, ruleIndexing });
  expect(planned.diagnostics).toEqual([]);
  if (planned.policy === undefined) throw new Error('no policy');
  return planned.policy;
}

function run(policy: Policy, entry: string, input: unknown): unknown {
  try {
    return new IrInterpreter(policy)
      .run(entry, input === undefined ? {} : { input: fromJson(input) })
      .map(toJson);
  } catch (e) {
    if (e instanceof IrEvalError) return { error: e.message };
    throw e;
  }
}

/** Same results with and without the index, for every entrypoint and input. */
function sameResults(source: string, entrypoints: string[], inputs: unknown[]): Policy {
  const indexed = plan(source, entrypoints, true);
  const plain = plan(source, entrypoints, false);
  for (const entry of entrypoints)
    for (const input of inputs) {
      const want = run(plain, entry, input);
      expect({ entry, input, got: run(indexed, entry, input) }).toEqual({ entry, input, got: want });
    }
  return indexed;
}

const LIBRARY = [
  'package lib',
  'import rego.v1',
  'is_sql if input.action.type == "sql"',
  'is_shell if input.action.type in {"shell", "exec"}',
  'stmts contains s if { is_sql; some s in input.action.statements }',
  'cmds := input.action.commands if is_shell',
  'deny contains "drop" if { some s in stmts; s == "drop" }',
  'deny contains "truncate" if { is_sql; "truncate" in input.action.statements }',
  'deny contains "rm" if { some c in cmds; c == "rm" }',
  'deny contains "any" if input.action.flag == true',
  'deny contains "unknown" if not input.action.type in {"sql", "shell", "exec"}',
  'kind := "sql" if is_sql',
  'else := "shell" if is_shell',
  'else := "other"',
  'count_sql := n if { input.action.type == "sql"; n := count(stmts) }',
  'nulls if { input.action.x == null; input.action.y }',
].join('\n');

const INPUTS: unknown[] = [
  undefined,
  {},
  { action: {} },
  { action: { type: 'sql', statements: ['drop', 'truncate'] } },
  { action: { type: 'sql', statements: ['select'], flag: true } },
  { action: { type: 'shell', commands: ['rm', 'ls'] } },
  { action: { type: 'exec', commands: ['ls'] } },
  { action: { type: 'http', statements: ['drop'], commands: ['rm'] } },
  { action: { type: ['sql'] } },
  { action: { type: 'sql', statements: 'drop' } },
  { action: { x: null, y: true } },
  { action: { y: true } },
];

describe('rule indexing', () => {
  it('keeps results identical with and without the index', () => {
    sameResults(
      LIBRARY,
      ['lib/deny', 'lib/kind', 'lib/count_sql', 'lib/stmts', 'lib/cmds', 'lib/nulls'],
      INPUTS,
    );
  });

  it('indexes guards written directly and reached through helper rules', () => {
    const ir = printIr(sameResults(LIBRARY, ['lib/deny'], INPUTS));
    const [, deny = ''] = ir.split('Func g0.data.lib.deny');
    const header = (deny.split('\nFunc ')[0] ?? '').split('\n').filter((l) => l.startsWith('  Index'));
    // `some s in stmts` (stmts: every rule needs is_sql) and `is_sql` itself guard rules 0 and
    // 1; `some c in cmds` guards rule 2 through the complete rule cmds. Rule 3 is nothing but
    // its guard (no work to skip) and rule 4's is negated: neither is indexed.
    expect(header).toEqual([
      '  Index input.action.type in {"sql"} -> local<6> guards rules [0, 1] of 5',
      '  Index input.action.type in {"shell", "exec"} -> local<7> guards rules [2] of 5',
    ]);
    // A rule that is nothing but its guard gains nothing from an index.
    expect(ir.slice(ir.indexOf('Func g0.data.lib.is_sql')).split('\n')[1]).not.toContain('Index');
  });

  it('indexes else chains only on guards every branch shares', () => {
    const src = [
      'package e',
      'import rego.v1',
      'r := 1 if { input.t == "a"; input.x > 0 }',
      'else := 2 if { input.t == "b"; input.x > 0 }',
      's := 1 if { input.t == "a"; input.x > 0 }',
      'else := 2 if input.x < 0',
    ].join('\n');
    const inputs = [{ t: 'a', x: 1 }, { t: 'b', x: 1 }, { t: 'c', x: 1 }, { t: 'c', x: -1 }, { x: -1 }, {}];
    const ir = printIr(sameResults(src, ['e/r', 'e/s'], inputs));
    expect(ir).toContain('Index input.t in {"a", "b"}');
    expect(ir.slice(ir.indexOf('Func g0.data.e.s'))).not.toContain('Index');
  });

  it('indexes functions, and complete rules reached through them', () => {
    const src = [
      'package f',
      'import rego.v1',
      'is_get if input.method == "GET"',
      'allowed(path) if { is_get; startswith(path, "/public") }',
      'allowed(path) if { input.method == "POST"; path == "/submit" }',
      'allow if allowed(input.path)',
      'default d := false',
      'd if allowed(input.path)',
    ].join('\n');
    const inputs = [
      { method: 'GET', path: '/public/x' },
      { method: 'GET', path: '/private' },
      { method: 'POST', path: '/submit' },
      { method: 'PUT', path: '/submit' },
      {},
    ];
    const ir = printIr(sameResults(src, ['f/allow', 'f/d'], inputs));
    expect(ir).toContain('Index input.method in {"GET"}');
    // allow is guarded by the union of what every definition of allowed needs.
    expect(ir.slice(ir.indexOf('Func g0.data.f.allow'))).toContain('Index input.method in {"GET", "POST"}');
  });

  it('does not follow helpers a `with` replaces', () => {
    const src = [
      'package w',
      'import rego.v1',
      'is_sql if input.type == "sql"',
      'p contains 1 if { is_sql; input.n > 0 }',
      'q if { 1 in p with is_sql as true }',
      'r if { 1 in p with input.type as "sql" }',
      'mocked(x) := true if input.type == "sql"',
      'uses contains x if { x := 1; mocked(x); input.n > 0 }',
      't if { 1 in uses with mocked as true }',
    ].join('\n');
    const inputs = [{ type: 'http', n: 1 }, { type: 'sql', n: 1 }, { n: 1 }];
    const policy = sameResults(src, ['w/q', 'w/r', 'w/t', 'w/p'], inputs);
    expect(run(policy, 'w/q', { type: 'http', n: 1 })).toEqual([{ result: true }]);
    expect(run(policy, 'w/r', { type: 'http', n: 1 })).toEqual([{ result: true }]);
    expect(run(policy, 'w/t', { type: 'http', n: 1 })).toEqual([{ result: true }]);
  });

  it('gives the same decisions through wasm', async () => {
    const entrypoints = ['lib/deny', 'lib/kind', 'lib/count_sql'];
    const wasm = await loadPolicy(LIBRARY, { entrypoints });
    const plain = plan(LIBRARY, entrypoints, false);
    for (const entry of entrypoints)
      for (const input of INPUTS.filter((i) => i !== undefined))
        expect({ entry, input, got: wasm.evaluate(input, entry) }).toEqual({
          entry,
          input,
          got: run(plain, entry, input),
        });
  });
});
