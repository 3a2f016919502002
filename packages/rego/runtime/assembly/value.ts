// The value header and the scalar singletons. Every value is a struct in linear memory whose
// first u32 is its type tag; tags are numbered in OPA's total order so that comparing values
// of different types is comparing tags. Address 0 is "undefined" throughout the ABI.

export const TYPE_NULL: u32 = 1;
export const TYPE_BOOLEAN: u32 = 2;
export const TYPE_NUMBER: u32 = 3;
export const TYPE_STRING: u32 = 4;
export const TYPE_ARRAY: u32 = 5;
export const TYPE_OBJECT: u32 = 6;
export const TYPE_SET: u32 = 7;

// Scalars are immutable, so null and the booleans are shared static structs: creating one
// allocates nothing and survives every heap reset.
const NULL_VALUE: usize = memory.data<u32>([1, 0]);
const TRUE_VALUE: usize = memory.data<u32>([2, 1]);
const FALSE_VALUE: usize = memory.data<u32>([2, 0]);

export function typeOf(v: usize): u32 {
  return load<u32>(v);
}

export function makeBoolean(b: bool): usize {
  return b ? TRUE_VALUE : FALSE_VALUE;
}

export function booleanOf(v: usize): bool {
  return load<u32>(v, 4) != 0;
}

export function opa_null(): usize {
  return NULL_VALUE;
}

export function opa_boolean(b: i32): usize {
  return b != 0 ? TRUE_VALUE : FALSE_VALUE;
}

/** OPA's type code (1 null … 7 set), or 0 for undefined. */
export function opa_value_type(v: usize): i32 {
  return v == 0 ? 0 : <i32>load<u32>(v);
}

/** A no-op, like `opa_free`. */
export function opa_value_free(v: usize): void {}
