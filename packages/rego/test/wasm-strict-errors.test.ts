/**
 * Language-level behaviour on the wasm path that the conformance suite found missing: builtin
 * errors of the natively implemented builtins under strict builtin errors, input in OPA's
 * value syntax (sets, non-string keys), and `opa.runtime()`.
 */
import { describe, expect, it } from 'vitest';
import { loadPolicy, PolicyEvalError } from '../src/load/index.js';

const POLICY = `package t

r_div := input.a / input.b
r_rem := input.a % input.b
r_minus := input.a - input.b
r_plus := input.a + input.b
r_keys := object.keys(input.a)
set_member if input.s[{1}][1] == 1
int_key := input.o[1]
runtime := opa.runtime()
`;

const encoder = new TextEncoder();
const valueInput = (text: string) => encoder.encode(text).buffer;

function errorOf(f: () => unknown): PolicyEvalError {
  try {
    f();
  } catch (err) {
    if (err instanceof PolicyEvalError) return err;
    throw err;
  }
  throw new Error('no error raised');
}

describe('native builtin errors', () => {
  it('are undefined without strict builtin errors, as in OPA', async () => {
    const policy = await loadPolicy(POLICY);
    expect(policy.evaluate({ a: 1, b: 0 }, 't/r_div')).toEqual([]);
    expect(policy.evaluate({ a: 1.5, b: 1 }, 't/r_rem')).toEqual([]);
    expect(policy.evaluate({ a: 'x', b: 1 }, 't/r_plus')).toEqual([]);
    expect(policy.evaluate({ a: 7, b: 2 }, 't/r_div')).toEqual([{ result: 3.5 }]);
    expect(policy.evaluate({ a: 7, b: 2 }, 't/r_rem')).toEqual([{ result: 1 }]);
  });

  it('fail the evaluation with OPA code and message under strict builtin errors', async () => {
    const policy = await loadPolicy(POLICY, { strictBuiltinErrors: true });
    const cases: [unknown, string, string, string][] = [
      [{ a: 1, b: 0 }, 't/r_div', 'eval_builtin_error', 'div: divide by zero'],
      [{ a: 1, b: 0 }, 't/r_rem', 'eval_builtin_error', 'rem: modulo by zero'],
      [{ a: 1.1, b: 1 }, 't/r_rem', 'eval_builtin_error', 'rem: modulo on floating-point number'],
      [{ a: 'x', b: 1 }, 't/r_plus', 'eval_type_error', 'plus: operand 1 must be number but got string'],
      [{ a: 1, b: [] }, 't/r_minus', 'eval_type_error', 'minus: operand 2 must be number but got array'],
      [{ a: 'x' }, 't/r_keys', 'eval_type_error', 'object.keys: operand 1 must be object but got string'],
    ];
    for (const [input, entrypoint, code, message] of cases) {
      const err = errorOf(() => policy.evaluate(input, entrypoint));
      expect(err.regoCode).toBe(code);
      expect(err.message).toContain(message);
    }
    // Well-typed operands still evaluate, and the module keeps working after an error.
    expect(policy.evaluate({ a: 7, b: 2 }, 't/r_minus')).toEqual([{ result: 5 }]);
  });

  it('reports set operand mismatches of minus as OPA does', async () => {
    const policy = await loadPolicy(POLICY, { strictBuiltinErrors: true });
    expect(errorOf(() => policy.evaluate(valueInput('{"a": {1}, "b": 1}'), 't/r_minus')).message).toContain(
      'minus: operand 2 must be set but got number',
    );
    expect(errorOf(() => policy.evaluate(valueInput('{"a": 1, "b": {1}}'), 't/r_minus')).message).toContain(
      'minus: operand 2 must be number but got set',
    );
    expect(policy.evaluate(valueInput('{"a": {1, 2}, "b": {1}}'), 't/r_minus')).toEqual([{ result: [2] }]);
  });
});

describe('input in value syntax', () => {
  it('keeps sets and non-string keys, as opa_eval parses input with opa_value_parse', async () => {
    const policy = await loadPolicy(POLICY);
    expect(policy.evaluate(valueInput('{"s": {{1}}}'), 't/set_member')).toEqual([{ result: true }]);
    expect(policy.evaluate(valueInput('{"o": {1: "one"}}'), 't/int_key')).toEqual([{ result: 'one' }]);
    // Plain JSON input is unchanged.
    expect(policy.evaluate({ s: [[1]] }, 't/set_member')).toEqual([]);
  });
});

describe('opa.runtime', () => {
  it('is an empty object when no OPA runtime is configured', async () => {
    const policy = await loadPolicy(POLICY);
    expect(policy.evaluate({}, 't/runtime')).toEqual([{ result: {} }]);
  });
});
