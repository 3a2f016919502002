import { type AuditRecord, createEngine, type InputDocument, staticEvaluator } from '@portcullis/core';
import { testPolicy } from '@portcullis/core/test-support/http-test-policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchDeniedError, guardFetch } from '../src/index.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const subject = { id: 'agent-7', kind: 'agent' as const };
const resource = { name: 'billing-api', labels: { env: 'prod' } };

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

function counting() {
  const seen: InputDocument[] = [];
  const engine = createEngine({ evaluator: staticEvaluator(testPolicy(seen)) });
  const records: AuditRecord[] = [];
  const audit = { write: async (r: AuditRecord) => void records.push(r), close: async () => {} };
  return { seen, engine, records, audit };
}

describe('guardFetch decision cache', () => {
  it('decides a repeated request once, masks every answer, and audits each as cached', async () => {
    const { seen, engine, records, audit } = counting();
    const fetch = guardFetch(engine, { subject, resource, audit });
    for (let i = 0; i < 3; i++) {
      const text = await (await fetch(`${upstream.url}/customers`)).text();
      expect(text).not.toContain('ann@example.com');
    }
    expect(seen).toHaveLength(1);
    expect(records.map((r) => r.cached)).toEqual([false, true, true]);
    await engine.close();
  });

  it('decides again for another URL, header or body, and always with decisionCache: false', async () => {
    const { seen, engine } = counting();
    const fetch = guardFetch(engine, { subject, resource });
    await fetch(`${upstream.url}/customers`);
    await fetch(`${upstream.url}/customers?page=2`);
    await fetch(`${upstream.url}/customers`, { headers: { 'x-tenant': 'a' } });
    expect(seen).toHaveLength(3);
    const off = guardFetch(engine, { subject, resource, decisionCache: false });
    await off(`${upstream.url}/customers`);
    await off(`${upstream.url}/customers`);
    expect(seen).toHaveLength(5);
    await engine.close();
  });

  it('applies a reloaded policy to the very next request', async () => {
    const { engine } = counting();
    const fetch = guardFetch(engine, { subject, resource });
    expect((await fetch(`${upstream.url}/customers`)).status).toBe(200);
    engine.setEvaluator(
      staticEvaluator({ effect: 'deny', reasons: [{ rule: 'x.closed', message: 'closed' }], masks: [] }),
    );
    await expect(fetch(`${upstream.url}/customers`)).rejects.toBeInstanceOf(FetchDeniedError);
    await engine.close();
  });
});
