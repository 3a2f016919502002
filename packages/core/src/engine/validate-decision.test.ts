import { describe, expect, it } from 'vitest';
import { validateDecision } from './validate-decision.js';

const approval = { reviewers: ['group:dba'], quorum: 1, scope: 'statement', ttl: '15m' };

describe('validateDecision', () => {
  it('accepts a full decision and returns a copy', () => {
    const input = {
      effect: 'allow',
      reasons: [{ rule: 'sql.read_only', message: 'reads are fine' }],
      masks: [
        { column: 'users.email', strategy: 'partial', keep: 4 },
        { path: '$.customers[*].ssn', strategy: 'redact' },
        { detector: 'credit_card', strategy: 'hash' },
        { pattern: '\\bAKIA[0-9A-Z]{16}\\b', strategy: 'null' },
      ],
    };
    const result = validateDecision(input);
    expect(result).toEqual({ ok: true, decision: input });
    if (result.ok) expect(result.decision.masks[0]).not.toBe(input.masks[0]);
  });

  it('accepts a column_pattern mask, alone as a selector', () => {
    const r = validateDecision({
      effect: 'allow',
      masks: [{ column_pattern: 'passw(or)?d', strategy: 'redact', keep: 2 }],
    });
    expect(r).toEqual({
      ok: true,
      decision: {
        effect: 'allow',
        reasons: [],
        masks: [{ column_pattern: 'passw(or)?d', strategy: 'redact', keep: 2 }],
      },
    });
    expect(
      validateDecision({
        effect: 'allow',
        masks: [{ column_pattern: 'a', column: 'b', strategy: 'redact' }],
      }),
    ).toMatchObject({ ok: false, path: 'decision.masks[0]' });
    for (const selector of ['column_pattern', 'pattern']) {
      expect(
        validateDecision({ effect: 'allow', masks: [{ [selector]: '(?<=a)b', strategy: 'redact' }] }),
      ).toEqual({
        ok: false,
        path: `decision.masks[0].${selector}`,
        message: 'is not a valid RE2 expression',
      });
    }
    expect(
      validateDecision({ effect: 'allow', masks: [{ column_pattern: '', strategy: 'redact' }] }),
    ).toMatchObject({
      ok: false,
      path: 'decision.masks[0].column_pattern',
    });
  });

  it("checks a column_pattern mask's exceptions", () => {
    const mask = { column_pattern: 'token', strategy: 'redact', except: ['pg_ts_parser.prstoken'] };
    expect(validateDecision({ effect: 'allow', masks: [mask] })).toMatchObject({
      ok: true,
      decision: { masks: [mask] },
    });
    for (const [except, path] of [
      ['pg_ts_parser.prstoken', 'decision.masks[0].except'],
      [['prstoken'], 'decision.masks[0].except[0]'],
      [[7], 'decision.masks[0].except[0]'],
      [Array.from({ length: 257 }, () => 't.c'), 'decision.masks[0].except'],
    ] as const) {
      expect(validateDecision({ effect: 'allow', masks: [{ ...mask, except }] })).toMatchObject({
        ok: false,
        path,
      });
    }
    expect(
      validateDecision({ effect: 'allow', masks: [{ column: 'a', strategy: 'redact', except: ['t.a'] }] }),
    ).toMatchObject({ ok: false, path: 'decision.masks[0].except' });
  });

  it('fills missing reasons and masks', () => {
    expect(validateDecision({ effect: 'deny' })).toEqual({
      ok: true,
      decision: { effect: 'deny', reasons: [], masks: [] },
    });
  });

  it('keeps the approval block only on an approve', () => {
    expect(validateDecision({ effect: 'approve', approval })).toEqual({
      ok: true,
      decision: { effect: 'approve', reasons: [], masks: [], approval },
    });
    expect(validateDecision({ effect: 'allow', approval })).toEqual({
      ok: true,
      decision: { effect: 'allow', reasons: [], masks: [] },
    });
  });

  it('keeps row limits on what may run, and drops them from a deny', () => {
    expect(validateDecision({ effect: 'allow', limits: { affected_rows: 0 } })).toEqual({
      ok: true,
      decision: { effect: 'allow', reasons: [], masks: [], limits: { affected_rows: 0 } },
    });
    expect(validateDecision({ effect: 'approve', approval, limits: { affected_rows: 50 } })).toMatchObject({
      decision: { limits: { affected_rows: 50 } },
    });
    expect(validateDecision({ effect: 'deny', limits: { affected_rows: 5 } })).toEqual({
      ok: true,
      decision: { effect: 'deny', reasons: [], masks: [] },
    });
    expect(validateDecision({ effect: 'allow', limits: {} })).toEqual({
      ok: true,
      decision: { effect: 'allow', reasons: [], masks: [] },
    });
  });

  const malformed: [string, unknown, string][] = [
    ['undefined', undefined, 'decision'],
    ['a string', 'allow', 'decision'],
    ['a list', [{ effect: 'allow' }], 'decision'],
    ['an unknown effect', { effect: 'permit' }, 'decision.effect'],
    ['no effect', { reasons: [] }, 'decision.effect'],
    ['an unknown field', { effect: 'allow', mask: [] }, 'decision.mask'],
    ['non-array reasons', { effect: 'deny', reasons: 'nope' }, 'decision.reasons'],
    ['a reason without a rule', { effect: 'deny', reasons: [{ message: 'x' }] }, 'decision.reasons[0].rule'],
    [
      'a reason with a non-string message',
      { effect: 'deny', reasons: [{ rule: 'r', message: 1 }] },
      'decision.reasons[0].message',
    ],
    ['a string reason', { effect: 'deny', reasons: ['x'] }, 'decision.reasons[0]'],
    ['non-array masks', { effect: 'allow', masks: {} }, 'decision.masks'],
    ['a mask without a selector', { effect: 'allow', masks: [{ strategy: 'redact' }] }, 'decision.masks[0]'],
    [
      'a mask with two selectors',
      { effect: 'allow', masks: [{ column: 'a', path: '$.a', strategy: 'redact' }] },
      'decision.masks[0]',
    ],
    [
      'a mask with an unknown strategy',
      { effect: 'allow', masks: [{ column: 'a', strategy: 'scramble' }] },
      'decision.masks[0].strategy',
    ],
    [
      'a mask with an unknown detector',
      { effect: 'allow', masks: [{ detector: 'dna', strategy: 'hash' }] },
      'decision.masks[0].detector',
    ],
    [
      'a mask with an empty column',
      { effect: 'allow', masks: [{ column: '', strategy: 'hash' }] },
      'decision.masks[0].column',
    ],
    [
      'a mask with a negative keep',
      { effect: 'allow', masks: [{ column: 'a', strategy: 'partial', keep: -1 }] },
      'decision.masks[0].keep',
    ],
    [
      'a mask with an extra field',
      { effect: 'allow', masks: [{ column: 'a', strategy: 'hash', salt: 'x' }] },
      'decision.masks[0].salt',
    ],
    ['approve without approval', { effect: 'approve' }, 'decision.approval'],
    [
      'approval with no reviewers',
      { effect: 'approve', approval: { ...approval, reviewers: [] } },
      'decision.approval.reviewers',
    ],
    [
      'approval with quorum 0',
      { effect: 'approve', approval: { ...approval, quorum: 0 } },
      'decision.approval.quorum',
    ],
    [
      'approval with a fractional quorum',
      { effect: 'approve', approval: { ...approval, quorum: 1.5 } },
      'decision.approval.quorum',
    ],
    [
      'approval with an unknown scope',
      { effect: 'approve', approval: { ...approval, scope: 'forever' } },
      'decision.approval.scope',
    ],
    [
      'approval with a bad ttl',
      { effect: 'approve', approval: { ...approval, ttl: '15 minutes' } },
      'decision.approval.ttl',
    ],
    [
      'approval with a zero ttl',
      { effect: 'approve', approval: { ...approval, ttl: '0s' } },
      'decision.approval.ttl',
    ],
    ['limits that are a number', { effect: 'allow', limits: 5 }, 'decision.limits'],
    ['an unknown limit', { effect: 'allow', limits: { rows: 5 } }, 'decision.limits.rows'],
    [
      'a negative row limit',
      { effect: 'allow', limits: { affected_rows: -1 } },
      'decision.limits.affected_rows',
    ],
    [
      'a fractional row limit',
      { effect: 'allow', limits: { affected_rows: 1.5 } },
      'decision.limits.affected_rows',
    ],
    [
      'a row limit as text',
      { effect: 'allow', limits: { affected_rows: '10' } },
      'decision.limits.affected_rows',
    ],
    [
      'a bad approval on an allow',
      { effect: 'allow', approval: { reviewers: 'x' } },
      'decision.approval.reviewers',
    ],
  ];
  it.each(malformed)('rejects %s', (_name, value, path) => {
    const result = validateDecision(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.path).toBe(path);
  });
});
