import { createEngine, type PolicyRequest, staticEvaluator } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { CREDENTIAL_CLAIM, guardEngine } from '../src/gateway/guarded-engine.js';

const engine = () =>
  createEngine({ evaluator: staticEvaluator(() => ({ effect: 'allow', reasons: [], masks: [] }), 'open') });

const request = (claims: Record<string, unknown>): PolicyRequest => ({
  subject: { id: 'alice', kind: 'human', groups: [], claims },
  resource: { type: 'postgres', name: 'db', labels: {} },
  session: { id: 's', started_at: '2026-11-25T21:00:00Z', source: '127.0.0.1', approvals: [] },
  sql: 'SELECT 1',
});

describe('guardEngine', () => {
  it('re-checks the credential at every statement, with an async store', async () => {
    let live = true;
    const guarded = guardEngine(engine(), { credentialActive: async () => live });
    expect((await guarded.decide(request({ [CREDENTIAL_CLAIM]: 'c1' }))).decision.effect).toBe('allow');
    live = false;
    const denied = await guarded.decide(request({ [CREDENTIAL_CLAIM]: 'c1' }));
    expect(denied.decision).toMatchObject({
      effect: 'deny',
      reasons: [{ rule: 'portcullis.credential_revoked' }],
    });
    // Marked as a failure, so that an adapter's decision memo does not keep it.
    expect(denied.evaluation.error).toMatchObject({ code: 'PC_GATEWAY_CREDENTIAL' });
    // Sessions opened with an API key carry no credential and are not checked.
    expect((await guarded.decide(request({}))).decision.effect).toBe('allow');
  });

  it('denies when the state store cannot answer (fail closed)', async () => {
    const guarded = guardEngine(engine(), {
      credentialActive: async () => {
        throw new Error('connection refused');
      },
    });
    const result = await guarded.decide(request({ [CREDENTIAL_CLAIM]: 'c1' }));
    expect(result.decision).toMatchObject({
      effect: 'deny',
      reasons: [{ rule: 'portcullis.state_unavailable' }],
    });
    expect(result.evaluation.error).toMatchObject({ code: 'PC_GATEWAY_STATE' });
  });

  it('passes the policy generation through, so adapters see a swapped policy', () => {
    const inner = engine();
    const guarded = guardEngine(inner, { credentialActive: () => true });
    expect(guarded.generation).toBe(0);
    inner.setEvaluator(staticEvaluator(() => ({ effect: 'deny', reasons: [], masks: [] }), 'closed'));
    expect(guarded.generation).toBe(1);
  });

  it('tells generation listeners of each new policy, so the pg proxy may use its native lane', () => {
    const inner = engine();
    const guarded = guardEngine(inner, { credentialActive: () => true });
    const seen: number[] = [];
    const stop = guarded.onGeneration?.((g) => seen.push(g));
    expect(stop).toBeTypeOf('function');
    inner.setEvaluator(staticEvaluator(() => ({ effect: 'deny', reasons: [], masks: [] }), 'closed'));
    stop?.();
    inner.setEvaluator(staticEvaluator(() => ({ effect: 'allow', reasons: [], masks: [] }), 'open'));
    expect(seen).toEqual([1]);
  });
});
