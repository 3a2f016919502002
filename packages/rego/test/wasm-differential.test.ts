import { describe, expect, it } from 'vitest';
import { canonical } from '../src/conformance/index.js';
import { instantiatePolicy, planSources } from '../src/load/index.js';
import { fromJson, IrInterpreter, toJson } from '../src/plan/index.js';
import { emitWasm } from '../src/wasm/index.js';

// The wasm backend against the planner's reference IR interpreter: same IR, same inputs,
// same result sets.

const POLICY = `package t

import rego.v1

default allow := false

allow if {
  input.user.role == "admin"
}

allow if {
  some g in input.user.groups
  g in {"dba", "ops"}
}

names contains n if {
  some item in input.items
  item.price > 10
  n := item.name
}

by_name[item.name] := item.price if {
  some item in input.items
}

total := sum([p | some item in input.items; p := item.price])

shouted := [upper(x) | some x in input.tags]

no_admin if not allow

with_admin if {
  allow with input.user.role as "admin"
}

double(x) := y if y := x * 2

doubled := [double(x) | some x in [1, 2, 3]]

chars := count(input.user.name)

common := {"a", "b", "c"} & {"b", "c", "d"}

diff := {"a", "b", "c"} - {"b"}

first_big := x if {
  some x in input.nums
  x > 100
}
`;

const RULES = [
  't/allow',
  't/names',
  't/by_name',
  't/total',
  't/shouted',
  't/no_admin',
  't/with_admin',
  't/doubled',
  't/chars',
  't/common',
  't/diff',
];

const INPUTS: unknown[] = [
  { user: { role: 'admin', name: 'zoë', groups: [] }, items: [], tags: [], nums: [] },
  {
    user: { role: 'dev', name: 'bob', groups: ['ops'] },
    items: [
      { name: 'a', price: 5 },
      { name: 'b', price: 15.5 },
      { name: 'c', price: 20 },
    ],
    tags: ['x', 'y'],
    nums: [1, 200],
  },
  { user: { role: 'guest', name: '', groups: ['nobody'] }, items: [{ name: 'z', price: 11 }], tags: ['q'] },
];

describe('wasm backend vs IR interpreter', () => {
  it('agrees on every rule and input', async () => {
    const policy = await planSources([{ file: 't.rego', source: POLICY }], RULES);
    const loaded = await instantiatePolicy(await emitWasm(policy));
    const interpreter = new IrInterpreter(policy);
    for (const input of INPUTS) {
      for (const rule of RULES) {
        const wasm = loaded.evaluate(input, rule);
        const reference = interpreter.run(rule, { input: fromJson(input as never) }).map((v) => toJson(v));
        expect(canonical(wasm), `${rule} on ${JSON.stringify(input)}`).toBe(canonical(reference));
      }
    }
  });
});
