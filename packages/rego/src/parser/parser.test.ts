import { describe, expect, it } from 'vitest';
import { formatRef, formatTerm } from '../ast/format.js';
import type { Body, Expr, Module, Rule, Term } from '../ast/nodes.js';
import { formatDiagnostics } from '../diagnostics/format.js';
import { parseModule, parseQuery, parseTerm } from './parse.js';

function mod(source: string): Module {
  const result = parseModule(source, { file: 'test.rego' });
  if (result.module === undefined) throw new Error(formatDiagnostics(result.diagnostics));
  return result.module;
}

function rules(body: string): Rule[] {
  return [...mod(`package test\n\n${body}`).rules];
}

function rule(body: string): Rule {
  const [first] = rules(body);
  if (first === undefined) throw new Error('no rule');
  return first;
}

function query(source: string): Body {
  const result = parseQuery(source);
  if (result.body === undefined) throw new Error(formatDiagnostics(result.diagnostics));
  return result.body;
}

function expr(source: string): Expr {
  const [first] = query(source).exprs;
  if (first === undefined) throw new Error('no expression');
  return first;
}

function term(source: string): Term {
  const result = parseTerm(source);
  if (result.term === undefined) throw new Error(formatDiagnostics(result.diagnostics));
  return result.term;
}

/** Calls as s-expressions, so that grouping is visible: `(+ 1 (* 2 3))`. */
function sx(t: Term): string {
  if (t.type === 'call') {
    const op = t.infix ?? formatRef(t.operator);
    return `(${[op, ...t.args.map(sx)].join(' ')})`;
  }
  return formatTerm(t);
}

describe('module structure', () => {
  it('reads the package as a data ref', () => {
    const m = mod('package a.b["c-d"]');
    expect(m.package.path.head).toMatchObject({ type: 'var', name: 'data' });
    expect(m.package.path.path.map((p) => (p.type === 'string' ? p.value : '?'))).toEqual(['a', 'b', 'c-d']);
    expect(m.rules).toEqual([]);
  });

  it('reads imports of every kind', () => {
    const m = mod(
      'package p\nimport rego.v1\nimport future.keywords\nimport future.keywords.in\nimport data.x.y as z\nimport input.foo\nimport data.servers',
    );
    expect(m.imports.map((i) => [formatRef(i.path), i.alias ?? null])).toEqual([
      ['rego.v1', null],
      ['future.keywords', null],
      ['future.keywords.in', null],
      ['data.x.y', 'z'],
      ['input.foo', null],
      ['data.servers', null],
    ]);
  });

  it('keeps comments with their positions', () => {
    const m = mod('package p # trailing\n# own line\np := 1');
    expect(m.comments.map((c) => [c.text, c.loc.row, c.loc.col])).toEqual([
      [' trailing', 1, 11],
      [' own line', 2, 1],
    ]);
  });

  it('puts a location on the module, rules, heads, bodies and terms', () => {
    const m = mod('package p\n\nallow if {\n\tinput.user == "admin"\n}');
    const r = m.rules[0]!;
    expect(r.loc).toMatchObject({ file: 'test.rego', row: 3, col: 1, offset: 11 });
    expect(r.head.loc).toMatchObject({ row: 3, col: 1 });
    expect(r.body?.loc).toMatchObject({ row: 3, col: 10 });
    const e = r.body!.exprs[0]!;
    expect(e.loc).toMatchObject({ row: 4, col: 2 });
    if (e.type !== 'term-expr' || e.term.type !== 'call') throw new Error('expected a call');
    expect(e.term.args[1]?.loc).toMatchObject({ row: 4, col: 16, offset: 37, end: 44 });
  });
});

describe('rule forms', () => {
  it('default rules', () => {
    const r = rule('default allow := false');
    expect(r.default).toBe(true);
    expect(r.head).toMatchObject({
      kind: 'single-value',
      operator: ':=',
      value: { type: 'boolean', value: false },
    });
    expect(r.body).toBeUndefined();
    expect(rule('default f(_) := 1').head).toMatchObject({
      kind: 'function',
      args: [{ type: 'var', name: '_' }],
    });
    expect(rule('default p = {"a": [1]}').head).toMatchObject({ operator: '=' });
  });

  it('complete rules with := and =, with and without bodies', () => {
    const a = rule('p := 1 if {\n\tinput.x\n}');
    expect(a.head).toMatchObject({
      kind: 'single-value',
      operator: ':=',
      value: { type: 'number', raw: '1' },
    });
    expect(a.body?.exprs).toHaveLength(1);
    expect(rule('p = 1 if input.x').head).toMatchObject({ operator: '=' });
    const bare = rule('p if input.x');
    expect(bare.head.kind).toBe('single-value');
    expect('value' in bare.head).toBe(false);
    const constant = rule('p := 7');
    expect(constant.body).toBeUndefined();
    expect(constant.head).toMatchObject({ value: { raw: '7' } });
  });

  it('single-expression bodies end at the line break', () => {
    const [p, q] = rules('p if input.x == 1\nq := 2 if not input.y');
    expect(p?.body?.exprs).toHaveLength(1);
    expect(q?.body?.exprs[0]).toMatchObject({ type: 'term-expr', negated: true });
  });

  it('multi-value rules with contains, with and without bodies', () => {
    const r = rule('deny contains msg if {\n\tmsg := "no"\n}');
    expect(r.head).toMatchObject({ kind: 'multi-value', key: { type: 'var', name: 'msg' } });
    expect(rule('p contains "x"').body).toBeUndefined();
    const refHead = rule('a.b contains x if some x in input');
    expect(formatRef(refHead.head.ref)).toBe('a.b');
    expect(refHead.body?.exprs[0]?.type).toBe('some-in');
  });

  it('ref heads: partial objects and nested paths', () => {
    const r = rule('p[k] := v if {\n\tsome k, v in input\n}');
    expect(r.head.kind).toBe('single-value');
    expect(r.head.ref.path).toMatchObject([{ type: 'var', name: 'k' }]);
    const deep = rule('a.b.c[x] := y if {\n\tx := 1\n\ty := 2\n}');
    expect(formatRef(deep.head.ref)).toBe('a.b.c[x]');
    // In v1 `p[x] if …` is an object rule whose values are true.
    const flag = rule('p[x] if x := input.x');
    expect(flag.head.kind).toBe('single-value');
    expect('value' in flag.head).toBe(false);
  });

  it('functions, including several definitions and ref names', () => {
    const [f1, f2] = rules('f(x, y) := z if {\n\tz := x + y\n}\n\nf(x, "k") := 1');
    expect(f1?.head).toMatchObject({
      kind: 'function',
      args: [{ name: 'x' }, { name: 'y' }],
      operator: ':=',
    });
    expect(f2?.head).toMatchObject({
      kind: 'function',
      args: [{ name: 'x' }, { type: 'string', value: 'k' }],
    });
    expect(rule('g(x) if x > 1').head).toMatchObject({ kind: 'function' });
    expect(formatRef(rule('a.b.h(x) := 1').head.ref)).toBe('a.b.h');
  });

  it('else chains with values, bodies and plain fallbacks', () => {
    const r = rule('p := 1 if {\n\tinput.a\n} else := 2 if {\n\tinput.b\n} else = 3 if input.c else := 4');
    const e1 = r.else!;
    expect(e1).toMatchObject({ operator: ':=', value: { raw: '2' } });
    expect(e1.body?.exprs).toHaveLength(1);
    const e2 = e1.else!;
    expect(e2).toMatchObject({ operator: '=', value: { raw: '3' } });
    expect(e2.else).toMatchObject({ operator: ':=', value: { raw: '4' } });
    expect(e2.else?.body).toBeUndefined();
    const fn = rule('f(x) := 1 if x > 1 else := 0');
    expect(fn.else).toMatchObject({ value: { raw: '0' } });
    const implicit = rule('q if input.a else if input.b');
    expect('value' in implicit.else!).toBe(false);
  });

  it('extra bodies after a rule define further rules with the same head', () => {
    const rs = rules('p := 1 if { input.a } { input.b }');
    expect(rs).toHaveLength(2);
    expect(rs[1]?.head).toMatchObject({ kind: 'single-value', value: { raw: '1' } });
  });

  it('a braced `if` body and a one-literal body look the same', () => {
    const braced = rule('p if {\n\tx\n}');
    const plain = rule('p if x');
    expect(braced.body?.exprs[0]).toMatchObject({ type: 'term-expr', term: { type: 'var', name: 'x' } });
    expect(plain.body?.exprs[0]).toMatchObject({ type: 'term-expr', term: { type: 'var', name: 'x' } });
    // After `if`, a `{` that opens an object term still reads as one literal, as in OPA.
    expect(rule('p if {"a": 1}.a').body?.exprs[0]).toMatchObject({
      type: 'term-expr',
      term: { type: 'ref' },
    });
  });

  it('keywords can name ref elements and start refs', () => {
    expect(formatTerm(term('input.in.if'))).toBe('input.in.if');
    expect(rule('p if data.contains.every').body).toBeDefined();
  });
});

describe('expressions', () => {
  it('assignment and unification', () => {
    expect(expr('x := 1')).toMatchObject({ type: 'assign-expr', lhs: { name: 'x' }, rhs: { raw: '1' } });
    expect(expr('[a, b] = [1, 2]')).toMatchObject({ type: 'unify-expr', lhs: { type: 'array' } });
  });

  it('negation', () => {
    expect(expr('not input.x')).toMatchObject({ type: 'term-expr', negated: true });
    expect(expr('not f(x)')).toMatchObject({ negated: true, term: { type: 'call' } });
  });

  it('some declarations and some-in', () => {
    expect(expr('some x, y')).toMatchObject({ type: 'some-decl', vars: [{ name: 'x' }, { name: 'y' }] });
    expect(expr('some x in xs')).toMatchObject({
      type: 'some-in',
      value: { name: 'x' },
      domain: { name: 'xs' },
    });
    const kv = expr('some k, v in input.m');
    expect(kv).toMatchObject({
      type: 'some-in',
      key: { name: 'k' },
      value: { name: 'v' },
      domain: { type: 'ref' },
    });
    expect(expr('some [a, b] in pairs')).toMatchObject({ type: 'some-in', value: { type: 'array' } });
  });

  it('every, with one or two variables', () => {
    const e = expr('every x in xs {\n\tx > 0\n\tx < 10\n}');
    expect(e).toMatchObject({ type: 'every', value: { name: 'x' }, domain: { name: 'xs' } });
    if (e.type !== 'every') throw new Error('expected every');
    expect(e.body.exprs).toHaveLength(2);
    expect(expr('every k, v in o { k != v }')).toMatchObject({
      type: 'every',
      key: { name: 'k' },
      value: { name: 'v' },
    });
  });

  it('with modifiers, several in a row', () => {
    const e = expr('data.p with input as {"a": 1} with data.x.y as z with count as mock_count');
    expect(e.with.map((w) => [formatTerm(w.target), formatTerm(w.value)])).toEqual([
      ['input', '{"a": 1}'],
      ['data.x.y', 'z'],
      ['count', 'mock_count'],
    ]);
    expect(expr('x := f(1) with input as 2')).toMatchObject({
      type: 'assign-expr',
      with: [{ type: 'with' }],
    });
    expect(expr('some x in xs with input as 1').with).toHaveLength(1);
  });

  it('membership as an expression', () => {
    expect(sx(term('x in xs'))).toBe('(in x xs)');
    expect(
      sx(expr('k, v in obj').type === 'term-expr' ? (expr('k, v in obj') as { term: Term }).term : term('0')),
    ).toBe('(in k v obj)');
    const call = term('k, v in obj');
    expect(call).toMatchObject({ type: 'call', operator: { head: { name: 'internal' } } });
    expect(formatRef((call as { operator: Parameters<typeof formatRef>[0] }).operator)).toBe(
      'internal.member_3',
    );
    // In argument lists the comma separates arguments instead.
    expect(sx(term('f(k, v in obj)'))).toBe('(f k (in v obj))');
  });

  it('separates expressions by newlines and semicolons, and nothing else', () => {
    expect(query('a; b\nc').exprs).toHaveLength(3);
    expect(parseQuery('a b').diagnostics[0]?.message).toBe(
      'unexpected ident token: expected \\n or ; or eof',
    );
  });
});

describe('precedence and associativity (OPA: in < relations < | < & < + - < * / %)', () => {
  const cases: [string, string][] = [
    ['1 + 2 * 3', '(+ 1 (* 2 3))'],
    ['1 * 2 + 3', '(+ (* 1 2) 3)'],
    ['1 - 2 - 3', '(- (- 1 2) 3)'],
    ['8 / 4 / 2', '(/ (/ 8 4) 2)'],
    ['7 % 3 * 2', '(* (% 7 3) 2)'],
    ['a & b | c', '(| (& a b) c)'],
    ['a | b & c', '(| a (& b c))'],
    ['a + b & c', '(& (+ a b) c)'],
    ['x == a | b', '(== x (| a b))'],
    ['x < y == true', '(== (< x y) true)'],
    ['a + 1 in xs', '(in (+ a 1) xs)'],
    ['x in xs == false', '(in x (== xs false))'],
    ['(1 + 2) * 3', '(* (+ 1 2) 3)'],
    ['count(x) > 1 + 2', '(> (count x) (+ 1 2))'],
    ['x - -1', '(- x -1)'],
    ['a.b.c(x, [1]) != 0', '(!= (a.b.c x [1]) 0)'],
    ['x in a in b', '(in (in x a) b)'],
  ];
  for (const [source, shape] of cases) {
    it(source, () => {
      expect(sx(term(source))).toBe(shape);
    });
  }

  it('an assignment holds the whole infix expression on each side', () => {
    const e = expr('x := 1 + 2 == 3');
    if (e.type !== 'assign-expr') throw new Error('expected assignment');
    expect(sx(e.rhs)).toBe('(== (+ 1 2) 3)');
  });
});

describe('terms', () => {
  it('scalars', () => {
    expect(term('null')).toMatchObject({ type: 'null' });
    expect(term('true')).toMatchObject({ type: 'boolean', value: true });
    expect(term('-1.5e3')).toMatchObject({ type: 'number', raw: '-1.5e3' });
    expect(term('.5')).toMatchObject({ type: 'number', raw: '.5' });
    expect(term('-.5')).toMatchObject({ type: 'number', raw: '-.5' });
    expect(term('123456789012345678901234567890')).toMatchObject({ raw: '123456789012345678901234567890' });
    expect(term('"a\\tb"')).toMatchObject({ type: 'string', value: 'a\tb' });
    expect(term('`a\\tb`')).toMatchObject({ type: 'string', value: 'a\\tb' });
  });

  it('refs with dots and brackets; input and data alone are refs too', () => {
    const r = term('input.a[b].c');
    expect(r).toMatchObject({ type: 'ref', head: { name: 'input' } });
    if (r.type !== 'ref') throw new Error('expected ref');
    expect(r.path.map((p) => p.type)).toEqual(['string', 'var', 'string']);
    expect(term('data.x["y"]')).toMatchObject({ type: 'ref', path: [{ value: 'x' }, { value: 'y' }] });
    expect(term('input')).toMatchObject({ type: 'ref', head: { name: 'input' }, path: [] });
    expect(term('x')).toMatchObject({ type: 'var', name: 'x' });
  });

  it('refs on composites and calls', () => {
    expect(term('[1, 2][0]')).toMatchObject({ type: 'ref', head: { type: 'array' } });
    expect(term('f(x).y[0]')).toMatchObject({ type: 'ref', head: { type: 'call' } });
  });

  it('a blank breaks a ref or call: `a [1]` is not `a[1]`', () => {
    expect(parseTerm('a [1]').diagnostics[0]?.message).toBe('unexpected [ token');
    expect(parseTerm('f (x)').diagnostics[0]?.message).toBe('unexpected ( token');
  });

  it('calls, ref calls and the empty set', () => {
    expect(term('count(x)')).toMatchObject({ type: 'call', operator: { head: { name: 'count' }, path: [] } });
    expect(formatRef((term('a.b.c(1, 2)') as { operator: Parameters<typeof formatRef>[0] }).operator)).toBe(
      'a.b.c',
    );
    expect(term('set()')).toMatchObject({ type: 'set', items: [] });
    expect(term('f()')).toMatchObject({ type: 'call', args: [] });
  });

  it('composites', () => {
    expect(term('[1, "a", [true]]')).toMatchObject({ type: 'array', items: [{}, {}, { type: 'array' }] });
    expect(term('{"a": 1, "b": [2]}')).toMatchObject({
      type: 'object',
      entries: [{ key: { value: 'a' } }, {}],
    });
    expect(term('{1, 2}')).toMatchObject({ type: 'set', items: [{ raw: '1' }, { raw: '2' }] });
    expect(term('{}')).toMatchObject({ type: 'object', entries: [] });
    expect(term('[1, 2,]')).toMatchObject({ items: [{}, {}] });
    expect(term('{x + 1, y}')).toMatchObject({ type: 'set', items: [{ type: 'call' }, { type: 'var' }] });
  });

  it('comprehensions', () => {
    expect(term('[x | some x in xs]')).toMatchObject({ type: 'array-comprehension', term: { name: 'x' } });
    expect(term('{x | x := xs[_]; x > 1}')).toMatchObject({
      type: 'set-comprehension',
      body: { exprs: [{}, {}] },
    });
    expect(term('{k: v | some k, v in o}')).toMatchObject({
      type: 'object-comprehension',
      key: { name: 'k' },
    });
    const multi = term('[x |\n\tsome x in xs\n\tx > 1\n]');
    expect(multi).toMatchObject({ type: 'array-comprehension', body: { exprs: [{}, {}] } });
  });

  it('resolves `{a | b}` as a comprehension but falls back to `or` when that cannot work', () => {
    expect(term('{a | b}').type).toBe('set-comprehension');
    expect(sx(term('[a | b, c]'))).toBe('[(a | b), c]');
    expect(term('[a | b, c]')).toMatchObject({
      type: 'array',
      items: [{ type: 'call', infix: '|' }, { name: 'c' }],
    });
    expect(term('{"a": b | c, "d": 1}')).toMatchObject({
      type: 'object',
      entries: [{ value: { infix: '|' } }, {}],
    });
    expect(term('{a + 1 | b}')).toMatchObject({ type: 'set', items: [{ infix: '|' }] });
  });
});
