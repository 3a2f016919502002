import { type LoadedPolicy, loadPolicy } from '@open-policy-agent/opa-wasm';
import { describe, expect, it } from 'vitest';
import { instantiatePolicy } from '../src/load/index.js';
import type { Block, Operand, Plan, Policy, Stmt } from '../src/plan/ir.js';
import { emitWasm } from '../src/wasm/index.js';

// Hand-written IR in the shape OPA's planner produces, until the planner lands.

const local = (value: number): Operand => ({ type: 'local', value });
const str = (value: number): Operand => ({ type: 'string_index', value });
const bool = (value: boolean): Operand => ({ type: 'bool', value });
const block = (...stmts: Stmt[]): Block => ({ stmts });

/** `result = data.<fn>` wrapped as an entrypoint plan, as OPA plans `pkg/rule`. */
function entry(name: string, func: string, resultKey: number): Plan {
  return {
    name,
    blocks: [
      block(
        { type: 'CallStmt', func, args: [local(0), local(1)], result: 2 },
        { type: 'MakeObjectStmt', target: 3 },
        { type: 'ObjectInsertStmt', key: str(resultKey), value: local(2), object: 3 },
        { type: 'ResultSetAddStmt', value: 3 },
      ),
    ],
  };
}

// strings: 0 result, 1 role, 2 admin, 3 items, 4 user, 5 bob, 6 tags, 7 x, 8 1.50
const STRINGS = ['result', 'role', 'admin', 'items', 'user', 'bob', 'tags', 'x', '1.50'];

const POLICY: Policy = {
  static: {
    strings: STRINGS,
    builtinFuncs: [
      { name: 'plus', arity: 2 },
      { name: 'count', arity: 1 },
      { name: 'upper', arity: 1 },
      { name: 'my.dupes', arity: 1 },
    ],
    files: ['test.rego'],
  },
  plans: [
    entry('test/allow', 'g0.data.test.allow', 0),
    entry('test/total', 'g0.data.test.total', 0),
    entry('test/not_admin', 'g0.data.test.not_admin', 0),
    entry('test/with_admin', 'g0.data.test.with_admin', 0),
    entry('test/shout', 'g0.data.test.shout', 0),
    entry('test/dupes', 'g0.data.test.dupes', 0),
    entry('test/first_big', 'g0.data.test.first_big', 0),
    entry('test/number', 'g0.data.test.number', 0),
    entry('test/with_break', 'g0.data.test.with_break', 0),
    entry('test/memo_with', 'g0.data.test.memo_with', 0),
  ],
  funcs: [
    {
      // default allow := false; allow if input.role == "admin"
      name: 'g0.data.test.allow',
      params: [0, 1],
      ret: 2,
      path: ['g0', 'test', 'allow'],
      blocks: [
        block(
          { type: 'DotStmt', source: local(0), key: str(1), target: 3 },
          { type: 'EqualStmt', a: local(3), b: str(2) },
          { type: 'AssignVarOnceStmt', source: bool(true), target: 2 },
        ),
        block(
          { type: 'IsUndefinedStmt', source: 2 },
          { type: 'AssignVarOnceStmt', source: bool(false), target: 2 },
        ),
        block({ type: 'ReturnLocalStmt', source: 2 }),
      ],
    },
    {
      // total := sum of input.items, by a scan and native plus
      name: 'g0.data.test.total',
      params: [0, 1],
      ret: 2,
      blocks: [
        block(
          { type: 'MakeNumberIntStmt', value: 0n, target: 4 },
          { type: 'DotStmt', source: local(0), key: str(3), target: 3 },
          {
            type: 'ScanStmt',
            source: 3,
            key: 5,
            value: 6,
            block: block({ type: 'CallStmt', func: 'plus', args: [local(4), local(6)], result: 4 }),
          },
          { type: 'AssignVarOnceStmt', source: local(4), target: 2 },
        ),
        block({ type: 'ReturnLocalStmt', source: 2 }),
      ],
    },
    {
      // not_admin if not data.test.allow
      name: 'g0.data.test.not_admin',
      params: [0, 1],
      ret: 2,
      blocks: [
        block(
          {
            type: 'NotStmt',
            block: block(
              { type: 'CallStmt', func: 'g0.data.test.allow', args: [local(0), local(1)], result: 3 },
              { type: 'EqualStmt', a: local(3), b: bool(true) },
            ),
          },
          { type: 'AssignVarOnceStmt', source: bool(true), target: 2 },
        ),
        block({ type: 'ReturnLocalStmt', source: 2 }),
      ],
    },
    {
      // with_admin := data.test.allow with input.user.role as "admin"; input must be unchanged after
      name: 'g0.data.test.with_admin',
      params: [0, 1],
      ret: 2,
      blocks: [
        block(
          {
            type: 'WithStmt',
            local: 0,
            path: [4, 1],
            value: str(2),
            block: block(
              { type: 'DotStmt', source: local(0), key: str(4), target: 5 },
              { type: 'CallStmt', func: 'g0.data.test.allow', args: [local(5), local(1)], result: 3 },
            ),
          },
          { type: 'MakeArrayStmt', capacity: 2, target: 2 },
          { type: 'ArrayAppendStmt', value: local(3), array: 2 },
          { type: 'ArrayAppendStmt', value: local(0), array: 2 },
        ),
        block({ type: 'ReturnLocalStmt', source: 2 }),
      ],
    },
    {
      // shout := upper(input.user): a JS builtin through opa_builtin1
      name: 'g0.data.test.shout',
      params: [0, 1],
      ret: 2,
      blocks: [
        block(
          { type: 'DotStmt', source: local(0), key: str(4), target: 3 },
          { type: 'CallStmt', func: 'upper', args: [local(3)], result: 2 },
        ),
        block({ type: 'ReturnLocalStmt', source: 2 }),
      ],
    },
    {
      // dupes := count(my.dupes(input.tags)): the custom builtin returns an array with
      // duplicates; its declared set result makes it a set again.
      name: 'g0.data.test.dupes',
      params: [0, 1],
      ret: 2,
      blocks: [
        block(
          { type: 'DotStmt', source: local(0), key: str(6), target: 3 },
          { type: 'CallStmt', func: 'my.dupes', args: [local(3)], result: 4 },
          { type: 'IsSetStmt', source: local(4) },
          { type: 'CallStmt', func: 'count', args: [local(4)], result: 2 },
        ),
        block({ type: 'ReturnLocalStmt', source: 2 }),
      ],
    },
    {
      // first_big: the first item > 10 found by scanning, leaving the scan with a break
      name: 'g0.data.test.first_big',
      params: [0, 1],
      ret: 2,
      blocks: [
        block({
          type: 'BlockStmt',
          blocks: [
            block(
              { type: 'DotStmt', source: local(0), key: str(3), target: 3 },
              {
                type: 'ScanStmt',
                source: 3,
                key: 4,
                value: 5,
                block: block(
                  { type: 'MakeNumberIntStmt', value: 10n, target: 6 },
                  { type: 'CallStmt', func: 'gt', args: [local(5), local(6)], result: 7 },
                  { type: 'EqualStmt', a: local(7), b: bool(true) },
                  { type: 'AssignVarStmt', source: local(5), target: 2 },
                  // leave the scan body, the scan's block and the BlockStmt's block
                  { type: 'BreakStmt', index: 2 },
                ),
              },
            ),
          ],
        }),
        block({ type: 'ReturnLocalStmt', source: 2 }),
      ],
    },
    {
      // number := 1.50 (a literal kept verbatim)
      name: 'g0.data.test.number',
      params: [0, 1],
      ret: 2,
      blocks: [
        block({ type: 'MakeNumberRefStmt', index: 8, target: 2 }),
        block({ type: 'ReturnLocalStmt', source: 2 }),
      ],
    },
    {
      // role := input.role; memoized per evaluation
      name: 'g0.data.test.role',
      params: [0, 1],
      ret: 2,
      blocks: [
        block({ type: 'DotStmt', source: local(0), key: str(1), target: 2 }),
        block({ type: 'ReturnLocalStmt', source: 2 }),
      ],
    },
    {
      // [role, role with input.role as "admin", role]: the memo must not leak across the with
      name: 'g0.data.test.memo_with',
      params: [0, 1],
      ret: 2,
      blocks: [
        block(
          { type: 'CallStmt', func: 'g0.data.test.role', args: [local(0), local(1)], result: 3 },
          {
            type: 'WithStmt',
            local: 0,
            path: [1],
            value: str(2),
            block: block({
              type: 'CallStmt',
              func: 'g0.data.test.role',
              args: [local(0), local(1)],
              result: 4,
            }),
          },
          { type: 'CallStmt', func: 'g0.data.test.role', args: [local(0), local(1)], result: 5 },
          { type: 'MakeArrayStmt', capacity: 3, target: 2 },
          { type: 'ArrayAppendStmt', value: local(3), array: 2 },
          { type: 'ArrayAppendStmt', value: local(4), array: 2 },
          { type: 'ArrayAppendStmt', value: local(5), array: 2 },
        ),
        block({ type: 'ReturnLocalStmt', source: 2 }),
      ],
    },
    {
      // A break out of a with body (and past it) must still restore the replaced input.
      name: 'g0.data.test.with_break',
      params: [0, 1],
      ret: 2,
      blocks: [
        block({
          type: 'WithStmt',
          local: 0,
          path: [1],
          value: str(2),
          block: block({ type: 'BreakStmt', index: 1 }),
        }),
        block(
          { type: 'DotStmt', source: local(0), key: str(1), target: 3 },
          { type: 'AssignVarOnceStmt', source: local(3), target: 2 },
        ),
        block({ type: 'ReturnLocalStmt', source: 2 }),
      ],
    },
  ],
};

const custom = {
  upper: (s: unknown) => (typeof s === 'string' ? s.toUpperCase() : undefined),
  'my.dupes': (xs: unknown) => (Array.isArray(xs) ? [...xs, ...xs] : undefined),
};

async function load(): Promise<LoadedPolicy> {
  const wasm = await emitWasm(POLICY, {
    signatures: new Map([
      ['my.dupes', { name: 'my.dupes', args: [{ kind: 'any' }], result: { kind: 'set' }, impl: 'js' }],
    ]),
  });
  return loadPolicy(wasm, undefined, custom);
}

describe('emitWasm on hand-written IR', () => {
  it('declares entrypoints and only JS builtins', async () => {
    const policy = await load();
    expect(Object.keys(policy.entrypoints).sort()).toEqual(POLICY.plans.map((p) => p.name).sort());
    expect(policy.entrypoints['test/total']).toBe(1);
  });

  it('evaluates rules with defaults, scans, negation and builtins', async () => {
    const policy = await load();
    expect(policy.evaluate({ role: 'admin' }, 'test/allow')).toEqual([{ result: true }]);
    expect(policy.evaluate({ role: 'guest' }, 'test/allow')).toEqual([{ result: false }]);
    expect(policy.evaluate({ items: [1, 2, 3.5] }, 'test/total')).toEqual([{ result: 6.5 }]);
    expect(policy.evaluate({ items: [] }, 'test/total')).toEqual([{ result: 0 }]);
    expect(policy.evaluate({ items: 'nope' }, 'test/total')).toEqual([{ result: 0 }]);
    expect(policy.evaluate({}, 'test/total')).toEqual([]);
    expect(policy.evaluate({ role: 'guest' }, 'test/not_admin')).toEqual([{ result: true }]);
    expect(policy.evaluate({ role: 'admin' }, 'test/not_admin')).toEqual([]);
    expect(policy.evaluate({ items: [3, 11, 12] }, 'test/first_big')).toEqual([{ result: 11 }]);
    expect(policy.evaluate({ items: [3] }, 'test/first_big')).toEqual([]);
    expect(policy.evaluate({}, 'test/number')).toEqual([{ result: 1.5 }]);
  });

  it('replaces input for the with block only', async () => {
    const policy = await load();
    const input = { user: { role: 'guest', name: 'x' } };
    expect(policy.evaluate(input, 'test/with_admin')).toEqual([{ result: [true, input] }]);
    expect(policy.evaluate({ role: 'guest' }, 'test/with_break')).toEqual([{ result: 'guest' }]);
    expect(policy.evaluate({ role: 'guest' }, 'test/memo_with')).toEqual([
      { result: ['guest', 'admin', 'guest'] },
    ]);
    // and the memo does not outlive an evaluation
    expect(policy.evaluate({ role: 'dev' }, 'test/memo_with')).toEqual([{ result: ['dev', 'admin', 'dev'] }]);
  });

  it('calls JS builtins and restores set results', async () => {
    const policy = await load();
    expect(policy.evaluate({ user: 'bob' }, 'test/shout')).toEqual([{ result: 'BOB' }]);
    expect(policy.evaluate({ user: 1 }, 'test/shout')).toEqual([]);
    expect(policy.evaluate({ tags: ['a', 'b', 'a'] }, 'test/dupes')).toEqual([{ result: 2 }]);
  });

  it('raises conflicting complete-rule values as eval_conflict_error', async () => {
    const wasm = await emitWasm({
      static: { strings: ['result'], builtinFuncs: [], files: [] },
      plans: [entry('c/p', 'g0.data.c.p', 0)],
      funcs: [
        {
          name: 'g0.data.c.p',
          params: [0, 1],
          ret: 2,
          blocks: [
            block({ type: 'AssignVarOnceStmt', source: bool(true), target: 2 }),
            block({ type: 'AssignVarOnceStmt', source: bool(false), target: 2 }),
            block({ type: 'ReturnLocalStmt', source: 2 }),
          ],
        },
      ],
    });
    const policy = await loadPolicy(wasm);
    expect(() => policy.evaluate({})).toThrow(
      'eval_conflict_error: complete rules must not produce multiple outputs',
    );
  });

  it('keeps memory flat across evaluations', async () => {
    const policy = await load();
    const input = { items: Array.from({ length: 100 }, (_, i) => i) };
    policy.evaluate(input, 'test/total');
    const size = policy.mem.buffer.byteLength;
    for (let i = 0; i < 2000; i++) policy.evaluate(input, 'test/total');
    expect(policy.mem.buffer.byteLength).toBe(size);
  });

  it('evaluates on the context path (ABI < 1.2) as well', async () => {
    const fast = await load();
    const Loaded = fast.constructor as new (
      instance: unknown,
      memory: typeof fast.mem,
      minor: number,
    ) => LoadedPolicy;
    const policy = new Loaded(fast.wasmInstance, fast.mem, 1);
    expect(policy.evaluate({ items: [1, 2] }, 'test/total')).toEqual([{ result: 3 }]);
    expect(policy.evaluate({ user: 'ann' }, 'test/shout')).toEqual([{ result: 'ANN' }]);
  });

  it('places large constants beyond the default 5 pages', async () => {
    const big = 'x'.repeat(400_000);
    const wasm = await emitWasm({
      static: { strings: ['result', big], builtinFuncs: [], files: [] },
      plans: [
        {
          name: 'big/s',
          blocks: [
            block(
              { type: 'AssignVarStmt', source: str(1), target: 2 },
              { type: 'MakeObjectStmt', target: 3 },
              { type: 'ObjectInsertStmt', key: str(0), value: local(2), object: 3 },
              { type: 'ResultSetAddStmt', value: 3 },
            ),
          ],
        },
      ],
      funcs: [],
    });
    // Our loader reads the module's declared memory minimum and sizes the memory to match.
    const policy = await instantiatePolicy(wasm);
    policy.setData({ a: 1 });
    expect(policy.evaluate({}, 'big/s')[0]?.result).toBe(big);
  });

  it('is deterministic', async () => {
    const a = await emitWasm(POLICY);
    const b = await emitWasm(POLICY);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});
