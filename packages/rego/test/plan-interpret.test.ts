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
    const policy = plan('package a\n\np := [x, y] if {\n  x := 1.5\n  y := 99999999999999999999\n}\n', {
      entrypoints: ['a/p'],
    });
    const stmts = JSON.stringify(policy.funcs, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    expect(stmts.match(/MakeNumberRefStmt/g)?.length).toBe(2);
  });

  it('plans a ground literal as one constant, numbers kept as written', () => {
    const policy = plan('package a\n\np := [1.5, 99999999999999999999, {"k": {1}}]\n', {
      entrypoints: ['a/p'],
    });
    const ir = printIr(policy);
    expect(ir).toContain('MakeConstStmt {value=[1.5, 99999999999999999999, {"k": {1}}], target=');
    const func = ir.slice(ir.indexOf('Func g0.data.a.p'));
    expect(func).not.toMatch(/MakeArrayStmt|MakeNumberRefStmt|MakeObjectStmt|MakeSetStmt/);
    expect(new IrInterpreter(policy).run('a/p', {}).map(toJson)).toEqual([
      { result: [1.5, 1e20, { k: [1] }] },
    ]);
  });

  it('replaces a builtin with a value, through the rules the expression reaches', () => {
    const src = [
      'package a',
      'n := count(input.xs)',
      'm := n + 1',
      'p := [x, y, z] if {',
      '  x := m with count as 10',
      '  y := m',
      '  z := m with count as input.k',
      '}',
    ].join('\n');
    expect(entry(src, 'a/p', { xs: [1, 2], k: 40 })).toEqual([{ result: [11, 3, 41] }]);
  });

  it('replaces functions by functions or builtins; a replacement calls the original', () => {
    const src = [
      'package a',
      'double(x) := x * 2',
      'triple(x) := x * 3',
      'loud(x) := count(x) + 100',
      'f := double(5)',
      'p := [a, b, c, d] if {',
      '  a := f with double as triple',
      '  b := f',
      '  c := count("abc") with count as loud',
      '  d := count([1]) with count as sum',
      '}',
    ].join('\n');
    expect(entry(src, 'a/p')).toEqual([{ result: [15, 10, 103, 1] }]);
  });

  it('still evaluates the arguments of a call replaced by a value', () => {
    const src = ['package a', 'p if { count(input.missing) == 7 with count as 7 }'].join('\n');
    expect(entry(src, 'a/p', {})).toEqual([]);
  });

  it('replaces a rule with `with data…`, for the rules that read it too', () => {
    const src = [
      'package a',
      'base := 1',
      'twice := base * 2',
      'q contains 1',
      'p := [x, y, s] if {',
      '  x := twice with data.a.base as 21',
      '  y := twice',
      '  s := {v | data.a.q[v]} with data.a.q as {7, 8}',
      '}',
    ].join('\n');
    expect(entry(src, 'a/p')).toEqual([{ result: [42, 2, [7, 8]] }]);
  });

  it('builds objects from general ref heads, with nested rules merged in', () => {
    const src = [
      'package a',
      'users[u].roles[r] := true if { some u, rs in input.grants; some r in rs }',
      'tags[t] contains n if some n, t in input.tag_of',
      'tags.fixed contains "always"',
      'users.root.roles.admin := true',
    ].join('\n');
    const input = { grants: { ann: ['dev'], bob: ['dev', 'ops'] }, tag_of: { k1: 'fixed', k2: 'other' } };
    expect(query(src, 'x := data.a.users; y := data.a.tags', { input })).toEqual([
      {
        x: {
          ann: { roles: { dev: true } },
          bob: { roles: { dev: true, ops: true } },
          root: { roles: { admin: true } },
        },
        y: { fixed: ['always', 'k1'], other: ['k2'] },
      },
    ]);
    expect(query(src, 'data.a.users[u].roles.ops', { input })).toEqual([{ u: 'bob' }]);
  });

  it('raises conflicts between general ref head rules, including writes inside a value', () => {
    const clash = ['package a', 'p[k].v := n if some k, n in {"a": 1, "b": 2}', 'p.a.v := 3'].join('\n');
    expect(() => entry(clash, 'a/p')).toThrow(IrEvalError);
    const inside = ['package a', 'p[k] := {"v": 1} if k := "a"', 'p.a.w := 2'].join('\n');
    expect(() => entry(inside, 'a/p')).toThrow(/object keys must be unique/);
    const same = ['package a', 'p[k].v := 1 if k := "a"', 'p.a.v := 1'].join('\n');
    expect(entry(same, 'a/p')).toEqual([{ result: { a: { v: 1 } } }]);
  });

  it('makes every over a scalar undefined', () => {
    const src = ['package a', 'default p := "no"', 'p := "yes" if every x in input.n { x > 0 }'].join('\n');
    expect(entry(src, 'a/p', { n: 3 })).toEqual([{ result: 'no' }]);
    expect(entry(src, 'a/p', { n: [] })).toEqual([{ result: 'yes' }]);
  });

  it('looks integer keys up in base data as array indexes or string keys', () => {
    const src = ['package a', 'p := [data.cfg[1], data.list[1]]'].join('\n');
    const policy = plan(src, { entrypoints: ['a/p'] });
    const data = fromJson({ cfg: { '1': 'one' }, list: ['x', 'y'] });
    expect(new IrInterpreter(policy).run('a/p', { data }).map(toJson)).toEqual([{ result: ['one', 'y'] }]);
  });

  it('dispatches a data ref with a known key to the named subtree only', () => {
    const mods = [
      'package app\nallow := data[pkg].ok if pkg := "other"',
      'package other\nok := "yes"',
      'package empty',
    ];
    const compiled = compileModules(mods.map((source, i) => ({ file: `m${i}.rego`, source })));
    if (compiled.program === undefined) throw new Error(JSON.stringify(compiled.diagnostics));
    const planned = planPolicy(compiled.program, {
      queries: [{ name: 'q', query: 'x := data.app.allow; e := data.empty' }],
    });
    if (planned.policy === undefined) throw new Error(JSON.stringify(planned.diagnostics));
    expect(new IrInterpreter(planned.policy).run('q').map(toJson)).toEqual([{ x: 'yes', e: {} }]);
  });

  it('keeps base data over a conflicting rule in a merged document', () => {
    const src = ['package a', 'k := "rule"', 'j := "rule"'].join('\n');
    const policy = plan(src, { query: 'x := data.a; y := data.a.k' });
    const data = fromJson({ a: { k: 'base' } });
    expect(new IrInterpreter(policy).run('q', { data }).map(toJson)).toEqual([
      { x: { j: 'rule', k: 'base' }, y: 'rule' },
    ]);
  });

  it('leaves a failing builtin call undefined unless builtin errors are strict', () => {
    const policy = plan('package a\n\np if count(input.n) >= 0\n', { entrypoints: ['a/p'] });
    const input = fromJson({ n: 5 });
    expect(new IrInterpreter(policy, { strictBuiltinErrors: false }).run('a/p', { input })).toEqual([]);
    expect(() => new IrInterpreter(policy).run('a/p', { input })).toThrow(IrEvalError);
  });
});
