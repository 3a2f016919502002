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
  /**
   * The export answers only the cases it can answer exactly and returns 1 (never a value
   * address) for the rest, which then go to the JavaScript builtin of the same name.
   */
  readonly fallback?: boolean;
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
  // Called for every column, command or message by typical policies; answered in the module
  // for strings, ASCII case mapping and a regex subset (runtime builtins/strings.ts).
  ['startswith', { export: 'pcl_builtin_startswith', arity: 2, fallback: true }],
  ['endswith', { export: 'pcl_builtin_endswith', arity: 2, fallback: true }],
  ['contains', { export: 'pcl_builtin_contains', arity: 2, fallback: true }],
  ['lower', { export: 'pcl_builtin_lower', arity: 1, fallback: true }],
  ['upper', { export: 'pcl_builtin_upper', arity: 1, fallback: true }],
  ['split', { export: 'pcl_builtin_split', arity: 2, fallback: true }],
  ['regex.match', { export: 'pcl_builtin_regex_match', arity: 2, fallback: true }],
  ['concat', { export: 'pcl_builtin_concat', arity: 2, fallback: true }],
  ['array.concat', { export: 'pcl_builtin_array_concat', arity: 2, fallback: true }],
  // Messages: `%s %v %q %d` of strings and integers; Go's other verbs and forms on the host.
  ['sprintf', { export: 'pcl_builtin_sprintf', arity: 2, fallback: true }],
]);

/** What a fallback native returns when the JavaScript builtin must answer. */
export const NATIVE_FALLBACK = 1;

/**
 * The natives with a host fallback, in a fixed order: an embedder's builtin of the same name
 * switches the native off by this index (`pcl_native_disable`), so the embedder's wins.
 */
export const FALLBACK_NATIVES: readonly string[] = [...NATIVE_BUILTINS]
  .filter(([, n]) => n.fallback === true)
  .map(([name]) => name);
