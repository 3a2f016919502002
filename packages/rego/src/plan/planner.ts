/**
 * Compiled rules → IR, in OPA's planner style: continuation passing. Planning a term that
 * iterates (a ref with an unbound var) opens a ScanStmt and plans the rest of the query inside
 * its block, so conjunction is nesting and each solution runs the continuation once.
 */
import type { Expr, Location, RefTerm, Term } from '../ast/index.js';
import { BUILTIN_SIGNATURES } from '../builtins/signatures.js';
import type {
  CompiledElse,
  CompiledProgram,
  CompiledQuery,
  CompiledRule,
  RuleGroup,
  RuleTreeNode,
} from '../compile/index.js';
import { BUILTIN_VALUE_PREFIX, findNode, isGeneratedVar } from '../compile/index.js';
import { DiagnosticCodes, type DiagnosticCollector } from '../diagnostics/index.js';
import { termToConst } from './const-value.js';
import type { Block, BuiltinFunc, Func, Local, Operand, Plan, RuleIndexEntry, Stmt } from './ir.js';
import { DATA_LOCAL, INPUT_LOCAL } from './ir.js';
import { describeGuard, type Guard, guardKey, guardRefKey, RuleIndexer } from './rule-index.js';

type Cont = () => void;
type ValueCont = (op: Operand) => void;

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

const local = (value: Local): Operand => ({ type: 'local', value });

/** Marks a plan that could not be completed; the diagnostic has already been reported. */
class PlanAbort extends Error {}

/**
 * What a `with` that replaces a function (or builtin) substitutes for it: another function, a
 * builtin, or a value computed where the `with` is and carried in a slot.
 */
type Mock =
  | { readonly kind: 'func'; readonly group: RuleGroup }
  | { readonly kind: 'builtin'; readonly name: string }
  | { readonly kind: 'value'; readonly slot: number };

/**
 * A planning generation, as OPA's planner has them (the `gN.` of function names): the set of
 * replacements in force. Replacements are resolved while planning, so every rule reached under
 * a `with` that replaces functions or rules is planned again in that generation. Value mocks
 * cannot be known at planning time; a generation's functions take them as extra trailing
 * parameters (`slots`), which callers in the same generation pass along.
 */
interface Gen {
  readonly id: number;
  /** Keyed by `data:<path>` for package functions, `builtin:<name>` for builtins. */
  readonly funcs: ReadonlyMap<string, Mock>;
  /** Data paths (joined by NUL) whose rules are replaced by the `data` local's value. */
  readonly data: ReadonlySet<string>;
  readonly slots: number;
}

interface FuncState {
  next: Local;
  vars: Map<string, Local>;
  cur: Stmt[];
  gen: Gen;
  /** Locals holding the generation's value-mock slots. */
  slots: Local[];
}

const GEN0: Gen = { id: 0, funcs: new Map(), data: new Set(), slots: 0 };
const dataKey = (path: readonly string[]): string => path.join('\0');

export class Planner {
  readonly #program: CompiledProgram;
  readonly #diagnostics: DiagnosticCollector;
  readonly #strings: string[] = [];
  readonly #stringIndex = new Map<string, number>();
  readonly #builtins = new Map<string, number>();
  readonly #funcs: Func[] = [];
  readonly #funcNames = new Map<string, string>();
  readonly #groupIds = new Map<RuleGroup, number>();
  readonly #queue: { group: RuleGroup; gen: Gen }[] = [];
  readonly #gens = new Map<string, Gen>([[genKey(GEN0), GEN0]]);
  #state: FuncState = { next: 2, vars: new Map(), cur: [], gen: GEN0, slots: [] };
  readonly #indexer: RuleIndexer | undefined;

  constructor(
    program: CompiledProgram,
    diagnostics: DiagnosticCollector,
    options: { readonly ruleIndexing?: boolean } = {},
  ) {
    this.#program = program;
    this.#diagnostics = diagnostics;
    this.#indexer = options.ruleIndexing === false ? undefined : new RuleIndexer(program);
  }

  get strings(): string[] {
    return this.#strings;
  }

  get builtinFuncs(): BuiltinFunc[] {
    return [...this.#builtins].map(([name, arity]) => ({ name, arity }));
  }

  /** Plans queued rule functions; planning one may queue more. */
  drainFuncs(): Func[] {
    while (this.#queue.length > 0) {
      const item = this.#queue.shift();
      if (item !== undefined) this.#planGroup(item.group, item.gen);
    }
    return this.#funcs;
  }

  string(value: string): number {
    let i = this.#stringIndex.get(value);
    if (i === undefined) {
      i = this.#strings.length;
      this.#strings.push(value);
      this.#stringIndex.set(value, i);
    }
    return i;
  }

  // -------------------------------------------------------------------------------------------
  // Plans

  planEntrypoint(name: string, path: readonly string[], loc: Location): Plan | undefined {
    return this.#planTop(name, () => {
      const ref: RefTerm = {
        type: 'ref',
        head: { type: 'var', name: 'data', loc },
        path: path.map((value) => ({ type: 'string', value, loc })),
        loc,
      };
      this.#planTerm(ref, (v) => {
        const obj = this.#new();
        this.#emit({ type: 'MakeObjectStmt', target: obj });
        this.#emit({ type: 'ObjectInsertStmt', key: this.#str('result'), value: v, object: obj });
        this.#emit({ type: 'ResultSetAddStmt', value: obj });
      });
    });
  }

  planQuery(name: string, query: CompiledQuery): Plan | undefined {
    return this.#planTop(name, () => {
      this.#planExprs(query.body, 0, () => {
        const obj = this.#new();
        this.#emit({ type: 'MakeObjectStmt', target: obj });
        for (const v of query.resultVars) {
          const l = this.#state.vars.get(v);
          if (l === undefined) continue;
          const key = query.displayNames.get(v) ?? v;
          this.#emit({ type: 'ObjectInsertStmt', key: this.#str(key), value: local(l), object: obj });
        }
        this.#emit({ type: 'ResultSetAddStmt', value: obj });
      });
    });
  }

  #planTop(name: string, fn: Cont): Plan | undefined {
    this.#state = { next: 2, vars: new Map(), cur: [], gen: GEN0, slots: [] };
    try {
      const block = this.#block(fn);
      return { name, blocks: [block] };
    } catch (e) {
      if (e instanceof PlanAbort) return undefined;
      throw e;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Rule groups → functions

  #funcName(group: RuleGroup, gen: Gen = this.#state.gen): string {
    let id = this.#groupIds.get(group);
    if (id === undefined) {
      id = this.#groupIds.size;
      this.#groupIds.set(group, id);
    }
    const key = `${gen.id}:${id}`;
    let name = this.#funcNames.get(key);
    if (name === undefined) {
      name = `g${gen.id}.data.${group.path.join('.')}`;
      this.#funcNames.set(key, name);
      this.#queue.push({ group, gen });
    }
    return name;
  }

  #genFor(funcs: ReadonlyMap<string, Mock>, data: ReadonlySet<string>, slots: number): Gen {
    const probe: Gen = { id: this.#gens.size, funcs, data, slots };
    const key = genKey(probe);
    const known = this.#gens.get(key);
    if (known !== undefined) return known;
    this.#gens.set(key, probe);
    return probe;
  }

  #planGroup(group: RuleGroup, gen: Gen): void {
    const name = this.#funcName(group, gen);
    const arity = group.arity ?? 0;
    const slots = Array.from({ length: gen.slots }, (_, i) => 2 + arity + i);
    this.#state = { next: 2 + arity + gen.slots, vars: new Map(), cur: [], gen, slots };
    const params = [INPUT_LOCAL, DATA_LOCAL, ...Array.from({ length: arity }, (_, i) => 2 + i), ...slots];
    const ret = this.#new();
    let index: RuleIndexEntry[] | undefined;
    try {
      const body = this.#block(() => {
        if (group.kind === 'partial-set') this.#emit({ type: 'MakeSetStmt', target: ret });
        if (group.kind === 'partial-object') this.#emit({ type: 'MakeObjectStmt', target: ret });
        const built = this.#ruleIndex(group, gen);
        index = built?.entries;
        const checks = built?.checks ?? [];
        const node = findNode(this.#program.tree, group.path);
        const general =
          group.kind === 'partial-object' &&
          ((node?.children.size ?? 0) > 0 ||
            group.rules.some((r) => r.multiValue === true || (r.refPath?.length ?? 0) > 0));
        const shape = general ? this.#new() : undefined;
        if (shape !== undefined) this.#emit({ type: 'MakeObjectStmt', target: shape });
        for (const [i, rule] of group.rules.entries())
          this.#planRule(group, rule, params, ret, shape, checks[i] ?? []);
        if (shape !== undefined && node !== undefined)
          this.#planNestedRules(node, group.path, [], ret, shape);
        const def = group.defaultRule;
        if (def !== undefined) {
          this.#emitBlock(() => {
            this.#emit({ type: 'IsUndefinedStmt', source: ret });
            this.#planExprs(def.body, 0, () =>
              this.#planTerm(def.value, (v) => this.#emit({ type: 'AssignVarStmt', source: v, target: ret })),
            );
          });
        }
      });
      const retBlock: Block = { stmts: [{ type: 'ReturnLocalStmt', source: ret }] };
      this.#funcs.push({
        name,
        params,
        ret,
        blocks: [body, retBlock],
        path: [`g${gen.id}`, ...group.path],
        ...(index === undefined || index.length === 0 ? {} : { index }),
      });
    } catch (e) {
      if (!(e instanceof PlanAbort)) throw e;
    }
  }

  #bindArgs(rule: CompiledRule, params: readonly Local[], cont: Cont, i = 0): void {
    const args = rule.args ?? [];
    const arg = args[i];
    const param = params[i + 2];
    if (arg === undefined || param === undefined) {
      cont();
      return;
    }
    this.#unifyValue(arg, local(param), () => this.#bindArgs(rule, params, cont, i + 1));
  }

  #planRule(
    group: RuleGroup,
    rule: CompiledRule,
    params: readonly Local[],
    ret: Local,
    shape: Local | undefined,
    checks: readonly Local[],
  ): void {
    if (rule.else !== undefined) {
      this.#planElseChain(rule, params, ret, checks);
      return;
    }
    this.#emitBlock(() => {
      this.#emitChecks(checks);
      this.#bindArgs(rule, params, () =>
        this.#planExprs(rule.body, 0, () => {
          switch (group.kind) {
            case 'partial-set':
              if (rule.key !== undefined)
                this.#planTerm(rule.key, (k) => this.#emit({ type: 'SetAddStmt', value: k, set: ret }));
              return;
            case 'partial-object': {
              const key = rule.key;
              if (key === undefined) return;
              if (shape !== undefined) {
                this.#planTerms([key, ...(rule.refPath ?? [])], (keys) =>
                  this.#planTerm(rule.value, (v) =>
                    this.#insertAt(ret, shape, keys, v, rule.multiValue === true ? 'member' : 'value'),
                  ),
                );
                return;
              }
              this.#planTerm(key, (k) =>
                this.#planTerm(rule.value, (v) =>
                  this.#emit({ type: 'ObjectInsertOnceStmt', key: k, value: v, object: ret }),
                ),
              );
              return;
            }
            default:
              this.#planTerm(rule.value, (v) =>
                this.#emit({ type: 'AssignVarOnceStmt', source: v, target: ret }),
              );
          }
        }),
      );
    });
  }

  /** A rule's index checks: each flag is defined only when its guard holds. */
  #emitChecks(checks: readonly Local[]): void {
    for (const flag of checks) this.#emit({ type: 'IsDefinedStmt', source: flag });
  }

  /**
   * The group's rule index (rule-index.ts): reads each guarded `input` ref once, sets one flag
   * per distinct guard, and returns, per rule, the flags its block must test first. Built only
   * where it pays: some rule has a guard and work beyond it to skip.
   */
  #ruleIndex(group: RuleGroup, gen: Gen): { entries: RuleIndexEntry[]; checks: Local[][] } | undefined {
    const indexer = this.#indexer;
    if (indexer === undefined) return undefined;
    // A `with` that replaces rules or functions makes a helper no longer imply its guards.
    const throughHelpers = gen.funcs.size === 0 && gen.data.size === 0;
    const perRule: Guard[][] = group.rules.map((rule) =>
      indexer.worthIndexing(rule) ? indexer.ruleGuards(rule, { throughHelpers }) : [],
    );
    if (perRule.every((gs) => gs.length === 0)) return undefined;
    const refs = new Map<string, Local>();
    const flags = new Map<string, { flag: Local; guard: Guard; rules: number[] }>();
    for (const [i, guards] of perRule.entries()) {
      for (const guard of guards) {
        let value = refs.get(guardRefKey(guard));
        if (value === undefined) {
          const target = this.#new();
          value = target;
          refs.set(guardRefKey(guard), target);
          this.#emit({ type: 'ResetLocalStmt', target });
          this.#emitBlock(() => {
            this.#emit({ type: 'IsDefinedStmt', source: INPUT_LOCAL });
            let src: Local = INPUT_LOCAL;
            for (const key of guard.path) {
              const next = this.#new();
              this.#emit({ type: 'DotStmt', source: local(src), key: this.#str(key), target: next });
              src = next;
            }
            this.#emit({ type: 'AssignVarStmt', source: local(src), target });
          });
        }
        let entry = flags.get(guardKey(guard));
        if (entry === undefined) {
          const flag = this.#new();
          entry = { flag, guard, rules: [] };
          flags.set(guardKey(guard), entry);
          this.#emit({ type: 'ResetLocalStmt', target: flag });
          const source = value;
          const blocks = [...guard.values.values()].map((t) =>
            this.#block(() => {
              this.#emit({ type: 'IsDefinedStmt', source });
              this.#planTerm(t, (c) => this.#emit({ type: 'EqualStmt', a: local(source), b: c }));
              this.#emit({ type: 'AssignVarStmt', source: { type: 'bool', value: true }, target: flag });
            }),
          );
          this.#emit({ type: 'BlockStmt', blocks });
        }
        entry.rules.push(i);
      }
    }
    const entries = [...flags.values()].map(({ flag, guard, rules }) => ({
      guard: describeGuard(guard),
      flag,
      rules,
      of: group.rules.length,
    }));
    const checks = perRule.map((guards) =>
      guards.map((g) => flags.get(guardKey(g))?.flag).filter((f): f is Local => f !== undefined),
    );
    return { entries, checks };
  }

  /**
   * Rules below a partial object's path (`p.a.r := 1` beside `p[q].r := …`) contribute to its
   * value: each one's document goes in at its relative path, under the same conflict rules.
   */
  #planNestedRules(
    node: RuleTreeNode,
    base: readonly string[],
    rel: readonly string[],
    ret: Local,
    shape: Local,
  ): void {
    for (const [key, child] of node.children) {
      const path = [...rel, key];
      const group = child.group;
      if (group === undefined) {
        this.#planNestedRules(child, base, path, ret, shape);
        continue;
      }
      if (group.kind === 'function') continue;
      this.#emitBlock(() => {
        const put = (v: Operand): void =>
          this.#insertAt(
            ret,
            shape,
            path.map((p) => this.#str(p)),
            v,
            group.kind === 'partial-set' ? 'set' : 'value',
          );
        const full = [...base, ...path];
        if (this.#overridden(full))
          this.#walkPath(
            local(DATA_LOCAL),
            full.map((value) => ({ type: 'string', value, loc: this.#noLoc })),
            0,
            put,
          );
        else this.#callRule(group, put);
      });
    }
  }

  readonly #noLoc: Location = { file: '', row: 0, col: 0, offset: 0, end: 0 };

  /**
   * Puts a value at a key path inside a partial object. `shape` mirrors the object's structure
   * as the rules built it: an object where a key path continues, `true` at a rule's value,
   * `"set"` at a set of members. A rule's value is sealed: another rule may not write inside
   * it (nor replace an object of keys with a value), which is a conflict, as in OPA. The
   * intermediate objects are created here and filled in place.
   */
  #insertAt(
    obj: Local,
    shape: Local,
    keys: readonly Operand[],
    v: Operand,
    mode: 'value' | 'member' | 'set',
  ): void {
    let o = obj;
    let sh = shape;
    const last = keys.length - 1;
    for (const [i, k] of keys.entries()) {
      const seen = this.#new();
      this.#emit({ type: 'ResetLocalStmt', target: seen });
      this.#emit({
        type: 'BlockStmt',
        blocks: [{ stmts: [{ type: 'DotStmt', source: local(sh), key: k, target: seen }] }],
      });
      if (i < last) {
        this.#emitBlock(() => {
          this.#emit({ type: 'IsUndefinedStmt', source: seen });
          for (const target of [o, sh]) {
            const fresh = this.#new();
            this.#emit({ type: 'MakeObjectStmt', target: fresh });
            this.#emit({ type: 'ObjectInsertStmt', key: k, value: local(fresh), object: target });
          }
        });
        this.#emitBlock(() => {
          this.#emit({ type: 'IsDefinedStmt', source: seen });
          this.#emit({ type: 'NotStmt', block: { stmts: [{ type: 'IsObjectStmt', source: local(seen) }] } });
          this.#conflict();
        });
        const no = this.#new();
        const ns = this.#new();
        this.#emit({ type: 'DotStmt', source: local(o), key: k, target: no });
        this.#emit({ type: 'DotStmt', source: local(sh), key: k, target: ns });
        o = no;
        sh = ns;
        continue;
      }
      const mark: Operand = mode === 'value' ? { type: 'bool', value: true } : this.#str('set');
      this.#emitBlock(() => {
        this.#emit({ type: 'IsDefinedStmt', source: seen });
        this.#emit({ type: 'NotEqualStmt', a: local(seen), b: mark });
        this.#conflict();
      });
      if (mode === 'value') {
        this.#emit({ type: 'ObjectInsertOnceStmt', key: k, value: v, object: o });
      } else {
        this.#emitBlock(() => {
          this.#emit({ type: 'IsUndefinedStmt', source: seen });
          const set = this.#new();
          this.#emit({ type: 'MakeSetStmt', target: set });
          this.#emit({ type: 'ObjectInsertStmt', key: k, value: local(set), object: o });
        });
        const set = this.#new();
        this.#emit({ type: 'DotStmt', source: local(o), key: k, target: set });
        if (mode === 'member') this.#emit({ type: 'SetAddStmt', value: v, set });
        else {
          const src = this.#toLocal(v);
          const mk = this.#new();
          const mv = this.#new();
          this.#emit({
            type: 'ScanStmt',
            source: src,
            key: mk,
            value: mv,
            block: { stmts: [{ type: 'SetAddStmt', value: local(mv), set }] },
          });
        }
      }
      this.#emit({ type: 'ObjectInsertStmt', key: k, value: mark, object: sh });
    }
  }

  /** Raises the evaluation conflict error (an object key inserted twice with different values). */
  #conflict(): void {
    const c = this.#new();
    this.#emit({ type: 'MakeObjectStmt', target: c });
    this.#emit({
      type: 'ObjectInsertOnceStmt',
      key: this.#str(''),
      value: { type: 'bool', value: true },
      object: c,
    });
    this.#emit({
      type: 'ObjectInsertOnceStmt',
      key: this.#str(''),
      value: { type: 'bool', value: false },
      object: c,
    });
  }

  /** `else` branches run in order until one produces a value, which the rule then outputs. */
  #planElseChain(rule: CompiledRule, params: readonly Local[], ret: Local, checks: readonly Local[]): void {
    const chain = this.#new();
    const branches: { value: Term; body: readonly Expr[] }[] = [];
    let e: CompiledElse | undefined = rule.else;
    branches.push({ value: rule.value, body: rule.body });
    while (e !== undefined) {
      branches.push({ value: e.value, body: e.body });
      e = e.else;
    }
    for (const [i, branch] of branches.entries()) {
      this.#emitBlock(() => {
        if (i > 0) this.#emit({ type: 'IsUndefinedStmt', source: chain });
        this.#emitChecks(checks);
        this.#bindArgs(rule, params, () =>
          this.#planExprs(branch.body, 0, () =>
            this.#planTerm(branch.value, (v) =>
              this.#emit({ type: 'AssignVarOnceStmt', source: v, target: chain }),
            ),
          ),
        );
      });
    }
    this.#emitBlock(() => {
      this.#emit({ type: 'IsDefinedStmt', source: chain });
      this.#emit({ type: 'AssignVarOnceStmt', source: local(chain), target: ret });
    });
  }

  // -------------------------------------------------------------------------------------------
  // Statement plumbing

  #new(): Local {
    return this.#state.next++;
  }

  #emit(stmt: Stmt): void {
    this.#state.cur.push(stmt);
  }

  #str(value: string): Operand {
    return { type: 'string_index', value: this.string(value) };
  }

  /** Plans into a fresh block; var bindings made inside do not leak out of it. */
  #block(fn: Cont): Block {
    const saved = this.#state.cur;
    const vars = new Map(this.#state.vars);
    const stmts: Stmt[] = [];
    this.#state.cur = stmts;
    try {
      fn();
    } finally {
      this.#state.cur = saved;
      this.#state.vars = vars;
    }
    return { stmts };
  }

  #emitBlock(fn: Cont): void {
    this.#emit({ type: 'BlockStmt', blocks: [this.#block(fn)] });
  }

  #toLocal(op: Operand): Local {
    if (op.type === 'local') return op.value;
    const l = this.#new();
    this.#emit({ type: 'AssignVarStmt', source: op, target: l });
    return l;
  }

  #fail(): void {
    this.#emit({ type: 'BreakStmt', index: 0 });
  }

  #error(
    message: string,
    loc: Location,
    code: (typeof DiagnosticCodes)[keyof typeof DiagnosticCodes] = DiagnosticCodes.compile,
  ): never {
    this.#diagnostics.report(code, message, {
      file: loc.file,
      row: loc.row,
      col: loc.col,
      offset: loc.offset,
    });
    throw new PlanAbort(message);
  }

  #bind(name: string, op: Operand): void {
    if (op.type === 'local' && op.value !== INPUT_LOCAL && op.value !== DATA_LOCAL) {
      this.#state.vars.set(name, op.value);
      return;
    }
    const l = this.#new();
    this.#emit({ type: 'AssignVarStmt', source: op, target: l });
    this.#state.vars.set(name, l);
  }

  #isBound(name: string): boolean {
    return this.#state.vars.has(name);
  }

  // -------------------------------------------------------------------------------------------
  // Expressions

  #planExprs(exprs: readonly Expr[], i: number, cont: Cont): void {
    const e = exprs[i];
    if (e === undefined) {
      cont();
      return;
    }
    this.#planExpr(e, () => this.#planExprs(exprs, i + 1, cont));
  }

  #planExpr(e: Expr, cont: Cont): void {
    if (e.with.length > 0) {
      const { gen, slots } = this.#state;
      this.#planWith(e, 0, { funcs: new Map(gen.funcs), data: new Set(gen.data), slots, restore: [] }, cont);
      return;
    }
    this.#planExprCore(e, cont);
  }

  #planWith(e: Expr, i: number, acc: WithScope, cont: Cont): void {
    const w = e.with[i];
    if (w === undefined) {
      const outer = { gen: this.#state.gen, slots: this.#state.slots };
      const inner = { gen: this.#genFor(acc.funcs, acc.data, acc.slots.length), slots: acc.slots };
      this.#setGen(inner);
      this.#planExprCore(e, () => {
        // The rest of the query must see the documents and functions as they were.
        for (const r of acc.restore)
          this.#emit({ type: 'AssignVarStmt', source: local(r.saved), target: r.target });
        this.#setGen(outer);
        cont();
        this.#setGen(inner);
      });
      this.#setGen(outer);
      return;
    }
    const target = w.target;
    const fnKey = this.#mockKey(target);
    if (fnKey !== undefined) {
      const next = (mock: Mock, slots: Local[]): void => {
        const funcs = new Map(acc.funcs);
        funcs.set(fnKey, mock);
        this.#planWith(e, i + 1, { ...acc, funcs, slots }, cont);
      };
      const value = w.value;
      if (value.type === 'var' && value.name.startsWith(BUILTIN_VALUE_PREFIX)) {
        next({ kind: 'builtin', name: value.name.slice(BUILTIN_VALUE_PREFIX.length) }, acc.slots);
        return;
      }
      const group = value.type === 'ref' ? this.#functionAt(value) : undefined;
      if (group !== undefined) {
        next({ kind: 'func', group }, acc.slots);
        return;
      }
      this.#planTerm(value, (v) =>
        next({ kind: 'value', slot: acc.slots.length }, [...acc.slots, this.#toLocal(v)]),
      );
      return;
    }
    if (target.type !== 'ref') this.#error('with keyword target must be a document or function', w.loc);
    const root = target.head.type === 'var' ? target.head.name : '';
    const path: number[] = [];
    const names: string[] = [];
    for (const p of target.path) {
      if (p.type !== 'string') this.#error('with keyword target must be a static reference', w.loc);
      path.push(this.string(p.value));
      names.push(p.value);
    }
    let data = acc.data;
    if (root === 'data' && this.#touchesRules(names, w.loc)) {
      // Rules at or below the path now read the replaced `data` local instead of running.
      data = new Set([...acc.data, dataKey(names)]);
    }
    const targetLocal = root === 'input' ? INPUT_LOCAL : DATA_LOCAL;
    this.#planTerm(w.value, (v) => {
      const saved = this.#new();
      this.#emit({ type: 'AssignVarStmt', source: local(targetLocal), target: saved });
      const block = this.#block(() =>
        this.#planWith(
          e,
          i + 1,
          { ...acc, data, restore: [...acc.restore, { saved, target: targetLocal }] },
          cont,
        ),
      );
      this.#emit({ type: 'WithStmt', local: targetLocal, path, value: v, block });
    });
  }

  #setGen(g: { gen: Gen; slots: Local[] }): void {
    this.#state.gen = g.gen;
    this.#state.slots = g.slots;
  }

  /** The mock key of a `with` target that names a function, if it does. */
  #mockKey(target: Term): string | undefined {
    if (target.type === 'var') return `builtin:${target.name}`;
    if (target.type !== 'ref' || target.head.type !== 'var') return undefined;
    const root = target.head.name;
    if (root === 'input') return undefined;
    if (root === 'data') {
      const group = this.#functionAt(target);
      return group === undefined ? undefined : `data:${group.path.join('.')}`;
    }
    const parts = [root];
    for (const p of target.path) if (p.type === 'string') parts.push(p.value);
    return `builtin:${parts.join('.')}`;
  }

  /** The function group a static `data.…` ref names exactly. */
  #functionAt(ref: RefTerm): RuleGroup | undefined {
    if (ref.head.type !== 'var' || ref.head.name !== 'data') return undefined;
    let node: RuleTreeNode | undefined = this.#program.tree;
    for (const p of ref.path) {
      if (p.type !== 'string' || node === undefined) return undefined;
      node = node.children.get(p.value);
    }
    return node?.group?.kind === 'function' ? node.group : undefined;
  }

  /** Whether replacing data at `path` replaces rules (at it, or below it). */
  #touchesRules(path: readonly string[], loc: Location): boolean {
    let node: RuleTreeNode = this.#program.tree;
    for (const key of path) {
      if (node.group !== undefined) this.#error('with keyword cannot replace part of a rule', loc);
      const next = node.children.get(key);
      if (next === undefined) return false;
      node = next;
    }
    return true;
  }

  #overridden(path: readonly string[]): boolean {
    const data = this.#state.gen.data;
    return data.size > 0 && data.has(dataKey(path));
  }

  /** The rule tree node a static data path reaches or passes through, if it touches rules. */
  #nodeOn(path: readonly Term[]): RuleTreeNode | undefined {
    let node: RuleTreeNode = this.#program.tree;
    for (const p of path) {
      if (node.group !== undefined) return node;
      if (p.type !== 'string') return node;
      const next = node.children.get(p.value);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  #planExprCore(e: Expr, cont: Cont): void {
    if (e.negated) {
      const block = this.#block(() => this.#planExprCore({ ...e, negated: false }, () => {}));
      this.#emit({ type: 'NotStmt', block });
      cont();
      return;
    }
    switch (e.type) {
      case 'term-expr': {
        const t = e.term;
        if (t.type === 'call' && this.#planConstMembership(t, cont)) return;
        if (t.type === 'call' && t.operator.head.type === 'var' && t.operator.path.length === 0) {
          const op = t.operator.head.name;
          const [a, b] = t.args;
          if ((op === 'equal' || op === 'neq') && a !== undefined && b !== undefined && t.args.length === 2) {
            this.#planTerms([a, b], ([x, y]) => {
              if (x === undefined || y === undefined) return;
              this.#emit({ type: op === 'equal' ? 'EqualStmt' : 'NotEqualStmt', a: x, b: y });
              cont();
            });
            return;
          }
        }
        this.#planTerm(t, (v) => {
          this.#emit({ type: 'NotEqualStmt', a: v, b: { type: 'bool', value: false } });
          cont();
        });
        return;
      }
      case 'unify-expr':
      case 'assign-expr':
        this.#planUnify(e.lhs, e.rhs, cont);
        return;
      case 'every': {
        const { key, value, body } = e;
        // The domain must be defined; `every` over an undefined domain is undefined, not true.
        // A counterexample sets `found` and leaves the scan early.
        this.#planTerm(e.domain, (d) => {
          const src = this.#toLocal(d);
          // Over a scalar, `every` is undefined rather than vacuously true.
          const iterable = this.#new();
          this.#emit({ type: 'ResetLocalStmt', target: iterable });
          this.#emit({
            type: 'BlockStmt',
            blocks: (['IsArrayStmt', 'IsObjectStmt', 'IsSetStmt'] as const).map((type) => ({
              stmts: [
                { type, source: local(src) },
                { type: 'AssignVarStmt', source: { type: 'bool', value: true }, target: iterable },
              ],
            })),
          });
          this.#emit({ type: 'IsDefinedStmt', source: iterable });
          const found = this.#new();
          this.#emit({ type: 'ResetLocalStmt', target: found });
          this.#emitBlock(() => {
            const k = this.#new();
            const v = this.#new();
            const inner = this.#block(() => {
              if (key !== undefined) this.#bind(key.name, local(k));
              this.#bind(value.name, local(v));
              // Whether the body held is recorded at its innermost point rather than read off
              // "the block ran to its end": a `with` in the body nests the rest of the body in
              // a WithStmt, and a WithStmt whose block fails still lets its parent go on.
              const held = this.#new();
              this.#emit({ type: 'ResetLocalStmt', target: held });
              this.#emitBlock(() =>
                this.#planExprs(body.exprs, 0, () => {
                  this.#emit({ type: 'AssignVarStmt', source: { type: 'bool', value: true }, target: held });
                }),
              );
              this.#emit({ type: 'IsUndefinedStmt', source: held });
              this.#emit({ type: 'AssignVarStmt', source: { type: 'bool', value: true }, target: found });
              this.#emit({ type: 'BreakStmt', index: 1 });
            });
            this.#emit({ type: 'ScanStmt', source: src, key: k, value: v, block: inner });
          });
          this.#emit({ type: 'IsUndefinedStmt', source: found });
          cont();
        });
        return;
      }
      default:
        this.#error(`unexpected ${e.type} after compilation`, e.loc);
    }
  }

  /**
   * `x in {"a", "b"}` (or an array) against string, boolean and null constants: a chain of
   * equality tests instead of building the collection each time the expression runs. Such
   * constants equal each other exactly when they are the same constant, so membership is
   * "equals one of them", whatever the collection's kind.
   */
  #planConstMembership(t: Extract<Term, { type: 'call' }>, cont: Cont): boolean {
    const op = t.operator;
    if (op.head.type !== 'var' || op.head.name !== 'internal' || op.path.length !== 1) return false;
    const name = op.path[0];
    if (name?.type !== 'string' || name.value !== 'member_2' || t.args.length !== 2) return false;
    if (this.#state.gen.funcs.has('builtin:internal.member_2')) return false;
    const [x, coll] = t.args;
    if (x === undefined || coll === undefined || (coll.type !== 'set' && coll.type !== 'array')) return false;
    const scalar = (i: Term) => i.type === 'string' || i.type === 'boolean' || i.type === 'null';
    if (coll.items.length === 0 || coll.items.length > 16 || !coll.items.every(scalar)) return false;
    this.#planTerm(x, (v) => {
      const found = this.#new();
      this.#emit({ type: 'ResetLocalStmt', target: found });
      const blocks = coll.items.map((item) =>
        this.#block(() =>
          this.#planTerm(item, (c) => {
            this.#emit({ type: 'EqualStmt', a: v, b: c });
            this.#emit({ type: 'AssignVarStmt', source: { type: 'bool', value: true }, target: found });
          }),
        ),
      );
      this.#emit({ type: 'BlockStmt', blocks });
      this.#emit({ type: 'IsDefinedStmt', source: found });
      cont();
    });
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Unification

  /** Whether a term has unbound vars in positions unification can bind (vars, array items, object values). */
  #isPattern(t: Term): boolean {
    if (t.type === 'var') return !this.#isBound(t.name);
    if (t.type === 'array') return t.items.some((i) => this.#isPattern(i));
    if (t.type === 'object') return t.entries.some((e) => this.#isPattern(e.value));
    return false;
  }

  #planUnify(a: Term, b: Term, cont: Cont): void {
    if (a.type === 'var' && !this.#isBound(a.name)) {
      this.#planTerm(b, (v) => {
        this.#bind(a.name, v);
        cont();
      });
      return;
    }
    if (b.type === 'var' && !this.#isBound(b.name)) {
      this.#planUnify(b, a, cont);
      return;
    }
    if (a.type === 'array' && b.type === 'array' && (this.#isPattern(a) || this.#isPattern(b))) {
      if (a.items.length !== b.items.length) {
        this.#fail();
        return;
      }
      this.#unifyPairs(
        a.items.map((x, i) => [x, b.items[i] ?? x]),
        cont,
      );
      return;
    }
    if (a.type === 'object' && b.type === 'object' && (this.#isPattern(a) || this.#isPattern(b))) {
      const keyOf = (t: Term): string | undefined =>
        t.type === 'string' || t.type === 'number' || t.type === 'boolean' || t.type === 'null'
          ? `${t.type}:${t.type === 'number' ? Number(t.raw) : t.type === 'null' ? '' : String(t.value)}`
          : undefined;
      const right = new Map(b.entries.map((e) => [keyOf(e.key), e.value]));
      const pairs: [Term, Term][] = [];
      for (const e of a.entries) {
        const k = keyOf(e.key);
        const other = right.get(k);
        if (k === undefined || other === undefined || a.entries.length !== b.entries.length) {
          pairs.length = 0;
          break;
        }
        pairs.push([e.value, other]);
      }
      if (pairs.length === a.entries.length) {
        this.#unifyPairs(pairs, cont);
        return;
      }
    }
    if (this.#isPattern(a)) {
      this.#planTerm(b, (v) => this.#unifyValue(a, v, cont));
      return;
    }
    if (this.#isPattern(b)) {
      this.#planTerm(a, (v) => this.#unifyValue(b, v, cont));
      return;
    }
    this.#planTerm(a, (x) =>
      this.#planTerm(b, (y) => {
        this.#emit({ type: 'EqualStmt', a: x, b: y });
        cont();
      }),
    );
  }

  /** Unifies pairs, each time taking one whose sides are not both open, so bindings flow. */
  #unifyPairs(pairs: readonly [Term, Term][], cont: Cont): void {
    if (pairs.length === 0) {
      cont();
      return;
    }
    let i = pairs.findIndex(([x, y]) => !(this.#isPattern(x) && this.#isPattern(y)));
    if (i < 0) i = 0;
    const pair = pairs[i];
    if (pair === undefined) return;
    const rest = pairs.filter((_, j) => j !== i);
    this.#planUnify(pair[0], pair[1], () => this.#unifyPairs(rest, cont));
  }

  /** Unifies a pattern with a value already computed. */
  #unifyValue(pattern: Term, op: Operand, cont: Cont): void {
    if (pattern.type === 'var') {
      const bound = this.#state.vars.get(pattern.name);
      if (bound === undefined) this.#bind(pattern.name, op);
      else this.#emit({ type: 'EqualStmt', a: local(bound), b: op });
      cont();
      return;
    }
    if (pattern.type === 'array' && this.#isPattern(pattern)) {
      const src = this.#toLocal(op);
      this.#emit({ type: 'IsArrayStmt', source: local(src) });
      this.#checkLength(src, pattern.items.length);
      const step = (i: number): void => {
        const item = pattern.items[i];
        if (item === undefined) {
          cont();
          return;
        }
        const idx = this.#new();
        const elem = this.#new();
        this.#emit({ type: 'MakeNumberIntStmt', value: BigInt(i), target: idx });
        this.#emit({ type: 'DotStmt', source: local(src), key: local(idx), target: elem });
        this.#unifyValue(item, local(elem), () => step(i + 1));
      };
      step(0);
      return;
    }
    if (pattern.type === 'object' && this.#isPattern(pattern)) {
      const src = this.#toLocal(op);
      this.#emit({ type: 'IsObjectStmt', source: local(src) });
      this.#checkLength(src, pattern.entries.length);
      const step = (i: number): void => {
        const entry = pattern.entries[i];
        if (entry === undefined) {
          cont();
          return;
        }
        this.#planTerm(entry.key, (k) => {
          const elem = this.#new();
          this.#emit({ type: 'DotStmt', source: local(src), key: k, target: elem });
          this.#unifyValue(entry.value, local(elem), () => step(i + 1));
        });
      };
      step(0);
      return;
    }
    this.#planTerm(pattern, (p) => {
      this.#emit({ type: 'EqualStmt', a: p, b: op });
      cont();
    });
  }

  #checkLength(src: Local, n: number): void {
    const len = this.#new();
    const want = this.#new();
    this.#emit({ type: 'LenStmt', source: local(src), target: len });
    this.#emit({ type: 'MakeNumberIntStmt', value: BigInt(n), target: want });
    this.#emit({ type: 'EqualStmt', a: local(len), b: local(want) });
  }

  // -------------------------------------------------------------------------------------------
  // Terms

  /**
   * Plans terms into operands in their order, except that refs go first: a ref may bind vars
   * by iterating (`x == xs[x]`), which the other terms then read.
   */
  #planTerms(ts: readonly Term[], cont: (ops: Operand[]) => void): void {
    const order = ts
      .map((_, i) => i)
      .sort((i, j) => Number(ts[j]?.type === 'ref') - Number(ts[i]?.type === 'ref'));
    const ops: Operand[] = new Array<Operand>(ts.length);
    const step = (n: number): void => {
      const i = order[n];
      const t = i === undefined ? undefined : ts[i];
      if (i === undefined || t === undefined) {
        cont(ops);
        return;
      }
      this.#planTerm(t, (op) => {
        ops[i] = op;
        step(n + 1);
      });
    };
    step(0);
  }

  #planTerm(t: Term, cont: ValueCont): void {
    switch (t.type) {
      case 'null': {
        const l = this.#new();
        this.#emit({ type: 'MakeNullStmt', target: l });
        cont(local(l));
        return;
      }
      case 'boolean':
        cont({ type: 'bool', value: t.value });
        return;
      case 'number': {
        const l = this.#new();
        if (/^-?\d+$/.test(t.raw) && BigInt(t.raw) >= I64_MIN && BigInt(t.raw) <= I64_MAX)
          this.#emit({ type: 'MakeNumberIntStmt', value: BigInt(t.raw), target: l });
        else this.#emit({ type: 'MakeNumberRefStmt', index: this.string(t.raw), target: l });
        cont(local(l));
        return;
      }
      case 'string':
        cont(this.#str(t.value));
        return;
      case 'var': {
        const l = this.#state.vars.get(t.name);
        if (l === undefined) this.#error(`var ${t.name} is unsafe`, t.loc, DiagnosticCodes.unsafeVar);
        cont(local(l));
        return;
      }
      case 'ref':
        this.#planRef(t, cont);
        return;
      case 'array':
      case 'set':
      case 'object': {
        // A ground literal is laid out once by the backend and shared, not rebuilt per use.
        const value = termToConst(t);
        if (value === undefined) break;
        const l = this.#new();
        this.#emit({ type: 'MakeConstStmt', value, target: l });
        cont(local(l));
        return;
      }
    }
    switch (t.type) {
      case 'array':
        this.#planTerms(t.items, (ops) => {
          const l = this.#new();
          this.#emit({ type: 'MakeArrayStmt', capacity: ops.length, target: l });
          for (const op of ops) this.#emit({ type: 'ArrayAppendStmt', value: op, array: l });
          cont(local(l));
        });
        return;
      case 'set':
        this.#planTerms(t.items, (ops) => {
          const l = this.#new();
          this.#emit({ type: 'MakeSetStmt', target: l });
          for (const op of ops) this.#emit({ type: 'SetAddStmt', value: op, set: l });
          cont(local(l));
        });
        return;
      case 'object':
        this.#planTerms(
          t.entries.flatMap((e) => [e.key, e.value]),
          (ops) => {
            const l = this.#new();
            this.#emit({ type: 'MakeObjectStmt', target: l });
            for (let i = 0; i + 1 < ops.length; i += 2) {
              const key = ops[i];
              const value = ops[i + 1];
              if (key !== undefined && value !== undefined)
                this.#emit({ type: 'ObjectInsertStmt', key, value, object: l });
            }
            cont(local(l));
          },
        );
        return;
      case 'array-comprehension':
      case 'set-comprehension':
      case 'object-comprehension': {
        const target = this.#new();
        this.#emit({
          type:
            t.type === 'array-comprehension'
              ? 'MakeArrayStmt'
              : t.type === 'set-comprehension'
                ? 'MakeSetStmt'
                : 'MakeObjectStmt',
          target,
          ...(t.type === 'array-comprehension' ? { capacity: 0 } : {}),
        } as Stmt);
        this.#emitBlock(() =>
          this.#planExprs(t.body.exprs, 0, () => {
            if (t.type === 'object-comprehension') {
              this.#planTerm(t.key, (k) =>
                this.#planTerm(t.value, (v) =>
                  this.#emit({ type: 'ObjectInsertOnceStmt', key: k, value: v, object: target }),
                ),
              );
            } else {
              this.#planTerm(t.term, (v) =>
                this.#emit(
                  t.type === 'array-comprehension'
                    ? { type: 'ArrayAppendStmt', value: v, array: target }
                    : { type: 'SetAddStmt', value: v, set: target },
                ),
              );
            }
          }),
        );
        cont(local(target));
        return;
      }
      case 'call':
        this.#planCall(t, cont);
        return;
    }
  }

  #planCall(t: Extract<Term, { type: 'call' }>, cont: ValueCont): void {
    const op = t.operator;
    let group: RuleGroup | undefined;
    let builtin = '';
    if (op.head.type === 'var' && op.head.name === 'data') {
      const node = this.#nodeOn(op.path);
      group = node?.group;
      if (group === undefined || group.kind !== 'function' || node === undefined)
        this.#error('dynamic function calls are not supported', t.loc);
    } else {
      const parts = [op.head.type === 'var' ? op.head.name : '?'];
      for (const p of op.path) parts.push(p.type === 'string' ? p.value : '?');
      builtin = parts.join('.');
    }
    const mock = this.#state.gen.funcs.get(
      group === undefined ? `builtin:${builtin}` : `data:${group.path.join('.')}`,
    );
    const fixed: Operand[] = [local(INPUT_LOCAL), local(DATA_LOCAL)];
    let name: string;
    let prefix: Operand[] = [];
    let suffix: Operand[] = [];
    if (mock?.kind === 'value') {
      // The arguments are still evaluated: an undefined argument leaves the call undefined.
      const slot = this.#state.slots[mock.slot];
      if (slot === undefined) this.#error('internal: with value slot missing', t.loc);
      this.#planTerms(t.args, () => cont(local(slot)));
      return;
    }
    if (mock?.kind === 'func') {
      // A replacement function runs without the replacements in force (it may call what it
      // replaces); replaced rules stay replaced.
      name = this.#funcName(mock.group, this.#genFor(new Map(), this.#state.gen.data, 0));
      prefix = fixed;
    } else if (mock?.kind === 'builtin') {
      name = mock.name;
      this.#builtins.set(name, t.args.length);
    } else if (group !== undefined) {
      name = this.#funcName(group);
      prefix = fixed;
      suffix = this.#state.slots.map(local);
    } else {
      name = builtin;
      this.#builtins.set(name, t.args.length);
    }
    const relation =
      mock === undefined && group === undefined && BUILTIN_SIGNATURES.get(name)?.relation === true;
    this.#planTerms(t.args, (ops) => {
      const result = this.#new();
      this.#emit({ type: 'CallStmt', func: name, args: [...prefix, ...ops, ...suffix], result });
      if (!relation) {
        cont(local(result));
        return;
      }
      // A relation (`walk`) returns the array of all its answers; each one continues the body.
      const key = this.#new();
      const value = this.#new();
      const block = this.#block(() => cont(local(value)));
      this.#emit({ type: 'ScanStmt', source: result, key, value, block });
    });
  }

  #planRef(ref: RefTerm, cont: ValueCont): void {
    const head = ref.head;
    if (head.type === 'var') {
      if (head.name === 'input') {
        // Operands of a missing input would be silently undefined; the ref must fail instead.
        this.#emit({ type: 'IsDefinedStmt', source: INPUT_LOCAL });
        this.#walkPath(local(INPUT_LOCAL), ref.path, 0, cont);
        return;
      }
      if (head.name === 'data') {
        this.#planDataRef(ref, cont);
        return;
      }
      this.#planTerm(head, (h) => this.#walkPath(h, ref.path, 0, cont));
      return;
    }
    this.#planTerm(head, (h) => this.#walkPath(h, ref.path, 0, cont));
  }

  #walkPath(src: Operand, path: readonly Term[], i: number, cont: ValueCont, inData = false): void {
    const e = path[i];
    if (e === undefined) {
      cont(src);
      return;
    }
    if (inData && e.type === 'number' && /^\d+$/.test(e.raw)) {
      // Base documents come from JSON, whose object keys are strings: OPA looks `data.x[2]` up
      // as the path x/2, which is an array index or the key "2".
      this.#planTerm(e, (n) => {
        const target = this.#new();
        this.#emit({ type: 'ResetLocalStmt', target });
        this.#emit({
          type: 'BlockStmt',
          blocks: [{ stmts: [{ type: 'DotStmt', source: src, key: n, target }] }],
        });
        this.#emitBlock(() => {
          this.#emit({ type: 'IsUndefinedStmt', source: target });
          this.#emit({ type: 'DotStmt', source: src, key: this.#str(e.raw), target });
        });
        this.#emit({ type: 'IsDefinedStmt', source: target });
        this.#walkPath(local(target), path, i + 1, cont, inData);
      });
      return;
    }
    const open = (e.type === 'var' && !this.#isBound(e.name)) || this.#isPattern(e);
    if (open) {
      const source = this.#toLocal(src);
      const k = this.#new();
      const v = this.#new();
      const block = this.#block(() =>
        this.#unifyValue(e, local(k), () => this.#walkPath(local(v), path, i + 1, cont, inData)),
      );
      this.#emit({ type: 'ScanStmt', source, key: k, value: v, block });
      return;
    }
    this.#planTerm(e, (key) => {
      const target = this.#new();
      this.#emit({ type: 'DotStmt', source: src, key, target });
      this.#walkPath(local(target), path, i + 1, cont, inData);
    });
  }

  /**
   * `data.…`: base documents and rules share one namespace. Static steps follow the rule tree;
   * reaching a rule calls its function and continues inside its value; leaving the tree
   * continues in base data; stopping (or varying) above rules builds the merged document.
   */
  #planDataRef(ref: RefTerm, cont: ValueCont): void {
    this.#planDataFrom(ref, this.#program.tree, [], 0, cont);
  }

  #planDataFrom(
    ref: RefTerm,
    start: RuleTreeNode,
    from: readonly string[],
    i0: number,
    cont: ValueCont,
  ): void {
    let node = start;
    const prefix = [...from];
    for (let i = i0; ; i++) {
      if (this.#overridden(prefix)) {
        this.#walkPath(local(DATA_LOCAL), ref.path, 0, cont, true);
        return;
      }
      if (node.group !== undefined) {
        const group = node.group;
        if (group.kind === 'function')
          this.#error(`function ${['data', ...group.path].join('.')} used as a value`, ref.loc);
        this.#callRule(group, (v) => this.#walkPath(v, ref.path, i, cont));
        return;
      }
      const e = ref.path[i];
      if (e === undefined) {
        cont(local(this.#materialize(node, prefix)));
        return;
      }
      if (e.type === 'string') {
        const child = node.children.get(e.value);
        if (child === undefined) {
          this.#walkPath(local(DATA_LOCAL), ref.path, 0, cont, true);
          return;
        }
        prefix.push(e.value);
        node = child;
        continue;
      }
      // Rule names are strings, so other constant keys can only reach base documents.
      if (e.type === 'number' || e.type === 'boolean' || e.type === 'null') {
        this.#walkPath(local(DATA_LOCAL), ref.path, 0, cont, true);
        return;
      }
      const open = (e.type === 'var' && !this.#isBound(e.name)) || this.#isPattern(e);
      if (!open) {
        // A known key dispatches to the one child it names instead of building the whole
        // document here, which could include (and so call) the very rule being planned.
        const children = [...node.children].filter(([, c]) => c.group?.kind !== 'function');
        this.#planTerm(e, (k) => {
          for (const [name, child] of children)
            this.#emitBlock(() => {
              this.#emit({ type: 'EqualStmt', a: k, b: this.#str(name) });
              this.#planDataFrom(ref, child, [...prefix, name], i + 1, cont);
            });
          this.#emitBlock(() => {
            for (const [name] of children) this.#emit({ type: 'NotEqualStmt', a: k, b: this.#str(name) });
            this.#walkPath(local(DATA_LOCAL), ref.path, 0, cont, true);
          });
        });
        return;
      }
      this.#walkPath(local(this.#materialize(node, prefix)), ref.path, i, cont, true);
      return;
    }
  }

  #callRule(group: RuleGroup, cont: ValueCont): void {
    const result = this.#new();
    this.#emit({
      type: 'CallStmt',
      func: this.#funcName(group),
      args: [local(INPUT_LOCAL), local(DATA_LOCAL), ...this.#state.slots.map(local)],
      result,
    });
    cont(local(result));
  }

  /** The document at a tree node: each rule's value (when defined) merged with base data. */
  #materialize(node: RuleTreeNode, prefix: readonly string[]): Local {
    const obj = this.#new();
    this.#emit({ type: 'MakeObjectStmt', target: obj });
    for (const [key, child] of [...node.children].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (child.group?.kind === 'function' || this.#overridden([...prefix, key])) continue;
      this.#emitBlock(() => {
        const group = child.group;
        const put = (v: Operand): void =>
          this.#emit({ type: 'ObjectInsertStmt', key: this.#str(key), value: v, object: obj });
        if (group !== undefined) this.#callRule(group, put);
        else put(local(this.#materialize(child, [...prefix, key])));
      });
    }
    const result = this.#new();
    this.#emit({ type: 'AssignVarStmt', source: local(obj), target: result });
    this.#emitBlock(() => {
      let base: Local = DATA_LOCAL;
      for (const key of prefix) {
        const next = this.#new();
        this.#emit({ type: 'DotStmt', source: local(base), key: this.#str(key), target: next });
        base = next;
      }
      // Where a rule and a base document disagree, the merged view keeps the base value, as
      // OPA's evaluator does.
      this.#emit({ type: 'ObjectMergeStmt', a: base, b: obj, target: result });
    });
    return result;
  }
}

interface WithScope {
  readonly funcs: Map<string, Mock>;
  readonly data: ReadonlySet<string>;
  readonly slots: Local[];
  readonly restore: { saved: Local; target: Local }[];
}

function genKey(gen: Gen): string {
  const funcs = [...gen.funcs]
    .map(
      ([k, m]) => `${k}=${m.kind === 'value' ? m.slot : m.kind === 'func' ? m.group.path.join('.') : m.name}`,
    )
    .sort();
  return JSON.stringify([funcs, [...gen.data].sort(), gen.slots]);
}

export function isResultVar(name: string): boolean {
  return !isGeneratedVar(name);
}
