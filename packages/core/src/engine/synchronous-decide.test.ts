/**
 * The engine decides without waiting when nothing needs it (HTTP facts, extractors and
 * evaluators that answer synchronously). These hold that path to the same answers as the
 * asynchronous one, failures included.
 */
import { describe, expect, it } from 'vitest';
import type { Decision, InputDocument } from '../contract.js';
import { InvalidRequestError, SqlParserUnavailableError } from '../errors.js';
import { fakeFactExtractors } from '../request/fake-extractors.js';
import type { FactExtractors, PolicyRequest } from '../request/index.js';
import { createEngine } from './create-engine.js';
import type { DecisionResult } from './decision-result.js';
import type { Evaluator } from './evaluator.js';

const approve: Decision = {
  effect: 'approve',
  reasons: [{ rule: 'r', message: 'm' }],
  masks: [{ detector: 'email', strategy: 'partial', keep: 2 }],
  approval: { reviewers: ['group:dba'], quorum: 1, scope: 'statement', ttl: '15m' },
};
const requests: Record<string, PolicyRequest> = {
  sql: {
    subject: { id: 'a' },
    resource: { type: 'postgres', name: 'db' },
    session: { id: 's' },
    sql: 'SELECT 1',
  },
  shell: { subject: { id: 'a' }, resource: { type: 'ssh', name: 'h' }, session: { id: 's' }, command: 'ls' },
  http: {
    subject: { id: 'a' },
    resource: { type: 'http', name: 'api' },
    session: { id: 's' },
    http: { method: 'POST', url: '/x?a=1', headers: { 'content-type': 'application/json' }, body: { b: 1 } },
  },
};

const asyncExtractors: FactExtractors = {
  sql: async (raw, dialect) => fakeFactExtractors.sql(raw, dialect),
  shell: async (raw) => fakeFactExtractors.shell(raw),
};
const syncEvaluator = (answer: () => unknown): Evaluator => ({ name: 'e', evaluate: () => answer() });
const asyncEvaluator = (answer: () => unknown): Evaluator => ({ name: 'e', evaluate: async () => answer() });

/** The parts of a result that do not vary between runs. */
function stable(result: DecisionResult) {
  const { durationMs: _d, factsMs: _f, ...evaluation } = result.evaluation;
  return { decision: result.decision, input: result.input, evaluation };
}

async function both(answer: () => unknown, request: PolicyRequest) {
  const clock = () => 1764104400000;
  const fast = createEngine({ evaluator: syncEvaluator(answer), extractors: fakeFactExtractors, clock });
  const slow = createEngine({ evaluator: asyncEvaluator(answer), extractors: asyncExtractors, clock });
  return [stable(await fast.decide(request)), stable(await slow.decide(request))] as const;
}

describe('deciding without waiting', () => {
  it.each(Object.keys(requests))('gives the same %s result as the asynchronous path', async (kind) => {
    const [fast, slow] = await both(() => structuredClone(approve), requests[kind]!);
    expect(fast).toEqual(slow);
    expect(fast.decision).toEqual(approve);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('boom');
      },
      'portcullis.evaluation_failed',
    ],
    ['answers nothing', () => undefined, 'portcullis.no_decision'],
    ['answers a malformed decision', () => ({ effect: 'allow', mask: [] }), 'portcullis.malformed_decision'],
  ])('fails closed the same way when the evaluator %s', async (_name, answer, rule) => {
    const [fast, slow] = await both(answer, requests.http!);
    expect(fast).toEqual(slow);
    expect(fast.decision.effect).toBe('deny');
    expect(fast.decision.reasons[0]?.rule).toBe(rule);
  });

  it('denies with unparsed facts when a synchronous extractor throws', async () => {
    let evaluated = false;
    const broken: FactExtractors = {
      ...fakeFactExtractors,
      sql: () => {
        throw new SqlParserUnavailableError('no parser');
      },
    };
    const engine = createEngine({
      evaluator: syncEvaluator(() => {
        evaluated = true;
        return approve;
      }),
      extractors: broken,
    });
    const result = await engine.decide(requests.sql!);
    expect(result.decision.reasons[0]?.rule).toBe('portcullis.facts_unavailable');
    expect(result.evaluation.error?.code).toBe('PC_SQL_PARSER_UNAVAILABLE');
    expect(result.input.action.sql?.parsed).toBe(false);
    expect(evaluated).toBe(false);
  });

  it('rejects a malformed request or input document rather than throwing', async () => {
    const engine = createEngine({ evaluator: syncEvaluator(() => approve) });
    let decided: Promise<unknown> | undefined;
    expect(() => {
      decided = engine.decide({ subject: { id: '' } } as PolicyRequest);
    }).not.toThrow();
    await expect(decided).rejects.toBeInstanceOf(InvalidRequestError);
    let input: Promise<unknown> | undefined;
    expect(() => {
      input = engine.decideInput({ version: 'v0' } as unknown as InputDocument);
    }).not.toThrow();
    await expect(input).rejects.toBeInstanceOf(InvalidRequestError);
  });
});
