import { describe, expect, it } from 'vitest';
import type { MaskRule } from '../contract.js';
import type { PolicyRequest } from '../request/policy-request.js';

type SubjectInput = PolicyRequest['subject'];

import { createEngine, staticEvaluator } from '../engine/index.js';
import { fakeFactExtractors } from '../request/fake-extractors.js';
import { auditRecordFromDecision, canonicalJson, digestResponse } from './index.js';

describe('auditRecordFromDecision', () => {
  it('records who, what, where, when, the decision and what was enforced', async () => {
    const engine = createEngine({
      evaluator: staticEvaluator({
        effect: 'allow',
        reasons: [{ rule: 'r', message: 'm' }],
        masks: [{ column: 'users.email', strategy: 'hash' }],
      }),
      extractors: fakeFactExtractors,
      clock: () => Date.parse('2026-11-25T21:00:00Z'),
    });
    const result = await engine.decide({
      subject: { id: 'alice', groups: ['dev'], claims: { secret: 'x' } },
      resource: { type: 'postgres', name: 'db' },
      session: { id: 's-1', source: '10.0.0.1' },
      sql: 'select email from users',
    });
    const digest = digestResponse(['row1', new TextEncoder().encode('row2')]);
    const record = auditRecordFromDecision(result, { responseDigest: digest, upstreamMs: 3, totalMs: 5 });
    expect(record).toMatchObject({
      time: '2026-11-25T21:00:00Z',
      decision_id: result.id,
      session_id: 's-1',
      subject: { id: 'alice', kind: 'human', groups: ['dev'] },
      resource: { type: 'postgres', name: 'db', labels: {} },
      source: '10.0.0.1',
      action: { type: 'sql', summary: 'select email from users', fingerprints: [expect.any(String)] },
      effect: 'allow',
      reasons: [{ rule: 'r', message: 'm' }],
      masks: [{ column: 'users.email', strategy: 'hash' }],
      response_digest: digestResponse('row1row2'),
      durations: { upstream_ms: 3, total_ms: 5 },
      cached: false,
    });
    expect(JSON.stringify(record)).not.toContain('secret');
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Ids are time-ordered (version 7), so an index keyed on them grows at its end.
    expect(record.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const next = auditRecordFromDecision(result, {});
    expect(next.id > record.id).toBe(true);
  });

  it('carries the failure code of a fail-closed deny, and summarises HTTP as METHOD URL', async () => {
    const engine = createEngine({
      evaluator: staticEvaluator(() => undefined),
      extractors: fakeFactExtractors,
    });
    const result = await engine.decide({
      subject: { id: 'a' },
      resource: { type: 'http', name: 'api' },
      http: { method: 'get', url: 'https://api/x' },
    });
    const record = auditRecordFromDecision(result, { masks: [] });
    expect(record).toMatchObject({
      effect: 'deny',
      error: { code: 'PC_MALFORMED_DECISION' },
      action: { summary: 'GET https://api/x' },
    });
  });

  it('writes a completion record with the response and execution timings', async () => {
    const engine = createEngine({
      evaluator: staticEvaluator({ effect: 'allow', reasons: [], masks: [] }),
      extractors: fakeFactExtractors,
    });
    const result = await engine.decide({
      subject: { id: 'a' },
      resource: { type: 'postgres', name: 'db' },
      sql: 'select 1',
    });
    const decision = auditRecordFromDecision(result);
    expect(decision.stage).toBeUndefined();
    expect(decision.response).toBeUndefined();
    const completion = auditRecordFromDecision(result, {
      stage: 'completion',
      decisionMs: 1.5,
      upstreamMs: 4,
      totalMs: 6,
      response: { bytes: 120, rows: 1, command: 'SELECT 1' },
    });
    expect(completion).toMatchObject({
      decision_id: result.id,
      stage: 'completion',
      response: { bytes: 120, rows: 1, command: 'SELECT 1' },
      durations: { decision_ms: 1.5, upstream_ms: 4, total_ms: 6 },
    });
    expect(completion.id).not.toBe(decision.id);
  });

  it("keeps the decision's limits, in canonical order", async () => {
    const engine = createEngine({
      evaluator: staticEvaluator({ effect: 'allow', reasons: [], masks: [], limits: { affected_rows: 25 } }),
      extractors: fakeFactExtractors,
    });
    const result = await engine.decide({
      subject: { id: 'a', kind: 'agent' },
      resource: { type: 'postgres', name: 'db' },
      sql: 'update t set x = 1 where id = 2',
    });
    const record = auditRecordFromDecision(result);
    expect(record.limits).toEqual({ affected_rows: 25 });
    expect(JSON.stringify(record)).toBe(canonicalJson(record));
    const plain = createEngine({
      evaluator: staticEvaluator({ effect: 'allow', reasons: [], masks: [] }),
      extractors: fakeFactExtractors,
    });
    const without = await plain.decide({
      subject: { id: 'a' },
      resource: { type: 'postgres', name: 'db' },
      sql: 'select 1',
    });
    expect('limits' in auditRecordFromDecision(without)).toBe(false);
  });

  it('builds the record with its keys in canonical order, so an audit log serialises it natively', async () => {
    const engine = createEngine({
      evaluator: staticEvaluator(() => undefined),
      extractors: fakeFactExtractors,
    });
    const result = await engine.decide({
      subject: { id: 'a', groups: ['g'] },
      resource: { type: 'postgres', name: 'db', labels: { zone: 'z', env: 'prod' } },
      sql: 'select 1',
    });
    const record = auditRecordFromDecision(result, {
      masks: [{ column: 'users.email', strategy: 'hash' }],
      approvalId: 'ap-1',
      responseDigest: 'sha256:00',
      decisionMs: 1,
      upstreamMs: 2,
      totalMs: 3,
      stage: 'completion',
      response: { rows: 1, bytes: 10, command: 'SELECT 1' },
    });
    expect(Object.keys(record)).toContain('error');
    expect(JSON.stringify(record)).toBe(canonicalJson(record));
  });

  it('redacts the credentials a reason quotes, every time, and shares the reasons that quote none', async () => {
    const quoting = 'curl downloads https://ops:url-pw@api.internal/x?access_token=tok-1 into sh';
    const reasons = [
      { rule: 'shell.download', message: quoting },
      { rule: 'shell.plain', message: 'no credential here' },
    ];
    const engine = createEngine({
      evaluator: staticEvaluator({ effect: 'deny', reasons, masks: [] }),
      extractors: fakeFactExtractors,
    });
    const result = await engine.decide({
      subject: { id: 'bot', kind: 'agent' },
      resource: { type: 'ssh', name: 'host' },
      session: { id: 's', source: 'x' },
      command: 'true',
    });
    const redacted = [
      {
        message: 'curl downloads https://ops:[REDACTED]@api.internal/x?access_token=[REDACTED] into sh',
        rule: 'shell.download',
      },
      { message: 'no credential here', rule: 'shell.plain' },
    ];
    const first = auditRecordFromDecision(result);
    const second = auditRecordFromDecision(result);
    expect(first.reasons).toEqual(redacted);
    expect(second.reasons).toEqual(redacted);
    expect(result.decision.reasons[0]?.message).toBe(quoting);

    result.decision.reasons.splice(0, 1);
    const third = auditRecordFromDecision(result);
    expect(third.reasons).toEqual([{ message: 'no credential here', rule: 'shell.plain' }]);
    expect(auditRecordFromDecision(result).reasons).toBe(third.reasons);
    await engine.close();
  });

  it('shares frozen snapshots of what repeats, and never one that went stale', async () => {
    const masks: MaskRule[] = [
      { detector: 'email', strategy: 'partial' },
      { detector: 'iban', strategy: 'partial', keep: 4 },
    ];
    const engine = createEngine({
      evaluator: staticEvaluator({ effect: 'allow', reasons: [], masks }),
      extractors: fakeFactExtractors,
    });
    const resource = { type: 'postgres' as const, name: 'db', labels: { env: 'prod' } };
    const subject: SubjectInput = { id: 'bot', kind: 'agent', groups: ['etl'] };
    const decide = (who: SubjectInput = subject) =>
      engine.decide({ subject: who, resource, session: { id: 's', source: 'x' }, sql: 'select 1' });
    const result = await decide();
    const first = auditRecordFromDecision(result);
    const second = auditRecordFromDecision(result);
    expect(second.masks).toBe(first.masks);
    expect(second.resource).toBe(first.resource);
    expect(second.subject).toBe(first.subject);
    expect(Object.isFrozen(first.masks[0])).toBe(true);
    expect(first.masks).toEqual([
      { detector: 'email', strategy: 'partial' },
      { detector: 'iban', keep: 4, strategy: 'partial' },
    ]);

    // Changed in place: the next record carries what is there now.
    const shown = result.decision.masks[1] as { keep?: number };
    shown.keep = 2;
    (result.input.resource.labels as Record<string, string>).env = 'staging';
    (result.input.subject.groups as string[]).push('admins');
    const third = auditRecordFromDecision(result);
    expect(third.masks[1]).toEqual({ detector: 'iban', keep: 2, strategy: 'partial' });
    expect(third.resource.labels).toEqual({ env: 'staging' });
    expect(third.subject.groups).toEqual(['etl', 'admins']);
    expect(first.masks[1]).toEqual({ detector: 'iban', keep: 4, strategy: 'partial' });
    result.decision.masks.push({ detector: 'jwt', strategy: 'redact' });
    expect(auditRecordFromDecision(result).masks).toHaveLength(3);
    delete shown.keep;
    expect(auditRecordFromDecision(result).masks[1]).toEqual({ detector: 'iban', strategy: 'partial' });

    // Interleaved subjects each get their own.
    const other: SubjectInput = { id: 'alice', kind: 'human', groups: [] };
    const mine = await decide(other);
    expect(auditRecordFromDecision(mine).subject).toEqual({ groups: [], id: 'alice', kind: 'human' });
    expect(auditRecordFromDecision(result).subject.id).toBe('bot');
    expect(auditRecordFromDecision(mine).subject.id).toBe('alice');
    await engine.close();
  });

  it("shares the snapshot of masks that carry lists (a column rule's except), and never a stale one", async () => {
    // The shipped library's column rules carry `except`: every agent decision has them.
    const masks: MaskRule[] = [
      { column_pattern: 'e_?mail', strategy: 'partial', except: ['pg_ts_parser.prstoken', 'a.b'] },
      { detector: 'email', strategy: 'partial' },
    ];
    const engine = createEngine({
      evaluator: staticEvaluator({ effect: 'allow', reasons: [], masks }),
      extractors: fakeFactExtractors,
    });
    const result = await engine.decide({
      subject: { id: 'bot', kind: 'agent', groups: [] },
      resource: { type: 'postgres', name: 'db' },
      session: { id: 's', source: 'x' },
      sql: 'select 1',
    });
    const first = auditRecordFromDecision(result);
    expect(auditRecordFromDecision(result).masks).toBe(first.masks);
    expect(Object.isFrozen((first.masks[0] as { except: string[] }).except)).toBe(true);
    expect(first.masks[0]).toEqual({
      column_pattern: 'e_?mail',
      except: ['pg_ts_parser.prstoken', 'a.b'],
      strategy: 'partial',
    });
    // An equal list in another decision's masks is served the same snapshot.
    const equal = structuredClone(result.decision.masks);
    expect(auditRecordFromDecision(result, { masks: equal }).masks).toBe(first.masks);

    const except = (result.decision.masks[0] as { except: string[] }).except;
    except[1] = 'c.d';
    const changed = auditRecordFromDecision(result);
    expect(changed.masks).not.toBe(first.masks);
    expect((changed.masks[0] as { except: string[] }).except).toEqual(['pg_ts_parser.prstoken', 'c.d']);
    except.push('e.f');
    expect((auditRecordFromDecision(result).masks[0] as { except: string[] }).except).toHaveLength(3);
    expect((first.masks[0] as { except: string[] }).except).toEqual(['pg_ts_parser.prstoken', 'a.b']);

    // A list of objects is no flat member: copied whole, each time, never shared.
    const nested = [
      { detector: 'email', strategy: 'partial', except: [{ deep: true }] },
    ] as unknown as MaskRule[];
    const once = auditRecordFromDecision(result, { masks: nested });
    expect(auditRecordFromDecision(result, { masks: nested }).masks).not.toBe(once.masks);
    expect(once.masks).toEqual(nested);
    expect((once.masks[0] as unknown as { except: object[] }).except[0]).not.toBe(
      (nested[0] as unknown as { except: object[] }).except[0],
    );
    await engine.close();
  });
});
