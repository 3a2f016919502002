import { describe, expect, it } from 'vitest';
import { auditRecordFromDecision } from '../audit/audit-record-from-decision.js';
import { createEngine } from './create-engine.js';
import { staticEvaluator } from './static-evaluator.js';

const masks = [
  { column: 'users.email', strategy: 'partial', keep: 4 },
  { detector: 'credit_card', strategy: 'hash' },
  { path: '$..ssn', strategy: 'redact' },
];

describe('the audit record of an engine decision', () => {
  it('holds copies of the reasons and masks, equal to the decision', async () => {
    const engine = createEngine({
      evaluator: staticEvaluator(() => ({
        effect: 'approve',
        reasons: [{ rule: 'r', message: 'm' }],
        masks,
        approval: { reviewers: ['group:dba'], quorum: 1, scope: 'statement', ttl: '15m' },
      })),
    });
    const result = await engine.decide({
      subject: { id: 'a' },
      resource: { type: 'http', name: 'api' },
      http: { method: 'GET', url: '/x' },
    });
    const record = auditRecordFromDecision(result);
    expect(record.masks).toEqual(structuredClone(result.decision.masks));
    expect(record.reasons).toEqual(structuredClone(result.decision.reasons));
    expect(record.masks[0]).not.toBe(result.decision.masks[0]);
    expect(record.reasons[0]).not.toBe(result.decision.reasons[0]);
    // What the adapter applied, when given, is what is recorded, as a copy.
    const applied = [{ pattern: 'x+', strategy: 'redact' as const }];
    const withApplied = auditRecordFromDecision(result, { masks: applied });
    expect(withApplied.masks).toEqual(applied);
    expect(withApplied.masks[0]).not.toBe(applied[0]);
  });

  it('copies records that are not flat the way structuredClone does', () => {
    const odd = [{ column: 'a', strategy: 'hash', extra: { nested: [1] } }] as never;
    const record = auditRecordFromDecision(
      {
        id: 'd',
        decision: { effect: 'allow', reasons: [], masks: [] },
        input: {
          version: 'portcullis.v1',
          subject: { id: 'a', kind: 'human', groups: [], claims: {} },
          resource: { type: 'http', name: 'api', labels: {} },
          session: { id: 's', started_at: 't', source: '', approvals: [] },
          action: { type: 'connect' },
          time: 't',
        },
        evaluation: { evaluator: 'x', durationMs: 0, factsMs: 0, cached: false },
      },
      { masks: odd },
    );
    expect(record.masks).toEqual(odd);
    expect((record.masks[0] as unknown as { extra: object }).extra).not.toBe(
      (odd[0] as unknown as { extra: object }).extra,
    );
  });
});
