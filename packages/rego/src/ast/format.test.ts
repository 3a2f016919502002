import { describe, expect, it } from 'vitest';
import { formatDiagnostics } from '../diagnostics/format.js';
import { parseModule, parseTerm } from '../parser/parse.js';
import { formatModule, formatTerm } from './format.js';

function canonical(source: string): string {
  const result = parseModule(source);
  if (result.module === undefined) throw new Error(formatDiagnostics(result.diagnostics));
  return formatModule(result.module);
}

function termText(source: string): string {
  const result = parseTerm(source);
  if (result.term === undefined) throw new Error(formatDiagnostics(result.diagnostics));
  return formatTerm(result.term);
}

describe('formatModule', () => {
  it('prints canonical Rego v1', () => {
    const source = `package  authz.http
import rego.v1
import   data.roles as r
default allow:=false
allow if input.user=="admin"
deny contains msg if { some x in input.xs; x>1
  msg:=sprintf("%v", [x]) }
f(x,y) = z if z := x+y else = 0
a.b[k] := v if { some k, v in {"a":1} }
p := 7`;
    expect(canonical(source)).toBe(`package authz.http

import rego.v1
import data.roles as r

default allow := false

allow if {
\tinput.user == "admin"
}

deny contains msg if {
\tsome x in input.xs
\tx > 1
\tmsg := sprintf("%v", [x])
}

f(x, y) = z if {
\tz := x + y
} else = 0

a.b[k] := v if {
\tsome k, v in {"a": 1}
}

p := 7
`);
  });

  it('prints every, with, not and comprehensions', () => {
    const source =
      'package p\nq if {\n not input.x with input as {"x": 1}\n every k, v in input.o { k != v; v > 0 }\n s := {x | some x in [1, 2]}\n o := {k: 1 | k := "a"}\n}';
    expect(canonical(source)).toBe(`package p

q if {
\tnot input.x with input as {"x": 1}
\tevery k, v in input.o {
\t\tk != v
\t\tv > 0
\t}
\ts := {x | some x in [1, 2]}
\to := {k: 1 | k := "a"}
}
`);
  });

  it('prints strings as JSON and numbers as written', () => {
    expect(termText('`a\\b"c`')).toBe('"a\\\\b\\"c"');
    expect(termText('[1.50, -2e3, .5]')).toBe('[1.50, -2e3, .5]');
    expect(termText('input["a-b"].c[0]')).toBe('input["a-b"].c[0]');
    expect(termText('set()')).toBe('set()');
  });
});

describe('parentheses', () => {
  it.each([
    ['(1 + 2) * 3', '(1 + 2) * 3'],
    ['1 + (2 * 3)', '1 + 2 * 3'],
    ['1 - (2 - 3)', '1 - (2 - 3)'],
    ['(1 - 2) - 3', '1 - 2 - 3'],
    ['(a == b) == c', 'a == b == c'],
    ['a == (b == c)', 'a == (b == c)'],
    ['(a | b) & c', '(a | b) & c'],
    ['f((k, v in o))', 'f((k, v in o))'],
    ['[(x + 1) | x := 1]', '[(x + 1) | x := 1]'],
    ['[(a | b)]', '[(a | b)]'],
    ['[(a | b) == c, 1]', '[(a | b == c), 1]'],
    ['{"k": (a | b)}', '{"k": (a | b)}'],
    ['(x in y) in z', 'x in y in z'],
    ['x in (y in z)', 'x in (y in z)'],
  ])('%s → %s', (source, expected) => {
    expect(termText(source)).toBe(expected);
    expect(termText(expected)).toBe(expected);
  });

  it('guards body expressions that would read differently at the start of a line', () => {
    const text = canonical('package p\nq if {\n\t(a | b) == c\n\tx\n\t(-1) == y\n}');
    expect(text).toContain('\t(a | b == c)\n');
    expect(text).toContain('\t(-1 == y)\n');
    expect(canonical(text)).toBe(text);
  });
});
