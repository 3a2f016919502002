import { describe, expect, it } from 'vitest';
import { createEngine, type Engine } from './create-engine.js';
import { type RequestCacheParts, RequestDecisionCache } from './request-decision-cache.js';
import { staticEvaluator } from './static-evaluator.js';

const engine = createEngine({ evaluator: staticEvaluator({ effect: 'allow', reasons: [], masks: [] }) });
const cache = new RequestDecisionCache(engine, { maxEntries: 10, ttlMs: 1000 });

const base: RequestCacheParts = {
  subject: { id: 'alice', kind: 'human' },
  sessionId: 'http:alice',
  source: '127.0.0.1',
  method: 'GET',
  url: '/customers',
  headers: { host: '127.0.0.1:3000', 'user-agent': 'autocannon' },
  body: undefined,
  approvals: [],
};

const key = (change: { [K in keyof RequestCacheParts]?: RequestCacheParts[K] | undefined }) =>
  cache.key({ ...base, ...change } as RequestCacheParts, 0);

describe('RequestDecisionCache.key', () => {
  it('is the same for the same request, built from fresh objects', () => {
    expect(key({ headers: { ...base.headers }, subject: { id: 'alice', kind: 'human' } })).toBe(key({}));
  });

  it('differs when any header byte differs, or a header is added, dropped or repeated', () => {
    const k = key({});
    expect(key({ headers: { ...base.headers, 'user-agent': 'autocannoN' } })).not.toBe(k);
    expect(key({ headers: { ...base.headers, 'x-extra': '' } })).not.toBe(k);
    expect(key({ headers: { host: '127.0.0.1:3000' } })).not.toBe(k);
    expect(key({ headers: { ...base.headers, 'user-agent': ['autocannon', 'autocannon'] } })).not.toBe(k);
    expect(key({ headers: { ...base.headers, 'user-agent': ['autocannon'] } })).not.toBe(k);
    // Same headers in another order: another request as received.
    expect(key({ headers: { 'user-agent': 'autocannon', host: '127.0.0.1:3000' } })).not.toBe(k);
  });

  it('never lets one field run into the next', () => {
    // Each pair below would be the same text if the fields were simply concatenated.
    expect(key({ method: 'GE', url: 'T/customers' })).not.toBe(key({}));
    expect(key({ sessionId: 'http:alic', source: 'e127.0.0.1' })).not.toBe(key({}));
    expect(key({ headers: { ab: 'c' } })).not.toBe(key({ headers: { a: 'bc' } }));
    expect(key({ headers: { a: 'b', c: 'd' } })).not.toBe(key({ headers: { a: 'b1:c1:d' } }));
    expect(key({ headers: { a: ['b', 'c'] } })).not.toBe(key({ headers: { a: ['b,c'] } }));
    expect(key({ headers: { a: 'b|' } })).not.toBe(key({ headers: { a: 'b' } }));
    expect(key({ source: undefined })).not.toBe(key({ source: '' }));
    expect(key({ source: undefined })).not.toBe(key({ source: '~' }));
    expect(key({ headers: { a: '1' } })).not.toBe(key({ headers: { a: 1 as unknown as string } }));
  });

  it('differs for another subject, session, method or target', () => {
    const k = key({});
    expect(key({ subject: { id: 'alice', kind: 'agent' } })).not.toBe(k);
    expect(key({ subject: { id: 'alice', kind: 'human', groups: [] } })).not.toBe(k);
    expect(key({ sessionId: 'http:bob' })).not.toBe(k);
    expect(key({ method: 'HEAD' })).not.toBe(k);
    expect(key({ url: '/customers?' })).not.toBe(k);
  });

  it('differs when any body byte differs, and by the body form', () => {
    const bytes = Buffer.from('{"a":1}');
    const k = key({ body: bytes });
    expect(key({ body: Buffer.from('{"a":1}') })).toBe(k);
    expect(key({ body: Buffer.from('{"a":2}') })).not.toBe(k);
    expect(key({ body: '{"a":1}' })).not.toBe(k);
    expect(key({ body: { a: 1 } })).not.toBe(k);
    expect(key({ body: '' })).not.toBe(key({}));
    expect(key({ body: null })).not.toBe(key({}));
  });

  it('keys granted approvals and whether each is still valid', () => {
    const grant = {
      id: 'g1',
      scope: 'statement' as const,
      fingerprint: 'http:1',
      approved_by: ['bob'],
      expires_at: '2026-11-25T21:00:30Z',
    };
    const at = (iso: string) => cache.key({ ...base, approvals: [grant] }, Date.parse(iso));
    expect(at('2026-11-25T21:00:00Z')).not.toBe(key({}));
    expect(at('2026-11-25T21:00:29Z')).toBe(at('2026-11-25T21:00:00Z'));
    expect(at('2026-11-25T21:00:31Z')).not.toBe(at('2026-11-25T21:00:00Z'));
  });

  it('changes with the policy generation, and is off without one', () => {
    const own = createEngine({ evaluator: staticEvaluator({ effect: 'allow', reasons: [], masks: [] }) });
    const c = new RequestDecisionCache(own, { maxEntries: 10, ttlMs: 1000 });
    const before = c.key(base, 0);
    own.invalidate?.();
    expect(c.key(base, 0)).not.toBe(before);
    const wrapped: Engine = {
      decide: (r) => own.decide(r),
      decideInput: (i) => own.decideInput(i),
      clearCache: () => undefined,
      close: async () => undefined,
    };
    expect(new RequestDecisionCache(wrapped, { maxEntries: 1, ttlMs: 1 }).key(base, 0)).toBeUndefined();
  });

  it('throws for a subject it cannot serialise (the adapters then fail closed)', () => {
    const cyclic: Record<string, unknown> = { id: 'a' };
    cyclic.self = cyclic;
    expect(() => key({ subject: cyclic })).toThrow();
    expect(() => key({ subject: { id: 'a', n: 1n } })).toThrow();
  });
});
