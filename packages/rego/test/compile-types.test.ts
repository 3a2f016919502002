/**
 * Compile-time builtin argument type checks: an argument whose type is statically known and
 * cannot be the declared one is a rego_type_error, worded as OPA's type checker words it;
 * anything whose type is not known (input, data, function results, iteration vars) compiles.
 */
import { describe, expect, it } from 'vitest';
import { compileModules } from '../src/compile/index.js';
import type { Diagnostic } from '../src/diagnostics/index.js';
import { formatDiagnostics } from '../src/diagnostics/index.js';

const COLLECTION = 'any<array[any], object[any: any], set[any], string>';

function module(body: string, extra = ''): string {
  return `package a\n\n${extra}p if {\n\t${body}\n}\n`;
}

function errors(source: string): Diagnostic[] {
  const result = compileModules([{ file: 'm.rego', source }]);
  expect(result.program).toBeUndefined();
  return result.diagnostics;
}

function compiles(source: string): void {
  const result = compileModules([{ file: 'm.rego', source }]);
  expect(result.diagnostics).toEqual([]);
  expect(result.program).toBeDefined();
}

/** `message` is OPA's first line, `have` and `want` its detail lines. */
function typeError(source: string): {
  row: number;
  file: string;
  message: string;
  have: string;
  want: string;
} {
  const ds = errors(source);
  expect(ds).toHaveLength(1);
  const d = ds[0] as Diagnostic;
  expect(d.code).toBe('rego_type_error');
  const [message = '', have = '', want = ''] = d.message.split('\n\t');
  return { row: d.location.row, file: d.location.file, message, have, want };
}

describe('builtin argument types: rejected', () => {
  it('count of a number', () => {
    expect(typeError(module('x := count(1)\n\tx > 0'))).toEqual({
      file: 'm.rego',
      row: 4,
      message: 'count: invalid argument(s)',
      have: 'have: (number, ???)',
      want: `want: (${COLLECTION}, number)`,
    });
  });

  it('startswith of a number, as a statement', () => {
    expect(typeError(module('startswith(1, "a")'))).toEqual({
      file: 'm.rego',
      row: 4,
      message: 'startswith: invalid argument(s)',
      have: 'have: (number, string)',
      want: 'want: (string, string, boolean)',
    });
  });

  it('concat of a number', () => {
    expect(typeError(module('x := concat(",", 1)\n\tx != ""'))).toMatchObject({
      row: 4,
      message: 'concat: invalid argument(s)',
      have: 'have: (string, number, ???)',
      want: 'want: (string, any<array[string], set[string]>, string)',
    });
  });

  it('sum of a string', () => {
    expect(typeError(module('x := sum("x")\n\tx > 0'))).toMatchObject({
      row: 4,
      message: 'sum: invalid argument(s)',
      have: 'have: (string, ???)',
      want: 'want: (any<array[number], set[number]>, number)',
    });
  });

  it('lower of an array', () => {
    expect(typeError(module('x := lower(["a"])\n\tx != ""'))).toMatchObject({
      row: 4,
      message: 'lower: invalid argument(s)',
      have: 'have: (array<string>, ???)',
      want: 'want: (string, string)',
    });
  });

  it('reports the row of the offending expression and prints as OPA does', () => {
    const src = module('y := 1\n\tz := [y]\n\tupper(z) == "A"');
    const ds = errors(src);
    expect(ds.map((d) => [d.code, d.location.row])).toEqual([['rego_type_error', 6]]);
    expect(formatDiagnostics(ds)).toBe(
      '1 error occurred: m.rego:6: rego_type_error: upper: invalid argument(s)\n' +
        '\thave: (array<number>, ???)\n' +
        '\twant: (string, string)',
    );
  });

  it('follows vars bound to literals and builtin results', () => {
    expect(typeError(module('n := count(input.xs)\n\tstartswith(n, "a")')).message).toBe(
      'startswith: invalid argument(s)',
    );
    expect(typeError(module('s := "abc"\n\tt := s\n\tx := abs(t)\n\tx > 1')).message).toBe(
      'abs: invalid argument(s)',
    );
  });

  it('checks infix operators', () => {
    expect(typeError(module('x := 1 + "a"\n\tx > 0'))).toMatchObject({
      message: 'plus: invalid argument(s)',
      have: 'have: (number, string, ???)',
      want: 'want: (number, number, number)',
    });
  });

  it('checks members of composite literals', () => {
    expect(typeError(module('x := sum([1, "a"])\n\tx > 0')).have).toBe('have: (array<number, string>, ???)');
    expect(typeError(module('x := concat(",", {1, 2})\n\tx != ""')).have).toBe(
      'have: (string, set[number], ???)',
    );
  });

  it('checks an explicit output argument against the result type', () => {
    expect(typeError(module('s := "a"\n\tcount([1], s)'))).toMatchObject({
      row: 5,
      message: 'count: invalid argument(s)',
      have: 'have: (array<number>, string)',
      want: `want: (${COLLECTION}, number)`,
    });
  });

  it('checks calls in rule heads, functions, comprehensions and every', () => {
    expect(typeError('package a\n\np := count(1)\n').row).toBe(3);
    expect(typeError('package a\n\nf(x) := y if {\n\ty := lower(1)\n}\n').row).toBe(4);
    expect(typeError(module('xs := [y | some y in input.xs; upper(3) == y]\n\tcount(xs) > 0')).row).toBe(4);
    expect(typeError(module('every x in input.xs {\n\t\tstartswith(x, 5)\n\t}')).row).toBe(5);
  });
});

describe('builtin argument types: still compiles', () => {
  const cases: Record<string, string> = {
    'input refs': 'count(input.xs) > 0\n\tstartswith(input.s, "a")\n\tlower(input.name) == "x"',
    'data refs': 'count(data.items) > 0\n\tsum(data.a.b.nums) > 1',
    'user function results': 'count(f(1)) > 0',
    'vars from iteration':
      'some x in input.xs\n\tstartswith(x, "a")\n\tsome k, v in {"a": 1}\n\tlower(k) != ""',
    'vars from ref iteration': 'x := input.xs[_]\n\tupper(x) == "A"',
    'vars bound to input': 'x := input.user\n\tstartswith(x.name, "a")\n\tcount(x) > 0',
    'unions matching one member':
      'count({1, 2}) > 0\n\tcount({"a": 1}) > 0\n\tcount("abc") > 0\n\tcount([]) == 0',
    'any_of arguments': 'x := 1 - 1\n\tx == 0\n\ts := {1, 2} - {1}\n\tcount(s) == 1',
    'builtin results of union type': 'x := json.unmarshal("[1]")\n\tcount(x) > 0',
    'any result flowing into a typed argument': 'x := object.get(input, "a", "")\n\tlower(x) != ""',
    'concat of a set of strings': 'x := concat(",", {"a", "b"})\n\tx != ""',
    'sum of a comprehension': 'x := sum([n | some n in input.nums])\n\tx > 0',
    'comprehension members, checked at run time':
      'x := concat(",", [n | some n in [1, 2]])\n\tx != ""\n\ty := object.keys({n: 1 | some n in [1]})\n\tcount(y) > 0',
    'sprintf with mixed args': 'x := sprintf("%v %v", [1, "a"])\n\tx != ""',
    'membership and comparison of mixed types': '1 in ["a", 1]\n\t"a" != 1\n\t{"a": 1}["a"] == 1',
    'objects with var keys': 'k := input.k\n\tcount({k: 1}) == 1',
    'nested builtin calls':
      'count(split(lower(input.s), ",")) > 0\n\tstartswith(trim_space(concat("", ["a"])), "a")',
    'walk relation': 'walk(input, [path, _])\n\tcount(path) >= 0',
    'explicit output of the right type': 'count([1], n)\n\tn > 0',
    'var rebound across a negation': 'not startswith(input.s, "a")',
  };
  for (const [name, body] of Object.entries(cases)) it(name, () => compiles(module(body, 'f(x) := [x]\n\n')));

  it('vars of the same name in different rules', () => {
    compiles('package a\n\np if {\n\tx := 1\n\tx > 0\n}\n\nq if {\n\tx := "a"\n\tstartswith(x, "a")\n}\n');
  });

  it('function parameters', () => {
    compiles('package a\n\nf(x) := lower(x)\n\ng(x) := count(x)\n\np if f("A") == "a"\n');
  });

  it('else branches', () => {
    compiles(
      'package a\n\nf(x) := lower(x) if {\n\tstartswith(x, "A")\n} else := x\n\np if f("Ab") == "ab"\n',
    );
  });
});
