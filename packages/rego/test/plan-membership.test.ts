/**
 * `x in {"a", "b"}` against string, boolean and null constants is planned as equality tests
 * instead of building the collection on every run: its answers must be those of membership.
 */
import { describe, expect, it } from 'vitest';
import { compileModules } from '../src/compile/index.js';
import { loadPolicy } from '../src/load/index.js';
import { fromJson, IrInterpreter, planPolicy, printIr, toJson } from '../src/plan/index.js';

const SOURCE = [
  'package m',
  'import rego.v1',
  'in_set if input.x in {"a", "b", null}',
  'in_array if input.x in ["a", true]',
  'not_in if not input.x in {"a", "b"}',
  'members contains y if { some y in input.xs; y in {"a", false} }',
  'as_value := input.x in {"a"}',
].join('\n');

const ENTRIES = ['m/in_set', 'm/in_array', 'm/not_in', 'm/members', 'm/as_value'];

const INPUTS: unknown[] = [
  { x: 'a' },
  { x: 'b' },
  { x: 'c' },
  { x: null },
  { x: true },
  { x: 1 },
  { x: ['a'] },
  { xs: ['a', false, 'c', 0, null] },
  {},
];

const WANT: Record<string, (input: { x?: unknown; xs?: unknown[] }) => unknown> = {
  'm/in_set': (i) => ('x' in i && ['a', 'b', null].includes(i.x as string) ? [{ result: true }] : []),
  'm/in_array': (i) => ('x' in i && ['a', true].includes(i.x as string) ? [{ result: true }] : []),
  // Undefined is not a member: `not` holds.
  'm/not_in': (i) => (!('x' in i) || !['a', 'b'].includes(i.x as string) ? [{ result: true }] : []),
  // A set, in OPA's order: booleans before strings.
  'm/members': (i) => [
    {
      result: [
        ...((i.xs ?? []).includes(false) ? [false] : []),
        ...((i.xs ?? []).includes('a') ? ['a'] : []),
      ],
    },
  ],
  'm/as_value': (i) => ('x' in i ? [{ result: i.x === 'a' }] : []),
};

describe('membership in constant collections', () => {
  const compiled = compileModules([{ file: 'm.rego', source: SOURCE }]);
  const program = compiled.program;
  if (program === undefined) throw new Error('does not compile');
  const planned = planPolicy(program, { entrypoints: ENTRIES });
  const policy = planned.policy;
  if (policy === undefined) throw new Error('does not plan');

  it('answers as membership does, on the interpreter and on wasm', async () => {
    const wasm = await loadPolicy(SOURCE, { entrypoints: ENTRIES });
    for (const entry of ENTRIES)
      for (const input of INPUTS) {
        const want = WANT[entry]?.(input as { x?: unknown; xs?: unknown[] });
        const viaIr = new IrInterpreter(policy).run(entry, { input: fromJson(input) }).map(toJson);
        expect({ entry, input, got: viaIr }).toEqual({ entry, input, got: want });
        expect({ entry, input, got: wasm.evaluate(input, entry) }).toEqual({ entry, input, got: want });
      }
  });

  it('builds no collection where the membership is an expression', () => {
    const ir = printIr(policy);
    const inSet = ir.slice(ir.indexOf('Func g0.data.m.in_set'), ir.indexOf('Func g0.data.m.in_array'));
    expect(inSet).not.toContain('MakeSetStmt');
    expect(inSet).not.toContain('internal.member_2');
  });
});
