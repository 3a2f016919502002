import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ColumnTarget, columnMatches, parseColumnTarget, splitIdentifiers } from './column-match.js';

/** columnMatches as specified, splitting the table name afresh every time. */
function reference(target: ColumnTarget, table: string | null | undefined, column: string): boolean {
  if (column.toLowerCase() !== target.column) return false;
  if (target.table === undefined || table === undefined || table === null) return true;
  const parts = splitIdentifiers(table);
  if (!parts || parts.length === 0) return true;
  const name = parts[parts.length - 1];
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  if (name !== target.table) return false;
  return target.schema === undefined || schema === undefined || schema === target.schema;
}

describe('columnMatches', () => {
  const targets = ['email', 'users.email', 'public.users.email', '"odd.t".email', 'crm."Users".email'].map(
    (t) => parseColumnTarget(t) as ColumnTarget,
  );
  const tables = fc.oneof(
    fc.constantFrom(
      undefined,
      null,
      'users',
      'public.users',
      'crm.users',
      '"odd.t"',
      'x."odd.t"',
      '"bad',
      '',
      'a..b',
    ),
    fc.string({ maxLength: 12 }),
    fc.string({ minLength: 250, maxLength: 300 }),
    fc.nat(1000).map((n) => `s.t${n}`),
  );

  it('answers the same for a table name seen before, after many others, or too long to remember', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(targets.length - 1), tables, fc.constantFrom('email', 'EMAIL', 'phone')), {
          maxLength: 400,
        }),
        (calls) => {
          for (const [t, table, column] of calls) {
            const target = targets[t] as ColumnTarget;
            expect(columnMatches(target, { table, column })).toBe(reference(target, table, column));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('matches as documented', () => {
    const [any, users, publicUsers] = targets as [ColumnTarget, ColumnTarget, ColumnTarget];
    expect(columnMatches(any, { table: 'whatever', column: 'Email' })).toBe(true);
    expect(columnMatches(users, { table: 'crm.users', column: 'email' })).toBe(true);
    expect(columnMatches(users, { table: 'orders', column: 'email' })).toBe(false);
    expect(columnMatches(publicUsers, { table: 'crm.users', column: 'email' })).toBe(false);
    expect(columnMatches(publicUsers, { table: 'users', column: 'email' })).toBe(true);
    // An unparseable table name cannot be ruled out.
    expect(columnMatches(publicUsers, { table: '"bad', column: 'email' })).toBe(true);
  });
});
