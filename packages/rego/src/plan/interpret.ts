/**
 * A reference evaluator of the IR over JS values: plans the planner emits can be run and
 * checked without the wasm backend, and the backend can be diffed against it. It follows
 * ir.ts's execution model, with one deliberate reading: a conflicting AssignVarOnceStmt or
 * ObjectInsertOnceStmt raises `eval_conflict_error`, as OPA's engines do, rather than merely
 * failing (which would let the first of two conflicting values through).
 */

import { constToValue } from './const-value.js';
import { type BuiltinImpl, INTERPRETER_BUILTINS, IrEvalError } from './interpret-builtins.js';
import type { Block, Func, Operand, Policy, Stmt } from './ir.js';
import { deepCopy, equalValues, RegoObject, RegoSet, type Value } from './values.js';

export { IrEvalError } from './interpret-builtins.js';

type Locals = Map<number, Value>;
/** How a block ended: ran to its end, was left (failure / break 0), or a break to pass outward. */
type BlockResult = 'end' | 'left' | { readonly break: number };
type StmtResult = 'ok' | 'fail' | { readonly break: number };

export interface InterpretOptions {
  readonly input?: Value;
  readonly data?: Value;
  /** Extra or replacement builtins, by name. */
  readonly builtins?: ReadonlyMap<string, BuiltinImpl>;
  /** Guards against runaway plans. */
  readonly maxSteps?: number;
}

export class IrInterpreter {
  readonly #policy: Policy;
  readonly #funcs: Map<string, Func>;
  readonly #builtins: ReadonlyMap<string, BuiltinImpl>;
  #steps = 0;
  readonly #maxSteps: number;
  readonly #strictBuiltinErrors: boolean;

  constructor(
    policy: Policy,
    options: {
      builtins?: ReadonlyMap<string, BuiltinImpl>;
      maxSteps?: number;
      /**
       * When false, a builtin's type or runtime error leaves its call undefined instead of
       * ending evaluation, as OPA does without `strict-builtin-errors`.
       */
      strictBuiltinErrors?: boolean;
    } = {},
  ) {
    this.#policy = policy;
    this.#funcs = new Map(policy.funcs.map((f) => [f.name, f]));
    this.#builtins = options.builtins ?? INTERPRETER_BUILTINS;
    this.#maxSteps = options.maxSteps ?? 10_000_000;
    this.#strictBuiltinErrors = options.strictBuiltinErrors ?? true;
  }

  /** Runs a plan; returns its result set. Throws IrEvalError for runtime errors. */
  run(planName: string, options: InterpretOptions = {}): Value[] {
    const plan = this.#policy.plans.find((p) => p.name === planName);
    if (plan === undefined) throw new IrEvalError('eval_internal_error', `no plan named ${planName}`);
    this.#steps = 0;
    const results: Value[] = [];
    const locals: Locals = new Map();
    if (options.input !== undefined) locals.set(0, options.input);
    locals.set(1, options.data ?? new RegoObject());
    const frame = { locals, results, returned: undefined as Value | undefined };
    for (const block of plan.blocks) {
      const r = this.#block(block, frame);
      if (typeof r === 'object') break;
    }
    return results;
  }

  #call(func: Func, args: (Value | undefined)[]): Value | undefined {
    const locals: Locals = new Map();
    func.params.forEach((p, i) => {
      const a = args[i];
      if (a !== undefined) locals.set(p, a);
    });
    const frame = { locals, results: [] as Value[], returned: undefined as Value | undefined };
    for (const block of func.blocks) {
      const r = this.#block(block, frame);
      if (typeof r === 'object') break;
    }
    return frame.returned;
  }

  #block(block: Block, frame: Frame): BlockResult {
    for (const stmt of block.stmts) {
      if (++this.#steps > this.#maxSteps) throw new IrEvalError('eval_internal_error', 'step limit exceeded');
      const r = this.#stmt(stmt, frame);
      if (r === 'ok') continue;
      if (r === 'fail') return 'left';
      if (r.break === 0) return 'left';
      return { break: r.break - 1 };
    }
    return 'end';
  }

  #op(op: Operand, frame: Frame): Value | undefined {
    switch (op.type) {
      case 'local':
        return frame.locals.get(op.value);
      case 'bool':
        return op.value;
      case 'string_index':
        return this.#policy.static.strings[op.value];
    }
  }

  #stmt(s: Stmt, frame: Frame): StmtResult {
    const L = frame.locals;
    const get = (op: Operand): Value | undefined => this.#op(op, frame);
    switch (s.type) {
      case 'ReturnLocalStmt':
        frame.returned = L.get(s.source);
        return 'ok';
      case 'CallStmt': {
        const func = this.#funcs.get(s.func);
        // A function's input and data parameters may be undefined (no input given); builtin
        // arguments may not.
        const args: (Value | undefined)[] = [];
        for (const [i, a] of s.args.entries()) {
          const v = get(a);
          if (v === undefined && (func === undefined || i > 1)) return 'fail';
          args.push(v);
        }
        let result: Value | undefined;
        if (func !== undefined) result = this.#call(func, args);
        else {
          const impl = this.#builtins.get(s.func);
          if (impl === undefined) throw new IrEvalError('eval_internal_error', `unknown builtin ${s.func}`);
          try {
            result = impl(...(args as Value[]));
          } catch (e) {
            if (
              this.#strictBuiltinErrors ||
              !(e instanceof IrEvalError) ||
              (e.code !== 'eval_type_error' && e.code !== 'eval_builtin_error')
            )
              throw e;
            return 'fail';
          }
        }
        if (result === undefined) return 'fail';
        L.set(s.result, result);
        return 'ok';
      }
      case 'CallDynamicStmt':
        throw new IrEvalError('eval_internal_error', 'dynamic calls are not supported by the interpreter');
      case 'BlockStmt':
        for (const b of s.blocks) {
          const r = this.#block(b, frame);
          if (typeof r === 'object') return r;
        }
        return 'ok';
      case 'BreakStmt':
        return { break: s.index };
      case 'DotStmt': {
        const src = get(s.source);
        const key = get(s.key);
        if (src === undefined || key === undefined) return 'fail';
        const v = dot(src, key);
        if (v === undefined) return 'fail';
        L.set(s.target, v);
        return 'ok';
      }
      case 'LenStmt': {
        const src = get(s.source);
        if (src === undefined) return 'fail';
        const n = length(src);
        if (n === undefined) return 'fail';
        L.set(s.target, n);
        return 'ok';
      }
      case 'ScanStmt': {
        const src = L.get(s.source);
        if (src === undefined) return 'fail';
        for (const [k, v] of entries(src)) {
          L.set(s.key, k);
          L.set(s.value, v);
          const r = this.#block(s.block, frame);
          if (typeof r === 'object') return r;
        }
        return 'ok';
      }
      case 'NotStmt': {
        const r = this.#block(s.block, frame);
        if (typeof r === 'object') return r;
        return r === 'end' ? 'fail' : 'ok';
      }
      case 'AssignIntStmt':
        L.set(s.target, Number(s.value));
        return 'ok';
      case 'AssignVarStmt': {
        const v = get(s.source);
        if (v === undefined) L.delete(s.target);
        else L.set(s.target, v);
        return 'ok';
      }
      case 'AssignVarOnceStmt': {
        const v = get(s.source);
        if (v === undefined) return 'fail';
        const cur = L.get(s.target);
        if (cur === undefined) L.set(s.target, v);
        else if (!equalValues(cur, v))
          throw new IrEvalError('eval_conflict_error', 'complete rules must not produce multiple outputs');
        return 'ok';
      }
      case 'ResetLocalStmt':
        L.delete(s.target);
        return 'ok';
      case 'MakeNullStmt':
        L.set(s.target, null);
        return 'ok';
      case 'MakeNumberIntStmt':
        L.set(s.target, Number(s.value));
        return 'ok';
      case 'MakeNumberRefStmt':
        L.set(s.target, Number(this.#policy.static.strings[s.index]));
        return 'ok';
      case 'MakeArrayStmt':
        L.set(s.target, []);
        return 'ok';
      case 'MakeObjectStmt':
        L.set(s.target, new RegoObject());
        return 'ok';
      case 'MakeSetStmt':
        L.set(s.target, new RegoSet());
        return 'ok';
      case 'MakeConstStmt':
        L.set(s.target, constToValue(s.value));
        return 'ok';
      case 'EqualStmt':
      case 'NotEqualStmt': {
        const a = get(s.a);
        const b = get(s.b);
        if (a === undefined || b === undefined) return 'fail';
        return equalValues(a, b) === (s.type === 'EqualStmt') ? 'ok' : 'fail';
      }
      case 'IsArrayStmt':
        return Array.isArray(get(s.source)) ? 'ok' : 'fail';
      case 'IsObjectStmt':
        return get(s.source) instanceof RegoObject ? 'ok' : 'fail';
      case 'IsSetStmt':
        return get(s.source) instanceof RegoSet ? 'ok' : 'fail';
      case 'IsDefinedStmt':
        return L.get(s.source) !== undefined ? 'ok' : 'fail';
      case 'IsUndefinedStmt':
        return L.get(s.source) === undefined ? 'ok' : 'fail';
      case 'ArrayAppendStmt': {
        const arr = L.get(s.array);
        const v = get(s.value);
        if (!Array.isArray(arr) || v === undefined) return 'fail';
        arr.push(v);
        return 'ok';
      }
      case 'ObjectInsertStmt':
      case 'ObjectInsertOnceStmt': {
        const obj = L.get(s.object);
        const k = get(s.key);
        const v = get(s.value);
        if (!(obj instanceof RegoObject) || k === undefined || v === undefined) return 'fail';
        if (s.type === 'ObjectInsertOnceStmt') {
          const cur = obj.get(k);
          if (cur !== undefined && !equalValues(cur, v))
            throw new IrEvalError('eval_conflict_error', 'object keys must be unique');
        }
        obj.set(k, v);
        return 'ok';
      }
      case 'ObjectMergeStmt': {
        const a = L.get(s.a);
        const b = L.get(s.b);
        if (!(a instanceof RegoObject) || !(b instanceof RegoObject)) return 'fail';
        L.set(s.target, merge(a, b));
        return 'ok';
      }
      case 'SetAddStmt': {
        const set = L.get(s.set);
        const v = get(s.value);
        if (!(set instanceof RegoSet) || v === undefined) return 'fail';
        set.add(v);
        return 'ok';
      }
      case 'WithStmt': {
        const v = get(s.value);
        if (v === undefined) return 'fail';
        const had = L.get(s.local);
        const path = s.path.map((i) => this.#policy.static.strings[i] ?? '');
        L.set(s.local, upsert(had, path, v));
        try {
          const r = this.#block(s.block, frame);
          return typeof r === 'object' ? r : 'ok';
        } finally {
          if (had === undefined) L.delete(s.local);
          else L.set(s.local, had);
        }
      }
      case 'NopStmt':
        return 'ok';
      case 'ResultSetAddStmt': {
        const v = L.get(s.value);
        if (v !== undefined) frame.results.push(deepCopy(v));
        return 'ok';
      }
    }
  }
}

interface Frame {
  readonly locals: Locals;
  readonly results: Value[];
  returned: Value | undefined;
}

function dot(src: Value, key: Value): Value | undefined {
  if (Array.isArray(src)) {
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 0) return undefined;
    return src[key];
  }
  if (src instanceof RegoObject) return src.get(key);
  if (src instanceof RegoSet) return src.has(key) ? key : undefined;
  return undefined;
}

function length(src: Value): number | undefined {
  if (Array.isArray(src)) return src.length;
  if (src instanceof RegoObject) return src.entries.size;
  if (src instanceof RegoSet) return src.items.size;
  if (typeof src === 'string') return [...src].length;
  return undefined;
}

function entries(src: Value): [Value, Value][] {
  if (Array.isArray(src)) return src.map((v, i) => [i, v]);
  if (src instanceof RegoObject) return src.sorted();
  if (src instanceof RegoSet) return src.sorted().map((v) => [v, v]);
  return [];
}

function merge(a: RegoObject, b: RegoObject): RegoObject {
  const out = new RegoObject();
  for (const [k, v] of b.entries.values()) out.set(k, v);
  for (const [k, v] of a.entries.values()) {
    const other = out.get(k);
    out.set(k, v instanceof RegoObject && other instanceof RegoObject ? merge(v, other) : v);
  }
  return out;
}

/** A copy of `doc` with `value` at `path`, creating objects on the way. */
function upsert(doc: Value | undefined, path: readonly string[], value: Value): Value {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  const out = new RegoObject();
  if (doc instanceof RegoObject) for (const [k, v] of doc.entries.values()) out.set(k, v);
  out.set(head, upsert(out.get(head), rest, value));
  return out;
}
