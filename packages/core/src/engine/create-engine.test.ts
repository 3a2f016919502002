import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Decision, InputDocument } from '../contract.js';
import { InvalidOptionError, InvalidRequestError, SqlParserUnavailableError } from '../errors.js';
import { fakeFactExtractors } from '../request/fake-extractors.js';
import type { FactExtractors, PolicyRequest } from '../request/index.js';
import {
  createEngine,
  DECISION_CHANNEL,
  type DecisionResult,
  type EngineOptions,
  type Evaluator,
  staticEvaluator,
} from './index.js';

const allow: Decision = { effect: 'allow', reasons: [], masks: [] };
const request: PolicyRequest = {
  subject: { id: 'alice', groups: ['dev'] },
  resource: { type: 'postgres', name: 'prod-db', labels: { env: 'prod' } },
  sql: 'SELECT * FROM users WHERE id = 1',
};

function engine(evaluator: Evaluator, options: Partial<EngineOptions> = {}) {
  return createEngine({ evaluator, extractors: fakeFactExtractors, ...options });
}

function expectFailClosed(result: DecisionResult, rule: string, code: string) {
  expect(result.decision).toEqual({
    effect: 'deny',
    reasons: [{ rule, message: expect.any(String) }],
    masks: [],
  });
  expect(result.evaluation.error).toEqual({ code, message: result.decision.reasons[0]!.message });
  expect(result.evaluation.cached).toBe(false);
}

describe('engine.decide', () => {
  it('returns the decision, the input document and how evaluation went', async () => {
    const seen: InputDocument[] = [];
    const result = await engine(
      staticEvaluator((input) => {
        seen.push(input);
        return { effect: 'allow', masks: [{ column: 'users.email', strategy: 'partial' }] };
      }, 'test-policy'),
    ).decide(request);
    expect(result.decision).toEqual({
      effect: 'allow',
      reasons: [],
      masks: [{ column: 'users.email', strategy: 'partial' }],
    });
    expect(result.input).toBe(seen[0]);
    expect(result.input.action.sql?.statements[0]?.type).toBe('select');
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.evaluation).toMatchObject({ evaluator: 'test-policy', cached: false });
    expect(result.evaluation.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.evaluation.error).toBeUndefined();
  });

  it('passes unparsed facts to the policy, which decides', async () => {
    const result = await engine(
      staticEvaluator((input) =>
        input.action.sql?.parsed
          ? allow
          : {
              effect: 'approve',
              approval: { reviewers: ['group:dba'], quorum: 1, scope: 'statement', ttl: '5m' },
            },
      ),
    ).decide({ ...request, sql: 'SELEC syntax error' });
    expect(result.decision.effect).toBe('approve');
    expect(result.evaluation.error).toBeUndefined();
  });

  it('rejects a malformed request instead of deciding on it', async () => {
    await expect(
      engine(staticEvaluator(allow)).decide({ ...request, subject: { id: '' } }),
    ).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('evaluates a document the caller built', async () => {
    const e = engine(staticEvaluator(allow));
    const { input } = await e.decide(request);
    const again = await e.decideInput(input);
    expect(again.decision.effect).toBe('allow');
    expect(again.input).toBe(input);
    await expect(e.decideInput({ ...input, version: 'v0' } as unknown as InputDocument)).rejects.toThrow(
      /input\.version/,
    );
  });
});

describe('failing closed', () => {
  it('denies when the evaluator throws', async () => {
    const result = await engine({
      name: 'boom',
      evaluate() {
        throw new TypeError('wasm trap: unreachable');
      },
    }).decide(request);
    expectFailClosed(result, 'portcullis.evaluation_failed', 'PC_EVALUATION_FAILED');
    expect(result.decision.reasons[0]!.message).toContain('wasm trap');
  });

  it('denies when the evaluator rejects with a non-Error', async () => {
    const result = await engine({ name: 'x', evaluate: () => Promise.reject('nope') }).decide(request);
    expectFailClosed(result, 'portcullis.evaluation_failed', 'PC_EVALUATION_FAILED');
  });

  it('denies when the evaluator does not answer in time, and aborts it', async () => {
    let signal: AbortSignal | undefined;
    const result = await engine(
      {
        name: 'slow',
        evaluate: (_input, ctx) => {
          signal = ctx.signal;
          return new Promise(() => {});
        },
      },
      { timeoutMs: 20 },
    ).decide(request);
    expectFailClosed(result, 'portcullis.evaluation_timeout', 'PC_EVALUATION_TIMEOUT');
    expect(signal?.aborted).toBe(true);
    expect(result.evaluation.durationMs).toBeGreaterThanOrEqual(15);
  });

  it('gives an evaluator that reads its signal only after the time limit an aborted one', async () => {
    let ctxRef: { signal: AbortSignal } | undefined;
    const result = await engine(
      {
        name: 'late',
        evaluate: (_input, ctx) => {
          ctxRef = ctx;
          return new Promise(() => {});
        },
      },
      { timeoutMs: 20 },
    ).decide(request);
    const late = ctxRef?.signal;
    expectFailClosed(result, 'portcullis.evaluation_timeout', 'PC_EVALUATION_TIMEOUT');
    expect(late?.aborted).toBe(true);
    expect(late?.reason).toMatchObject({ code: 'PC_EVALUATION_TIMEOUT' });
  });

  it('denies when a synchronous evaluator throws', async () => {
    const result = await engine({
      name: 'sync',
      evaluate: () => {
        throw new Error('boom');
      },
    }).decide(request);
    expectFailClosed(result, 'portcullis.evaluation_failed', 'PC_EVALUATION_FAILED');
  });

  it('denies when the result is undefined', async () => {
    const result = await engine(staticEvaluator(() => undefined)).decide(request);
    expectFailClosed(result, 'portcullis.no_decision', 'PC_MALFORMED_DECISION');
  });

  it.each([
    ['an unknown effect', { effect: 'permit' }],
    ['approve without approval', { effect: 'approve' }],
    ['a bad mask rule', { effect: 'allow', masks: [{ column: 'a', strategy: 'scramble' }] }],
    ['non-array reasons', { effect: 'deny', reasons: 'because' }],
    ['null', null],
    ['an OPA result set instead of the decision', [{ result: { effect: 'allow' } }]],
  ])('denies a malformed decision: %s', async (_name, value) => {
    const result = await engine(staticEvaluator(() => value)).decide(request);
    expectFailClosed(result, 'portcullis.malformed_decision', 'PC_MALFORMED_DECISION');
  });

  it('denies without evaluating when a fact extractor cannot run', async () => {
    const evaluate = vi.fn(() => allow);
    const broken: FactExtractors = {
      ...fakeFactExtractors,
      sql: () => {
        throw new SqlParserUnavailableError('libpg-query failed to load');
      },
    };
    const result = await createEngine({ evaluator: { name: 'e', evaluate }, extractors: broken }).decide(
      request,
    );
    expectFailClosed(result, 'portcullis.facts_unavailable', 'PC_SQL_PARSER_UNAVAILABLE');
    expect(result.input.action.sql?.parsed).toBe(false);
    expect(evaluate).not.toHaveBeenCalled();
  });

  it('does not cache failures', async () => {
    let calls = 0;
    const flaky: Evaluator = {
      name: 'flaky',
      evaluate: () => {
        calls += 1;
        if (calls === 1) throw new Error('transient');
        return allow;
      },
    };
    const e = engine(flaky, { cache: { maxEntries: 10, ttlMs: 60_000 } });
    expect((await e.decide(request)).decision.effect).toBe('deny');
    expect((await e.decide(request)).decision.effect).toBe('allow');
    expect(calls).toBe(2);
  });
});

describe('decision cache', () => {
  function counting() {
    const inputs: InputDocument[] = [];
    const evaluator = staticEvaluator((input) => {
      inputs.push(input);
      return {
        effect: 'allow',
        reasons: [{ rule: 'who', message: `${input.subject.id}@${input.resource.name}` }],
      };
    });
    return { inputs, evaluator };
  }

  it('is off by default', async () => {
    const { inputs, evaluator } = counting();
    const e = engine(evaluator);
    await e.decide(request);
    await e.decide(request);
    expect(inputs).toHaveLength(2);
  });

  it('reuses a decision for the same subject, resource and statement shape', async () => {
    const { inputs, evaluator } = counting();
    const e = engine(evaluator, { cache: { maxEntries: 10, ttlMs: 60_000 } });
    const first = await e.decide(request);
    const second = await e.decide({
      ...request,
      sql: 'SELECT * FROM users WHERE id = 2',
      session: { id: 'other' },
    });
    expect(inputs).toHaveLength(1);
    expect(first.evaluation.cached).toBe(false);
    expect(second.evaluation.cached).toBe(true);
    expect(second.evaluation.durationMs).toBe(0);
    expect(second.decision).toEqual(first.decision);
    expect(second.input.session.id).toBe('other');
  });

  it.each<[string, PolicyRequest]>([
    ['another subject', { ...request, subject: { id: 'mallory', groups: ['dev'] } }],
    ['another kind', { ...request, subject: { id: 'alice', kind: 'agent', groups: ['dev'] } }],
    ['other groups', { ...request, subject: { id: 'alice', groups: ['dev', 'dba'] } }],
    ['other claims', { ...request, subject: { id: 'alice', groups: ['dev'], claims: { acr: 'mfa' } } }],
    ['another resource name', { ...request, resource: { ...request.resource, name: 'staging-db' } }],
    [
      'another resource type',
      {
        subject: request.subject,
        resource: { type: 'ssh', name: 'prod-db', labels: { env: 'prod' } },
        action: 'connect',
      },
    ],
    ['other labels', { ...request, resource: { ...request.resource, labels: { env: 'dev' } } }],
    ['another statement', { ...request, sql: 'DELETE FROM users' }],
    ['another dialect', { ...request, sql: { raw: 'SELECT * FROM users WHERE id = 1', dialect: 'mysql' } }],
    ['another source address', { ...request, session: { source: '10.9.9.9' } }],
    [
      'a granted approval',
      {
        ...request,
        session: {
          approvals: [
            { id: 'ap1', scope: 'session', approved_by: ['bob'], expires_at: '2030-01-01T00:00:00Z' },
          ],
        },
      },
    ],
  ])('never serves a cached decision to %s', async (_name, other) => {
    const { inputs, evaluator } = counting();
    const e = engine(evaluator, { cache: { maxEntries: 10, ttlMs: 60_000 } });
    await e.decide(request);
    const result = await e.decide(other);
    expect(inputs).toHaveLength(2);
    expect(result.evaluation.cached).toBe(false);
  });

  it('keys shell lines on their raw text and HTTP on method, URL and body', async () => {
    const { inputs, evaluator } = counting();
    const e = engine(evaluator, { cache: { maxEntries: 10, ttlMs: 60_000 } });
    const ssh = { subject: { id: 'a' }, resource: { type: 'ssh', name: 'h' } } as const;
    await e.decide({ ...ssh, command: 'ls /tmp' });
    await e.decide({ ...ssh, command: 'ls /tmp' });
    await e.decide({ ...ssh, command: 'ls /etc' });
    expect(inputs).toHaveLength(2);
    const api = { subject: { id: 'a' }, resource: { type: 'http', name: 'api' } } as const;
    const post = {
      method: 'POST',
      url: 'https://api/x',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    };
    await e.decide({ ...api, http: post });
    await e.decide({ ...api, http: post });
    await e.decide({ ...api, http: { ...post, body: '{"a":2}' } });
    await e.decide({ ...api, http: { ...post, method: 'PUT' } });
    await e.decide({ ...api, http: { ...post, url: 'https://api/y' } });
    expect(inputs).toHaveLength(6);
  });

  it('expires entries after ttlMs on the injected clock', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const { inputs, evaluator } = counting();
    const e = engine(evaluator, { cache: { maxEntries: 10, ttlMs: 1000 }, clock: () => now });
    await e.decide(request);
    now += 999;
    await e.decide(request);
    expect(inputs).toHaveLength(1);
    now += 1;
    await e.decide(request);
    expect(inputs).toHaveLength(2);
    e.clearCache();
    await e.decide(request);
    expect(inputs).toHaveLength(3);
  });
});

describe('observability', () => {
  afterEach(() => vi.restoreAllMocks());

  it('publishes every decision on the diagnostics channel', async () => {
    const seen: unknown[] = [];
    const listener = (message: unknown) => seen.push(message);
    diagnosticsChannel.subscribe(DECISION_CHANNEL, listener);
    try {
      const result = await engine(staticEvaluator(allow)).decide(request);
      expect(seen).toEqual([result]);
    } finally {
      diagnosticsChannel.unsubscribe(DECISION_CHANNEL, listener);
    }
  });

  it('logs to the given logger only: debug for decisions, warn for failures', async () => {
    const logger = { debug: vi.fn(), warn: vi.fn() };
    await engine(staticEvaluator(allow), { logger }).decide(request);
    expect(logger.debug).toHaveBeenCalledWith(
      expect.objectContaining({ effect: 'allow' }),
      'policy decision',
    );
    await engine(
      staticEvaluator(() => undefined),
      { logger },
    ).decide(request);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ code: 'PC_MALFORMED_DECISION', rule: 'portcullis.no_decision' }),
      'policy decision failed closed',
    );
  });

  it('closes the evaluator', async () => {
    const close = vi.fn();
    await engine({ name: 'e', evaluate: () => allow, close }).close();
    expect(close).toHaveBeenCalledOnce();
  });
});

describe('options', () => {
  it.each<[string, Partial<EngineOptions>, RegExp]>([
    ['evaluator', { evaluator: {} as Evaluator }, /option evaluator/],
    ['timeoutMs', { timeoutMs: 0 }, /option timeoutMs/],
    ['cache.maxEntries', { cache: { maxEntries: 0, ttlMs: 1 } }, /option cache\.maxEntries/],
    ['cache.ttlMs', { cache: { maxEntries: 1, ttlMs: -1 } }, /option cache\.ttlMs/],
    ['extractors', { extractors: { sql: () => ({}) } as unknown as FactExtractors }, /option extractors/],
    ['http.maxBodyBytes', { http: { maxBodyBytes: 1.5 } }, /option http\.maxBodyBytes/],
  ])('rejects a bad %s at construction', (_name, options, message) => {
    const create = () => createEngine({ evaluator: staticEvaluator(allow), ...options });
    expect(create).toThrow(InvalidOptionError);
    expect(create).toThrow(message);
  });
});

describe('policy generation', () => {
  const deny: Decision = { effect: 'deny', reasons: [{ rule: 'r', message: 'no' }], masks: [] };

  it('starts at 0 and goes up with setEvaluator and invalidate', async () => {
    const e = engine(staticEvaluator(allow, 'v1'));
    expect(e.generation).toBe(0);
    expect((await e.decide(request)).evaluation.generation).toBe(0);
    const previous = e.setEvaluator(staticEvaluator(deny, 'v2'));
    expect(previous.name).toBe('v1');
    expect(e.generation).toBe(1);
    const after = await e.decide(request);
    expect(after.decision.effect).toBe('deny');
    expect(after.evaluation).toMatchObject({ evaluator: 'v2', generation: 1 });
    e.invalidate();
    expect(e.generation).toBe(2);
    expect((await e.decide(request)).evaluation.generation).toBe(2);
  });

  it('clears the cache on a new evaluator, so the new policy decides at once', async () => {
    const e = engine(staticEvaluator(allow, 'v1'), { cache: { maxEntries: 10, ttlMs: 60_000 } });
    await e.decide(request);
    expect((await e.decide(request)).evaluation.cached).toBe(true);
    e.setEvaluator(staticEvaluator(deny, 'v2'));
    const result = await e.decide(request);
    expect(result.evaluation.cached).toBe(false);
    expect(result.decision.effect).toBe('deny');
  });

  it('does not cache a decision the replaced evaluator finishes after the swap', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: Evaluator = {
      name: 'slow',
      async evaluate() {
        await gate;
        return allow;
      },
    };
    const e = engine(slow, { cache: { maxEntries: 10, ttlMs: 60_000 } });
    const inFlight = e.decide(request);
    await new Promise((r) => setTimeout(r, 10));
    e.setEvaluator(staticEvaluator(deny, 'v2'));
    release();
    const old = await inFlight;
    expect(old.decision.effect).toBe('allow');
    expect(old.evaluation).toMatchObject({ evaluator: 'slow', generation: 0 });
    const next = await e.decide(request);
    expect(next.decision.effect).toBe('deny');
    expect(next.evaluation.cached).toBe(false);
  });

  it('tells onGeneration listeners of each new generation before returning, until they stop', async () => {
    const e = engine(staticEvaluator(allow, 'v1'));
    const seen: [number, number][] = [];
    const stop = e.onGeneration((g) => seen.push([g, e.generation]));
    e.onGeneration(() => {
      throw new Error('a listener that fails stops no other');
    });
    const also: number[] = [];
    e.onGeneration((g) => also.push(g));
    e.setEvaluator(staticEvaluator(deny, 'v2'));
    expect(seen).toEqual([[1, 1]]);
    e.invalidate();
    expect(seen).toEqual([
      [1, 1],
      [2, 2],
    ]);
    stop();
    e.invalidate();
    expect(seen).toHaveLength(2);
    expect(also).toEqual([1, 2, 3]);
    // A failed setEvaluator starts no generation and tells no one.
    expect(() => e.setEvaluator({} as Evaluator)).toThrow(InvalidOptionError);
    expect(also).toEqual([1, 2, 3]);
  });

  it('rejects a replacement that is not an evaluator, keeping the old one', async () => {
    const e = engine(staticEvaluator(allow, 'v1'));
    expect(() => e.setEvaluator({} as Evaluator)).toThrow(InvalidOptionError);
    expect(e.generation).toBe(0);
    expect((await e.decide(request)).evaluation.evaluator).toBe('v1');
  });
});
