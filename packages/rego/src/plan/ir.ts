/**
 * The planner's intermediate representation: the contract between the planner (compiled Rego
 * → IR) and the WebAssembly backend (IR → module). It follows OPA's `ir` package closely, so
 * plans read the same way OPA's `opa build --ir` output does, and the execution model is
 * OPA's:
 *
 * - A Block runs its statements in order. A statement that "fails" (an undefined value, a
 *   false comparison, a failed type test, a Dot on a missing key, a `*Once` insert that
 *   conflicts) stops the block: control leaves it as if it had run to its end. Plans and
 *   functions therefore express conjunction as a sequence and disjunction as several blocks.
 * - BlockStmt runs each of its blocks in order; a failure inside one leaves that block only.
 * - BreakStmt { index } leaves `index + 1` enclosing blocks (0 leaves the innermost block that
 *   contains it, like a failure would; 1 leaves its parent too, …).
 * - ScanStmt runs its block once per key/value of an array, object or set (arrays in index
 *   order; objects and sets in the runtime's sorted key order). A failure inside the block
 *   moves on to the next element.
 * - NotStmt runs its block; NotStmt fails if the block ran to its end, and succeeds otherwise.
 * - Locals are numbered slots holding value addresses; 0 means undefined. By convention, local
 *   0 is `input` and local 1 is `data` in plans and functions alike (functions receive them as
 *   their first two parameters).
 * - A plan adds to the result set with ResultSetAddStmt; the result set is what an entrypoint
 *   returns (`[{"result": …}]` for the entrypoint form OPA uses).
 * - Functions return the value in their `ret` local through ReturnLocalStmt; a function whose
 *   return local is still 0 (undefined) makes the CallStmt fail.
 * - Calls name either a planned function (`funcs[].name`) or a builtin (`static.builtinFuncs`
 *   lists every builtin a policy uses, with its declared arity).
 * - MakeConstStmt (not in OPA's IR) yields a ground value written in the policy (an array,
 *   set or object literal without variables, refs or calls). The value is shared by every
 *   use and every evaluation, so no statement may mutate it: the planner only ever inserts
 *   into containers made by MakeArrayStmt, MakeObjectStmt and MakeSetStmt.
 */

export type Local = number;

/** The reserved locals every plan and function gets. */
export const INPUT_LOCAL: Local = 0;
export const DATA_LOCAL: Local = 1;

export type Operand =
  | { readonly type: 'local'; readonly value: Local }
  | { readonly type: 'bool'; readonly value: boolean }
  /** Index into `static.strings`. */
  | { readonly type: 'string_index'; readonly value: number };

/** A ground value of the policy's text; numbers keep their literal text. */
export type ConstValue =
  | { readonly type: 'null' }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'number'; readonly raw: string }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'array'; readonly items: readonly ConstValue[] }
  | { readonly type: 'set'; readonly items: readonly ConstValue[] }
  | { readonly type: 'object'; readonly entries: readonly (readonly [ConstValue, ConstValue])[] };

export interface Block {
  readonly stmts: Stmt[];
}

export type Stmt =
  | { readonly type: 'ReturnLocalStmt'; readonly source: Local }
  | { readonly type: 'CallStmt'; readonly func: string; readonly args: Operand[]; readonly result: Local }
  /** Calls the function found at a data path computed at run time (`data.x[y](…)`). */
  | {
      readonly type: 'CallDynamicStmt';
      readonly path: Operand[];
      readonly args: Local[];
      readonly result: Local;
    }
  | { readonly type: 'BlockStmt'; readonly blocks: Block[] }
  | { readonly type: 'BreakStmt'; readonly index: number }
  /** target = source[key]; fails when source has no such key. */
  | { readonly type: 'DotStmt'; readonly source: Operand; readonly key: Operand; readonly target: Local }
  | { readonly type: 'LenStmt'; readonly source: Operand; readonly target: Local }
  | {
      readonly type: 'ScanStmt';
      readonly source: Local;
      readonly key: Local;
      readonly value: Local;
      readonly block: Block;
    }
  | { readonly type: 'NotStmt'; readonly block: Block }
  | { readonly type: 'AssignIntStmt'; readonly value: bigint; readonly target: Local }
  | { readonly type: 'AssignVarStmt'; readonly source: Operand; readonly target: Local }
  /** Assigns when target is undefined; fails when it holds a different value (conflict). */
  | { readonly type: 'AssignVarOnceStmt'; readonly source: Operand; readonly target: Local }
  | { readonly type: 'ResetLocalStmt'; readonly target: Local }
  | { readonly type: 'MakeNullStmt'; readonly target: Local }
  | { readonly type: 'MakeNumberIntStmt'; readonly value: bigint; readonly target: Local }
  /** A number from its literal text, `static.strings[index]`. */
  | { readonly type: 'MakeNumberRefStmt'; readonly index: number; readonly target: Local }
  | { readonly type: 'MakeArrayStmt'; readonly capacity: number; readonly target: Local }
  | { readonly type: 'MakeObjectStmt'; readonly target: Local }
  | { readonly type: 'MakeSetStmt'; readonly target: Local }
  /** target = a shared, immutable ground value (see the execution model above). */
  | { readonly type: 'MakeConstStmt'; readonly value: ConstValue; readonly target: Local }
  | { readonly type: 'EqualStmt'; readonly a: Operand; readonly b: Operand }
  | { readonly type: 'NotEqualStmt'; readonly a: Operand; readonly b: Operand }
  | { readonly type: 'IsArrayStmt'; readonly source: Operand }
  | { readonly type: 'IsObjectStmt'; readonly source: Operand }
  | { readonly type: 'IsSetStmt'; readonly source: Operand }
  | { readonly type: 'IsDefinedStmt'; readonly source: Local }
  | { readonly type: 'IsUndefinedStmt'; readonly source: Local }
  | { readonly type: 'ArrayAppendStmt'; readonly value: Operand; readonly array: Local }
  | {
      readonly type: 'ObjectInsertStmt';
      readonly key: Operand;
      readonly value: Operand;
      readonly object: Local;
    }
  /** Inserts; fails (conflict) when the key exists with a different value. */
  | {
      readonly type: 'ObjectInsertOnceStmt';
      readonly key: Operand;
      readonly value: Operand;
      readonly object: Local;
    }
  /** target = deep merge of a and b (a wins on conflicting leaves). */
  | { readonly type: 'ObjectMergeStmt'; readonly a: Local; readonly b: Local; readonly target: Local }
  | { readonly type: 'SetAddStmt'; readonly value: Operand; readonly set: Local }
  /**
   * Runs block with `local` replaced by a copy whose value at `path` (string indexes) is
   * `value`: how `with input.x as v` and `with data.y as v` are planned.
   */
  | {
      readonly type: 'WithStmt';
      readonly local: Local;
      readonly path: number[];
      readonly value: Operand;
      readonly block: Block;
    }
  | { readonly type: 'NopStmt' }
  | { readonly type: 'ResultSetAddStmt'; readonly value: Local };

export interface Plan {
  /** Entrypoint name, `pkg/rule` with slashes (as opa-wasm's `entrypoints()` map keys). */
  readonly name: string;
  readonly blocks: Block[];
}

export interface Func {
  /** Unique, e.g. `g0.data.portcullis.decision`. */
  readonly name: string;
  /** Parameter locals, in order; the first two are input and data. */
  readonly params: Local[];
  readonly ret: Local;
  readonly blocks: Block[];
  /** The rule's data path, e.g. ["g0", "portcullis", "decision"]; absent for helpers. */
  readonly path?: string[];
  /**
   * The rule index, when the planner built one: each guard is computed once into `flag` at the
   * top of the function (defined when it holds), and the listed rules start by testing it.
   * Informational (printed by `printIr`); the statements themselves are ordinary IR.
   */
  readonly index?: readonly RuleIndexEntry[];
}

export interface RuleIndexEntry {
  /** The guard as Rego would write it, e.g. `input.action.type in {"sql"}`. */
  readonly guard: string;
  readonly flag: Local;
  /** Positions (0-based) of the guarded rules in the group, of `of` rules. */
  readonly rules: readonly number[];
  readonly of: number;
}

export interface BuiltinFunc {
  readonly name: string;
  /** Argument count (not counting the output). */
  readonly arity: number;
}

export interface Policy {
  readonly static: {
    readonly strings: string[];
    readonly builtinFuncs: BuiltinFunc[];
    readonly files: string[];
  };
  readonly plans: Plan[];
  readonly funcs: Func[];
  /**
   * Not in OPA's IR: the input paths the program may read (compile/input-paths), which the
   * emitter writes into the module as the custom section `portcullis.input_paths`. Absent
   * when unknown.
   */
  readonly inputPaths?: readonly (readonly string[])[];
}
