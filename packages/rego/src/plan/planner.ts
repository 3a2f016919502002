/**
 * Compiled rules → IR, in OPA's planner style: continuation passing. Planning a term that
 * iterates (a ref with an unbound var) opens a ScanStmt and plans the rest of the query inside
 * its block, so conjunction is nesting and each solution runs the continuation once.
 */
import type { Expr, Location, RefTerm, Term } from '../ast/index.js';
import type {
  CompiledElse,
  CompiledProgram,
  CompiledQuery,
  CompiledRule,
  RuleGroup,
  RuleTreeNode,
} from '../compile/index.js';
import { isGeneratedVar } from '../compile/index.js';
import { DiagnosticCodes, type DiagnosticCollector } from '../diagnostics/index.js';
import type { Block, BuiltinFunc, Func, Local, Operand, Plan, Stmt } from './ir.js';
import { DATA_LOCAL, INPUT_LOCAL } from './ir.js';

type Cont = () => void;
type ValueCont = (op: Operand) => void;

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

const local = (value: Local): Operand => ({ type: 'local', value });

/** Marks a plan that could not be completed; the diagnostic has already been reported. */
class PlanAbort extends Error {}

interface FuncState {
  next: Local;
  vars: Map<string, Local>;
  cur: Stmt[];
}

export class Planner {
  readonly #program: CompiledProgram;
  readonly #diagnostics: DiagnosticCollector;
  readonly #strings: string[] = [];
  readonly #stringIndex = new Map<string, number>();
  readonly #builtins = new Map<string, number>();
  readonly #funcs: Func[] = [];
  readonly #funcNames = new Map<RuleGroup, string>();
  readonly #queue: RuleGroup[] = [];
  #state: FuncState = { next: 2, vars: new Map(), cur: [] };

  constructor(program: CompiledProgram, diagnostics: DiagnosticCollector) {
    this.#program = program;
    this.#diagnostics = diagnostics;
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
      const group = this.#queue.shift();
      if (group !== undefined) this.#planGroup(group);
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
    this.#state = { next: 2, vars: new Map(), cur: [] };
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

  #funcName(group: RuleGroup): string {
    let name = this.#funcNames.get(group);
    if (name === undefined) {
      name = `g0.data.${group.path.join('.')}`;
      this.#funcNames.set(group, name);
      this.#queue.push(group);
    }
    return name;
  }

  #planGroup(group: RuleGroup): void {
    const name = this.#funcName(group);
    const arity = group.arity ?? 0;
    this.#state = { next: 2 + arity, vars: new Map(), cur: [] };
    const params = [INPUT_LOCAL, DATA_LOCAL, ...Array.from({ length: arity }, (_, i) => 2 + i)];
    const ret = this.#new();
    try {
      const body = this.#block(() => {
        if (group.kind === 'partial-set') this.#emit({ type: 'MakeSetStmt', target: ret });
        if (group.kind === 'partial-object') this.#emit({ type: 'MakeObjectStmt', target: ret });
        for (const rule of group.rules) this.#planRule(group, rule, params, ret);
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
      this.#funcs.push({ name, params, ret, blocks: [body, retBlock], path: ['g0', ...group.path] });
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

  #planRule(group: RuleGroup, rule: CompiledRule, params: readonly Local[], ret: Local): void {
    if (rule.else !== undefined) {
      this.#planElseChain(rule, params, ret);
      return;
    }
    this.#emitBlock(() =>
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
      ),
    );
  }

  /** `else` branches run in order until one produces a value, which the rule then outputs. */
  #planElseChain(rule: CompiledRule, params: readonly Local[], ret: Local): void {
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
      this.#planWith(e, 0, [], cont);
      return;
    }
    this.#planExprCore(e, cont);
  }

  #planWith(e: Expr, i: number, restore: { saved: Local; target: Local }[], cont: Cont): void {
    const w = e.with[i];
    if (w === undefined) {
      this.#planExprCore(e, () => {
        // The rest of the query must see the documents as they were.
        for (const r of restore)
          this.#emit({ type: 'AssignVarStmt', source: local(r.saved), target: r.target });
        cont();
      });
      return;
    }
    const target = w.target;
    const root = target.type === 'ref' && target.head.type === 'var' ? target.head.name : undefined;
    if (target.type !== 'ref' || (root !== 'input' && root !== 'data'))
      this.#error('with keyword replacing functions is not supported', w.loc);
    const path: number[] = [];
    for (const p of target.path) {
      if (p.type !== 'string') this.#error('with keyword target must be a static reference', w.loc);
      path.push(this.string(p.value));
    }
    if (root === 'data') {
      const node = this.#nodeOn(target.path);
      if (node !== undefined) this.#error('with keyword replacing rules is not supported', w.loc);
    }
    const targetLocal = root === 'input' ? INPUT_LOCAL : DATA_LOCAL;
    this.#planTerm(w.value, (v) => {
      const saved = this.#new();
      this.#emit({ type: 'AssignVarStmt', source: local(targetLocal), target: saved });
      const block = this.#block(() =>
        this.#planWith(e, i + 1, [...restore, { saved, target: targetLocal }], cont),
      );
      this.#emit({ type: 'WithStmt', local: targetLocal, path, value: v, block });
    });
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
    let name: string;
    let prefix: Operand[] = [];
    if (op.head.type === 'var' && op.head.name === 'data') {
      const node = this.#nodeOn(op.path);
      const group = node?.group;
      if (group === undefined || group.kind !== 'function' || node === undefined)
        this.#error('dynamic function calls are not supported', t.loc);
      name = this.#funcName(group);
      prefix = [local(INPUT_LOCAL), local(DATA_LOCAL)];
    } else {
      const parts = [op.head.type === 'var' ? op.head.name : '?'];
      for (const p of op.path) parts.push(p.type === 'string' ? p.value : '?');
      name = parts.join('.');
      this.#builtins.set(name, t.args.length);
    }
    this.#planTerms(t.args, (ops) => {
      const result = this.#new();
      this.#emit({ type: 'CallStmt', func: name, args: [...prefix, ...ops], result });
      cont(local(result));
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

  #walkPath(src: Operand, path: readonly Term[], i: number, cont: ValueCont): void {
    const e = path[i];
    if (e === undefined) {
      cont(src);
      return;
    }
    const open = (e.type === 'var' && !this.#isBound(e.name)) || this.#isPattern(e);
    if (open) {
      const source = this.#toLocal(src);
      const k = this.#new();
      const v = this.#new();
      const block = this.#block(() =>
        this.#unifyValue(e, local(k), () => this.#walkPath(local(v), path, i + 1, cont)),
      );
      this.#emit({ type: 'ScanStmt', source, key: k, value: v, block });
      return;
    }
    this.#planTerm(e, (key) => {
      const target = this.#new();
      this.#emit({ type: 'DotStmt', source: src, key, target });
      this.#walkPath(local(target), path, i + 1, cont);
    });
  }

  /**
   * `data.…`: base documents and rules share one namespace. Static steps follow the rule tree;
   * reaching a rule calls its function and continues inside its value; leaving the tree
   * continues in base data; stopping (or varying) above rules builds the merged document.
   */
  #planDataRef(ref: RefTerm, cont: ValueCont): void {
    let node: RuleTreeNode = this.#program.tree;
    const prefix: string[] = [];
    for (let i = 0; ; i++) {
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
          this.#walkPath(local(DATA_LOCAL), ref.path, 0, cont);
          return;
        }
        prefix.push(e.value);
        node = child;
        continue;
      }
      this.#walkPath(local(this.#materialize(node, prefix)), ref.path, i, cont);
      return;
    }
  }

  #callRule(group: RuleGroup, cont: ValueCont): void {
    const result = this.#new();
    this.#emit({
      type: 'CallStmt',
      func: this.#funcName(group),
      args: [local(INPUT_LOCAL), local(DATA_LOCAL)],
      result,
    });
    cont(local(result));
  }

  /** The document at a tree node: each rule's value (when defined) merged over base data. */
  #materialize(node: RuleTreeNode, prefix: readonly string[]): Local {
    const obj = this.#new();
    this.#emit({ type: 'MakeObjectStmt', target: obj });
    for (const [key, child] of [...node.children].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (child.group?.kind === 'function') continue;
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
      this.#emit({ type: 'ObjectMergeStmt', a: obj, b: base, target: result });
    });
    return result;
  }
}

export function isResultVar(name: string): boolean {
  return !isGeneratedVar(name);
}
