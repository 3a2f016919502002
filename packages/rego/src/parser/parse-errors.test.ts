import { describe, expect, it } from 'vitest';
import { formatDiagnostics } from '../diagnostics/format.js';
import { parseModule, parseQuery, parseTerm } from './parse.js';

/** [message, row, col] of each diagnostic. */
function errors(source: string, maxErrors?: number): [string, number, number][] {
  const result = parseModule(
    source,
    maxErrors === undefined ? { file: 'x.rego' } : { file: 'x.rego', maxErrors },
  );
  expect(result.module).toBeUndefined();
  return result.diagnostics.map((d) => [d.message, d.location.row, d.location.col]);
}

describe('Rego v1 rules that OPA 1.x rejects', () => {
  it('bodies without `if`, and the old partial set form', () => {
    expect(errors('package test\n\np[x] {\n\tx = "a"\n}')).toEqual([
      ['`if` keyword is required before rule body', 3, 1],
      ['`contains` keyword is required for partial set rules', 3, 1],
    ]);
    expect(errors('package test\np {\n\ttrue\n}')).toEqual([
      ['`if` keyword is required before rule body', 2, 1],
    ]);
    expect(errors('package test\nf(x) { true }')).toEqual([
      ['`if` keyword is required before function body', 2, 1],
    ]);
  });

  it('rules with neither value nor body', () => {
    expect(errors('package test\np')).toEqual([
      ['rule must have value assignment and/or body declaration', 2, 1],
    ]);
  });

  it('default rules need constant values and var arguments', () => {
    expect(errors('package test\ndefault p := input.x')).toEqual([
      ['illegal default rule (value cannot contain ref)', 2, 1],
    ]);
    expect(errors('package test\ndefault p contains 1')).toEqual([
      ['illegal default rule (must have a value)', 2, 1],
    ]);
    expect(errors('package test\ndefault f(1) := 1')).toEqual([
      ['illegal default rule (arguments cannot contain number)', 2, 1],
    ]);
  });

  it('else on multi-value rules and on heads with variables', () => {
    expect(errors('package test\np contains x if { x := 1 } else := 2')).toEqual([
      ['else keyword cannot be used on multi-value rules', 2, 28],
    ]);
    expect(errors('package test\np[x] := 1 if { x := 1 } else := 2')).toEqual([
      ['else keyword cannot be used on rules with variables in head', 2, 25],
    ]);
  });

  it('contains on a function head', () => {
    expect(errors('package test\nf(x) contains 1')[0]?.[0]).toMatch(
      /^unexpected contains keyword: the contains keyword/,
    );
  });

  it('negated some and every', () => {
    expect(errors('package test\np if not some x in y')).toEqual([
      ["unexpected some keyword: illegal negation of 'some'", 2, 10],
    ]);
    expect(errors('package test\np if not every x in y { x }')[0]?.[0]).toBe(
      "unexpected every keyword: illegal negation of 'every'",
    );
  });

  it('every needs vars and a body', () => {
    expect(errors('package test\np if every x in y')).toEqual([
      ['unexpected eof token: missing body', 2, 18],
    ]);
    expect(errors('package test\np if every x, 1 in y { true }')[0]?.[0]).toBe(
      'unexpected { token: expected value to be a variable',
    );
  });
});

describe('imports and packages', () => {
  it('match OPA’s wording', () => {
    expect(errors('package foo.')).toEqual([['unexpected eof token: expected ident', 1, 13]]);
    expect(errors('p := 1')).toEqual([['package expected', 1, 1]]);
    expect(errors('')).toEqual([['empty module', 1, 1]]);
    expect(errors('package a\nimport foo.bar')[0]?.[0]).toBe(
      'unexpected import path, must begin with one of: {data, future, input, rego}, got: foo',
    );
    expect(errors('package a\nimport future.keywords.foo')[0]?.[0]).toBe(
      'unexpected keyword, must be one of [contains every if in]',
    );
    expect(errors('package a\nimport rego.v2')[0]?.[0]).toBe('invalid import `rego.v2`, must be `rego.v1`');
    expect(errors('package a\npackage b')).toEqual([['unexpected package', 2, 1]]);
  });
});

describe('lexical errors surface as parse errors at their position', () => {
  it.each([
    ['p := 01', 'unexpected number token: expected number without leading zero', 6],
    ['p := -x', 'unexpected ident token: expected number', 7],
    ['p := 1e999999', 'number too big', 6],
    ['p := "\\q"', 'illegal string literal: "\\q"', 6],
    ['p := "abc', 'non-terminated string', 6],
    ['p := `abc', 'non-terminated raw string', 6],
    ['p := 1 ~ 2', 'illegal token', 8],
    ['p := 0a2b', 'illegal number format', 6],
  ])('%s', (line, message, col) => {
    expect(errors(`package a\n${line}`)).toEqual([[message, 2, col]]);
  });
});

describe('body syntax', () => {
  it('expressions on one line need a semicolon', () => {
    expect(errors('package a\np if { x := 1 y := 2 }')).toEqual([
      ['unexpected ident token: expected \\n or ; or }', 2, 15],
    ]);
  });

  it('empty bodies, unclosed brackets and stray tokens', () => {
    // As in OPA, `if {}` reads as the literal empty object (which is truthy), not an empty body.
    expect(parseModule('package a\np if {\n}').module?.rules[0]?.body?.exprs[0]).toMatchObject({
      term: { type: 'object', entries: [] },
    });
    expect(errors('package a\np if { x }\nq if every x in y {\n}')).toEqual([['found empty body', 4, 1]]);
    expect(errors('package a\nq := [x | ]')).toEqual([['found empty body', 2, 11]]);
    expect(errors('package a\nq := [1, 2')).toEqual([['unexpected eof token: expected "," or "]"', 2, 11]]);
    expect(errors('package a\nq := (1 + 2')).toEqual([['non-terminated expression', 2, 12]]);
    expect(errors('package a\nq := {1: 2, 3}')[0]?.[0]).toBe('unexpected } token: expected ":"');
  });

  it('queries report the same way', () => {
    const result = parseQuery('x := ]');
    expect(result.body).toBeUndefined();
    expect(formatDiagnostics(result.diagnostics)).toBe(
      '1 error occurred: 1:6: rego_parse_error: unexpected ] token\n\tx := ]\n\t     ^',
    );
    expect(parseTerm('1 2').diagnostics[0]?.message).toBe('unexpected number token');
  });
});

describe('several errors in one file', () => {
  const source = [
    'package a',
    '',
    'p if {',
    '\tx := 1 +',
    '}',
    '',
    'q if {',
    '\t]',
    '}',
    '',
    'ok := 1',
    '',
    's if "abc',
    '',
    't {',
    '\ttrue',
    '}',
  ].join('\n');

  it('are all collected, each at its own row and column, with later rules still checked', () => {
    expect(errors(source)).toEqual([
      ['unexpected } token', 5, 1],
      ['unexpected ] token', 8, 2],
      ['non-terminated string', 13, 6],
      ['`if` keyword is required before rule body', 15, 1],
    ]);
  });

  it('stop at the cap, closed by "error limit reached"', () => {
    const many = ['package a', ...Array.from({ length: 30 }, (_, i) => `r${i} if {\n\t)\n}`)].join('\n');
    const all = errors(many);
    expect(all).toHaveLength(11);
    expect(all[10]?.[0]).toBe('error limit reached');
    expect(errors(many, 3)).toHaveLength(4);
    expect(errors(many, 0)).toHaveLength(30);
  });

  it('print like OPA', () => {
    const { diagnostics } = parseModule('package a\np {\n\ttrue\n}', { file: 'policy.rego' });
    expect(formatDiagnostics(diagnostics)).toBe(
      '1 error occurred: policy.rego:2: rego_parse_error: `if` keyword is required before rule body\n\tp {\n\t^',
    );
  });
});

describe('robustness', () => {
  it('deep nesting is an error, not a stack overflow', () => {
    const deep = `package a\np := ${'['.repeat(5000)}${']'.repeat(5000)}`;
    expect(errors(deep)[0]?.[0]).toBe('maximum nesting depth exceeded');
    const parens = `package a\np := ${'('.repeat(5000)}1${')'.repeat(5000)}`;
    expect(errors(parens)[0]?.[0]).toBe('maximum nesting depth exceeded');
  });

  it('moderate nesting is fine', () => {
    const nested = `package a\np := ${'['.repeat(40)}1${']'.repeat(40)}`;
    expect(parseModule(nested).module).toBeDefined();
  });

  it('ambiguous comprehension prefixes do not make parsing exponential', () => {
    const evil = `package a\np := ${'[a | '.repeat(60)}b, c${']'.repeat(60)}`;
    const started = performance.now();
    parseModule(evil);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
