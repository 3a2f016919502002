/**
 * Recursive-descent parser for Rego v1, modelled on the behaviour of OPA 1.x's parser: the same
 * operator precedence, the same whitespace rules for refs and calls, the same resolution of the
 * `{ a | b }` comprehension/`or` ambiguity, and OPA's error messages where it has them.
 *
 * Tokens are scanned up front, so backtracking is a matter of resetting an index. Backtracking is
 * bounded: primary terms are memoised by token index (as OPA caches parsed terms), which keeps
 * the speculative readings of comprehensions and `k, v in xs` from going exponential.
 */

import type { Location } from '../ast/location.js';
import type {
  Body,
  CallTerm,
  ElseBranch,
  Expr,
  Import,
  Module,
  NumberTerm,
  ObjectEntry,
  Package,
  RefTerm,
  Rule,
  RuleHead,
  StringTerm,
  Term,
  ValueOperator,
  VarTerm,
  WithModifier,
} from '../ast/nodes.js';
import type { InfixOperator } from '../ast/operators.js';
import { INFIX_BUILTINS, MEMBER_WITH_KEY_BUILTIN } from '../ast/operators.js';
import type { DiagnosticCollector } from '../diagnostics/collector.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { DiagnosticCodes } from '../diagnostics/diagnostic.js';
import type { Comment } from '../scanner/scanner.js';
import type { Token, TokenKind } from '../scanner/token.js';
import { describeToken, isKeyword } from '../scanner/token.js';
import { ParseFailure } from './parse-failure.js';
import { BINARY_LEVELS, binaryLevel } from './precedence.js';

/** Deep enough for any real policy; shallow enough that the JavaScript stack never overflows. */
const MAX_NESTING = 200;

const ROOT_DOCUMENTS: ReadonlySet<string> = new Set(['input', 'data']);
const IMPORT_ROOTS = ['data', 'future', 'input', 'rego'] as const;
const FUTURE_KEYWORDS = ['contains', 'every', 'if', 'in'] as const;
const STATEMENT_STARTS: ReadonlySet<TokenKind> = new Set(['ident', 'default', 'import', 'package']);

type Attempt<T> = { ok: true; value: T } | { ok: false; failure: ParseFailure };
type Memo = { term: Term; next: number } | ParseFailure;

export interface ParserInput {
  readonly source: string;
  readonly file: string;
  readonly tokens: readonly Token[];
  readonly comments: readonly Comment[];
  readonly diagnostics: DiagnosticCollector;
}

export class Parser {
  readonly #source: string;
  readonly #file: string;
  readonly #tokens: readonly Token[];
  readonly #comments: readonly Comment[];
  readonly #diagnostics: DiagnosticCollector;
  readonly #memo = new Map<number, Memo>();
  #pos = 0;
  #depth = 0;

  constructor(input: ParserInput) {
    this.#source = input.source;
    this.#file = input.file;
    this.#tokens = input.tokens;
    this.#comments = input.comments;
    this.#diagnostics = input.diagnostics;
  }

  // -------------------------------------------------------------------------------------------
  // Entry points

  /** A whole module. Returns undefined when there is no package clause to anchor it. */
  parseModule(): Module | undefined {
    const first = this.#tok;
    if (first.kind === 'eof') {
      this.#report('empty module', first);
      return undefined;
    }
    let pkg: Package | undefined;
    if (first.kind === 'package' && !this.#keywordAsIdent(this.#pos)) {
      pkg = this.#statement(() => this.#parsePackage());
    } else {
      this.#report('package expected', first);
    }
    const imports: Import[] = [];
    const rules: Rule[] = [];
    while (this.#kind() !== 'eof' && !this.#diagnostics.limitReached) {
      const t = this.#tok;
      if (t.kind === 'package' && !this.#keywordAsIdent(this.#pos)) {
        this.#statement(() => this.#parsePackage());
        this.#report('unexpected package', t);
      } else if (t.kind === 'import' && !this.#keywordAsIdent(this.#pos)) {
        const imp = this.#statement(() => this.#parseImport());
        if (imp !== undefined) imports.push(imp);
      } else {
        const parsed = this.#statement(() => this.#parseRules());
        if (parsed !== undefined) rules.push(...parsed);
      }
    }
    if (pkg === undefined) return undefined;
    return {
      type: 'module',
      package: pkg,
      imports,
      rules,
      comments: this.#comments.map((c) => ({
        type: 'comment',
        text: c.text,
        loc: { file: this.#file, row: c.row, col: c.col, offset: c.offset, end: c.end },
      })),
      loc: this.#locAt(first, this.#lastEnd),
    };
  }

  /** A query: expressions separated by `;` or line breaks, up to the end of input. */
  parseQuery(): Body | undefined {
    return this.#guard(() => this.#parseBody('eof'));
  }

  /** A single term (infix calls included), with nothing after it. */
  parseTerm(): Term | undefined {
    return this.#guard(() => {
      const term = this.#parseInfix(true);
      if (this.#kind() !== 'eof') this.#illegal();
      return term;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Statements

  #parsePackage(): Package {
    const start = this.#tok;
    this.#advance();
    const path = this.#parsePathTerm();
    const data: VarTerm = { type: 'var', name: 'data', loc: path.loc };
    let segments: Term[];
    if (path.type === 'var') {
      segments = [this.#str(path.name, path.loc)];
    } else if (path.type === 'ref' && path.head.type === 'var') {
      segments = [this.#str(path.head.name, path.head.loc), ...path.path];
      for (const segment of path.path) {
        if (segment.type !== 'string')
          this.#failAtNode(`unexpected ${segment.type} token: expecting string`, segment);
      }
    } else {
      this.#failAtNode(`unexpected ${path.type} token: expecting var`, path);
    }
    return {
      type: 'package',
      path: { type: 'ref', head: data, path: segments, loc: path.loc },
      loc: this.#loc(start),
    };
  }

  #parseImport(): Import {
    const start = this.#tok;
    this.#advance();
    const term = this.#parsePathTerm();
    let path: RefTerm;
    if (term.type === 'var') {
      path = { type: 'ref', head: term, path: [], loc: term.loc };
    } else if (term.type === 'ref' && term.head.type === 'var') {
      path = term;
      for (const segment of term.path) {
        if (segment.type !== 'string')
          this.#failAtNode(`unexpected ${segment.type} token: expecting string`, segment);
      }
    } else {
      this.#failAtNode('expected path', term);
    }
    const root = (path.head as VarTerm).name;
    const names = path.path.map((s) => (s as StringTerm).value);
    if (!(IMPORT_ROOTS as readonly string[]).includes(root)) {
      this.#failAtNode(
        `unexpected import path, must begin with one of: {${IMPORT_ROOTS.join(', ')}}, got: ${root}`,
        path,
      );
    }
    let alias: string | undefined;
    if (this.#kind() === 'as') {
      this.#advance();
      if (this.#kind() !== 'ident') this.#illegal('expected var');
      alias = this.#tok.text;
      this.#advance();
    }
    const text = [root, ...names].join('.');
    if (root === 'future') {
      if (names[0] !== 'keywords' || names.length > 2) {
        this.#failAtNode('invalid import, must be `future.keywords` or `future.keywords.<keyword>`', path);
      }
      const keyword = names[1];
      if (keyword !== undefined && !(FUTURE_KEYWORDS as readonly string[]).includes(keyword)) {
        this.#failAtNode(`unexpected keyword, must be one of [${FUTURE_KEYWORDS.join(' ')}]`, path);
      }
      if (alias !== undefined) this.#failAtNode('`future` imports cannot be aliased', path);
    } else if (root === 'rego') {
      if (text !== 'rego.v1') this.#failAtNode(`invalid import \`${text}\`, must be \`rego.v1\``, path);
      if (alias !== undefined) this.#failAtNode('`rego` imports cannot be aliased', path);
    } else if (alias === undefined) {
      const last = names.length > 0 ? names[names.length - 1] : root;
      if (last !== undefined && isKeyword(last)) {
        this.#failAtNode(`unexpected import path, must not end with a keyword, got: ${last}`, path);
      }
    }
    const loc = this.#loc(start);
    return alias === undefined ? { type: 'import', path, loc } : { type: 'import', path, alias, loc };
  }

  /** Package and import paths: like a term, but keywords are fine as the first name too. */
  #parsePathTerm(): Term {
    const t = this.#tok;
    if (t.kind !== 'ident' && !isKeyword(t.kind)) this.#illegal();
    this.#advance();
    return this.#finishTerm({ type: 'var', name: t.text, loc: this.#locAt(t, t.end) });
  }

  /**
   * One rule statement. A rule followed by further `{ … }` bodies (`p if { a } { b }`) defines one
   * rule per body, all sharing the head, as in OPA.
   */
  #parseRules(): Rule[] {
    const start = this.#tok;
    let isDefault = false;
    if (start.kind === 'default' && !this.#keywordAsIdent(this.#pos)) {
      this.#advance();
      isDefault = true;
    }
    const nameToken = this.#tok;
    if (nameToken.kind !== 'ident' && !this.#keywordAsIdent(this.#pos))
      this.#illegal(isDefault ? 'expected ident' : '');
    const { ref, args } = this.#parseHeadRef();
    const name = formatHeadName(ref);

    let key: Term | undefined;
    let value: Term | undefined;
    let operator: ValueOperator | undefined;
    const t = this.#tok;
    if (t.kind === 'contains') {
      if (args !== undefined) {
        this.#illegal(
          `the contains keyword can only be used with multi-value rule definitions (e.g., ${name} contains <VALUE> { ... })`,
        );
      }
      this.#advance();
      key = this.#parseInfix(true);
    } else if (t.kind === ':=' || t.kind === '=') {
      operator = t.kind;
      this.#advance();
      value = this.#parseInfix(true);
    }
    const headEnd = this.#lastEnd;
    const head = (): RuleHead => {
      const loc = this.#locAt(nameToken, headEnd);
      if (key !== undefined) return { type: 'head', kind: 'multi-value', ref, key, loc };
      const valued = value !== undefined && operator !== undefined ? { value, operator } : {};
      if (args !== undefined) return { type: 'head', kind: 'function', ref, args, ...valued, loc };
      return { type: 'head', kind: 'single-value', ref, ...valued, loc };
    };

    // OPA reads `p[x]` without a value or `if` as the pre-v1 partial set form.
    const oldPartialSet =
      key === undefined && args === undefined && value === undefined && ref.path.length === 1;

    if (isDefault) {
      if (key !== undefined || (value === undefined && oldPartialSet)) {
        this.#report('illegal default rule (must have a value)', start);
      }
      if (value !== undefined) {
        const bad = firstNonConstant(value);
        if (bad !== undefined) this.#report(`illegal default rule (value cannot contain ${bad})`, start);
      }
      if (args !== undefined) this.#checkDefaultArgs(args, start);
      return [{ type: 'rule', default: true, head: head(), loc: this.#loc(start) }];
    }

    let body: Body | undefined;
    if (this.#kind() === 'if') {
      this.#advance();
      body = this.#parseIfBody();
    } else if (this.#kind() === '{') {
      body = this.#parseBraceBody();
      this.#report(
        `\`if\` keyword is required before ${args === undefined ? 'rule' : 'function'} body`,
        start,
      );
      if (oldPartialSet) this.#report('`contains` keyword is required for partial set rules', start);
    } else if (key === undefined && value === undefined) {
      if (oldPartialSet) {
        this.#report('`contains` keyword is required for partial set rules', start);
      } else {
        this.#report(
          `${args === undefined ? 'rule' : 'function'} must have value assignment and/or body declaration`,
          start,
        );
      }
    }

    let elseBranch: ElseBranch | undefined;
    if (this.#kind() === 'else' && !this.#keywordAsIdent(this.#pos)) {
      if (ref.path.some((p) => !isGround(p)))
        this.#fail('else keyword cannot be used on rules with variables in head');
      if (key !== undefined) this.#fail('else keyword cannot be used on multi-value rules');
      if (body === undefined) this.#illegal();
      elseBranch = this.#parseElse();
    }

    const first: Rule = {
      type: 'rule',
      default: false,
      head: head(),
      ...(body === undefined ? {} : { body }),
      ...(elseBranch === undefined ? {} : { else: elseBranch }),
      loc: this.#loc(start),
    };
    const rules = [first];
    while (body !== undefined && this.#kind() === '{') {
      if (elseBranch !== undefined) this.#fail('expected else keyword');
      const braceStart = this.#tok;
      const next = this.#parseBraceBody();
      rules.push({ type: 'rule', default: false, head: head(), body: next, loc: this.#loc(braceStart) });
    }
    return rules;
  }

  /** The rule's name ref and, for functions, its argument list. */
  #parseHeadRef(): { ref: RefTerm; args?: Term[] } {
    const nameToken = this.#tok;
    this.#advance();
    const head: VarTerm = { type: 'var', name: nameToken.text, loc: this.#locAt(nameToken, nameToken.end) };
    const path: Term[] = [];
    let args: Term[] | undefined;
    let first = true;
    for (;;) {
      const t = this.#tok;
      // OPA tolerates blanks (not line breaks) between the name and its first `[`, `.` or `(`.
      if (t.newlineBefore || (t.spaceBefore && !first)) break;
      first = false;
      if (t.kind === '.') {
        path.push(this.#parseDotName());
      } else if (t.kind === '[') {
        path.push(this.#parseBracket());
      } else if (t.kind === '(') {
        this.#advance();
        args = this.#parseTermList(')');
        break;
      } else {
        break;
      }
    }
    const ref: RefTerm = { type: 'ref', head, path, loc: this.#loc(nameToken) };
    return args === undefined ? { ref } : { ref, args };
  }

  #checkDefaultArgs(args: readonly Term[], start: Token): void {
    const seen = new Set<string>();
    for (const arg of args) {
      if (arg.type !== 'var') {
        this.#report(`illegal default rule (arguments cannot contain ${arg.type})`, start);
      } else if (arg.name !== '_') {
        if (seen.has(arg.name))
          this.#report(`illegal default rule (arguments cannot be repeated ${arg.name})`, start);
        seen.add(arg.name);
      }
    }
  }

  /**
   * After `if`: either one literal (`p if x > 1`) or a braced body. A leading `{` is ambiguous, so
   * like OPA we first read a literal and keep it unless it is a plain set (`{ x }` is a body, not
   * the always-true set containing x).
   */
  #parseIfBody(): Body {
    if (this.#kind() === '{') {
      const save = this.#pos;
      const literal = this.#attempt(() => this.#parseLiteral());
      if (literal.ok) {
        const expr = literal.value;
        if (!(expr.type === 'term-expr' && expr.term.type === 'set')) {
          return { type: 'body', exprs: [expr], loc: expr.loc };
        }
      }
      this.#pos = save;
      return this.#parseBraceBody();
    }
    const expr = this.#parseLiteral();
    return { type: 'body', exprs: [expr], loc: expr.loc };
  }

  #parseBraceBody(): Body {
    const open = this.#tok;
    this.#advance();
    const body = this.#parseBody('}');
    this.#advance();
    return { ...body, loc: this.#loc(open) };
  }

  #parseElse(): ElseBranch {
    const start = this.#tok;
    this.#advance();
    let value: Term | undefined;
    let operator: ValueOperator | undefined;
    const t = this.#tok;
    if (t.kind === ':=' || t.kind === '=') {
      operator = t.kind;
      this.#advance();
      value = this.#parseInfix(true);
    } else if (t.kind !== '{' && t.kind !== 'if') {
      this.#illegal('expected else value term or rule body');
    }
    let body: Body | undefined;
    if (this.#kind() === 'if') {
      this.#advance();
      if (this.#kind() === '{') {
        body = this.#parseBraceBody();
      } else if (this.#kind() === 'eof') {
        this.#illegal('rule body expected');
      } else {
        const expr = this.#parseLiteral();
        body = { type: 'body', exprs: [expr], loc: expr.loc };
      }
    } else if (this.#kind() === '{') {
      body = this.#parseBraceBody();
    }
    const next = this.#kind() === 'else' && !this.#keywordAsIdent(this.#pos) ? this.#parseElse() : undefined;
    return {
      type: 'else',
      ...(value === undefined || operator === undefined ? {} : { value, operator }),
      ...(body === undefined ? {} : { body }),
      ...(next === undefined ? {} : { else: next }),
      loc: this.#loc(start),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Bodies and literals

  /** Literals up to (not including) `end`, separated by `;` or line breaks. */
  #parseBody(end: '}' | ']' | 'eof'): Body {
    return this.#nested(() => {
      const start = this.#tok;
      if (start.kind === end) this.#fail('found empty body');
      const exprs: Expr[] = [];
      for (;;) {
        exprs.push(this.#parseLiteral());
        if (this.#kind() === ';') {
          this.#advance();
          continue;
        }
        if (this.#kind() === end) break;
        if (!this.#tok.newlineBefore) this.#illegal(`expected \\n or ; or ${end === 'eof' ? 'eof' : end}`);
      }
      return { type: 'body', exprs, loc: this.#loc(start) };
    });
  }

  #parseLiteral(): Expr {
    const start = this.#tok;
    if (this.#keywordAsIdent(this.#pos)) return this.#parseLiteralExpr(false, start);
    let negated = false;
    if (start.kind === 'not') {
      this.#advance();
      negated = true;
    }
    const t = this.#tok;
    if (t.kind === 'some' && !this.#keywordAsIdent(this.#pos)) {
      if (negated) this.#illegal("illegal negation of 'some'");
      return this.#parseSome(start);
    }
    if (t.kind === 'every' && !this.#keywordAsIdent(this.#pos)) {
      if (negated) this.#illegal("illegal negation of 'every'");
      return this.#parseEvery(start);
    }
    return this.#parseLiteralExpr(negated, start);
  }

  #parseLiteralExpr(negated: boolean, start: Token): Expr {
    const lhs = this.#parseInfix(true);
    const t = this.#tok;
    if (t.kind === ':=' || t.kind === '=') {
      this.#advance();
      const rhs = this.#parseInfix(true);
      const modifiers = this.#parseWith();
      const type = t.kind === ':=' ? 'assign-expr' : 'unify-expr';
      return { type, negated, lhs, rhs, with: modifiers, loc: this.#loc(start) };
    }
    const modifiers = this.#parseWith();
    return { type: 'term-expr', negated, term: lhs, with: modifiers, loc: this.#loc(start) };
  }

  #parseWith(): WithModifier[] {
    const modifiers: WithModifier[] = [];
    while (this.#kind() === 'with') {
      const start = this.#tok;
      this.#advance();
      if (this.#kind() !== 'ident' && !this.#keywordAsIdent(this.#pos)) this.#illegal('expected ident');
      const targetAt = this.#pos;
      const target = this.#parsePrimary();
      if (target.type !== 'var' && target.type !== 'ref') {
        this.#failAt('unexpected term: expected with target path', targetAt);
      }
      if (this.#kind() !== 'as') this.#illegal('expected as keyword');
      this.#advance();
      const value = this.#parseInfix(true);
      modifiers.push({ type: 'with', target, value, loc: this.#loc(start) });
    }
    return modifiers;
  }

  /** `some x, y` or `some x in xs` / `some k, v in xs`. */
  #parseSome(start: Token): Expr {
    this.#advance();
    const save = this.#pos;
    const membership = this.#attempt(() => this.#parseInfix(true));
    if (membership.ok) {
      const term = membership.value;
      if (term.type === 'call' && term.infix === 'in') {
        const modifiers = this.#parseWith();
        const [a, b, c] = term.args;
        const loc = this.#loc(start);
        if (c !== undefined && a !== undefined && b !== undefined) {
          return { type: 'some-in', negated: false, key: a, value: b, domain: c, with: modifiers, loc };
        }
        if (a !== undefined && b !== undefined) {
          return { type: 'some-in', negated: false, value: a, domain: b, with: modifiers, loc };
        }
      }
      if (term.type === 'call') this.#illegal('expected `x in xs` or `x, y in xs` expression');
    }
    this.#pos = save;
    const vars: VarTerm[] = [];
    for (;;) {
      const t = this.#tok;
      if (t.kind !== 'ident') this.#illegal('expected var');
      vars.push({ type: 'var', name: t.text, loc: this.#locAt(t, t.end) });
      this.#advance();
      if (this.#kind() !== ',') break;
      this.#advance();
    }
    return { type: 'some-decl', negated: false, vars, with: [], loc: this.#loc(start) };
  }

  /** `every x in xs { … }` or `every k, v in xs { … }`. */
  #parseEvery(start: Token): Expr {
    this.#advance();
    const term = this.#parseInfix(true);
    if (term.type !== 'call' || term.infix !== 'in')
      this.#illegal('expected `x[, y] in xs { ... }` expression');
    const [a, b, c] = (term as CallTerm).args;
    let key: Term | undefined;
    let value: Term | undefined;
    let domain: Term | undefined;
    if (c !== undefined) {
      key = a;
      value = b;
      domain = c;
      if (key?.type !== 'var') this.#illegal('expected key to be a variable');
    } else {
      value = a;
      domain = b;
    }
    if (value?.type !== 'var') this.#illegal('expected value to be a variable');
    if (this.#kind() !== '{') this.#illegal('missing body');
    const body = this.#parseBraceBody();
    const modifiers = this.#parseWith();
    const loc = this.#loc(start);
    const v = value as VarTerm;
    const d = domain as Term;
    return key === undefined
      ? { type: 'every', negated: false, value: v, domain: d, body, with: modifiers, loc }
      : {
          type: 'every',
          negated: false,
          key: key as VarTerm,
          value: v,
          domain: d,
          body,
          with: modifiers,
          loc,
        };
  }

  // -------------------------------------------------------------------------------------------
  // Terms with infix operators

  /**
   * The loosest term level: `x in xs`, and where `keyValue` is set also `k, v in xs`. In argument
   * lists and collections a comma separates items, so the two-variable form is off there.
   */
  #parseInfix(keyValue: boolean): Term {
    this.#enter();
    try {
      const start = this.#tok;
      let lhs = this.#parseBinary(0);
      if (keyValue && this.#kind() === ',') {
        const save = this.#pos;
        const triple = this.#attempt(() => {
          this.#advance();
          const mid = this.#parseBinary(0);
          if (this.#kind() !== 'in') return undefined;
          const op = this.#tok;
          this.#advance();
          const rhs = this.#parseBinary(0);
          return this.#infixCall('in', op, [lhs, mid, rhs], start);
        });
        if (triple.ok && triple.value !== undefined) {
          lhs = triple.value;
        } else {
          this.#pos = save;
        }
      }
      while (this.#kind() === 'in') {
        const op = this.#tok;
        this.#advance();
        const rhs = this.#parseBinary(0);
        lhs = this.#infixCall('in', op, [lhs, rhs], start);
      }
      return lhs;
    } finally {
      this.#depth--;
    }
  }

  #parseBinary(level: number): Term {
    if (level >= BINARY_LEVELS.length) return this.#parsePrimary();
    const start = this.#tok;
    let lhs = this.#parseBinary(level + 1);
    for (;;) {
      const op = this.#tok;
      if (binaryLevel(op.kind) !== level) return lhs;
      this.#advance();
      const rhs = this.#parseBinary(level + 1);
      lhs = this.#infixCall(op.kind as InfixOperator, op, [lhs, rhs], start);
    }
  }

  #infixCall(op: InfixOperator, opToken: Token, args: Term[], start: Token): CallTerm {
    const builtin = args.length === 3 ? MEMBER_WITH_KEY_BUILTIN : INFIX_BUILTINS[op];
    return {
      type: 'call',
      operator: this.#builtinRef(builtin, this.#locAt(opToken, opToken.end)),
      args,
      infix: op,
      loc: this.#loc(start),
    };
  }

  #builtinRef(name: string, loc: Location): RefTerm {
    const [head = name, ...rest] = name.split('.');
    return {
      type: 'ref',
      head: { type: 'var', name: head, loc },
      path: rest.map((part) => this.#str(part, loc)),
      loc,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Primary terms

  /** A term without infix operators (OPA's `parseTerm`): scalars, vars, refs, calls, composites. */
  #parsePrimary(): Term {
    const start = this.#pos;
    const cached = this.#memo.get(start);
    if (cached !== undefined) {
      if (cached instanceof ParseFailure) throw cached;
      this.#pos = cached.next;
      return cached.term;
    }
    this.#enter();
    try {
      const term = this.#parsePrimaryUncached();
      this.#memo.set(start, { term, next: this.#pos });
      return term;
    } catch (error) {
      if (error instanceof ParseFailure) this.#memo.set(start, error);
      throw error;
    } finally {
      this.#depth--;
    }
  }

  #parsePrimaryUncached(): Term {
    const t = this.#tok;
    if (this.#keywordAsIdent(this.#pos)) {
      this.#advance();
      return this.#finishTerm({ type: 'var', name: t.text, loc: this.#locAt(t, t.end) });
    }
    switch (t.kind) {
      case 'null':
        this.#advance();
        return this.#finishTerm({ type: 'null', loc: this.#locAt(t, t.end) });
      case 'true':
      case 'false':
        this.#advance();
        return this.#finishTerm({ type: 'boolean', value: t.kind === 'true', loc: this.#locAt(t, t.end) });
      case '-':
      case '.':
      case 'number':
        return this.#finishTerm(this.#parseNumber());
      case 'string':
      case 'raw-string':
        if (t.error !== undefined) this.#fail(t.error);
        this.#advance();
        return this.#finishTerm(this.#str(t.value ?? '', this.#locAt(t, t.end)));
      case 'ident':
      case 'contains':
        // `contains` is only a keyword in rule heads; elsewhere it names the string built-in.
        this.#advance();
        return this.#finishTerm({ type: 'var', name: t.text, loc: this.#locAt(t, t.end) });
      case '[':
        return this.#finishTerm(this.#parseArray());
      case '{':
        return this.#finishTerm(this.#parseSetOrObject());
      case '(': {
        this.#advance();
        const inner = this.#parseInfix(true);
        if (this.#kind() !== ')') this.#fail('non-terminated expression');
        this.#advance();
        return this.#finishTerm(inner);
      }
      default:
        return this.#illegal();
    }
  }

  /**
   * Continues a term with `.name`, `[term]` or `(args)` when one follows with no blank in
   * between; `a [1]` is two terms, as in OPA. The roots `input` and `data` always become refs.
   */
  #finishTerm(head: Term): Term {
    const t = this.#tok;
    if (!t.spaceBefore && (t.kind === '.' || t.kind === '[' || t.kind === '('))
      return this.#parseRefTail(head);
    if (head.type === 'var' && ROOT_DOCUMENTS.has(head.name)) {
      return { type: 'ref', head, path: [], loc: head.loc };
    }
    return head;
  }

  #parseRefTail(head: Term): Term {
    switch (head.type) {
      case 'var':
      case 'array':
      case 'object':
      case 'set':
      case 'array-comprehension':
      case 'set-comprehension':
      case 'object-comprehension':
      case 'call':
        break;
      default:
        this.#failAtNode(`illegal ref (head cannot be ${head.type})`, head);
    }
    const start = head.loc;
    const path: Term[] = [];
    for (;;) {
      const t = this.#tok;
      if (t.spaceBefore) break;
      if (t.kind === '.') {
        path.push(this.#parseDotName());
      } else if (t.kind === '[') {
        path.push(this.#parseBracket());
      } else if (t.kind === '(') {
        const operator: RefTerm = { type: 'ref', head, path, loc: this.#spanFrom(start) };
        this.#advance();
        const args = this.#parseTermList(')');
        const loc = this.#spanFrom(start);
        // `set()` is how the empty set is written; it is a literal, not a call.
        const call: Term =
          head.type === 'var' && head.name === 'set' && path.length === 0 && args.length === 0
            ? { type: 'set', items: [], loc }
            : { type: 'call', operator, args, loc };
        const after = this.#tok;
        if (!after.spaceBefore && (after.kind === '.' || after.kind === '[')) return this.#parseRefTail(call);
        return call;
      } else {
        break;
      }
    }
    return { type: 'ref', head: head as RefTerm['head'], path, loc: this.#spanFrom(start) };
  }

  /** `.name` inside a ref. Keywords are fine here (`input.in`), as in OPA 1.x. */
  #parseDotName(): StringTerm {
    this.#advance();
    const name = this.#tok;
    if (name.spaceBefore || (name.kind !== 'ident' && !isKeyword(name.kind))) this.#illegal('expected ident');
    this.#advance();
    return this.#str(name.text, this.#locAt(name, name.end));
  }

  #parseBracket(): Term {
    this.#advance();
    const term = this.#parseInfix(true);
    if (this.#kind() !== ']') this.#illegal('expected ]');
    this.#advance();
    return term;
  }

  /** Comma-separated terms up to `end` (consumed); a trailing comma is allowed. */
  #parseTermList(end: ')' | ']' | '}', initial: Term[] = []): Term[] {
    const items = initial;
    if (this.#kind() === end) {
      this.#advance();
      return items;
    }
    for (;;) {
      items.push(this.#parseInfix(false));
      const t = this.#tok;
      if (t.kind === end) {
        this.#advance();
        return items;
      }
      if (t.kind !== ',') this.#illegal(`expected "," or "${end}"`);
      this.#advance();
      if (this.#kind() === end) {
        this.#advance();
        return items;
      }
    }
  }

  #parseNumber(): NumberTerm {
    const start = this.#tok;
    let prefix = '';
    if (start.kind === '-') {
      prefix = '-';
      this.#advance();
      if (this.#kind() !== 'number' && this.#kind() !== '.') this.#illegal('expected number');
    }
    if (this.#kind() === '.') {
      prefix += '.';
      this.#advance();
      if (this.#kind() !== 'number') this.#illegal('expected number');
    }
    const t = this.#tok;
    if (t.error !== undefined) this.#fail(t.error);
    const lit = t.text;
    if (!prefix.endsWith('.') && lit.length > 1 && lit[0] === '0') {
      const decimal = lit[1] === '.';
      const scientific = lit.length > 2 && (lit[1] === 'e' || lit[1] === 'E');
      if (!decimal && !scientific) this.#illegal('expected number without leading zero');
    }
    const raw = prefix + lit;
    if (numberTooBig(raw)) this.#fail('number too big');
    this.#advance();
    return { type: 'number', raw, loc: this.#loc(start) };
  }

  /**
   * `[ ]`, `[a, b]` or `[x | body]`. The head is read as a primary term first so that `[a | b]`
   * is a comprehension rather than an array holding `a | b`; if the body does not parse and stops
   * at a comma, it was an array after all (`[a | b, c]`), as OPA decides.
   */
  #parseArray(): Term {
    const open = this.#tok;
    this.#advance();
    if (this.#kind() === ']') {
      this.#advance();
      return { type: 'array', items: [], loc: this.#loc(open) };
    }
    let mayBeComprehension = true;
    if (this.#kind() === ',') {
      // OPA tolerates a leading comma for backwards compatibility.
      mayBeComprehension = false;
      this.#advance();
    }
    const save = this.#pos;
    const head = this.#parsePrimary();
    const t = this.#tok;
    if (t.kind === ']') {
      this.#advance();
      return { type: 'array', items: [head], loc: this.#loc(open) };
    }
    if (t.kind === ',') {
      this.#advance();
      return { type: 'array', items: this.#parseTermList(']', [head]), loc: this.#loc(open) };
    }
    if (t.kind === '|' && mayBeComprehension) {
      const body = this.#attemptComprehensionBody(']', true);
      if (body !== undefined) {
        return { type: 'array-comprehension', term: head, body, loc: this.#loc(open) };
      }
    }
    this.#pos = save;
    return { type: 'array', items: this.#parseTermList(']'), loc: this.#loc(open) };
  }

  /** `{}` (empty object), sets, objects and set/object comprehensions; see #parseArray. */
  #parseSetOrObject(): Term {
    const open = this.#tok;
    this.#advance();
    if (this.#kind() === '}') {
      this.#advance();
      return { type: 'object', entries: [], loc: this.#loc(open) };
    }
    let mayBeComprehension = true;
    if (this.#kind() === ',') {
      mayBeComprehension = false;
      this.#advance();
    }
    const save = this.#pos;
    const head = this.#parsePrimary();
    const t = this.#tok;
    if (t.kind === '|' && mayBeComprehension) {
      const body = this.#attemptComprehensionBody('}', true);
      if (body !== undefined) return { type: 'set-comprehension', term: head, body, loc: this.#loc(open) };
      this.#pos = save;
      return { type: 'set', items: this.#parseTermList('}'), loc: this.#loc(open) };
    }
    if (t.kind === '}' || t.kind === ',') return this.#finishSet(head, open);
    if (t.kind === ':') return this.#parseObject(head, mayBeComprehension, open);

    this.#pos = save;
    const key = this.#parseInfix(false);
    const after = this.#tok;
    if (after.kind === '}' || after.kind === ',') return this.#finishSet(key, open);
    if (after.kind === ':') return this.#parseObject(key, mayBeComprehension, open);
    return this.#illegal('non-terminated set');
  }

  #finishSet(head: Term, open: Token): Term {
    if (this.#kind() === '}') {
      this.#advance();
      return { type: 'set', items: [head], loc: this.#loc(open) };
    }
    this.#advance();
    return { type: 'set', items: this.#parseTermList('}', [head]), loc: this.#loc(open) };
  }

  #parseObject(key: Term, mayBeComprehension: boolean, open: Token): Term {
    this.#advance();
    const save = this.#pos;
    const value = this.#parsePrimary();
    const t = this.#tok;
    if (mayBeComprehension && t.kind === '|') {
      const body = this.#attemptComprehensionBody('}', false);
      if (body !== undefined) return { type: 'object-comprehension', key, value, body, loc: this.#loc(open) };
    } else if (t.kind === '}' || t.kind === ',') {
      return this.#finishObject(key, value, open);
    }
    this.#pos = save;
    const relation = this.#parseInfix(false);
    if (this.#kind() === '}' || this.#kind() === ',') return this.#finishObject(key, relation, open);
    return this.#illegal('non-terminated object');
  }

  #finishObject(key: Term, value: Term, open: Token): Term {
    const entries: ObjectEntry[] = [{ type: 'object-entry', key, value, loc: spanNodes(key.loc, value.loc) }];
    if (this.#kind() === '}') {
      this.#advance();
      return { type: 'object', entries, loc: this.#loc(open) };
    }
    this.#advance();
    for (;;) {
      if (this.#kind() === '}') break;
      const k = this.#parseInfix(false);
      if (this.#kind() !== ':') this.#illegal('expected ":"');
      this.#advance();
      const v = this.#parseInfix(false);
      entries.push({ type: 'object-entry', key: k, value: v, loc: spanNodes(k.loc, v.loc) });
      if (this.#kind() === '}') break;
      if (this.#kind() !== ',') this.#illegal('expected "," or "}"');
      this.#advance();
    }
    this.#advance();
    return { type: 'object', entries, loc: this.#loc(open) };
  }

  /**
   * Tries `| body end` from the `|`. Returns undefined when the caller should fall back to a
   * collection literal; rethrows when the body fails for a reason a collection cannot fix.
   */
  #attemptComprehensionBody(end: ']' | '}', onlyAtComma: boolean): Body | undefined {
    const result = this.#attempt(() => {
      this.#advance();
      const body = this.#parseBody(end);
      this.#advance();
      return body;
    });
    if (result.ok) return result.value;
    if (onlyAtComma && this.#tokens[result.failure.at]?.kind !== ',') throw result.failure;
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  get #tok(): Token {
    // The scanner always ends with `eof` and #advance never moves past it.
    return this.#tokens[this.#pos]!;
  }

  /** A method rather than a property so TypeScript does not narrow it across #advance(). */
  #kind(): TokenKind {
    return this.#tok.kind;
  }

  get #lastEnd(): number {
    return this.#pos > 0 ? this.#tokens[this.#pos - 1]!.end : 0;
  }

  #advance(): void {
    if (this.#pos < this.#tokens.length - 1) this.#pos++;
  }

  /**
   * OPA 1.x lets a keyword start a ref when `.` or `[` follows it directly (`if.x`, `not[0]`),
   * which is how rules and data named after keywords stay reachable.
   */
  #keywordAsIdent(index: number): boolean {
    const t = this.#tokens[index];
    if (t === undefined || !isKeyword(t.kind)) return false;
    const next = this.#tokens[index + 1];
    return next !== undefined && !next.spaceBefore && (next.kind === '.' || next.kind === '[');
  }

  #locAt(start: Token, end: number): Location {
    return {
      file: this.#file,
      row: start.row,
      col: start.col,
      offset: start.offset,
      end: Math.max(end, start.offset),
    };
  }

  #loc(start: Token): Location {
    return this.#locAt(start, this.#lastEnd);
  }

  #spanFrom(start: Location): Location {
    return { ...start, end: Math.max(this.#lastEnd, start.offset) };
  }

  #str(value: string, loc: Location): StringTerm {
    return { type: 'string', value, loc };
  }

  /** Pairs with `this.#depth--` in a `finally`; inlined in the hot paths to avoid closures. */
  #enter(): void {
    if (this.#depth >= MAX_NESTING) this.#fail('maximum nesting depth exceeded');
    this.#depth++;
  }

  #nested<T>(fn: () => T): T {
    this.#enter();
    try {
      return fn();
    } finally {
      this.#depth--;
    }
  }

  #attempt<T>(fn: () => T): Attempt<T> {
    const save = this.#pos;
    const depth = this.#depth;
    try {
      return { ok: true, value: fn() };
    } catch (error) {
      if (!(error instanceof ParseFailure)) throw error;
      this.#pos = save;
      this.#depth = depth;
      return { ok: false, failure: error };
    }
  }

  /** Runs a statement parser; on a syntax error, records it and skips to the next statement. */
  #statement<T>(fn: () => T): T | undefined {
    const start = this.#pos;
    // Backtracking never crosses a statement boundary, so the memo only needs this statement.
    this.#memo.clear();
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof ParseFailure)) throw error;
      this.#diagnostics.add(error.diagnostic);
      this.#recover(start, error.at);
      return undefined;
    }
  }

  /** Like #statement for the single-construct entry points: record and give up. */
  #guard<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof ParseFailure)) throw error;
      this.#diagnostics.add(error.diagnostic);
      return undefined;
    }
  }

  /**
   * Resumes at the first token after the failure that begins a line no further indented than the
   * failed statement and could begin a statement. Good enough to report independent errors in
   * separate rules without a cascade of follow-on errors.
   */
  #recover(statementStart: number, failedAt: number): void {
    const first = this.#tokens[statementStart]!;
    let i = Math.max(failedAt, statementStart + 1);
    for (;;) {
      const t = this.#tokens[i];
      if (t === undefined) {
        i = this.#tokens.length - 1;
        break;
      }
      if (t.kind === 'eof') break;
      if (t.newlineBefore && t.col <= first.col && STATEMENT_STARTS.has(t.kind)) break;
      i++;
    }
    this.#pos = i;
  }

  #diagnostic(message: string, token: Token): Diagnostic {
    const lineStart = this.#source.lastIndexOf('\n', token.offset - 1) + 1;
    let lineEnd = this.#source.indexOf('\n', token.offset);
    if (lineEnd < 0) lineEnd = this.#source.length;
    let line = this.#source.slice(lineStart, lineEnd);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const location =
      token.text.length > 0
        ? { file: this.#file, row: token.row, col: token.col, offset: token.offset, text: token.text }
        : { file: this.#file, row: token.row, col: token.col, offset: token.offset };
    return {
      code: DiagnosticCodes.parse,
      message,
      location,
      details: { line, idx: token.offset - lineStart },
    };
  }

  /** Records an error without stopping: the construct is understood, just not allowed. */
  #report(message: string, token: Token): void {
    this.#diagnostics.add(this.#diagnostic(message, token));
  }

  #fail(message: string): never {
    throw new ParseFailure(this.#diagnostic(message, this.#tok), this.#pos);
  }

  #failAt(message: string, index: number): never {
    const token = this.#tokens[index] ?? this.#tok;
    throw new ParseFailure(this.#diagnostic(message, token), index);
  }

  #failAtNode(message: string, node: { loc: Location }): never {
    let index = this.#pos;
    while (index > 0 && this.#tokens[index]!.offset > node.loc.offset) index--;
    this.#failAt(message, index);
  }

  /** OPA's "unexpected X token[: note]" (or the scanner's own complaint about the token). */
  #illegal(note = ''): never {
    const t = this.#tok;
    if (t.kind === 'illegal') this.#fail(t.error ?? 'illegal token');
    const what = `${describeToken(t.kind)} ${isKeyword(t.kind) ? 'keyword' : 'token'}`;
    this.#fail(note.length > 0 ? `unexpected ${what}: ${note}` : `unexpected ${what}`);
  }
}

function spanNodes(a: Location, b: Location): Location {
  return { ...a, end: Math.max(a.end, b.end) };
}

function formatHeadName(ref: RefTerm): string {
  let name = ref.head.type === 'var' ? ref.head.name : '';
  for (const p of ref.path) name += p.type === 'string' ? `.${p.value}` : '[…]';
  return name;
}

/** True when no var occurs in the term (OPA's IsGround); refs always contain one, their head. */
export function isGround(term: Term): boolean {
  switch (term.type) {
    case 'null':
    case 'boolean':
    case 'number':
    case 'string':
      return true;
    case 'array':
    case 'set':
      return term.items.every(isGround);
    case 'object':
      return term.entries.every((e) => isGround(e.key) && isGround(e.value));
    default:
      return false;
  }
}

/** The first thing a default rule's value may not contain: a var, ref or call (comprehensions are opaque). */
function firstNonConstant(term: Term): string | undefined {
  switch (term.type) {
    case 'var':
    case 'ref':
    case 'call':
      return term.type;
    case 'array':
    case 'set':
      for (const item of term.items) {
        const bad = firstNonConstant(item);
        if (bad !== undefined) return bad;
      }
      return undefined;
    case 'object':
      for (const entry of term.entries) {
        const bad = firstNonConstant(entry.key) ?? firstNonConstant(entry.value);
        if (bad !== undefined) return bad;
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * OPA rejects numbers whose binary exponent exceeds 1e5 (about 10^30103), because arbitrary
 * precision arithmetic on them gets slow. Estimated from the literal's digits and exponent.
 */
function numberTooBig(raw: string): boolean {
  if (raw.length < 1_000 && !raw.includes('e') && !raw.includes('E')) return false;
  const unsigned = raw.startsWith('-') ? raw.slice(1) : raw;
  const e = unsigned.search(/[eE]/);
  const mantissa = e < 0 ? unsigned : unsigned.slice(0, e);
  const exponent = e < 0 ? 0 : Number(unsigned.slice(e + 1));
  const [whole = '', fraction = ''] = mantissa.split('.');
  const wholeDigits = whole.replace(/^0+/, '').length;
  let magnitude: number;
  if (wholeDigits > 0) {
    magnitude = wholeDigits + exponent;
  } else {
    const leadingZeros = fraction.length - fraction.replace(/^0+/, '').length;
    if (leadingZeros === fraction.length) return false; // zero
    magnitude = exponent - leadingZeros;
  }
  return !Number.isFinite(magnitude) || Math.abs(magnitude) > 30_000;
}
