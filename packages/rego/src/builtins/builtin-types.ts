/**
 * How a builtin is described to the compiler (arity and type checks), the planner (which
 * names are builtins) and the wasm backend (native in the module, or JS behind
 * `opa_builtinN`). The table of every builtin lives in `signatures.ts`; JS implementations in
 * the `js/` folder, keyed by the same names.
 */

/** A type in OPA's builtin type language, reduced to what checks and bridging need. */
export type BuiltinType =
  | { readonly kind: 'any' }
  | { readonly kind: 'null' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'number' }
  | { readonly kind: 'string' }
  | { readonly kind: 'array'; readonly of?: BuiltinType }
  | { readonly kind: 'set'; readonly of?: BuiltinType }
  | { readonly kind: 'object'; readonly key?: BuiltinType; readonly value?: BuiltinType }
  | { readonly kind: 'any_of'; readonly types: readonly BuiltinType[] };

export interface BuiltinSignature {
  readonly name: string;
  readonly args: readonly BuiltinType[];
  /** Absent for builtins that only succeed or fail (none in OPA 1.x; kept for completeness). */
  readonly result?: BuiltinType;
  /** OPA marks a few builtins non-deterministic (time.now_ns, http.send, rand.intn …). */
  readonly nondeterministic?: boolean;
  /** Where the implementation lives: in the wasm runtime, or in JS behind opa_builtinN. */
  readonly impl: 'wasm' | 'js';
  /** Infix spelling, when it has one (`plus` is `+`). */
  readonly infix?: string;
  /**
   * Extra trailing arguments of this type are accepted (only `print`, which the compiler
   * rewrites to `internal.print`).
   */
  readonly variadic?: BuiltinType;
  /** Deprecated in OPA; rejected by OPA's strict mode and by `rego.v1` imports. */
  readonly deprecated?: boolean;
  /**
   * Called as a relation (`walk(x, [path, value])`): the planner enumerates its results rather
   * than taking one value.
   */
  readonly relation?: boolean;
}

/**
 * A JS builtin. Arguments arrive as JSON values as the opa-wasm loader passes them (sets as
 * arrays); return undefined for "undefined" (the call fails), throw a BuiltinError for a
 * runtime error (OPA's `eval_builtin_error`). Numeric builtins also accept `bigint` so a
 * bridge that parses JSON losslessly keeps large integers exact.
 *
 * A result is JSON: when the signature's result type is a set, the JS function returns an
 * array of distinct values and the backend must turn it back into a set after parsing.
 */
export type JsBuiltin = (...args: unknown[]) => unknown;
