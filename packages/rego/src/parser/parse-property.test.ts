import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatModule } from '../ast/format.js';
import type { Body, CallTerm, Expr, Module, Rule, Term, VarTerm } from '../ast/nodes.js';
import type { InfixOperator } from '../ast/operators.js';
import { INFIX_BUILTINS } from '../ast/operators.js';
import { stripLocations } from '../ast/strip-locations.js';
import { formatDiagnostics } from '../diagnostics/format.js';
import { parseModule, parseQuery, parseTerm } from './parse.js';

const loc = { file: '', row: 1, col: 1, offset: 0, end: 0 };

// ---------------------------------------------------------------------------------------------
// Arbitrary input: the parser must answer with diagnostics, never throw, and stay fast.

const FRAGMENTS = [
  'package',
  'import',
  'as',
  'default',
  'else',
  'not',
  'some',
  'with',
  'if',
  'contains',
  'every',
  'in',
  'true',
  'null',
  'x',
  'input',
  'data.a',
  'f(',
  'set()',
  ':=',
  '=',
  '==',
  '<',
  '+',
  '-',
  '*',
  '|',
  '&',
  '.',
  ',',
  ';',
  ':',
  '[',
  ']',
  '{',
  '}',
  '(',
  ')',
  '"s"',
  '"\\u00e9',
  '`raw`',
  '1',
  '-2.5e3',
  '.5',
  '01',
  '#c',
  ' ',
  '\n',
  '\t',
  '~',
  'é',
];

const tokenSoup = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 80 }).map((parts) => parts.join(' '));
const gluedSoup = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 80 }).map((parts) => parts.join(''));

function neverThrows(source: string): void {
  const started = performance.now();
  const module = parseModule(source);
  const query = parseQuery(source);
  const term = parseTerm(source);
  for (const result of [module, query, term]) {
    for (const d of result.diagnostics) {
      expect(d.code).toBe('rego_parse_error');
      expect(d.location.row).toBeGreaterThanOrEqual(1);
      expect(d.location.col).toBeGreaterThanOrEqual(1);
    }
  }
  expect(module.module !== undefined || module.diagnostics.length > 0).toBe(true);
  expect(performance.now() - started).toBeLessThan(250);
}

describe('parsing arbitrary input', () => {
  it('never throws on random strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), neverThrows), { numRuns: 500 });
  });

  it('never throws on token soup, with or without blanks', () => {
    fc.assert(fc.property(tokenSoup, neverThrows), { numRuns: 1000 });
    fc.assert(fc.property(gluedSoup, neverThrows), { numRuns: 1000 });
    fc.assert(
      fc.property(tokenSoup, (s) => neverThrows(`package p\np if {\n${s}\n}`)),
      { numRuns: 1000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Generated programs: format → parse → format is a fixed point and the trees agree.

const names = fc.constantFrom('x', 'y', 'z', 'foo', 'bar_1', 'v2');
const varTerm = names.map((name): VarTerm => ({ type: 'var', name, loc }));
const str = (value: string): Term => ({ type: 'string', value, loc });

const number = fc
  .oneof(
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom('0.50', '1e10', '-2.5E-3', '.5', '123456789012345678901234567890'),
  )
  .map((n): Term => ({ type: 'number', raw: String(n), loc }));

const scalar = fc.oneof(
  fc.constant<Term>({ type: 'null', loc }),
  fc.boolean().map((value): Term => ({ type: 'boolean', value, loc })),
  number,
  fc.string({ unit: 'grapheme', maxLength: 8 }).map(str),
);

const INFIX = Object.keys(INFIX_BUILTINS) as InfixOperator[];

function builtinRef(name: string): CallTerm['operator'] {
  const [head = name, ...rest] = name.split('.');
  return { type: 'ref', head: { type: 'var', name: head, loc }, path: rest.map(str), loc };
}

const { term, body } = fc.letrec<{ term: Term; body: Body; expr: Expr }>((tie) => ({
  term: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    varTerm,
    fc
      .tuple(
        varTerm,
        fc.array(fc.oneof(fc.constantFrom('a', 'b-c').map(str), tie('term')), { minLength: 1, maxLength: 3 }),
      )
      .map(([head, path]): Term => ({ type: 'ref', head, path, loc })),
    fc.array(tie('term'), { maxLength: 3 }).map((items): Term => ({ type: 'array', items, loc })),
    fc.array(tie('term'), { maxLength: 3 }).map((items): Term => ({ type: 'set', items, loc })),
    fc.array(fc.tuple(tie('term'), tie('term')), { maxLength: 3 }).map(
      (pairs): Term => ({
        type: 'object',
        entries: pairs.map(([key, value]) => ({ type: 'object-entry', key, value, loc })),
        loc,
      }),
    ),
    fc
      .tuple(fc.constantFrom('count', 'a.b.c', 'f'), fc.array(tie('term'), { maxLength: 3 }))
      .map(([name, args]): Term => ({ type: 'call', operator: builtinRef(name), args, loc })),
    fc.tuple(fc.constantFrom(...INFIX), tie('term'), tie('term')).map(
      ([op, a, b]): Term => ({
        type: 'call',
        operator: builtinRef(INFIX_BUILTINS[op]),
        args: [a, b],
        infix: op,
        loc,
      }),
    ),
    fc.tuple(tie('term'), tie('term'), tie('term')).map(
      ([k, v, xs]): Term => ({
        type: 'call',
        operator: builtinRef('internal.member_3'),
        args: [k, v, xs],
        infix: 'in',
        loc,
      }),
    ),
    fc
      .tuple(tie('term'), tie('body'))
      .map(([t, b]): Term => ({ type: 'array-comprehension', term: t, body: b, loc })),
    fc
      .tuple(tie('term'), tie('body'))
      .map(([t, b]): Term => ({ type: 'set-comprehension', term: t, body: b, loc })),
    fc
      .tuple(tie('term'), tie('term'), tie('body'))
      .map(([k, v, b]): Term => ({ type: 'object-comprehension', key: k, value: v, body: b, loc })),
  ),
  expr: fc.oneof(
    fc
      .tuple(
        fc.boolean(),
        tie('term'),
        fc.array(fc.tuple(fc.constantFrom('input', 'data.x'), tie('term')), { maxLength: 2 }),
      )
      .map(
        ([negated, t, withs]): Expr => ({
          type: 'term-expr',
          negated,
          term: t,
          with: withs.map(([target, value]) => ({
            type: 'with',
            target:
              target === 'input'
                ? { type: 'ref', head: { type: 'var', name: 'input', loc }, path: [], loc }
                : { type: 'ref', head: { type: 'var', name: 'data', loc }, path: [str('x')], loc },
            value,
            loc,
          })),
          loc,
        }),
      ),
    fc.tuple(fc.boolean(), tie('term'), tie('term')).map(
      ([assign, lhs, rhs]): Expr => ({
        type: assign ? 'assign-expr' : 'unify-expr',
        negated: false,
        lhs,
        rhs,
        with: [],
        loc,
      }),
    ),
    fc
      .array(varTerm, { minLength: 1, maxLength: 3 })
      .map((vars): Expr => ({ type: 'some-decl', negated: false, vars, with: [], loc })),
    fc
      .tuple(fc.option(varTerm, { nil: undefined }), varTerm, tie('term'))
      .map(
        ([key, value, domain]): Expr =>
          key === undefined
            ? { type: 'some-in', negated: false, value, domain, with: [], loc }
            : { type: 'some-in', negated: false, key, value, domain, with: [], loc },
      ),
    fc.tuple(varTerm, tie('term'), tie('body')).map(
      ([value, domain, b]): Expr => ({
        type: 'every',
        negated: false,
        value,
        domain,
        body: b,
        with: [],
        loc,
      }),
    ),
  ),
  body: fc
    .array(tie('expr'), { minLength: 1, maxLength: 3 })
    .map((exprs): Body => ({ type: 'body', exprs, loc })),
}));

const rule = fc.oneof(
  fc.tuple(term, body).map(
    ([value, b]): Rule => ({
      type: 'rule',
      default: false,
      head: { type: 'head', kind: 'single-value', ref: builtinRef('p'), value, operator: ':=', loc },
      body: b,
      loc,
    }),
  ),
  fc.tuple(term, fc.option(body, { nil: undefined })).map(
    ([key, b]): Rule => ({
      type: 'rule',
      default: false,
      head: { type: 'head', kind: 'multi-value', ref: builtinRef('a.s'), key, loc },
      ...(b === undefined ? {} : { body: b }),
      loc,
    }),
  ),
  fc.tuple(fc.array(varTerm, { minLength: 1, maxLength: 2 }), term, body, term).map(
    ([args, value, b, fallback]): Rule => ({
      type: 'rule',
      default: false,
      head: { type: 'head', kind: 'function', ref: builtinRef('f'), args, value, operator: '=', loc },
      body: b,
      else: { type: 'else', value: fallback, operator: '=', loc },
      loc,
    }),
  ),
);

const moduleArb = fc.array(rule, { minLength: 1, maxLength: 4 }).map(
  (rules): Module => ({
    type: 'module',
    package: {
      type: 'package',
      path: { type: 'ref', head: { type: 'var', name: 'data', loc }, path: [str('gen')], loc },
      loc,
    },
    imports: [],
    rules,
    comments: [],
    loc,
  }),
);

describe('format and parse agree', () => {
  it('formatting a generated module gives text that parses back to the same text and tree', () => {
    fc.assert(
      fc.property(moduleArb, (generated) => {
        const text = formatModule(generated);
        const first = parseModule(text);
        if (first.module === undefined) {
          throw new Error(`does not parse:\n${text}\n${formatDiagnostics(first.diagnostics)}`);
        }
        const again = formatModule(first.module);
        expect(again).toBe(text);
        const second = parseModule(again);
        expect(stripLocations(second.module)).toEqual(stripLocations(first.module));
      }),
      { numRuns: 400 },
    );
  });

  it('terms round-trip through formatting', () => {
    fc.assert(
      fc.property(term, (t) => {
        const text = formatModule({
          type: 'module',
          package: {
            type: 'package',
            path: { type: 'ref', head: { type: 'var', name: 'data', loc }, path: [str('t')], loc },
            loc,
          },
          imports: [],
          rules: [
            {
              type: 'rule',
              default: false,
              head: {
                type: 'head',
                kind: 'single-value',
                ref: builtinRef('p'),
                value: t,
                operator: ':=',
                loc,
              },
              loc,
            },
          ],
          comments: [],
          loc,
        });
        const parsed = parseModule(text);
        if (parsed.module === undefined)
          throw new Error(`does not parse:\n${text}\n${formatDiagnostics(parsed.diagnostics)}`);
        expect(formatModule(parsed.module)).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });
});
