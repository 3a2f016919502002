import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../src/identity/identity.js';
import { createGatewayHttpServer, listenHttp } from '../src/server/gateway-http-server.js';
import { GatewayMetrics } from '../src/server/gateway-metrics.js';
import { SqliteApprovalStore } from '../src/state/sqlite-approval-store.js';
import { openStateDatabase } from '../src/state/state-database.js';

const people: Record<string, Identity> = {
  'key-carol': { id: 'carol', kind: 'human', groups: ['dba'], via: 'api_key' },
  'key-erin': { id: 'erin', kind: 'human', groups: ['dev'], via: 'api_key' },
};
const store = new SqliteApprovalStore({ db: openStateDatabase(':memory:') });
const metrics = new GatewayMetrics(() => ({}));
const server = createGatewayHttpServer({
  approvals: store,
  metrics,
  onVote: (outcome, settled) => metrics.observeVote(outcome, settled),
  authenticate: (token) => people[token] ?? null,
  ready: () => true,
});
let base = '';

const call = async (method: string, path: string, key?: string) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
};

const ask = (requester: string) =>
  store.request({
    requester,
    subject: requester,
    resource: 'prod-db',
    fingerprint: 'fp',
    sessionId: 's',
    reviewers: ['group:dba'],
    quorum: 1,
    scope: 'statement',
    ttl: '15m',
    summary: 'UPDATE t SET x = 1',
  });

beforeAll(async () => {
  const a: AddressInfo = await listenHttp(server, 0, '127.0.0.1');
  base = `http://127.0.0.1:${a.port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('approvals API', () => {
  it('wants a reviewer key', async () => {
    const res = await call('GET', '/api/approvals');
    expect(res.status).toBe(401);
    expect(res.type).toBe('application/problem+json');
  });

  it('refuses a requester approving their own request (409, PC_APPROVAL_STATE)', async () => {
    const { id } = await ask('carol');
    const res = await call('POST', `/api/approvals/${id}/approve`, 'key-carol');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      code: 'PC_APPROVAL_STATE',
      detail: 'carol cannot review their own request',
    });
  });

  it('refuses a reviewer outside the reviewer groups, and lets one inside approve', async () => {
    const { id } = await ask('agent-7');
    expect((await call('POST', `/api/approvals/${id}/approve`, 'key-erin')).body.detail).toMatch(
      /not a reviewer/,
    );
    expect((await call('GET', '/api/approvals?state=pending', 'key-erin')).body).toEqual(
      expect.arrayContaining([expect.objectContaining({ id })]),
    );
    expect((await call('POST', `/api/approvals/${id}/approve`, 'key-carol')).body.state).toBe('approved');
    expect((await call('GET', `/api/approvals/${id}`, 'key-erin')).body.state).toBe('approved');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/portcullis_approval_wait_seconds_count\{outcome="approved"\} 1\n/);
    expect(text).toMatch(/portcullis_approval_votes_total\{outcome="refused"\} [1-9]/);
    expect((await call('GET', '/api/approvals/nope', 'key-erin')).status).toBe(404);
    expect((await call('GET', '/api/approvals?state=weird', 'key-erin')).status).toBe(400);
  });
});
