import {
  type AuditRecord,
  createEngine,
  type Decision,
  type Engine,
  type InputDocument,
  RequestDecisionCache,
  staticEvaluator,
} from '@portcullis/core';
import { MASKS } from '@portcullis/core/test-support/http-test-policy';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, type Framework, startApp } from './support/apps.js';

const resource = { name: 'billing-api', labels: { env: 'prod' } };
const auth = { authorization: 'Bearer agent-7' };

function counting(
  decide: (input: InputDocument) => Decision = () => ({ effect: 'allow', reasons: [], masks: MASKS }),
) {
  const seen: InputDocument[] = [];
  return {
    seen,
    evaluator: staticEvaluator((input: InputDocument) => {
      seen.push(input);
      return decide(input);
    }),
  };
}

describe.each<Framework>(['express', 'fastify'])('%s decision cache', (framework) => {
  const open: { app: App; engine: Engine }[] = [];
  afterEach(async () => {
    for (const { app, engine } of open.splice(0)) {
      await app.close();
      await engine.close();
    }
  });

  async function start(extra: { decisionCache?: false } = {}) {
    const policy = counting();
    const engine = createEngine({ evaluator: policy.evaluator });
    const records: AuditRecord[] = [];
    const audit = { write: async (r: AuditRecord) => void records.push(r), close: async () => {} };
    const app = await startApp(framework, { engine, resource, audit, ...extra });
    open.push({ app, engine });
    return { app, engine, seen: policy.seen, records };
  }

  it('decides a repeated request once, still masks it, and audits every request as cached', async () => {
    const { app, seen, records } = await start();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${app.url}/customers`, { headers: auth });
      expect(res.status).toBe(200);
      expect(await res.text()).not.toContain('ann@example.com');
    }
    expect(seen).toHaveLength(1);
    expect(records.map((r) => r.cached)).toEqual([false, true, true]);
    expect(new Set(records.map((r) => r.decision_id)).size).toBe(3);
    expect(app.handled).toHaveLength(3);
  });

  it('decides again when anything the policy sees differs: a header, the query, the subject', async () => {
    const { app, seen } = await start();
    await fetch(`${app.url}/customers`, { headers: auth });
    await fetch(`${app.url}/customers`, { headers: { ...auth, 'x-tenant': 'a' } });
    await fetch(`${app.url}/customers?page=2`, { headers: auth });
    await fetch(`${app.url}/customers`, { headers: { authorization: 'Bearer agent-8' } });
    expect(seen).toHaveLength(4);
  });

  it('never reuses a decision with decisionCache: false', async () => {
    const { app, seen, records } = await start({ decisionCache: false });
    await fetch(`${app.url}/customers`, { headers: auth });
    await fetch(`${app.url}/customers`, { headers: auth });
    expect(seen).toHaveLength(2);
    expect(records.map((r) => r.cached)).toEqual([false, false]);
  });

  it('applies a reloaded policy to the very next request', async () => {
    const { app, engine } = await start();
    expect((await fetch(`${app.url}/customers`, { headers: auth })).status).toBe(200);
    (engine as ReturnType<typeof createEngine>).setEvaluator(
      counting(() => ({ effect: 'deny', reasons: [{ rule: 'x.closed', message: 'closed' }], masks: [] }))
        .evaluator,
    );
    expect((await fetch(`${app.url}/customers`, { headers: auth })).status).toBe(403);
  });

  it('does not cache a failed evaluation', async () => {
    let calls = 0;
    const engine = createEngine({
      evaluator: staticEvaluator(() => {
        calls++;
        if (calls === 1) throw new Error('transient');
        return { effect: 'allow', reasons: [], masks: [] };
      }),
    });
    const app = await startApp(framework, { engine, resource });
    open.push({ app, engine });
    expect((await fetch(`${app.url}/customers`, { headers: auth })).status).toBe(503);
    expect((await fetch(`${app.url}/customers`, { headers: auth })).status).toBe(200);
  });
});

// Without an audit sink, a cached allow is enforced synchronously from the shared decision
// (no fresh result, no promise): these pin down that the shortcut changes nothing visible.
describe.each<Framework>(['express', 'fastify'])('%s decision cache without an audit sink', (framework) => {
  const open: { app: App; engine: Engine }[] = [];
  afterEach(async () => {
    for (const { app, engine } of open.splice(0)) {
      await app.close();
      await engine.close();
    }
  });

  async function start(
    decide: (input: InputDocument) => Decision,
    extra: Partial<Parameters<typeof startApp>[1]> = {},
  ) {
    const policy = counting(decide);
    const engine = createEngine({ evaluator: policy.evaluator });
    const app = await startApp(framework, { engine, resource, ...extra });
    open.push({ app, engine });
    return { app, engine, seen: policy.seen };
  }

  it('masks every hit of a cached allow, in JSON and in text', async () => {
    const { app, seen } = await start(() => ({ effect: 'allow', reasons: [], masks: MASKS }));
    for (let i = 0; i < 3; i++) {
      const json = await fetch(`${app.url}/customers`, { headers: auth });
      expect(json.status).toBe(200);
      const text = await json.text();
      expect(text).not.toMatch(/ann@example\.com|4111 1111 1111 1111|123-45-6789/);
      const plain = await (await fetch(`${app.url}/customers-text`, { headers: auth })).text();
      expect(plain).not.toContain('@example.com');
    }
    expect(seen).toHaveLength(2);
    expect(app.handled).toHaveLength(3);
  });

  it('refuses every hit of a cached deny, each with its own decision id', async () => {
    const { app, seen } = await start(() => ({
      effect: 'deny',
      reasons: [{ rule: 'x.no', message: 'no' }],
      masks: [],
    }));
    const ids: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${app.url}/customers`, { headers: auth });
      expect(res.status).toBe(403);
      ids.push(((await res.json()) as { decision_id: unknown }).decision_id);
    }
    expect(seen).toHaveLength(1);
    expect(new Set(ids).size).toBe(3);
    expect(app.handled).toHaveLength(0);
  });

  it('decides again for one header byte or one body byte changed, and refuses every repeat of a deny', async () => {
    const { app, seen } = await start((input) =>
      JSON.stringify(input.action.http ?? {}).includes('drop')
        ? { effect: 'deny', reasons: [{ rule: 'x.drop', message: 'no drops' }], masks: [] }
        : { effect: 'allow', reasons: [], masks: [] },
    );
    const post = (body: string, tenant = 'a') =>
      fetch(`${app.url}/items`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'x-tenant': tenant },
        body,
      });
    expect((await post('{"name":"a"}')).status).toBe(201);
    expect((await post('{"name":"a"}')).status).toBe(201);
    expect(seen).toHaveLength(1);
    expect((await post('{"name":"b"}')).status).toBe(201);
    expect((await post('{"name":"a"}', 'b')).status).toBe(201);
    expect(seen).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      const res = await post('{"name":"drop"}');
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect(seen).toHaveLength(4);
    expect(app.handled).toEqual(Array(4).fill('POST /items'));
  });

  it('masks exactly the requests whose cached decision masks, request by request', async () => {
    const { app, seen } = await start((input) => ({
      effect: 'allow',
      reasons: [],
      masks: input.action.http?.headers?.['x-mask'] === 'yes' ? MASKS : [],
    }));
    const agent = new Agent({ connections: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        for (const mask of ['yes', 'no']) {
          // One connection: consecutive requests share a socket, and nothing of one request's
          // state may carry over to the next.
          const res = await undiciFetch(`${app.url}/customers`, {
            headers: { ...auth, 'x-mask': mask },
            dispatcher: agent,
          });
          expect(res.status).toBe(200);
          const text = await res.text();
          if (mask === 'yes') expect(text).not.toContain('ann@example.com');
          else expect(text).toContain('ann@example.com');
        }
      }
    } finally {
      await agent.close();
    }
    expect(seen).toHaveLength(2);
  });

  it('applies a reloaded policy to the very next request', async () => {
    const { app, engine } = await start(() => ({ effect: 'allow', reasons: [], masks: [] }));
    for (let i = 0; i < 2; i++)
      expect((await fetch(`${app.url}/customers`, { headers: auth })).status).toBe(200);
    (engine as ReturnType<typeof createEngine>).setEvaluator(
      counting(() => ({ effect: 'deny', reasons: [{ rule: 'x.closed', message: 'closed' }], masks: [] }))
        .evaluator,
    );
    expect((await fetch(`${app.url}/customers`, { headers: auth })).status).toBe(403);
    expect(app.handled).toHaveLength(2);
  });

  it('does not reuse an allow for a subject that changed, and caches with an async subject hook', async () => {
    const { app, seen } = await start(
      (input) =>
        input.subject.id === 'agent-7'
          ? { effect: 'allow', reasons: [], masks: [] }
          : { effect: 'deny', reasons: [{ rule: 'x.who', message: 'who' }], masks: [] },
      {
        subject: async (req) => {
          await new Promise((resolve) => setImmediate(resolve));
          const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
          return token === undefined ? undefined : { id: token, kind: 'agent' };
        },
      },
    );
    expect((await fetch(`${app.url}/customers`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${app.url}/customers`, { headers: auth })).status).toBe(200);
    const other = { authorization: 'Bearer agent-8' };
    expect((await fetch(`${app.url}/customers`, { headers: other })).status).toBe(403);
    expect((await fetch(`${app.url}/customers`, { headers: other })).status).toBe(403);
    expect((await fetch(`${app.url}/customers`)).status).toBe(401);
    expect(seen).toHaveLength(2);
  });

  it('fails closed on a subject it cannot key, and on a session hook that throws', async () => {
    const { app } = await start(() => ({ effect: 'allow', reasons: [], masks: [] }), {
      subject: () => ({ id: 'agent-7', kind: 'agent', claims: { n: 1n } }),
    });
    expect((await fetch(`${app.url}/customers`, { headers: auth })).status).toBe(503);
    const { app: app2 } = await start(() => ({ effect: 'allow', reasons: [], masks: [] }), {
      session: () => {
        throw new Error('no session');
      },
    });
    expect((await fetch(`${app2.url}/customers`, { headers: auth })).status).toBe(503);
    expect(app.handled).toHaveLength(0);
    expect(app2.handled).toHaveLength(0);
  });
});

describe('RequestDecisionCache keys', () => {
  const engine = createEngine({ evaluator: staticEvaluator({ effect: 'allow', reasons: [], masks: [] }) });
  const cache = new RequestDecisionCache(engine, { maxEntries: 10, ttlMs: 1000 });
  const parts = {
    subject: { id: 'a', kind: 'agent' },
    sessionId: 's',
    source: '127.0.0.1',
    method: 'DELETE',
    url: '/items/1',
    headers: { host: 'x' },
    body: undefined,
    approvals: [
      {
        id: 'g1',
        scope: 'statement' as const,
        fingerprint: 'http:1',
        approved_by: ['bob'],
        expires_at: '2026-11-25T21:00:30Z',
      },
    ],
  };

  it('keys whether each granted approval is still valid, so an expired grant is decided again', () => {
    const valid = cache.key(parts, Date.parse('2026-11-25T21:00:00Z'));
    expect(cache.key(parts, Date.parse('2026-11-25T21:00:29Z'))).toBe(valid);
    expect(cache.key(parts, Date.parse('2026-11-25T21:00:31Z'))).not.toBe(valid);
  });

  it('keys bodies by content and by form', () => {
    const key = (body: unknown) => cache.key({ ...parts, body: body as never }, 0);
    expect(key('{"a":1}')).not.toBe(key(Buffer.from('{"a":1}')));
    expect(key(Buffer.from('a'))).not.toBe(key(Buffer.from('b')));
    expect(key({ a: 1 })).not.toBe(key({ a: 2 }));
    expect(key(undefined)).not.toBe(key(null));
  });

  it('is off for an engine that reports no policy generation', () => {
    const wrapped: Engine = {
      decide: (r) => engine.decide(r),
      decideInput: (i) => engine.decideInput(i),
      clearCache: () => undefined,
      close: async () => undefined,
    };
    expect(new RequestDecisionCache(wrapped, { maxEntries: 1, ttlMs: 1 }).key(parts, 0)).toBeUndefined();
  });

  it('expires entries after ttlMs and evicts the least recently used beyond maxEntries', async () => {
    const small = new RequestDecisionCache(engine, { maxEntries: 2, ttlMs: 100 });
    const result = await engine.decide({
      subject: { id: 'a', kind: 'agent' },
      resource: { type: 'http', name: 'r' },
      http: { method: 'GET', url: '/' },
    });
    small.set('a', result, 0, engine.generation);
    small.set('b', result, 0, engine.generation);
    expect(small.get('a', 50)?.evaluation.cached).toBe(true);
    small.set('c', result, 50, engine.generation);
    expect(small.get('b', 60)).toBeUndefined();
    expect(small.get('a', 99)).toBeDefined();
    expect(small.get('a', 100)).toBeUndefined();
    expect(small.get('c', 149)).toBeDefined();
  });

  it('keeps least-recently-used order when the newest entry is hit again and again', async () => {
    const small = new RequestDecisionCache(engine, { maxEntries: 2, ttlMs: 1000 });
    const result = await engine.decide({
      subject: { id: 'a', kind: 'agent' },
      resource: { type: 'http', name: 'r' },
      http: { method: 'GET', url: '/' },
    });
    small.set('a', result, 0, engine.generation);
    small.set('b', result, 0, engine.generation);
    expect(small.peek('b', 1)).toBeDefined();
    expect(small.peek('b', 2)).toBeDefined();
    expect(small.peek('a', 3)).toBeDefined();
    expect(small.peek('a', 4)).toBeDefined();
    small.set('c', result, 5, engine.generation);
    expect(small.peek('b', 6)).toBeUndefined();
    expect(small.peek('a', 6)).toBeDefined();
    expect(small.peek('c', 6)).toBeDefined();
    small.clear();
    expect(small.size).toBe(0);
    small.set('a', result, 7, engine.generation);
    expect(small.peek('a', 8)).toBeDefined();
  });

  it('peeks the shared frozen decision under the same expiry as get', async () => {
    const c = new RequestDecisionCache(engine, { maxEntries: 2, ttlMs: 100 });
    const result = await engine.decide({
      subject: { id: 'a', kind: 'agent' },
      resource: { type: 'http', name: 'r' },
      http: { method: 'GET', url: '/' },
    });
    c.set('k', result, 0, engine.generation);
    const seen = c.peek('k', 99);
    expect(seen).toEqual(result.decision);
    expect(Object.isFrozen(seen)).toBe(true);
    expect(Object.isFrozen(seen?.masks)).toBe(true);
    expect(c.peek('k', 100)).toBeUndefined();
    expect(c.peek('missing', 0)).toBeUndefined();
  });

  it("gives each hit the current time, in the engine's format", async () => {
    const c = new RequestDecisionCache(engine, { maxEntries: 2, ttlMs: 10_000 });
    const result = await engine.decide({
      subject: { id: 'a', kind: 'agent' },
      resource: { type: 'http', name: 'r' },
      http: { method: 'GET', url: '/' },
    });
    const t = Date.parse('2026-11-25T21:00:00Z');
    c.set('k', result, t, engine.generation);
    expect(c.get('k', t)?.input.time).toBe('2026-11-25T21:00:00Z');
    expect(c.get('k', t + 7)?.input.time).toBe('2026-11-25T21:00:00.007Z');
    expect(c.get('k', t + 1250)?.input.time).toBe('2026-11-25T21:00:01.250Z');
  });
});
