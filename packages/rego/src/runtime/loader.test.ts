import { type LoadedPolicy, loadPolicy } from '@open-policy-agent/opa-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileRuntime } from './compile-runtime.js';

// A hand-written stand-in for generated code: the policy `result = input`, with the four
// exports the code generator will emit (builtins, entrypoints, eval, opa_eval).
const POLICY = `
import { opa_object, opa_object_insert } from './object';
import { opa_string_allocated } from './string';
import { opa_number_int } from './number';
import {
  opa_eval_ctx_get_input,
  opa_eval_result_add,
  opa_eval_prepare,
  opa_eval_finish,
} from './eval-context';

const ENTRYPOINT: usize = memory.data<u8>([116, 101, 115, 116, 47, 105, 110, 112, 117, 116]); // "test/input"

export function builtins(): usize {
  return opa_object();
}

export function entrypoints(): usize {
  const o = opa_object();
  opa_object_insert(o, opa_string_allocated(ENTRYPOINT, 10), opa_number_int(0));
  return o;
}

function evalPolicy(ctx: usize): i32 {
  const input = opa_eval_ctx_get_input(ctx);
  if (input != 0) opa_eval_result_add(ctx, input);
  return 0;
}
export { evalPolicy as eval };

export function opa_eval(reserved: usize, entrypoint: i32, data: usize, input: usize, inputLen: usize, heapPtr: usize, format: i32): usize {
  const ctx = opa_eval_prepare(entrypoint, data, input, inputLen, heapPtr);
  evalPolicy(ctx);
  return opa_eval_finish(ctx, format);
}
`;

/**
 * The same instance behind a LoadedPolicy that believes the module is ABI 1.1, so that
 * `evaluate` takes the loader's context path (opa_eval_ctx_* and eval).
 */
function contextPath(fast: LoadedPolicy): LoadedPolicy {
  const Loaded = fast.constructor as new (
    instance: unknown,
    memory: typeof fast.mem,
    minor: number,
  ) => LoadedPolicy;
  return new Loaded(fast.wasmInstance, fast.mem, 1);
}

let wasm: Uint8Array;
beforeAll(async () => {
  wasm = await compileRuntime({ extraEntries: { 'test-policy.ts': POLICY } });
}, 180_000);

const INPUT = { a: [1, 2, { b: null }] };

describe('the runtime under @open-policy-agent/opa-wasm', () => {
  it('declares ABI 1.2 and the entrypoint', async () => {
    const policy = await loadPolicy(wasm);
    expect(policy.minorVersion).toBe(2);
    expect(policy.entrypoints).toEqual({ 'test/input': 0 });
  });

  it('evaluates result = input on the fast path (opa_eval)', async () => {
    const policy = await loadPolicy(wasm);
    expect(policy.evaluate(INPUT)).toEqual([{ result: INPUT }]);
    expect(policy.evaluate(INPUT, 'test/input')).toEqual([{ result: INPUT }]);
    expect(policy.evaluate(new TextEncoder().encode('{"x":1.50}').buffer)).toEqual([{ result: { x: 1.5 } }]);
    // The loader sends falsy input as "no input": the rule is undefined.
    expect(policy.evaluate(undefined)).toEqual([]);
  });

  it('evaluates result = input on the context path (ABI < 1.2)', async () => {
    const policy = contextPath(await loadPolicy(wasm));
    expect(policy.evaluate(INPUT)).toEqual([{ result: INPUT }]);
    expect(policy.evaluate('text')).toEqual([{ result: 'text' }]);
    expect(policy.evaluate(undefined)).toEqual([]);
  });

  it('keeps memory flat across many evaluations and after setData', async () => {
    for (const minor of [2, 1]) {
      const fast = await loadPolicy(wasm);
      const policy = minor === 2 ? fast : contextPath(fast);
      policy.setData({ big: Array.from({ length: 1000 }, (_, i) => i) });
      const input = { rows: Array.from({ length: 200 }, (_, i) => ({ i, s: `row ${i}` })) };
      policy.evaluate(input);
      const size = policy.mem.buffer.byteLength;
      for (let i = 0; i < 3000; i++) expect(policy.evaluate(input)[0].result.rows.length).toBe(200);
      expect(policy.mem.buffer.byteLength).toBe(size);
    }
  });

  it('fails loudly on input text that is not JSON', async () => {
    const policy = await loadPolicy(wasm);
    expect(() => policy.evaluate(new TextEncoder().encode('{nope').buffer)).toThrow(
      'input is not valid JSON',
    );
  });
});
