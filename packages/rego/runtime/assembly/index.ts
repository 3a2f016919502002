// The Portcullis policy runtime: OPA's value model and the runtime half of the OPA wasm ABI
// (1.2), for linking with generated policy code. Every export is listed here so that this
// file is the exported function table; see ../README.md for layouts and contracts.

/** ABI version read by `@open-policy-agent/opa-wasm` (`.value` of the exported global). */
export const opa_wasm_abi_version: i32 = 1;
/** 2 selects the loader's single-call fast path (`opa_eval`). */
export const opa_wasm_abi_minor_version: i32 = 2;

// Host imports, re-exported so that they stay in the module for the code generator to call
// even though the runtime itself only uses opa_abort.
export {
  opa_abort,
  opa_println,
  opa_builtin0,
  opa_builtin1,
  opa_builtin2,
  opa_builtin3,
  opa_builtin4,
} from './env';

export { opa_malloc, opa_free, opa_heap_ptr_get, opa_heap_ptr_set } from './malloc';
export { opa_null, opa_boolean, opa_value_type, opa_value_free } from './value';
export {
  opa_number_int,
  opa_number_float,
  opa_number_ref,
  opa_number_is_int,
  opa_number_as_int,
  opa_number_as_f64,
  opa_arith_plus,
  opa_arith_minus,
  opa_arith_multiply,
  opa_arith_divide,
  opa_arith_rem,
} from './number';
export {
  opa_string,
  opa_string_allocated,
  opa_string_terminated,
  opa_strlen,
  opa_strncmp,
  opa_memcmp,
} from './string';
export { opa_array, opa_array_with_cap, opa_array_append, opa_array_get } from './array';
export {
  opa_object,
  opa_object_insert,
  opa_object_get,
  opa_object_remove,
  opa_object_key_at,
  opa_object_value_at,
} from './object';
export { opa_set, opa_set_add, opa_set_get, opa_set_remove, opa_set_elem_at } from './set';
export {
  opa_value_compare,
  opa_value_equal,
  opa_cmp_eq,
  opa_cmp_neq,
  opa_cmp_lt,
  opa_cmp_lte,
  opa_cmp_gt,
  opa_cmp_gte,
} from './compare';
export { opa_value_hash } from './hash';
export { opa_value_get, opa_value_length, opa_value_iter, opa_value_shallow_copy } from './access';
export { opa_value_merge, opa_value_add_path, opa_value_remove_path } from './path';
export { opa_json_parse, opa_value_parse } from './json-parse';
export { opa_json_dump, opa_value_dump } from './json-dump';
export {
  opa_eval_ctx_new,
  opa_eval_ctx_set_input,
  opa_eval_ctx_set_data,
  opa_eval_ctx_set_entrypoint,
  opa_eval_ctx_get_input,
  opa_eval_ctx_get_data,
  opa_eval_ctx_get_entrypoint,
  opa_eval_ctx_set_result,
  opa_eval_ctx_get_result,
  opa_eval_result_add,
  opa_eval_prepare,
  opa_eval_finish,
} from './eval-context';
export {
  opa_builtin_count,
  opa_builtin_member,
  opa_builtin_member_with_key,
  opa_builtin_set_and,
  opa_builtin_set_or,
  opa_builtin_minus,
  opa_builtin_plus,
  opa_builtin_mul,
  opa_builtin_div,
  opa_builtin_rem,
  opa_builtin_sets_fold,
  opa_builtin_object_keys,
} from './builtins/core';
export { portcullis_set_strict_builtin_errors } from './builtins/errors';
export { opa_builtin_walk } from './builtins/walk';
export {
  pcl_builtin_array_concat,
  pcl_builtin_concat,
  pcl_builtin_contains,
  pcl_builtin_endswith,
  pcl_builtin_lower,
  pcl_builtin_regex_match,
  pcl_builtin_split,
  pcl_builtin_sprintf,
  pcl_native_disable,
  pcl_native_enabled,
  pcl_regex_cache_init,
  pcl_builtin_startswith,
  pcl_builtin_upper,
} from './builtins/strings';
export { pcl_value_freeze } from './freeze';
