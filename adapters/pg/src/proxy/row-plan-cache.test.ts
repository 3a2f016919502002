import { createMasker } from '@portcullis/core';
import { describe, expect, test } from 'vitest';
import type { FieldDescription } from '../protocol/backend-messages.js';
import { createRowPlan, type MaskContext } from './mask-plan.js';
import { ROW_PLANS_PER_CONTEXT, RowPlanCache } from './row-plan-cache.js';

function context(): MaskContext {
  return {
    masker: createMasker({ rules: [{ column: 'users.email', strategy: 'redact' }] }),
    hasColumnRules: true,
    hasTextRules: false,
  };
}

const field = (name: string, format = 0): FieldDescription => ({
  name,
  tableOid: 0,
  attributeNumber: 0,
  typeOid: 25,
  typeSize: -1,
  typeModifier: -1,
  format,
});

describe('RowPlanCache', () => {
  test('a plan is found only for the same description bytes under the same context', () => {
    const cache = new RowPlanCache();
    const a = context();
    const b = context();
    const plan = createRowPlan(a, [field('email')], [{ table: 'users', column: 'email' }]);
    const description = Buffer.from('one row description');
    cache.set(a, description, plan);
    expect(cache.get(a, Buffer.from('one row description'))).toBe(plan);
    // Another description (one byte apart, or a prefix): planned afresh, never this plan.
    expect(cache.get(a, Buffer.from('one row descriptioN'))).toBeUndefined();
    expect(cache.get(a, Buffer.from('one row descriptio'))).toBeUndefined();
    expect(cache.get(a, Buffer.from('one row description!'))).toBeUndefined();
    expect(cache.get(b, Buffer.from('one row description'))).toBeUndefined();
    // And the last-hit shortcut does not stick after a miss.
    expect(cache.get(a, Buffer.from('one row description'))).toBe(plan);
  });

  test('the description is copied: a reused read buffer cannot change what a key means', () => {
    const cache = new RowPlanCache();
    const a = context();
    const plan = createRowPlan(a, [field('email')], [{ table: 'users', column: 'email' }]);
    const buffer = Buffer.from('description A');
    cache.set(a, buffer, plan);
    buffer.write('description B');
    expect(cache.get(a, buffer)).toBeUndefined();
    expect(cache.get(a, Buffer.from('description A'))).toBe(plan);
    // The same holds for the copy kept by a lookup.
    const other = Buffer.from('description A');
    expect(cache.get(a, other)).toBe(plan);
    other.write('description C');
    expect(cache.get(a, other)).toBeUndefined();
  });

  test("plans bound to one statement's facts, or made under another context, are not kept", () => {
    const cache = new RowPlanCache();
    const a = context();
    const bound = createRowPlan(a, [field('lower')], [{ table: null, column: 'lower' }], {
      statementBound: true,
    });
    cache.set(a, Buffer.from('x'), bound);
    expect(cache.get(a, Buffer.from('x'))).toBeUndefined();
    const foreign = createRowPlan(context(), [field('email')], [{ table: 'users', column: 'email' }]);
    cache.set(a, Buffer.from('y'), foreign);
    expect(cache.get(a, Buffer.from('y'))).toBeUndefined();
  });

  test('stays bounded', () => {
    const cache = new RowPlanCache();
    const a = context();
    const plan = createRowPlan(a, [field('email', 1)], [{ table: 'users', column: 'email' }]);
    for (let i = 0; i <= ROW_PLANS_PER_CONTEXT; i++) cache.set(a, Buffer.from(`d${i}`), plan);
    expect(cache.get(a, Buffer.from('d0'))).toBeUndefined();
    expect(cache.get(a, Buffer.from(`d${ROW_PLANS_PER_CONTEXT}`))).toBe(plan);
  });
});
