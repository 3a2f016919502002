import { describe, expect, it } from 'vitest';
import type { Decision } from '../contract.js';
import { combineDecisions } from './combine-decisions.js';

const allow: Decision = {
  effect: 'allow',
  reasons: [{ rule: 'a', message: 'ok' }],
  masks: [{ column: 'users.email', strategy: 'partial' }],
};
const approve: Decision = {
  effect: 'approve',
  reasons: [{ rule: 'b', message: 'needs review' }],
  masks: [{ detector: 'email', strategy: 'redact' }],
  approval: { reviewers: ['group:dba'], quorum: 1, scope: 'statement', ttl: '15m' },
};
const approve2: Decision = {
  ...approve,
  reasons: [],
  approval: { reviewers: ['user:carol'], quorum: 2, scope: 'session', ttl: '1h' },
};
const deny: Decision = { effect: 'deny', reasons: [{ rule: 'c', message: 'no' }], masks: [] };

describe('combineDecisions', () => {
  it('lets deny beat approve beat allow, in any order', () => {
    expect(combineDecisions([allow, approve, deny]).effect).toBe('deny');
    expect(combineDecisions([deny, allow]).effect).toBe('deny');
    expect(combineDecisions([allow, approve]).effect).toBe('approve');
    expect(combineDecisions([approve, allow]).effect).toBe('approve');
    expect(combineDecisions([allow, allow]).effect).toBe('allow');
  });

  it('concatenates reasons and masks, dropping exact duplicates', () => {
    const combined = combineDecisions([allow, approve, allow]);
    expect(combined.reasons.map((r) => r.rule)).toEqual(['a', 'b']);
    expect(combined.masks).toEqual([allow.masks[0], approve.masks[0]]);
  });

  it('keeps the approval block of the first approve', () => {
    expect(combineDecisions([allow, approve, approve2]).approval).toEqual(approve.approval);
    expect(combineDecisions([approve2, approve]).approval).toEqual(approve2.approval);
  });

  it('drops the approval block when a deny wins', () => {
    expect(combineDecisions([approve, deny]).approval).toBeUndefined();
  });

  it('keeps the tightest row limit, and none on a deny', () => {
    const limited = (n: number): Decision => ({ ...allow, limits: { affected_rows: n } });
    expect(combineDecisions([limited(100), allow, limited(5), limited(20)]).limits).toEqual({
      affected_rows: 5,
    });
    expect(combineDecisions([allow, { ...approve, limits: { affected_rows: 0 } }]).limits).toEqual({
      affected_rows: 0,
    });
    expect(combineDecisions([allow, allow]).limits).toBeUndefined();
    expect(combineDecisions([limited(5), deny]).limits).toBeUndefined();
  });

  it('denies when there is nothing to combine', () => {
    expect(combineDecisions([])).toMatchObject({
      effect: 'deny',
      reasons: [{ rule: 'portcullis.no_decision' }],
    });
  });

  it('does not alias its inputs', () => {
    const combined = combineDecisions([approve]);
    combined.approval!.reviewers.push('user:mallory');
    combined.reasons[0]!.message = 'changed';
    expect(approve.approval!.reviewers).toEqual(['group:dba']);
    expect(approve.reasons[0]!.message).toBe('needs review');
  });
});
