import { describe, expect, test } from 'vitest';
import { traceTarget } from './catalog-client.js';

/** Shaped like pg_rewrite.ev_action as PostgreSQL 15 prints it (expressions elided). */
const action =
  '({QUERY :commandType 1 :rtable ({RTE :subquery {QUERY :targetList (' +
  '{TARGETENTRY :expr {VAR} :resno 1 :resname id :ressortgroupref 0 :resorigtbl 500 :resorigcol 1 :resjunk false}' +
  ')}}) :targetList (' +
  '{TARGETENTRY :expr {VAR} :resno 1 :resname id :ressortgroupref 0 :resorigtbl 500 :resorigcol 1 :resjunk false} ' +
  '{TARGETENTRY :expr {VAR} :resno 2 :resname contact :ressortgroupref 0 :resorigtbl 500 :resorigcol 3 :resjunk false} ' +
  '{TARGETENTRY :expr {FUNCEXPR} :resno 3 :resname n :ressortgroupref 0 :resorigtbl 0 :resorigcol 0 :resjunk false} ' +
  '{TARGETENTRY :expr {VAR} :resno 4 :resname my\\ col :ressortgroupref 0 :resorigtbl 501 :resorigcol 2 :resjunk false}' +
  ')})';

describe('traceTarget', () => {
  test('a plain column is traced to the column it reads', () => {
    expect(traceTarget(action, 1, 'id')).toEqual({ tableOid: 500, attributeNumber: 1 });
    expect(traceTarget(action, 2, 'contact')).toEqual({ tableOid: 500, attributeNumber: 3 });
  });

  test('a name with a blank is matched as PostgreSQL prints it', () => {
    expect(traceTarget(action, 4, 'my col')).toEqual({ tableOid: 501, attributeNumber: 2 });
  });

  test('an expression, an unknown column and a mismatched name are not traced', () => {
    expect(traceTarget(action, 3, 'n')).toBeUndefined();
    expect(traceTarget(action, 5, 'x')).toBeUndefined();
    expect(traceTarget(action, 2, 'id')).toBeUndefined();
  });

  test('entries with the same position and name that disagree are not traced', () => {
    const ambiguous = action.replace(
      ':resorigtbl 500 :resorigcol 1 :resjunk false})}}',
      ':resorigtbl 500 :resorigcol 3 :resjunk false})}}',
    );
    expect(ambiguous).not.toBe(action);
    expect(traceTarget(ambiguous, 1, 'id')).toBeUndefined();
  });
});
