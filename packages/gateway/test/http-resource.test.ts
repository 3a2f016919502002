/**
 * The gateway's HTTP resource end to end: a real express API behind the reverse proxy that
 * startGateway starts from a validated config, the shipped policy (plus one deny rule),
 * API-key and gateway-credential logins, approvals through the gateway's approval store, and
 * the audit log.
 */
import { once } from 'node:events';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/validate-config.js';
import { ConfigError } from '../src/errors.js';
import { type Gateway, startGateway } from '../src/gateway/start-gateway.js';
import { generateApiKey, hashApiKey } from '../src/identity/api-key-hash.js';
import { repoRoot } from './cli-helpers.js';

const agentKey = generateApiKey();
const aliceKey = generateApiKey();

let dir: string;
let upstream: Server;
let upstreamUrl: string;
let gateway: Gateway;
let base: string;
const reached: { method: string; url: string; headers: Record<string, unknown> }[] = [];

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const asAgent = { authorization: basic('agent-7', agentKey) };

/** The shipped library, plus one HTTP rule so a deny can be shown: /admin is closed. */
function policyDir(): string {
  const out = join(dir, 'policy', 'portcullis');
  mkdirSync(out, { recursive: true });
  for (const file of readdirSync(join(repoRoot, 'rego', 'portcullis'))) {
    if (file.endsWith('.rego') && !file.endsWith('_test.rego'))
      copyFileSync(join(repoRoot, 'rego', 'portcullis', file), join(out, file));
  }
  writeFileSync(
    join(out, 'http_admin.rego'),
    `package portcullis.http

import rego.v1

deny contains {"rule": "http.admin_closed", "message": "the admin API is closed"} if {
	input.action.type == "http"
	startswith(input.action.http.path, "/admin")
}
`,
  );
  return join(dir, 'policy');
}

function config(resource: Record<string, unknown> = {}) {
  return {
    server: { listen: { port: 0 } },
    policy: { rego: policyDir() },
    state: { path: join(dir, 'state.db') },
    audit: { path: join(dir, 'audit.jsonl') },
    approvals: { wait: '10s' },
    identity: {
      api_keys: [
        { id: 'agent-7', kind: 'agent', hash: hashApiKey(agentKey, 'sha256') },
        { id: 'alice', kind: 'human', groups: ['api-owners'], hash: hashApiKey(aliceKey, 'sha256') },
      ],
    },
    resources: [
      {
        type: 'http',
        name: 'billing-api',
        labels: { env: 'prod' },
        listen: { port: 0 },
        upstream: { url: upstreamUrl, headers: { 'x-api-token': 'env:BILLING_TOKEN' } },
        ...resource,
      },
    ],
  };
}

async function pendingApproval(): Promise<{ id: string; summary: string }> {
  for (let i = 0; i < 500; i++) {
    const [first] = await gateway.approvals.list({ state: 'pending' });
    if (first) return first;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no pending approval appeared');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-gw-http-'));
  const app = express();
  app.use((req, _res, next) => {
    reached.push({ method: req.method, url: req.originalUrl, headers: req.headers });
    next();
  });
  app.get('/v1/customers', (_req, res) => {
    res.json({ customers: [{ name: 'Ann', email: 'ann.smith@example.com' }] });
  });
  app.get(
    '/v1/logo.png',
    (_req, res) => void res.type('image/png').send(Buffer.from([0x89, 0x50, 0x4e, 0x47])),
  );
  app.delete('/v1/items/:id', (req, res) => void res.json({ deleted: req.params.id }));
  app.get('/v1/admin/users', (_req, res) => void res.json({ users: [] }));
  upstream = app.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;

  gateway = await startGateway({
    config: validateConfig(config(), dir),
    env: { BILLING_TOKEN: 'upstream-token' },
    logger: pino({ level: 'silent' }),
  });
  base = `http://127.0.0.1:${gateway.resources.get('billing-api')!.port}`;
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  upstream?.closeAllConnections();
  await new Promise<void>((r) => (upstream ? upstream.close(() => r()) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A gateway credential for alice (a human) on this resource. */
function aliceCredential() {
  return gateway.credentials.issue({
    subject: 'alice',
    kind: 'human',
    groups: [],
    resource: 'billing-api',
    ttl: '1m',
  });
}

describe('gateway HTTP resource', () => {
  it('forwards an allowed GET with the e-mail masked, the upstream token added, the login kept back', async () => {
    const res = await fetch(`${base}/customers`, { headers: asAgent });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { customers: { name: string; email: string }[] };
    expect(body.customers[0]!.name).toBe('Ann');
    expect(body.customers[0]!.email).not.toBe('ann.smith@example.com');
    expect(body.customers[0]!.email).toMatch(/\*/);
    const seen = reached.at(-1)!;
    expect(seen.url).toBe('/v1/customers');
    expect(seen.headers['x-api-token']).toBe('upstream-token');
    expect(seen.headers.authorization).toBeUndefined();
  });

  it("answers a binary the agent's masks cannot scan with a 500 problem document, and goes on serving", async () => {
    // The unread upstream body, dropped, once raised an uncaught error that ended the process.
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/logo.png`, { headers: asAgent });
      expect(res.status).toBe(500);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      await res.text();
    }
    expect((await fetch(`${base}/customers`, { headers: asAgent })).status).toBe(200);
  });

  it('accepts a bearer credential issued by the gateway with the user header', async () => {
    const issued = await aliceCredential();
    const res = await fetch(`${base}/customers`, {
      headers: { authorization: `Bearer ${issued.token}`, 'x-portcullis-user': 'alice' },
    });
    expect(res.status).toBe(200);
    // A human is not masked by the shipped policy.
    expect(((await res.json()) as { customers: { email: string }[] }).customers[0]!.email).toBe(
      'ann.smith@example.com',
    );
    expect(reached.at(-1)!.headers['x-portcullis-user']).toBeUndefined();
  });

  it('reuses decisions for repeated requests, and refuses a revoked credential at its next request', async () => {
    const issued = await aliceCredential();
    const headers = { authorization: `Bearer ${issued.token}`, 'x-portcullis-user': 'alice' };
    for (let i = 0; i < 3; i++)
      expect((await fetch(`${base}/customers?page=7`, { headers })).status).toBe(200);
    const records = readFileSync(join(dir, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: { summary: string }; cached?: boolean; stage?: string })
      .filter((r) => r.action.summary === 'GET /customers?page=7' && r.stage === undefined);
    // Each request has its own decision record; the later two reused the first's decision.
    expect(records.map((r) => r.cached)).toEqual([false, true, true]);
    await gateway.credentials.revoke(issued.id);
    expect((await fetch(`${base}/customers?page=7`, { headers })).status).toBe(401);
  });

  it('refuses a request without valid credentials with 401', async () => {
    expect((await fetch(`${base}/customers`)).status).toBe(401);
    const wrong = await fetch(`${base}/customers`, { headers: { authorization: basic('agent-7', 'nope') } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { code: string }).code).toBe('PC_HTTP_UNAUTHENTICATED');
  });

  it('answers a deny with a 403 problem document and never reaches the upstream', async () => {
    const before = reached.length;
    const res = await fetch(`${base}/admin/users`, { headers: asAgent });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({
      type: 'urn:portcullis:problem:denied',
      status: 403,
      reasons: [{ rule: 'http.admin_closed', message: 'the admin API is closed' }],
    });
    expect(reached.length).toBe(before);
  });

  it('holds an agent DELETE on prod until a reviewer approves it in the approval store', async () => {
    const pending = fetch(`${base}/items/42`, { method: 'DELETE', headers: asAgent });
    const request = await pendingApproval();
    expect(request.summary).toBe('DELETE /items/42');
    expect(reached.some((r) => r.method === 'DELETE')).toBe(false);
    await gateway.approvals.vote(request.id, {
      reviewer: 'alice',
      reviewerGroups: ['api-owners'],
      decision: 'approve',
    });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deleted: '42' });
    expect(reached.filter((r) => r.method === 'DELETE')).toHaveLength(1);
  });

  it('writes every request and decision to the audit log', async () => {
    const entries = await gateway.auditIndex.query({ resource: 'billing-api' });
    const summaries = entries.map((e) => `${e.effect} ${e.summary}`);
    expect(summaries).toEqual(
      expect.arrayContaining([
        'allow GET /customers',
        'deny GET /admin/users',
        'approve DELETE /items/42',
        'allow DELETE /items/42',
      ]),
    );
    expect(entries.some((e) => e.subject === 'agent-7')).toBe(true);
  });

  it('validates the resource config, naming the bad field', () => {
    const bad = (resource: Record<string, unknown>) => () => validateConfig(config(resource), dir);
    expect(bad({ upstream: { url: 'ftp://x' } })).toThrow(ConfigError);
    expect(bad({ upstream: { url: 'http://u:p@x' } })).toThrow(/resources\[0\]\.upstream\.url/);
    expect(bad({ upstream: { url: 'http://x', headers: { 'x-api-token': 'inline' } } })).toThrow(
      /resources\[0\]\.upstream\.headers\.x-api-token/,
    );
    expect(bad({ on_approve: 'later' })).toThrow(/resources\[0\]\.on_approve/);
    expect(bad({ unmasked_types: ['text/html'] })).toThrow(
      /resources\[0\]\.unmasked_types\[0\].*text\/html is text/,
    );
    expect(bad({ unmasked_types: 'image/*' })).toThrow(/resources\[0\]\.unmasked_types/);
    expect(validateConfig(config({ unmasked_types: ['image/*'] }), dir).resources[0]).toMatchObject({
      unmaskedTypes: ['image/*'],
    });
  });

  it('passes the types listed in unmasked_types to an agent as they are', async () => {
    const lenient = await startGateway({
      // Its own state and audit log: two gateways never share one log file.
      config: validateConfig(
        {
          ...config({ unmasked_types: ['image/png'] }),
          state: { path: join(dir, 'lenient-state.db') },
          audit: { path: join(dir, 'lenient-audit.jsonl') },
        },
        dir,
      ),
      env: { BILLING_TOKEN: 'upstream-token' },
      logger: pino({ level: 'silent' }),
    });
    try {
      const url = `http://127.0.0.1:${lenient.resources.get('billing-api')!.port}`;
      const res = await fetch(`${url}/logo.png`, { headers: asAgent });
      expect(res.status).toBe(200);
      expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    } finally {
      await lenient.close();
    }
  });
});
