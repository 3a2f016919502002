/**
 * Compile-time diagnostics: each error class OPA's compiler reports before evaluation, with
 * its code, message and location.
 */
import { describe, expect, it } from 'vitest';
import { compileModules } from '../src/compile/index.js';
import type { Diagnostic } from '../src/diagnostics/index.js';

function errors(...sources: string[]): Diagnostic[] {
  const result = compileModules(sources.map((source, i) => ({ file: `m${i}.rego`, source })));
  expect(result.program).toBeUndefined();
  return result.diagnostics;
}

function summary(ds: readonly Diagnostic[]): string[] {
  return ds.map((d) => `${d.code} ${d.location.file}:${d.location.row}: ${d.message}`);
}

describe('compileModules diagnostics', () => {
  it('reports an unsafe var in a body', () => {
    expect(summary(errors('package a\n\np if {\n\tx > 1\n}\n'))).toEqual([
      'rego_unsafe_var_error m0.rego:4: var x is unsafe',
    ]);
  });

  it('reports an unsafe var in a rule head', () => {
    expect(summary(errors('package a\n\np := x if {\n\ttrue\n}\n'))).toEqual([
      'rego_unsafe_var_error m0.rego:3: var x is unsafe',
    ]);
  });

  it('reports a negated expression that would have to bind a var', () => {
    expect(summary(errors('package a\n\np if {\n\tnot input.xs[i]\n}\n'))).toEqual([
      'rego_unsafe_var_error m0.rego:4: var i is unsafe',
    ]);
  });

  it('reorders expressions instead of reporting them unsafe', () => {
    const r = compileModules([
      { file: 'm.rego', source: 'package a\n\np if {\n\tx > 1\n\tx = input.n\n}\n' },
    ]);
    expect(r.diagnostics).toEqual([]);
    const body = r.program?.groups[0]?.rules[0]?.body ?? [];
    expect(body.map((e) => e.type)).toEqual(['unify-expr', 'term-expr']);
  });

  it('reports recursion across rules with the cycle', () => {
    const ds = errors('package a\n\np if q\n\nq if p\n');
    expect(ds.map((d) => d.code)).toEqual(['rego_recursion_error']);
    expect(ds[0]?.message).toBe('rule data.a.p is recursive: data.a.p -> data.a.q -> data.a.p');
    expect(ds[0]?.location.row).toBe(3);
  });

  it('reports a rule that refers to itself', () => {
    expect(summary(errors('package a\n\np contains x if {\n\tsome x in p\n}\n'))).toEqual([
      'rego_recursion_error m0.rego:3: rule data.a.p is recursive: data.a.p -> data.a.p',
    ]);
  });

  it('reports a complete rule and a partial set at one path', () => {
    expect(summary(errors('package a\n\np := 1\n\np contains 2\n'))).toEqual([
      'rego_type_error m0.rego:5: conflicting rules data.a.p found',
    ]);
  });

  it('reports a function and a rule at one path, across modules', () => {
    expect(summary(errors('package a\n\nf(x) := x\n', 'package a\n\nf := 1\n'))).toEqual([
      'rego_type_error m1.rego:3: conflicting rules data.a.f found',
    ]);
  });

  it('reports functions of different arities', () => {
    expect(summary(errors('package a\n\nf(x) := x\n\nf(x, y) := y\n'))).toEqual([
      'rego_type_error m0.rego:5: conflicting rules data.a.f found',
    ]);
  });

  it('reports several default rules', () => {
    expect(summary(errors('package a\n\ndefault p := 1\n\ndefault p := 2\n'))).toEqual([
      'rego_type_error m0.rego:5: multiple default rules data.a.p found',
    ]);
  });

  it('reports a rule whose path is a prefix of another rule', () => {
    expect(summary(errors('package a\n\np := 1\n', 'package a.p\n\nq := 2\n'))).toEqual([
      'rego_type_error m0.rego:3: rule data.a.p conflicts with [data.a.p.q]',
    ]);
  });

  it('reports a builtin called with the wrong number of arguments', () => {
    const ds = errors('package a\n\np if {\n\tcount([1], 2, 3)\n}\n');
    expect(ds.map((d) => d.code)).toEqual(['rego_type_error']);
    expect(ds[0]?.message).toMatch(/^count: arity mismatch/);
    expect(ds[0]?.location.row).toBe(4);
  });

  it('reports a user function called with the wrong number of arguments', () => {
    expect(summary(errors('package a\n\nf(x) := x\n\np if f(1, 2, 3)\n'))).toEqual([
      'rego_type_error m0.rego:5: function data.a.f has arity 1, got 3 arguments',
    ]);
  });

  it('reports an undefined function', () => {
    expect(summary(errors('package a\n\np if {\n\tnope(1)\n}\n'))).toEqual([
      'rego_type_error m0.rego:4: undefined function nope',
    ]);
  });

  it('reports a var assigned twice', () => {
    expect(summary(errors('package a\n\np if {\n\tx := 1\n\tx := 2\n}\n'))).toEqual([
      'rego_compile_error m0.rego:5: var x assigned above',
    ]);
  });

  it('reports a var declared after it was used', () => {
    expect(summary(errors('package a\n\np if {\n\tx > 1\n\tx := 2\n}\n'))).toEqual([
      'rego_compile_error m0.rego:5: var x referenced above',
    ]);
  });

  it('lets := shadow a rule name and an outer var', () => {
    const r = compileModules([
      {
        file: 'm.rego',
        source: 'package a\n\nq := 1\n\np if {\n\tq := 2\n\tx := 1\n\txs := [x | x := 3]\n\txs[0] == 3\n}\n',
      },
    ]);
    expect(r.diagnostics).toEqual([]);
  });

  it('accepts an output argument as the last call argument', () => {
    const r = compileModules([{ file: 'm.rego', source: 'package a\n\np := x if plus(1, 2, x)\n' }]);
    expect(r.diagnostics).toEqual([]);
  });

  it('reports parse errors before compiling', () => {
    const r = compileModules([{ file: 'm.rego', source: 'package a\n\np if {\n' }]);
    expect(r.diagnostics[0]?.code).toBe('rego_parse_error');
  });

  it('reports recursion through rules nested under a partial object', () => {
    const ds = errors('package a\n\np[k] := 1 if k := "x"\n\np.y := v if v := data.a.p.x\n');
    expect(ds.map((d) => d.code)).toEqual(['rego_recursion_error']);
  });

  it('accepts general ref heads and rules nested under partial objects', () => {
    const r = compileModules([
      {
        file: 'm.rego',
        source:
          'package a\n\np[k].r contains v if some k, v in input\n\np.z := 1\n\nq[a][b] := 1 if some a, b in input\n',
      },
    ]);
    expect(r.diagnostics).toEqual([]);
  });

  it('does not count an every declaration as an earlier use of the same name', () => {
    const r = compileModules([
      { file: 'm.rego', source: 'package a\n\np if {\n\tevery v in [1] { v > 0 }\n\tv := 2\n\tv > 1\n}\n' },
    ]);
    expect(r.diagnostics).toEqual([]);
  });

  it('does not treat a builtin named as a with value as an unsafe var', () => {
    const r = compileModules([
      { file: 'm.rego', source: 'package a\n\np if {\n\tcount([1]) == 1 with count as sum\n}\n' },
    ]);
    expect(r.diagnostics).toEqual([]);
  });
});
