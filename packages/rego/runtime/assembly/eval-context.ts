// The evaluation context of OPA's ABI and the plumbing around the policy's `eval`.
// Layout (16 bytes): +0 input, +4 data, +8 result set, +12 entrypoint id.
// The result set holds one `{"result": value}` binding per answer, as OPA's planner shapes
// the query `result = data.pkg.rule`; an undefined rule leaves it empty.

import { fail } from './env';
import { allocZeroed, opa_heap_ptr_set } from './malloc';
import { opa_value_parse } from './json-parse';
import { dumpJson, opa_value_dump } from './json-dump';
import { makeObject } from './object';
import { makeSet, setAdd } from './set';
import { tableInsert } from './table';
import { TYPE_STRING } from './value';

const CTX_SIZE: usize = 16;

// The "result" key is a static string: creating bindings allocates no key per answer.
const RESULT_BYTES: usize = memory.data<u8>([0x72, 0x65, 0x73, 0x75, 0x6c, 0x74]);
const RESULT_KEY: usize = memory.data(12, 8);

function resultKey(): usize {
  if (load<u32>(RESULT_KEY) == 0) {
    store<u32>(RESULT_KEY, TYPE_STRING);
    store<u32>(RESULT_KEY, 6, 4);
    store<u32>(RESULT_KEY, <u32>RESULT_BYTES, 8);
  }
  return RESULT_KEY;
}

export function opa_eval_ctx_new(): usize {
  return allocZeroed(CTX_SIZE);
}

export function opa_eval_ctx_set_input(ctx: usize, v: usize): void {
  store<u32>(ctx, <u32>v);
}

export function opa_eval_ctx_set_data(ctx: usize, v: usize): void {
  store<u32>(ctx, <u32>v, 4);
}

export function opa_eval_ctx_set_entrypoint(ctx: usize, id: i32): void {
  store<i32>(ctx, id, 12);
}

export function opa_eval_ctx_get_input(ctx: usize): usize {
  return <usize>load<u32>(ctx);
}

export function opa_eval_ctx_get_data(ctx: usize): usize {
  return <usize>load<u32>(ctx, 4);
}

export function opa_eval_ctx_get_entrypoint(ctx: usize): i32 {
  return load<i32>(ctx, 12);
}

/** Replaces the whole result set (a set of binding objects). */
export function opa_eval_ctx_set_result(ctx: usize, v: usize): void {
  store<u32>(ctx, <u32>v, 8);
}

/** The result set; an empty set when `eval` produced no answer. */
export function opa_eval_ctx_get_result(ctx: usize): usize {
  let result = <usize>load<u32>(ctx, 8);
  if (result == 0) {
    result = makeSet();
    store<u32>(ctx, <u32>result, 8);
  }
  return result;
}

/** Adds the binding `{"result": value}` to the result set; what a generated `eval` calls. */
export function opa_eval_result_add(ctx: usize, value: usize): void {
  if (value == 0) return;
  const binding = makeObject();
  tableInsert(binding, resultKey(), value);
  setAdd(opa_eval_ctx_get_result(ctx), binding);
}

/**
 * The first half of ABI 1.2's `opa_eval`: resets the heap to `heapPtr` (the loader has
 * copied the input text just below it), parses the input and returns a ready context. A
 * zero length means no input (the loader sends every falsy input that way).
 */
export function opa_eval_prepare(
  entrypoint: i32,
  data: usize,
  inputAddr: usize,
  inputLen: usize,
  heapPtr: usize,
): usize {
  opa_heap_ptr_set(heapPtr);
  let input: usize = 0;
  if (inputLen != 0) {
    // OPA's opa_eval parses the input as value syntax (JSON plus sets and non-string keys).
    input = opa_value_parse(inputAddr, inputLen);
    if (input == 0) fail('opa_eval: input is not valid JSON');
  }
  const ctx = allocZeroed(CTX_SIZE);
  store<u32>(ctx, <u32>input);
  store<u32>(ctx, <u32>data, 4);
  store<i32>(ctx, entrypoint, 12);
  return ctx;
}

/** The second half of `opa_eval`: the result set as JSON (format 0) or value syntax (1). */
export function opa_eval_finish(ctx: usize, format: i32): usize {
  const result = opa_eval_ctx_get_result(ctx);
  return format == 1 ? opa_value_dump(result) : dumpJson(result);
}
