/**
 * What the compiler hands the planner. Rules keep the AST's term and expression shapes, but
 * after compilation they obey stricter invariants, so the planner never has to resolve names or
 * decide evaluation order:
 *
 * - Every var is unique within its rule (or query): shadowing, `:=` declarations, `some`,
 *   `every` and comprehension locals have been renamed. Wildcards (`_`) and compiler-made vars
 *   have names starting with `$`; `displayNames` maps renamed user vars back to what was written.
 * - Refs to rules and imports are rooted at `data` or `input` (`q[x]` in package `a` is
 *   `data.a.q[x]`); call operators are `data.…` refs for user functions and plain names for
 *   builtins.
 * - Bodies contain only `term-expr`, `unify-expr` (`:=` becomes `=` once declared) and `every`;
 *   `some` declarations are gone and `some x in xs` is the unification `x = xs[$k]`.
 * - Bodies (and comprehension and `every` bodies) are ordered so that each expression's inputs
 *   are bound by the expressions before it (OPA's safety reordering).
 * - `with` targets that name builtins keep their written form (`count`, `time.now_ns`);
 *   package functions are `data.…` refs.
 * - Calls written with an output argument (`plus(1, 2, x)`) are unifications `x = plus(1, 2)`.
 */
import type { Expr, Location, Term } from '../ast/index.js';

export type RuleKind = 'complete' | 'partial-set' | 'partial-object' | 'function';

/** One `else` branch, compiled like a rule body. */
export interface CompiledElse {
  readonly value: Term;
  readonly body: readonly Expr[];
  readonly else?: CompiledElse;
  readonly loc: Location;
}

export interface CompiledRule {
  readonly kind: RuleKind;
  /** Data path of the rule's group, without the leading `data`. */
  readonly path: readonly string[];
  /** Function parameter patterns. */
  readonly args?: readonly Term[];
  /** Member of a partial set, or key of a partial object. */
  readonly key?: Term;
  /**
   * For partial-object rules from general ref heads, the head ref elements after `key`: the
   * rule's value sits at `[key, ...refPath]` in the object (hoisted like `key`).
   */
  readonly refPath?: readonly Term[];
  /** A partial-object rule whose leaf is a set (`p[q] contains v`); `value` is the member. */
  readonly multiValue?: boolean;
  /** Complete value, partial-object value or function result (`true` when not written). */
  readonly value: Term;
  readonly body: readonly Expr[];
  readonly else?: CompiledElse;
  readonly isDefault: boolean;
  readonly displayNames: ReadonlyMap<string, string>;
  readonly loc: Location;
}

/** All definitions that produce one document (or one function) at `path`. */
export interface RuleGroup {
  readonly kind: RuleKind;
  readonly path: readonly string[];
  readonly rules: CompiledRule[];
  readonly defaultRule?: CompiledRule;
  /** Parameter count for functions. */
  readonly arity?: number;
}

/** The tree of virtual documents below `data`; a node holds a group, children, or both. */
export interface RuleTreeNode {
  readonly key: string;
  readonly children: Map<string, RuleTreeNode>;
  group?: RuleGroup;
}

export interface CompiledProgram {
  readonly tree: RuleTreeNode;
  /** Groups in a stable order (first definition in source order). */
  readonly groups: readonly RuleGroup[];
  readonly files: readonly string[];
  /** Names of every builtin the compiler accepted, with arity, for queries compiled later. */
  readonly builtinArity: ReadonlyMap<string, number>;
}

export interface CompiledQuery {
  readonly body: readonly Expr[];
  readonly displayNames: ReadonlyMap<string, string>;
  /** Renamed query vars that belong in the result set (user vars, in first-seen order). */
  readonly resultVars: readonly string[];
}

/**
 * A `with` value naming a builtin (`with count as object.union_n`) compiles to the var
 * `$fn:<name>`: it replaces the function rather than standing for a value.
 */
export const BUILTIN_VALUE_PREFIX = '$fn:';

export function isGeneratedVar(name: string): boolean {
  return name.startsWith('$');
}

export function findNode(tree: RuleTreeNode, path: readonly string[]): RuleTreeNode | undefined {
  let node: RuleTreeNode | undefined = tree;
  for (const key of path) {
    node = node.children.get(key);
    if (node === undefined) return undefined;
  }
  return node;
}
