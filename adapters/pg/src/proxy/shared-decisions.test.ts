import { createEngine, type DecisionResult, type Engine, staticEvaluator } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { type SessionInputParts, SharedDecisions, shareKey } from './shared-decisions.js';

const parts = (over: Partial<SessionInputParts['subject']> = {}, source = '10.0.0.1'): SessionInputParts => ({
  subject: { id: 'alice', kind: 'human', groups: ['dev'], claims: { credential: 'c1' }, ...over },
  resource: { type: 'postgres', name: 'db', labels: { env: 'prod' } },
  session: { id: `s-${Math.random()}`, started_at: new Date().toISOString(), source },
});

describe('shareKey', () => {
  it('is the same for sessions that differ only where the policy does not read', () => {
    const paths = [
      ['action'],
      ['subject', 'kind'],
      ['resource', 'labels'],
      ['session', 'approvals'],
      ['time'],
    ];
    const a = shareKey(paths, parts());
    expect(a).toEqual(expect.any(String));
    expect(shareKey(paths, parts({ id: 'bob', claims: {} }, '10.0.0.2'))).toBe(a);
    expect(shareKey(paths, parts({ kind: 'agent' }))).not.toBe(a);
  });

  it('keys what is read of the claims and the source, telling a null from a missing value', () => {
    const claim = [['subject', 'claims', 'tier']];
    expect(shareKey(claim, parts({ claims: { tier: null } }))).not.toBe(
      shareKey(claim, parts({ claims: {} })),
    );
    expect(shareKey(claim, parts({ claims: { tier: 1, x: 2 } }))).toBe(
      shareKey(claim, parts({ claims: { tier: 1 } })),
    );
    const source = [['session', 'source']];
    expect(shareKey(source, parts({}, 'a'))).not.toBe(shareKey(source, parts({}, 'b')));
    expect(shareKey(source, parts({ id: 'x' }, 'a'))).toBe(shareKey(source, parts({ id: 'y' }, 'a')));
  });

  it('gives none when the policy can tell every session apart, or cannot say', () => {
    for (const paths of [[[]], [['session']], [['session', 'id']], [['session', 'started_at']]])
      expect(shareKey(paths, parts())).toBeUndefined();
    expect(shareKey(undefined, parts())).toBeUndefined();
  });
});

describe('SharedDecisions', () => {
  const allow = { effect: 'allow' as const, reasons: [], masks: [] };
  const result = (): DecisionResult =>
    ({
      id: 'd1',
      decision: allow,
      input: { action: { type: 'sql' } },
      evaluation: { durationMs: 1, factsMs: 0, cached: false },
    }) as unknown as DecisionResult;

  it('keeps a decision for its key and generation, and drops all at a new generation', () => {
    const engine = createEngine({ evaluator: staticEvaluator(allow, 'v1') });
    const shared = new SharedDecisions({ maxEntries: 8, ttlMs: 60_000 }, engine);
    shared.remember('SELECT 1', 'k', result(), 0);
    expect(shared.get('SELECT 1', 'k', 0)?.id).toBe('d1');
    expect(shared.get('SELECT 1', 'other', 0)).toBeUndefined();
    engine.invalidate();
    expect(shared.get('SELECT 1', 'k', 0)).toBeUndefined();
    expect(shared.get('SELECT 1', 'k', 1)).toBeUndefined();
    // Decided under generation 0, offered once 1 has begun: not kept.
    shared.remember('SELECT 1', 'k', result(), 0);
    expect(shared.size).toBe(0);
    shared.remember('SELECT 1', 'k', result(), 1);
    expect(shared.get('SELECT 1', 'k', 1)?.id).toBe('d1');
  });

  it("reports the engine's input paths only when the engine counts generations", () => {
    const paths = [['subject', 'kind']];
    const engine = createEngine({ evaluator: { ...staticEvaluator(allow, 'v1'), inputPaths: paths } });
    expect(new SharedDecisions({ maxEntries: 8, ttlMs: 1 }, engine).inputPaths()).toEqual(paths);
    const uncounted: Engine = {
      decide: (r) => engine.decide(r),
      decideInput: (i) => engine.decideInput(i),
      clearCache: () => {},
      close: async () => {},
      inputPaths: paths,
    };
    expect(new SharedDecisions({ maxEntries: 8, ttlMs: 1 }, uncounted).inputPaths()).toBeUndefined();
  });
});
