/**
 * Lowers the statements of one plan or function into wasm structured control flow. Every IR
 * Block becomes a wasm `block` whose label is pushed on a stack while its statements are
 * lowered, so "this statement fails" is `br` to the innermost label and BreakStmt { index } is
 * `br` to the label `index` entries down. Locals map one to one onto wasm i32 locals (0 is
 * undefined, as in the IR), so a plan's loops and assignments cost no allocation beyond the
 * values they create.
 */
import binaryen from 'binaryen';
import type { Block, ConstValue, Local, Operand, Stmt } from '../plan/ir.js';
import { WasmEmitError } from './errors.js';
import type { StaticData } from './static-data.js';

const i32 = binaryen.i32;
const TYPE_ARRAY = 5;
const TYPE_OBJECT = 6;

/** A callable the lowering can target: a planned function or a builtin, already resolved. */
export interface Callee {
  /** Emits the call on already lowered argument expressions; yields the value (0 = undefined). */
  readonly call: (args: binaryen.ExpressionRef[]) => binaryen.ExpressionRef;
  /** Undefined for a builtin the IR did not declare: any arity is accepted. */
  readonly arity: number | undefined;
}

export interface LoweringContext {
  readonly module: binaryen.Module;
  readonly data: StaticData;
  /** Runtime export name → internal function name. */
  readonly runtime: (exportName: string) => string;
  readonly strings: readonly string[];
  readonly callee: (name: string) => Callee | undefined;
  /** Planned functions with a data path, for CallDynamicStmt. */
  readonly pathFuncs: readonly { readonly path: readonly string[]; readonly callee: Callee }[];
  /** The address of a constant laid out in the module's data (see constants.ts). */
  readonly constant: (value: ConstValue) => number;
  readonly trueAddr: number;
  readonly falseAddr: number;
  readonly nullAddr: number;
}

export class FunctionLowering {
  private readonly m: binaryen.Module;
  private readonly locals = new Map<Local, number>();
  private readonly labels: string[] = [];
  /**
   * Active WithStmts: the label-stack position of each one's body block and the locals to
   * restore. A BreakStmt that leaves a with's body from inside restores the replaced local on
   * the way out, so the replacement never leaks past the block.
   */
  private readonly withs: { position: number; target: number; saved: number }[] = [];
  private nextIndex: number;
  private labelCount = 0;
  /** Number of wasm params; every index at or above it is a declared var. */
  private readonly paramCount: number;
  /** A Rego function (arguments beyond input and data) rather than a rule: OPA words its conflicts differently. */
  private readonly isFunction: boolean;

  constructor(
    private readonly cx: LoweringContext,
    params: readonly Local[],
    /** Wasm params that precede the IR's (the plan's ctx). */
    leading: number,
    /** The wasm local holding the eval context, in plans only. */
    private readonly ctxLocal: number | undefined,
  ) {
    this.m = cx.module;
    this.nextIndex = leading;
    for (const local of params) {
      if (this.locals.has(local)) throw new WasmEmitError(`parameter local ${local} listed twice`);
      this.locals.set(local, this.nextIndex++);
    }
    this.paramCount = this.nextIndex;
    this.isFunction = params.length > 2;
  }

  /** The var types to declare, after lowering. */
  get varTypes(): binaryen.Type[] {
    return new Array<binaryen.Type>(this.nextIndex - this.paramCount).fill(i32);
  }

  local(local: Local): number {
    let index = this.locals.get(local);
    if (index === undefined) {
      index = this.nextIndex++;
      this.locals.set(local, index);
    }
    return index;
  }

  private temp(): number {
    return this.nextIndex++;
  }

  private get(local: Local): binaryen.ExpressionRef {
    return this.m.local.get(this.local(local), i32);
  }

  private set(local: Local, value: binaryen.ExpressionRef): binaryen.ExpressionRef {
    return this.m.local.set(this.local(local), value);
  }

  private rt(
    name: string,
    args: binaryen.ExpressionRef[],
    type: binaryen.Type = i32,
  ): binaryen.ExpressionRef {
    return this.m.call(this.cx.runtime(name), args, type);
  }

  private label(kind: string): string {
    return `${kind}${this.labelCount++}`;
  }

  private get current(): string {
    const label = this.labels[this.labels.length - 1];
    if (label === undefined) throw new WasmEmitError('statement outside any block');
    return label;
  }

  private failIf(condition: binaryen.ExpressionRef): binaryen.ExpressionRef {
    return this.m.br(this.current, condition);
  }

  private failIfZero(value: binaryen.ExpressionRef): binaryen.ExpressionRef {
    return this.failIf(this.m.i32.eqz(value));
  }

  /** The type tag of a value, 0 for undefined (address 0 holds zeros, but never rely on it). */
  private typeOf(value: binaryen.ExpressionRef, copy: binaryen.ExpressionRef): binaryen.ExpressionRef {
    return this.m.select(copy, this.m.i32.load(0, 4, value), this.m.i32.const(0));
  }

  private typeOfLocal(index: number): binaryen.ExpressionRef {
    return this.typeOf(this.m.local.get(index, i32), this.m.local.get(index, i32));
  }

  operand(operand: Operand): binaryen.ExpressionRef {
    switch (operand.type) {
      case 'local':
        return this.get(operand.value);
      case 'bool':
        return this.m.i32.const(operand.value ? this.cx.trueAddr : this.cx.falseAddr);
      case 'string_index':
        return this.m.i32.const(this.cx.data.string(this.string(operand.value)));
    }
  }

  private string(index: number): string {
    const text = this.cx.strings[index];
    if (text === undefined) throw new WasmEmitError(`string index ${index} out of range`);
    return text;
  }

  block(block: Block, label = this.label('b')): binaryen.ExpressionRef {
    this.labels.push(label);
    const body = block.stmts.map((stmt) => this.stmt(stmt));
    this.labels.pop();
    return this.m.block(label, body, binaryen.none);
  }

  /** Lowers a statement; `ret` is the function's return local (undefined in plans). */
  stmt(stmt: Stmt): binaryen.ExpressionRef {
    const m = this.m;
    switch (stmt.type) {
      case 'ReturnLocalStmt':
        if (this.ctxLocal !== undefined) throw new WasmEmitError('ReturnLocalStmt in a plan');
        return m.return(this.get(stmt.source));
      case 'CallStmt':
        return this.call(
          stmt.func,
          stmt.args.map((a) => this.operand(a)),
          stmt.result,
        );
      case 'CallDynamicStmt':
        return this.callDynamic(stmt.path, stmt.args, stmt.result);
      case 'BlockStmt':
        return m.block(
          null,
          stmt.blocks.map((b) => this.block(b)),
          binaryen.none,
        );
      case 'BreakStmt': {
        const position = this.labels.length - 1 - stmt.index;
        const label = this.labels[position];
        if (label === undefined || stmt.index < 0) {
          throw new WasmEmitError(
            `BreakStmt index ${stmt.index} exceeds the block depth ${this.labels.length}`,
          );
        }
        const restores = this.withs
          .filter((w) => w.position > position)
          .reverse()
          .flatMap((w) => this.restoreWith(w));
        return restores.length === 0 ? m.br(label) : m.block(null, [...restores, m.br(label)]);
      }
      case 'DotStmt':
        return m.block(null, [
          this.set(
            stmt.target,
            this.rt('opa_value_get', [this.operand(stmt.source), this.operand(stmt.key)]),
          ),
          this.failIfZero(this.get(stmt.target)),
        ]);
      case 'LenStmt':
        return this.set(
          stmt.target,
          this.rt('opa_number_int', [
            m.i64.extend_u(this.rt('opa_value_length', [this.operand(stmt.source)])),
          ]),
        );
      case 'ScanStmt':
        return this.scan(stmt.source, stmt.key, stmt.value, stmt.block);
      case 'NotStmt': {
        // Running to the end of the block makes the NotStmt fail; failing inside it lands
        // after the inner block and carries on.
        const outer = this.current;
        const label = this.label('not');
        this.labels.push(label);
        const body = stmt.block.stmts.map((s) => this.stmt(s));
        this.labels.pop();
        return m.block(label, [...body, m.br(outer)], binaryen.none);
      }
      case 'AssignIntStmt':
      case 'MakeNumberIntStmt':
        return this.set(stmt.target, this.int(stmt.value));
      case 'AssignVarStmt':
        return this.set(stmt.target, this.operand(stmt.source));
      case 'AssignVarOnceStmt': {
        const source = this.temp();
        const target = this.local(stmt.target);
        return m.block(null, [
          m.local.set(source, this.operand(stmt.source)),
          m.if(
            m.i32.eqz(m.local.get(target, i32)),
            m.local.set(target, m.local.get(source, i32)),
            this.conflictUnless(
              this.rt('opa_value_equal', [m.local.get(target, i32), m.local.get(source, i32)]),
              this.isFunction
                ? 'functions must not produce multiple outputs for same inputs'
                : 'complete rules must not produce multiple outputs',
            ),
          ),
        ]);
      }
      case 'ResetLocalStmt':
        return this.set(stmt.target, m.i32.const(0));
      case 'MakeNullStmt':
        return this.set(stmt.target, m.i32.const(this.cx.nullAddr));
      case 'MakeNumberRefStmt': {
        const text = this.cx.data.text(this.string(stmt.index));
        return this.set(
          stmt.target,
          this.rt('opa_number_ref', [m.i32.const(text.addr), m.i32.const(text.length)]),
        );
      }
      case 'MakeArrayStmt':
        return this.set(stmt.target, this.rt('opa_array_with_cap', [m.i32.const(stmt.capacity)]));
      case 'MakeObjectStmt':
        return this.set(stmt.target, this.rt('opa_object', []));
      case 'MakeSetStmt':
        return this.set(stmt.target, this.rt('opa_set', []));
      case 'MakeConstStmt':
        return this.set(stmt.target, m.i32.const(this.cx.constant(stmt.value)));
      case 'EqualStmt':
        return this.failIfZero(this.rt('opa_value_equal', [this.operand(stmt.a), this.operand(stmt.b)]));
      case 'NotEqualStmt':
        return this.failIf(this.rt('opa_value_equal', [this.operand(stmt.a), this.operand(stmt.b)]));
      case 'IsArrayStmt':
        return this.isType(stmt.source, TYPE_ARRAY);
      case 'IsObjectStmt':
        return this.isType(stmt.source, TYPE_OBJECT);
      case 'IsSetStmt':
        return this.isType(stmt.source, 7);
      case 'IsDefinedStmt':
        return this.failIfZero(this.get(stmt.source));
      case 'IsUndefinedStmt':
        return this.failIf(this.get(stmt.source));
      case 'ArrayAppendStmt':
        return this.rt('opa_array_append', [this.get(stmt.array), this.operand(stmt.value)], binaryen.none);
      case 'ObjectInsertStmt':
        return this.rt(
          'opa_object_insert',
          [this.get(stmt.object), this.operand(stmt.key), this.operand(stmt.value)],
          binaryen.none,
        );
      case 'ObjectInsertOnceStmt': {
        const key = this.temp();
        const value = this.temp();
        const existing = this.temp();
        const object = this.get(stmt.object);
        return m.block(null, [
          m.local.set(key, this.operand(stmt.key)),
          m.local.set(value, this.operand(stmt.value)),
          m.local.set(existing, this.rt('opa_object_get', [object, m.local.get(key, i32)])),
          m.if(
            m.local.get(existing, i32),
            this.conflictUnless(
              this.rt('opa_value_equal', [m.local.get(existing, i32), m.local.get(value, i32)]),
              'object keys must be unique',
            ),
            this.rt(
              'opa_object_insert',
              [this.get(stmt.object), m.local.get(key, i32), m.local.get(value, i32)],
              binaryen.none,
            ),
          ),
        ]);
      }
      case 'ObjectMergeStmt':
        return this.set(stmt.target, this.rt('opa_value_merge', [this.get(stmt.a), this.get(stmt.b)]));
      case 'SetAddStmt':
        return this.rt('opa_set_add', [this.get(stmt.set), this.operand(stmt.value)], binaryen.none);
      case 'WithStmt':
        return this.with(stmt.local, stmt.path, stmt.value, stmt.block);
      case 'NopStmt':
        return m.nop();
      case 'ResultSetAddStmt': {
        if (this.ctxLocal === undefined) throw new WasmEmitError('ResultSetAddStmt outside a plan');
        const ctx = m.local.get(this.ctxLocal, i32);
        return this.rt(
          'opa_set_add',
          [this.rt('opa_eval_ctx_get_result', [ctx]), this.get(stmt.value)],
          binaryen.none,
        );
      }
    }
  }

  /** Undoes a WithStmt: puts the replaced local back. */
  private restoreWith(w: { target: number; saved: number }): binaryen.ExpressionRef[] {
    return [this.m.local.set(w.target, this.m.local.get(w.saved, i32))];
  }

  /**
   * A conflicting `*Once` assignment is a runtime error, as in OPA's engines (the IR's
   * "fails" reading would let the first of two values through). The message starts with
   * OPA's error code so hosts can recover it from the abort string.
   */
  private conflictUnless(condition: binaryen.ExpressionRef, message: string): binaryen.ExpressionRef {
    const text = this.cx.data.text(`eval_conflict_error: ${message}`);
    return this.m.if(
      this.m.i32.eqz(condition),
      this.m.block(null, [
        this.rt('opa_abort', [this.m.i32.const(text.addr)], binaryen.none),
        this.m.unreachable(),
      ]),
    );
  }

  private int(value: bigint): binaryen.ExpressionRef {
    if (value < -(1n << 63n) || value >= 1n << 63n) {
      throw new WasmEmitError(`integer ${value} does not fit in 64 bits`);
    }
    return this.m.i32.const(this.cx.data.int(value));
  }

  private isType(source: Operand, type: number): binaryen.ExpressionRef {
    const t = this.temp();
    return this.m.block(null, [
      this.m.local.set(t, this.operand(source)),
      this.failIf(this.m.i32.ne(this.typeOfLocal(t), this.m.i32.const(type))),
    ]);
  }

  private call(name: string, args: binaryen.ExpressionRef[], result: Local): binaryen.ExpressionRef {
    const callee = this.cx.callee(name);
    if (callee === undefined) throw new WasmEmitError(`call to unknown function ${name}`);
    if (callee.arity !== undefined && callee.arity !== args.length) {
      throw new WasmEmitError(`${name} takes ${callee.arity} arguments, called with ${args.length}`);
    }
    return this.m.block(null, [this.set(result, callee.call(args)), this.failIfZero(this.get(result))]);
  }

  /**
   * `data.x[y](…)`: compares the run-time path with every planned function's data path and
   * calls the one that matches; no match is a failure.
   */
  private callDynamic(
    path: readonly Operand[],
    args: readonly Local[],
    result: Local,
  ): binaryen.ExpressionRef {
    const m = this.m;
    const done = this.label('dyn');
    const branches: binaryen.ExpressionRef[] = [];
    for (const candidate of this.cx.pathFuncs) {
      if (candidate.path.length !== path.length || candidate.callee.arity !== args.length) continue;
      const next = this.label('cand');
      const checks: binaryen.ExpressionRef[] = [];
      let possible = true;
      path.forEach((operand, i) => {
        const segment = candidate.path[i] ?? '';
        if (operand.type === 'string_index') {
          if (this.string(operand.value) !== segment) possible = false;
        } else if (operand.type === 'bool') {
          possible = false;
        } else {
          const want = m.i32.const(this.cx.data.string(segment));
          checks.push(m.br(next, m.i32.eqz(this.rt('opa_value_equal', [this.get(operand.value), want]))));
        }
      });
      if (!possible) continue;
      const call = candidate.callee.call(args.map((a) => this.get(a)));
      branches.push(m.block(next, [...checks, this.set(result, call), m.br(done)], binaryen.none));
    }
    return m.block(null, [
      m.block(done, [...branches, this.set(result, m.i32.const(0))], binaryen.none),
      this.failIfZero(this.get(result)),
    ]);
  }

  private scan(source: Local, key: Local, value: Local, body: Block): binaryen.ExpressionRef {
    const m = this.m;
    const src = this.temp();
    const type = this.temp();
    const n = this.temp();
    const i = this.temp();
    const end = this.label('scanend');
    const loop = this.label('scan');
    const get = (index: number) => m.local.get(index, i32);
    const keyIndex = this.local(key);
    const valueIndex = this.local(value);
    const element = m.if(
      m.i32.eq(get(type), m.i32.const(TYPE_ARRAY)),
      m.block(null, [
        m.local.set(keyIndex, this.rt('opa_number_int', [m.i64.extend_u(get(i))])),
        // Arrays hold a u32 pointer to their element addresses at +12.
        m.local.set(
          valueIndex,
          m.i32.load(0, 4, m.i32.add(m.i32.load(12, 4, get(src)), m.i32.shl(get(i), m.i32.const(2)))),
        ),
      ]),
      m.if(
        m.i32.eq(get(type), m.i32.const(TYPE_OBJECT)),
        m.block(null, [
          m.local.set(keyIndex, this.rt('opa_object_key_at', [get(src), get(i)])),
          m.local.set(valueIndex, this.rt('opa_object_value_at', [get(src), get(i)])),
        ]),
        m.block(null, [
          m.local.set(keyIndex, this.rt('opa_set_elem_at', [get(src), get(i)])),
          m.local.set(valueIndex, m.local.get(keyIndex, i32)),
        ]),
      ),
    );
    return m.block(
      end,
      [
        m.local.set(src, this.get(source)),
        m.local.set(type, this.typeOfLocal(src)),
        m.br(end, m.i32.lt_u(get(type), m.i32.const(TYPE_ARRAY))),
        m.local.set(n, m.i32.load(4, 4, get(src))),
        m.local.set(i, m.i32.const(0)),
        m.loop(
          loop,
          m.block(null, [
            m.br(end, m.i32.ge_u(get(i), get(n))),
            element,
            this.block(body),
            m.local.set(i, m.i32.add(get(i), m.i32.const(1))),
            m.br(loop),
          ]),
        ),
      ],
      binaryen.none,
    );
  }

  /**
   * Replaces `local` by a copy with `value` upserted at `path` for the duration of the block:
   * each object along the path is shallow-copied (values reachable from input or data are
   * shared, never mutated), missing or non-object steps become fresh objects.
   */
  private with(local: Local, path: readonly number[], value: Operand, body: Block): binaryen.ExpressionRef {
    const m = this.m;
    const target = this.local(local);
    const saved = this.temp();
    const v = this.temp();
    const get = (index: number) => m.local.get(index, i32);
    const copyOrNew = (index: number) =>
      m.if(
        m.i32.eq(this.typeOfLocal(index), m.i32.const(TYPE_OBJECT)),
        this.rt('opa_value_shallow_copy', [get(index)]),
        this.rt('opa_object', []),
      );
    const steps: binaryen.ExpressionRef[] = [
      m.local.set(saved, get(target)),
      m.local.set(v, this.operand(value)),
    ];
    if (path.length === 0) {
      steps.push(m.local.set(target, get(v)));
    } else {
      const root = this.temp();
      const cursor = this.temp();
      const child = this.temp();
      steps.push(m.local.set(root, copyOrNew(target)), m.local.set(cursor, get(root)));
      path.forEach((index, i) => {
        const key = m.i32.const(this.cx.data.string(this.string(index)));
        if (i === path.length - 1) {
          steps.push(this.rt('opa_object_insert', [get(cursor), key, get(v)], binaryen.none));
          return;
        }
        steps.push(
          m.local.set(child, this.rt('opa_value_get', [get(cursor), key])),
          m.local.set(child, copyOrNew(child)),
          this.rt(
            'opa_object_insert',
            [get(cursor), m.i32.const(this.cx.data.string(this.string(index))), get(child)],
            binaryen.none,
          ),
          m.local.set(cursor, get(child)),
        );
      });
      steps.push(m.local.set(target, get(root)));
    }
    const entry = { position: this.labels.length, target, saved };
    this.withs.push(entry);
    steps.push(this.block(body), ...this.restoreWith(entry));
    this.withs.pop();
    return m.block(null, steps, binaryen.none);
  }
}
