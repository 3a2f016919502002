import { beforeAll, describe, expect, it } from 'vitest';
import { type Harness, newHarness } from './runtime-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await newHarness();
}, 180_000);

describe('heap', () => {
  it('allocates 8-byte aligned blocks from a bump pointer', () => {
    const a = h.x.opa_malloc(3);
    const b = h.x.opa_malloc(1);
    expect(a % 8).toBe(0);
    expect(b).toBe(a + 8);
    expect(h.x.opa_heap_ptr_get()).toBe(b + 8);
  });

  it('reclaims every evaluation with opa_heap_ptr_set, so memory stays flat', () => {
    const input = JSON.stringify({
      subject: { id: 'alice@example.com', groups: Array.from({ length: 50 }, (_, i) => `g${i}`) },
      rows: Array.from({ length: 500 }, (_, i) => ({ i, v: `value-${i}`, f: i / 3 })),
    });
    const bytes = new TextEncoder().encode(input);
    const base = h.x.opa_heap_ptr_get();
    let grownAfterFirst = 0;
    for (let i = 0; i < 2000; i++) {
      // The loader's fast path: the input text at the base, the heap just above it.
      new Uint8Array(h.memory.buffer).set(bytes, base);
      const ctx = h.x.opa_eval_prepare(0, 0, base, bytes.length, base + bytes.length);
      h.x.opa_eval_result_add(
        ctx,
        h.x.opa_eval_ctx_get_result(ctx) && h.x.opa_json_parse(base, bytes.length),
      );
      const out = h.x.opa_eval_finish(ctx, 0);
      expect(out).toBeGreaterThan(base);
      if (i === 0) grownAfterFirst = h.memory.buffer.byteLength;
    }
    expect(h.memory.buffer.byteLength).toBe(grownAfterFirst);
    h.x.opa_heap_ptr_set(base);
    expect(h.x.opa_heap_ptr_get()).toBe(base);
  });

  it('grows memory on demand for one large allocation', () => {
    const before = h.memory.buffer.byteLength;
    const addr = h.x.opa_malloc(64 * 1024 * 1024);
    expect(h.memory.buffer.byteLength).toBeGreaterThanOrEqual(addr + 64 * 1024 * 1024);
    expect(h.memory.buffer.byteLength).toBeGreaterThan(before);
  });

  it('reports an undefined value passed to opa_json_dump through opa_abort', () => {
    expect(() => h.x.opa_json_dump(0)).toThrow('opa_json_dump: undefined value');
  });
});
