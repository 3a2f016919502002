import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryApprovalStore, toGrantedApproval } from '../src/approvals/index.js';
import {
  auditRecordFromDecision,
  createJsonlAuditSink,
  digestResponse,
  verifyAuditLog,
} from '../src/audit/index.js';
import type { Decision, InputDocument, StatementFacts } from '../src/contract.js';
import { combineDecisions, createEngine, type Evaluator } from '../src/engine/index.js';
import type { PolicyRequest } from '../src/request/index.js';

/**
 * A policy written as a function, standing in for compiled Rego until @portcullis/rego
 * provides the wasm evaluator; it reads only the contract's facts, as a Rego policy would.
 */
function statementDecision(s: StatementFacts, input: InputDocument): Decision {
  const granted = input.session.approvals.some(
    (a) => (a.scope === 'statement' && a.fingerprint === s.fingerprint) || a.scope === 'session',
  );
  if (s.type === 'drop' || s.type === 'truncate') {
    return {
      effect: 'deny',
      reasons: [{ rule: 'sql.no_drop', message: `${s.type.toUpperCase()} is not allowed` }],
      masks: [],
    };
  }
  if (s.category === 'write' && input.resource.labels.env === 'prod' && !granted) {
    return {
      effect: 'approve',
      reasons: [{ rule: 'sql.prod_write_review', message: 'writes on prod need a DBA' }],
      masks: [],
      approval: { reviewers: ['group:dba'], quorum: 1, scope: 'statement', ttl: '15m' },
    };
  }
  const masks = s.columns.some((c) => c.endsWith('.email') || c === 'email')
    ? [{ column: 'users.email', strategy: 'partial' as const, keep: 4 }]
    : [];
  return { effect: 'allow', reasons: [], masks };
}

const policy: Evaluator = {
  name: 'test-policy',
  evaluate(input: InputDocument) {
    const { action } = input;
    if (action.sql) {
      if (!action.sql.parsed)
        return { effect: 'deny', reasons: [{ rule: 'sql.unparsed', message: 'SQL did not parse' }] };
      return combineDecisions(action.sql.statements.map((s) => statementDecision(s, input)));
    }
    if (action.shell) {
      const rm = action.shell.commands.find((c) => c.program === 'rm' && c.flags.includes('-r'));
      if (rm)
        return {
          effect: 'deny',
          reasons: [{ rule: 'shell.no_rm_r', message: `rm -r via ${rm.via.join(' ') || 'shell'}` }],
        };
      return { effect: 'allow' };
    }
    if (action.http) {
      if (action.http.method === 'DELETE')
        return { effect: 'deny', reasons: [{ rule: 'http.no_delete', message: 'no' }] };
      return { effect: 'allow', masks: [{ path: '$.customers[*].ssn', strategy: 'redact' }] };
    }
    return { effect: 'allow' };
  },
};

const alice = { id: 'alice@example.com', groups: ['dev'] };
const prodDb = { type: 'postgres', name: 'prod-db', labels: { env: 'prod' } } as const;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-engine-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('engine with the built-in extractors', () => {
  const engine = createEngine({ evaluator: policy });

  it('judges every statement of a multi-statement query, deny winning', async () => {
    const result = await engine.decide({
      subject: alice,
      resource: prodDb,
      sql: 'SELECT 1; DROP TABLE users',
    });
    expect(result.input.action.sql?.statements.map((s) => s.type)).toEqual(['select', 'drop']);
    expect(result.decision).toMatchObject({ effect: 'deny', reasons: [{ rule: 'sql.no_drop' }] });
  });

  it('masks e-mail addresses on a read', async () => {
    const result = await engine.decide({ subject: alice, resource: prodDb, sql: 'SELECT email FROM users' });
    expect(result.decision).toEqual({
      effect: 'allow',
      reasons: [],
      masks: [{ column: 'users.email', strategy: 'partial', keep: 4 }],
    });
  });

  it('passes unparsed SQL to the policy', async () => {
    const result = await engine.decide({ subject: alice, resource: prodDb, sql: 'SELEC * FORM users' });
    expect(result.input.action.sql?.parsed).toBe(false);
    expect(result.decision.reasons[0]?.rule).toBe('sql.unparsed');
    expect(result.evaluation.error).toBeUndefined();
  });

  it('sees rm -r behind sudo', async () => {
    const result = await engine.decide({
      subject: { id: 'deploy-agent', kind: 'agent' },
      resource: { type: 'ssh', name: 'web-1' },
      command: 'sudo rm -rf /var/log/app',
    });
    expect(result.decision).toMatchObject({
      effect: 'deny',
      reasons: [{ rule: 'shell.no_rm_r', message: 'rm -r via sudo' }],
    });
  });

  it('decides HTTP requests without leaking the credential to the policy', async () => {
    let seen: InputDocument | undefined;
    const spy = createEngine({
      evaluator: {
        name: 'spy',
        evaluate: (i, ctx) => {
          seen = i;
          return policy.evaluate(i, ctx);
        },
      },
    });
    const result = await spy.decide({
      subject: alice,
      resource: { type: 'http', name: 'crm' },
      http: { method: 'GET', url: 'https://crm/v1/customers', headers: { Authorization: 'Bearer s3cr3t' } },
    });
    expect(result.decision.masks).toEqual([{ path: '$.customers[*].ssn', strategy: 'redact' }]);
    expect(JSON.stringify(seen)).not.toContain('s3cr3t');
  });
});

describe('approve → review → re-run → audit', () => {
  it('holds a prod write, lets the approved re-run pass, and records both in a verifiable log', async () => {
    let now = Date.parse('2026-11-25T21:00:00Z');
    const clock = () => now;
    const engine = createEngine({ evaluator: policy, clock });
    const approvals = new InMemoryApprovalStore({ clock });
    const logPath = join(dir, 'audit.jsonl');
    const audit = await createJsonlAuditSink({ path: logPath, fsync: true });

    const request: PolicyRequest = {
      subject: { id: 'agent-7', kind: 'agent', claims: { act: { sub: 'alice@example.com' } } },
      resource: prodDb,
      session: { id: 'sess-1', source: '10.0.0.5' },
      sql: 'DELETE FROM orders WHERE id = 7',
    };

    // 1. The policy asks for approval; the adapter files a request and audits the hold.
    const held = await engine.decide(request);
    expect(held.decision.effect).toBe('approve');
    const fingerprint = held.input.action.sql!.statements[0]!.fingerprint;
    const pending = await approvals.request({
      requester: 'alice@example.com',
      subject: held.input.subject.id,
      resource: held.input.resource.name,
      fingerprint,
      sessionId: held.input.session.id,
      ...held.decision.approval!,
      summary: held.input.action.sql!.raw,
      reasons: held.decision.reasons,
    });
    await audit.write(auditRecordFromDecision(held, { approvalId: pending.id }));

    // 2. A DBA approves while the adapter waits.
    const waiting = approvals.waitFor(pending.id, { timeoutMs: 5000 });
    now += 60_000;
    await approvals.vote(pending.id, { reviewer: 'dana', reviewerGroups: ['dba'], decision: 'approve' });
    expect((await waiting).state).toBe('approved');

    // 3. The same statement with another constant runs again, carrying the grant.
    const grant = await approvals.findGranted({
      subjectId: 'agent-7',
      resourceName: 'prod-db',
      fingerprint,
      sessionId: 'sess-1',
    });
    expect(grant?.id).toBe(pending.id);
    const rerun = await engine.decide({
      ...request,
      sql: 'DELETE FROM orders WHERE id = 8',
      session: { ...request.session, approvals: [toGrantedApproval(grant!)] },
    });
    expect(rerun.decision.effect).toBe('allow');
    await audit.write(
      auditRecordFromDecision(rerun, {
        approvalId: pending.id,
        responseDigest: digestResponse('DELETE 1'),
        upstreamMs: 2,
      }),
    );

    // 4. After the ttl the grant is gone.
    now += 15 * 60_000;
    expect(
      await approvals.findGranted({
        subjectId: 'agent-7',
        resourceName: 'prod-db',
        fingerprint,
        sessionId: 'sess-1',
      }),
    ).toBeUndefined();

    await audit.close();
    expect(await verifyAuditLog(logPath)).toMatchObject({ ok: true, records: 2 });
  });
});
