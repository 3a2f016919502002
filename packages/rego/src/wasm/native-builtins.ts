/**
 * Builtins the module implements itself, by calling a runtime export: comparisons and
 * arithmetic (every policy uses them; a host round trip would cost microseconds each), and
 * the set-valued ones (a JSON round trip would turn their sets into arrays). Everything else
 * goes through `opa_builtinN` to JavaScript.
 */

export interface NativeBuiltin {
  /** The runtime export called. */
  readonly export: string;
  /** The Rego arity (arguments, not counting the output). */
  readonly arity: number;
  /** Constant i32 arguments appended after the Rego arguments. */
  readonly extra?: readonly number[];
}

export const NATIVE_BUILTINS: ReadonlyMap<string, NativeBuiltin> = new Map<string, NativeBuiltin>([
  ['equal', { export: 'opa_cmp_eq', arity: 2 }],
  ['neq', { export: 'opa_cmp_neq', arity: 2 }],
  ['lt', { export: 'opa_cmp_lt', arity: 2 }],
  ['lte', { export: 'opa_cmp_lte', arity: 2 }],
  ['gt', { export: 'opa_cmp_gt', arity: 2 }],
  ['gte', { export: 'opa_cmp_gte', arity: 2 }],
  // The opa_builtin_* arithmetic raises OPA's errors under strict builtin errors; the ABI's
  // opa_arith_* functions keep their contract (undefined on any bad operand).
  ['plus', { export: 'opa_builtin_plus', arity: 2 }],
  ['minus', { export: 'opa_builtin_minus', arity: 2 }],
  ['mul', { export: 'opa_builtin_mul', arity: 2 }],
  ['div', { export: 'opa_builtin_div', arity: 2 }],
  ['rem', { export: 'opa_builtin_rem', arity: 2 }],
  ['count', { export: 'opa_builtin_count', arity: 1 }],
  ['internal.member_2', { export: 'opa_builtin_member', arity: 2 }],
  ['internal.member_3', { export: 'opa_builtin_member_with_key', arity: 3 }],
  ['and', { export: 'opa_builtin_set_and', arity: 2 }],
  ['or', { export: 'opa_builtin_set_or', arity: 2 }],
  ['intersection', { export: 'opa_builtin_sets_fold', arity: 1, extra: [1] }],
  ['union', { export: 'opa_builtin_sets_fold', arity: 1, extra: [0] }],
  ['object.keys', { export: 'opa_builtin_object_keys', arity: 1 }],
  // The relation `walk` as the array of its [path, value] answers, which the plan scans.
  ['walk', { export: 'opa_builtin_walk', arity: 1 }],
]);
