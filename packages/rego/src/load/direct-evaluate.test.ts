/**
 * RegoPolicy.evaluate writes the input straight into wasm memory and reads the result
 * without the loader's copies. Its answers must be the loader's own, for any input:
 * non-ASCII text, inputs that make the memory grow, and inputs the loader treats specially.
 */
import { describe, expect, it } from 'vitest';
import { loadPolicy } from './load-policy.js';

const REGO = `package portcullis
import rego.v1

decision := {"effect": "allow", "echo": input, "size": count(input.s)} if input.s
decision := {"effect": "deny", "keys": object.keys(input)} if not input.s
`;

describe('direct evaluation', () => {
  it('answers as the loader does', async () => {
    const policy = await loadPolicy(REGO, { entrypoints: ['portcullis/decision'] });
    const inner = (policy as unknown as { inner: { evaluate(i: unknown, e: number): unknown } }).inner;
    const id = policy.entrypoints['portcullis/decision']!;
    const inputs: unknown[] = [
      { s: 'plain' },
      { s: 'é ü 中文 😀 \u2028 "quoted" \\ back', nested: { a: [1, 2.5, null, true] } },
      { s: 'x'.repeat(3 * 1024 * 1024) },
      { s: '😀'.repeat(400_000), lone: '\ud800' },
      { other: 1 },
      [1, 2],
    ];
    for (const input of inputs) {
      expect(policy.evaluate(input, id)).toEqual(inner.evaluate(input, id));
    }
    // After the memory grew, small inputs still answer the same.
    expect(policy.evaluate({ s: 'again' }, id)).toEqual(inner.evaluate({ s: 'again' }, id));
    // The loader's own path for what the direct one leaves to it.
    expect(policy.evaluate({ s: 'by name' }, 'portcullis/decision')).toEqual(
      inner.evaluate({ s: 'by name' }, id),
    );
    expect(policy.evaluate(new TextEncoder().encode('{"s":"buffer"}').buffer, id)).toEqual(
      inner.evaluate({ s: 'buffer' }, id),
    );
    expect(policy.evaluate({ toJSON: () => undefined }, id)).toEqual(inner.evaluate(undefined, id));
  });
});
