/**
 * The Rego v1 abstract syntax tree produced by the parser and consumed by the compiler.
 *
 * Every node is a plain, immutable-by-convention object with a `type` discriminant and a `loc`.
 * The shape follows OPA's `ast` package closely, so OPA's compiler stages translate directly:
 *
 *   Module   = package, imports, rules
 *   Rule     = head + optional body + optional `else` chain
 *   Body     = list of Expr (a conjunction)
 *   Expr     = term | `:=` | `=` | `some` | `some … in` | `every`, each possibly negated and
 *              carrying `with` modifiers
 *   Term     = scalars, vars, refs, composites, comprehensions, calls
 *
 * Conventions that later stages rely on:
 * - Infix operators are calls of the built-in they stand for (`a + b` is `plus(a, b)`, `x in xs`
 *   is `internal.member_2(x, xs)`); `infix` records the spelling so that formatting round-trips.
 * - A ref's dot access is a string term in its path: `input.a[b]` has head `input` and path
 *   `["a", b]`. The roots `input` and `data` are always refs, even when written alone.
 * - `_` stays a var named `_`; giving each wildcard a unique name is the compiler's job.
 * - Numbers keep their literal text (`raw`) so that exact decimal handling is possible later.
 * - Nothing is desugared beyond that: bodiless rules have no body, omitted rule values have no
 *   value (both mean `true`), and `else` branches keep their own value and body.
 */
import type { Location } from './location.js';
import type { InfixOperator } from './operators.js';

interface NodeBase {
  readonly loc: Location;
}

// ---------------------------------------------------------------------------------------------
// Terms

export interface NullTerm extends NodeBase {
  readonly type: 'null';
}

export interface BooleanTerm extends NodeBase {
  readonly type: 'boolean';
  readonly value: boolean;
}

export interface NumberTerm extends NodeBase {
  readonly type: 'number';
  /** The literal as written, including a leading `-` or `.` (`-1.5e3`, `.5`). */
  readonly raw: string;
}

export interface StringTerm extends NodeBase {
  readonly type: 'string';
  /** The decoded value (escapes resolved; raw strings verbatim). */
  readonly value: string;
}

export interface VarTerm extends NodeBase {
  readonly type: 'var';
  readonly name: string;
}

/**
 * A reference: a head followed by zero or more path elements. The head is a var (`input`, `x`,
 * `count`), a composite or comprehension (`[1, 2][0]`) or a call (`f(x).y`).
 */
export interface RefTerm extends NodeBase {
  readonly type: 'ref';
  readonly head: VarTerm | ArrayTerm | ObjectTerm | SetTerm | Comprehension | CallTerm;
  readonly path: readonly Term[];
}

export interface ArrayTerm extends NodeBase {
  readonly type: 'array';
  readonly items: readonly Term[];
}

export interface ObjectEntry extends NodeBase {
  readonly type: 'object-entry';
  readonly key: Term;
  readonly value: Term;
}

export interface ObjectTerm extends NodeBase {
  readonly type: 'object';
  readonly entries: readonly ObjectEntry[];
}

/** `{1, 2}`; the empty set is written `set()`. */
export interface SetTerm extends NodeBase {
  readonly type: 'set';
  readonly items: readonly Term[];
}

export interface ArrayComprehension extends NodeBase {
  readonly type: 'array-comprehension';
  readonly term: Term;
  readonly body: Body;
}

export interface SetComprehension extends NodeBase {
  readonly type: 'set-comprehension';
  readonly term: Term;
  readonly body: Body;
}

export interface ObjectComprehension extends NodeBase {
  readonly type: 'object-comprehension';
  readonly key: Term;
  readonly value: Term;
  readonly body: Body;
}

export type Comprehension = ArrayComprehension | SetComprehension | ObjectComprehension;

/**
 * A function call. `operator` is the function's name as a ref of a var and strings
 * (`count`, `a.b.c`, `internal.member_2`).
 */
export interface CallTerm extends NodeBase {
  readonly type: 'call';
  readonly operator: RefTerm;
  readonly args: readonly Term[];
  /** How the call was written when it came from an infix operator. */
  readonly infix?: InfixOperator;
}

export type ScalarTerm = NullTerm | BooleanTerm | NumberTerm | StringTerm;

export type Term =
  | ScalarTerm
  | VarTerm
  | RefTerm
  | ArrayTerm
  | ObjectTerm
  | SetTerm
  | Comprehension
  | CallTerm;

// ---------------------------------------------------------------------------------------------
// Expressions and bodies

/** `with <target> as <value>`; the target is a var (a function being replaced) or a ref. */
export interface WithModifier extends NodeBase {
  readonly type: 'with';
  readonly target: VarTerm | RefTerm;
  readonly value: Term;
}

interface ExprBase extends NodeBase {
  /** Preceded by `not`. Never true for `some` and `every`. */
  readonly negated: boolean;
  readonly with: readonly WithModifier[];
}

/** A term used as an expression: `x`, `count(x) > 1`, `f(x)`, `input.allowed`. */
export interface TermExpr extends ExprBase {
  readonly type: 'term-expr';
  readonly term: Term;
}

/** `lhs := rhs` (OPA's `assign`). */
export interface AssignExpr extends ExprBase {
  readonly type: 'assign-expr';
  readonly lhs: Term;
  readonly rhs: Term;
}

/** `lhs = rhs` (OPA's `eq`): unification. */
export interface UnifyExpr extends ExprBase {
  readonly type: 'unify-expr';
  readonly lhs: Term;
  readonly rhs: Term;
}

/** `some x, y`: declares local vars. */
export interface SomeDecl extends ExprBase {
  readonly type: 'some-decl';
  readonly vars: readonly VarTerm[];
}

/** `some x in xs` or `some k, v in xs`. Key and value may be patterns, not only vars. */
export interface SomeIn extends ExprBase {
  readonly type: 'some-in';
  readonly key?: Term;
  readonly value: Term;
  readonly domain: Term;
}

/** `every x in xs { … }` or `every k, v in xs { … }`. */
export interface EveryExpr extends ExprBase {
  readonly type: 'every';
  readonly key?: VarTerm;
  readonly value: VarTerm;
  readonly domain: Term;
  readonly body: Body;
}

export type Expr = TermExpr | AssignExpr | UnifyExpr | SomeDecl | SomeIn | EveryExpr;

/** A conjunction of expressions, in source order. Never empty. */
export interface Body extends NodeBase {
  readonly type: 'body';
  readonly exprs: readonly Expr[];
}

// ---------------------------------------------------------------------------------------------
// Rules and modules

/** How a rule's value was written: `:=` or `=`. */
export type ValueOperator = ':=' | '=';

interface HeadBase extends NodeBase {
  readonly type: 'head';
  /**
   * The rule's path relative to the package: a ref whose head is a var (`p`, `a.b.c`,
   * `a.b[x]`). A rule declared `p` has ref `p` with an empty path.
   */
  readonly ref: RefTerm;
}

/**
 * `p := v`, `p = v`, `p if …`, `a.b[k] := v if …`: one value per path. `value` and `operator` are
 * absent when none was written (the value is then `true`).
 */
export interface SingleValueHead extends HeadBase {
  readonly kind: 'single-value';
  readonly value?: Term;
  readonly operator?: ValueOperator;
}

/** `p contains x if …`: contributes `key` to the set at `ref`. */
export interface MultiValueHead extends HeadBase {
  readonly kind: 'multi-value';
  readonly key: Term;
}

/** `f(x, y) := z if …`; value/operator absent means `true` (`f(x) if …`). */
export interface FunctionHead extends HeadBase {
  readonly kind: 'function';
  readonly args: readonly Term[];
  readonly value?: Term;
  readonly operator?: ValueOperator;
}

export type RuleHead = SingleValueHead | MultiValueHead | FunctionHead;

/**
 * One `else` branch. It shares the rule's head (and the function's args); `value` absent means
 * `true`, `body` absent means the branch always applies.
 */
export interface ElseBranch extends NodeBase {
  readonly type: 'else';
  readonly value?: Term;
  readonly operator?: ValueOperator;
  readonly body?: Body;
  readonly else?: ElseBranch;
}

export interface Rule extends NodeBase {
  readonly type: 'rule';
  /** `default p := v`: the value used when no other definition applies. Never has a body. */
  readonly default: boolean;
  readonly head: RuleHead;
  /** Absent for rules written without a body (`p := 7`, `p contains "x"`). */
  readonly body?: Body;
  readonly else?: ElseBranch;
}

/** `package a.b`: `path` is the ref `data.a.b` (a `data` var followed by strings). */
export interface Package extends NodeBase {
  readonly type: 'package';
  readonly path: RefTerm;
}

/**
 * `import data.x.y as z`, `import input.foo`, `import rego.v1`, `import future.keywords.in`.
 * `path` is the ref as written (a root var followed by strings).
 */
export interface Import extends NodeBase {
  readonly type: 'import';
  readonly path: RefTerm;
  readonly alias?: string;
}

/** A `#` comment; `text` excludes the `#`. */
export interface CommentNode extends NodeBase {
  readonly type: 'comment';
  readonly text: string;
}

export interface Module extends NodeBase {
  readonly type: 'module';
  readonly package: Package;
  readonly imports: readonly Import[];
  readonly rules: readonly Rule[];
  readonly comments: readonly CommentNode[];
}

export type Node =
  | Term
  | ObjectEntry
  | WithModifier
  | Expr
  | Body
  | RuleHead
  | ElseBranch
  | Rule
  | Package
  | Import
  | CommentNode
  | Module;
