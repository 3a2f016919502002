/**
 * The planner end to end: small programs compiled, planned and run by the reference IR
 * interpreter, plus checks on the shape of the IR the wasm backend receives.
 */
import { describe, expect, it } from 'vitest';
import { compileModules } from '../src/compile/index.js';
import {
  fromJson,
  IrEvalError,
  IrInterpreter,
  type Policy,
  planPolicy,
  printIr,
  toJson,
} from '../src/plan/index.js';

function plan(source: string, options: { entrypoints?: string[]; query?: string }): Policy {
  const compiled = compileModules([{ file: 'p.rego', source }]);
  expect(compiled.diagnostics).toEqual([]);
  if (compiled.program === undefined) throw new Error('no program');
  const planned = planPolicy(compiled.program, {
    ...(options.entrypoints === undefined ? {} : { entrypoints: options.entrypoints }),
    ...(options.query === undefined ? {} : { queries: [{ name: 'q', query: options.query }] }),
  });
  expect(planned.diagnostics).toEqual([]);
  if (planned.policy === undefined) throw new Error('no policy');
  return planned.policy;
}

function query(source: string, q: string, docs: { input?: unknown; data?: unknown } = {}): unknown[] {
  const policy = plan(source, { query: q });
  return new IrInterpreter(policy)
    .run('q', {
      ...(docs.input === undefined ? {} : { input: fromJson(docs.input) }),
      data: fromJson(docs.data ?? {}),
    })
    .map(toJson);
}

function entry(source: string, name: string, input?: unknown): unknown[] {
  const policy = plan(source, { entrypoints: [name] });
  return new IrInterpreter(policy)
    .run(name, input === undefined ? {} : { input: fromJson(input) })
    .map(toJson);
}

describe('planner + IR interpreter', () => {
  it('fails an every whose body uses with and does not hold (regression: it passed)', () => {
    const src = [
      'package r',
      'import rego.v1',
      'p := input.v',
      'bad if { every c in [1] { p == 2 with input as {"v": c} } }',
      'good if { every c in [2] { p == 2 with input as {"v": c} } }',
      'mixed if { every c in [2, 1] { p == 2 with input as {"v": c} } }',
    ].join('\n');
    expect(entry(src, 'r/bad')).toEqual([]);
    expect(entry(src, 'r/good')).toEqual([{ result: true }]);
    expect(entry(src, 'r/mixed')).toEqual([]);
  });

  it('plans an entrypoint as [{"result": value}]', () => {
    const src = 'package authz\n\ndefault allow := false\n\nallow if input.user == "alice"\n';
    expect(entry(src, 'authz/allow', { user: 'alice' })).toEqual([{ result: true }]);
    expect(entry(src, 'authz/allow', { user: 'bob' })).toEqual([{ result: false }]);
  });

  it('returns an empty result set for an undefined entrypoint', () => {
    expect(entry('package a\n\np if input.x\n', 'a/p', {})).toEqual([]);
  });

  it('builds partial sets and objects', () => {
    const src = 'package a\n\ns contains x if some x in input.xs\n\no[k] := v if some k, v in input.m\n';
    expect(query(src, 'x = data.a.s', { input: { xs: [3, 1, 3] } })).toEqual([{ x: [1, 3] }]);
    expect(query(src, 'x = data.a.o', { input: { m: { b: 2, a: 1 } } })).toEqual([{ x: { a: 1, b: 2 } }]);
  });

  it('binds query vars per solution, skipping wildcards', () => {
    expect(query('package a\n', 'x = data.xs[_]; y := x * 2', { data: { xs: [1, 2] } })).toEqual([
      { x: 1, y: 2 },
      { x: 2, y: 4 },
    ]);
  });

  it('merges base documents with rules at a shared prefix', () => {
    const src = 'package a.b\n\nr := 1\n';
    expect(query(src, 'x = data.a', { data: { a: { base: true } } })).toEqual([
      { x: { b: { r: 1 }, base: true } },
    ]);
    expect(query(src, 'data.a[k]', { data: { a: { base: true } } })).toEqual([{ k: 'b' }, { k: 'base' }]);
  });

  it('runs else chains in order', () => {
    const src = 'package a\n\nf(x) := "neg" if x < 0\nelse := "zero" if x == 0\nelse := "pos"\n';
    expect(query(src, 'a := data.a.f(-1); b := data.a.f(0); c := data.a.f(2)')).toEqual([
      { a: 'neg', b: 'zero', c: 'pos' },
    ]);
  });

  it('matches function arguments as patterns', () => {
    const src = 'package a\n\nfirst([x, _]) := x\n';
    expect(query(src, 'y := data.a.first([7, 8])')).toEqual([{ y: 7 }]);
    expect(query(src, 'y := data.a.first([7])')).toEqual([]);
  });

  it('plans not, every and comprehensions', () => {
    const src = [
      'package a',
      'ok if not input.deny',
      'all_pos if every x in input.xs { x > 0 }',
      'doubled := [y | some x in input.xs; y := x * 2]',
      'byname := {n: c | some n in input.names; c := count(n)}',
    ].join('\n');
    const input = { xs: [1, 2], names: ['ab', 'c'] };
    expect(
      query(src, 'a = data.a.ok; b = data.a.all_pos; c = data.a.doubled; d = data.a.byname', { input }),
    ).toEqual([{ a: true, b: true, c: [2, 4], d: { ab: 2, c: 1 } }]);
    expect(query(src, 'b = data.a.all_pos', { input: { xs: [1, -1] } })).toEqual([]);
  });

  it('unifies composite patterns', () => {
    expect(query('package a\n', '[x, {"k": y}] = [1, {"k": [2]}]')).toEqual([{ x: 1, y: [2] }]);
    expect(query('package a\n', '[x, 2] = [1, 3]')).toEqual([]);
  });

  it('replaces input with `with`, only for that expression', () => {
    const src = 'package a\n\np := input.v\n';
    expect(query(src, 'x := data.a.p with input.v as 2; y := input.v', { input: { v: 1 } })).toEqual([
      { x: 2, y: 1 },
    ]);
  });

  it('raises a conflict for complete rules with several values', () => {
    const policy = plan('package a\n\np := x if some x in input.xs\n', { entrypoints: ['a/p'] });
    expect(() => new IrInterpreter(policy).run('a/p', { input: fromJson({ xs: [1, 2] }) })).toThrow(
      IrEvalError,
    );
    expect(new IrInterpreter(policy).run('a/p', { input: fromJson({ xs: [1, 1] }) }).map(toJson)).toEqual([
      { result: 1 },
    ]);
  });

  it('emits OPA-style functions and statics', () => {
    const policy = plan('package a\n\np := count(input.xs) + 1\n', { entrypoints: ['a/p'] });
    expect(policy.funcs.map((f) => f.name)).toEqual(['g0.data.a.p']);
    expect(policy.funcs[0]?.params).toEqual([0, 1]);
    expect(policy.static.builtinFuncs).toEqual(
      expect.arrayContaining([
        { name: 'count', arity: 1 },
        { name: 'plus', arity: 2 },
      ]),
    );
    const text = printIr(policy);
    expect(text).toContain('Plan a/p');
    expect(text).toContain('Func g0.data.a.p (local<0>, local<1>)');
    expect(text).toContain('CallStmt {func="count"');
  });

  it('uses MakeNumberRef for numbers that are not 64-bit integers', () => {
    const policy = plan('package a\n\np := [1.5, 99999999999999999999]\n', { entrypoints: ['a/p'] });
    const stmts = JSON.stringify(policy.funcs, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    expect(stmts.match(/MakeNumberRefStmt/g)?.length).toBe(2);
  });

  it('rejects with on functions with a compile error', () => {
    const compiled = compileModules([
      { file: 'p.rego', source: 'package a\n\np if {\n\tcount([1]) == 3 with count as 3\n}\n' },
    ]);
    if (compiled.program === undefined) throw new Error('no program');
    const planned = planPolicy(compiled.program, { entrypoints: ['a/p'] });
    expect(planned.diagnostics.map((d) => d.code)).toEqual(['rego_compile_error']);
  });
});
