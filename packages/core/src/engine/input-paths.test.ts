import { describe, expect, it } from 'vitest';
import { fakeFactExtractors } from '../request/fake-extractors.js';
import { createEngine, type Evaluator, readsInput, staticEvaluator } from './index.js';

describe('readsInput', () => {
  const paths = [['session', 'approvals'], ['subject', 'kind'], ['time']];

  it('is true for a path read, one inside it, and one that holds it', () => {
    expect(readsInput(paths, ['subject', 'kind'])).toBe(true);
    expect(readsInput(paths, ['session', 'approvals', '0', 'id'])).toBe(true);
    expect(readsInput(paths, ['session'])).toBe(true);
    expect(readsInput(paths, [])).toBe(true);
  });

  it('is false beside what is read', () => {
    expect(readsInput(paths, ['session', 'id'])).toBe(false);
    expect(readsInput(paths, ['subject', 'claims'])).toBe(false);
    expect(readsInput(paths, ['times'])).toBe(false);
    expect(readsInput([], ['session', 'id'])).toBe(false);
  });

  it('is true for everything when the whole input is read, or nobody knows', () => {
    expect(readsInput([[]], ['session', 'id'])).toBe(true);
    expect(readsInput(undefined, ['session', 'id'])).toBe(true);
  });
});

describe('engine.inputPaths', () => {
  const allow = { effect: 'allow' as const, reasons: [], masks: [] };

  it("is the current evaluator's, and follows setEvaluator", () => {
    const reading: Evaluator = { ...staticEvaluator(allow, 'v1'), inputPaths: [['subject', 'id']] };
    const engine = createEngine({ evaluator: reading, extractors: fakeFactExtractors });
    expect(engine.inputPaths).toEqual([['subject', 'id']]);
    engine.setEvaluator(staticEvaluator(allow, 'v2'));
    expect(engine.inputPaths).toBeUndefined();
    engine.setEvaluator({ ...staticEvaluator(allow, 'v3'), inputPaths: [] });
    expect(engine.inputPaths).toEqual([]);
  });
});
