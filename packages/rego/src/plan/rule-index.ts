/**
 * Rule indexing: for each rule, the equality guards on `input` that its body cannot succeed
 * without (`input.action.type == "sql"`, `input.m in {"GET", "HEAD"}`), found directly in the
 * body or through the helper rules and functions it relies on (`is_sql`, `some s in
 * statements` where every rule of `statements` is itself guarded). The planner reads each
 * guarded ref once per function call and skips a rule whose guard cannot hold before binding
 * anything of its body, as OPA's rule index does for topdown.
 *
 * A guard is only ever a necessary condition, never a sufficient one: the rule's body still
 * runs in full when the guard holds, so the results are the same with or without the index.
 * Only string, boolean and null constants are used: they compare equal exactly when they are
 * the same constant, so sets of them can be merged by key without reasoning about `1 == 1.0`.
 */
import type { Expr, RefTerm, Term } from '../ast/index.js';
import type { CompiledProgram, CompiledRule, RuleGroup, RuleTreeNode } from '../compile/index.js';

/** `input.<path>` must equal one of `values`. */
export interface Guard {
  /** The input path, string keys only. */
  readonly path: readonly string[];
  /** Canonical keys (`s:…`, `b:true`, `null`) of the accepted constants. */
  readonly values: ReadonlyMap<string, Term>;
  /** Identifies the ref (`path`), and the ref with its values. */
  readonly refKey: string;
  readonly key: string;
}

function makeGuard(path: readonly string[], values: ReadonlyMap<string, Term>): Guard {
  const refKey = JSON.stringify(path);
  return { path, values, refKey, key: `${refKey}=${[...values.keys()].sort().join('|')}` };
}

export const guardRefKey = (g: Guard): string => g.refKey;

export const guardKey = (g: Guard): string => g.key;

export function describeGuard(g: Guard): string {
  const values = [...g.values.values()].map((t) =>
    t.type === 'string' ? JSON.stringify(t.value) : t.type === 'boolean' ? String(t.value) : 'null',
  );
  return `input${g.path.map((p) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`)).join('')} in {${values.join(', ')}}`;
}

function constKey(t: Term): string | undefined {
  if (t.type === 'string') return `s:${t.value}`;
  if (t.type === 'boolean') return `b:${t.value}`;
  if (t.type === 'null') return 'null';
  return undefined;
}

/** `input.a.b` with constant string keys: its path. */
function inputPath(t: Term): string[] | undefined {
  if (t.type !== 'ref' || t.head.type !== 'var' || t.head.name !== 'input') return undefined;
  const path: string[] = [];
  for (const p of t.path) {
    if (p.type !== 'string') return undefined;
    path.push(p.value);
  }
  return path;
}

/** `equal`, `internal.member_2`: a builtin's name from its operator ref. */
function builtinName(op: RefTerm): string | undefined {
  if (op.head.type !== 'var' || op.head.name === 'data') return undefined;
  const parts = [op.head.name];
  for (const p of op.path) {
    if (p.type !== 'string') return undefined;
    parts.push(p.value);
  }
  return parts.join('.');
}

function constSet(items: readonly Term[]): Map<string, Term> | undefined {
  const values = new Map<string, Term>();
  for (const item of items) {
    const k = constKey(item);
    if (k === undefined) return undefined;
    values.set(k, item);
  }
  return values;
}

/** `ref == c` (either order): a guard of one value. */
function equalityGuard(a: Term, b: Term): Guard | undefined {
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    const path = inputPath(x);
    const k = constKey(y);
    if (path !== undefined && k !== undefined) return makeGuard(path, new Map([[k, y]]));
  }
  return undefined;
}

/**
 * Several alternatives (the rules of a group, the branches of an else chain), one of which
 * must hold: a ref guarded in every alternative is guarded by the union of their values.
 */
function anyOf(alternatives: readonly (readonly Guard[])[]): Guard[] {
  const [first] = alternatives;
  if (first === undefined) return [];
  const out: Guard[] = [];
  for (const ref of new Set(first.map(guardRefKey))) {
    const perAlt = alternatives.map((gs) =>
      gs
        .filter((g) => guardRefKey(g) === ref)
        .reduce<Guard | undefined>(
          (best, g) => (best === undefined || g.values.size < best.values.size ? g : best),
          undefined,
        ),
    );
    if (perAlt.some((g) => g === undefined)) continue;
    const values = new Map<string, Term>();
    for (const g of perAlt) for (const [k, t] of g?.values ?? []) values.set(k, t);
    const path = first.find((g) => guardRefKey(g) === ref)?.path ?? [];
    out.push(makeGuard(path, values));
  }
  return out;
}

/** Drops repeats (the same ref and values) so each check is emitted once. */
function dedupe(guards: readonly Guard[]): Guard[] {
  const seen = new Map<string, Guard>();
  for (const g of guards) if (!seen.has(guardKey(g))) seen.set(guardKey(g), g);
  return [...seen.values()];
}

export interface RuleIndexOptions {
  /**
   * Follow refs and calls into other rules. Off where `with` replaces rules or functions: a
   * replaced helper no longer implies its guards.
   */
  readonly throughHelpers: boolean;
}

/** Guard analysis over one compiled program; results per group are cached. */
export class RuleIndexer {
  readonly #program: CompiledProgram;
  readonly #groupCache = new Map<RuleGroup, Guard[]>();
  readonly #inProgress = new Set<RuleGroup>();

  constructor(program: CompiledProgram) {
    this.#program = program;
  }

  /** The guards a rule (with its else chain) cannot produce a value without. */
  ruleGuards(rule: CompiledRule, options: RuleIndexOptions): Guard[] {
    const branches: (readonly Expr[])[] = [rule.body];
    for (let e = rule.else; e !== undefined; e = e.else) branches.push(e.body);
    return dedupe(anyOf(branches.map((body) => this.bodyGuards(body, options))));
  }

  /** Whether a body does work beyond its own direct guards (skipping it then pays). */
  worthIndexing(rule: CompiledRule): boolean {
    if (rule.else !== undefined) return true;
    return rule.body.some((e) => this.#directGuard(e) === undefined);
  }

  bodyGuards(body: readonly Expr[], options: RuleIndexOptions): Guard[] {
    const out: Guard[] = [];
    for (const e of body) {
      if (e.negated || e.with.length > 0) continue;
      const direct = this.#directGuard(e);
      if (direct !== undefined) out.push(direct);
      if (!options.throughHelpers) continue;
      switch (e.type) {
        case 'term-expr':
          out.push(...this.#requires(e.term));
          break;
        case 'unify-expr':
        case 'assign-expr':
          out.push(...this.#requires(e.lhs), ...this.#requires(e.rhs));
          break;
        case 'every':
          // `every` over an undefined domain is undefined.
          out.push(...this.#requires(e.domain));
          break;
        default:
          break;
      }
    }
    return dedupe(out);
  }

  #directGuard(e: Expr): Guard | undefined {
    if (e.negated || e.with.length > 0) return undefined;
    if (e.type === 'unify-expr' || e.type === 'assign-expr') return equalityGuard(e.lhs, e.rhs);
    if (e.type !== 'term-expr' || e.term.type !== 'call') return undefined;
    const call = e.term;
    const op = builtinName(call.operator);
    const [a, b] = call.args;
    if (op === undefined || a === undefined || b === undefined || call.args.length !== 2) return undefined;
    if (op === 'equal') return equalityGuard(a, b);
    if (op === 'internal.member_2' && (b.type === 'set' || b.type === 'array')) {
      const path = inputPath(a);
      const values = constSet(b.items);
      if (path !== undefined && values !== undefined) return makeGuard(path, values);
    }
    return undefined;
  }

  /** Guards a term cannot be defined without: those of the rules it reads or calls. */
  #requires(t: Term): Guard[] {
    switch (t.type) {
      case 'ref': {
        const out: Guard[] = [];
        if (t.head.type === 'call') out.push(...this.#requires(t.head));
        if (t.head.type === 'var' && t.head.name === 'data') out.push(...this.#dataRefGuards(t));
        return out;
      }
      case 'call': {
        const out = t.args.flatMap((a) => this.#requires(a));
        const op = t.operator;
        if (op.head.type === 'var' && op.head.name === 'data') {
          const group = this.#groupAt(op, op.path.length)?.group;
          if (group?.kind === 'function' && group.defaultRule === undefined)
            out.push(...this.#groupGuards(group));
        }
        return out;
      }
      case 'array':
      case 'set':
        return t.items.flatMap((i) => this.#requires(i));
      case 'object':
        return t.entries.flatMap((e) => [...this.#requires(e.key), ...this.#requires(e.value)]);
      default:
        return [];
    }
  }

  /**
   * `data.p.r…`: a complete rule without a default must be defined; a partial set or object
   * only constrains the ref when the ref looks inside it (a member must exist: an empty set
   * is a defined value).
   */
  #dataRefGuards(ref: RefTerm): Guard[] {
    let node: RuleTreeNode = this.#program.tree;
    for (const [i, p] of ref.path.entries()) {
      if (p.type !== 'string') return [];
      const next = node.children.get(p.value);
      if (next === undefined) return [];
      node = next;
      const group = node.group;
      if (group === undefined) continue;
      if (node.children.size > 0 || group.defaultRule !== undefined) return [];
      const deeper = i + 1 < ref.path.length;
      if (
        group.kind === 'complete' ||
        ((group.kind === 'partial-set' || group.kind === 'partial-object') && deeper)
      )
        return this.#groupGuards(group);
      return [];
    }
    return [];
  }

  #groupAt(ref: RefTerm, length: number): RuleTreeNode | undefined {
    let node: RuleTreeNode | undefined = this.#program.tree;
    for (const p of ref.path.slice(0, length)) {
      if (p.type !== 'string' || node === undefined) return undefined;
      node = node.children.get(p.value);
    }
    return node;
  }

  /** Guards every rule of a group shares (one of its rules must produce for it to). */
  #groupGuards(group: RuleGroup): Guard[] {
    const cached = this.#groupCache.get(group);
    if (cached !== undefined) return cached;
    // Recursion is rejected by the compiler; a cycle here can only come from a malformed
    // program, and answering "no guard" is always sound.
    if (this.#inProgress.has(group) || group.rules.length === 0) return [];
    this.#inProgress.add(group);
    const guards = anyOf(group.rules.map((r) => this.ruleGuards(r, { throughHelpers: true })));
    this.#inProgress.delete(group);
    this.#groupCache.set(group, guards);
    return guards;
  }
}
