import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  type AuditRecord,
  createEngine,
  type Engine,
  InMemoryApprovalStore,
  type InputDocument,
  InvalidOptionError,
  staticEvaluator,
} from '@portcullis/core';
import { testPolicy } from '@portcullis/core/test-support/http-test-policy';
import {
  expectMaskedHeaders,
  MASKED_TEXT,
  PERSONAL_HEADERS,
  PERSONAL_TEXT,
} from '@portcullis/core/test-support/masked-headers';
import { RANGED_TEXT, RANGED_TEXT_MASKED } from '@portcullis/core/test-support/ranged-text';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpReverseProxy, type HttpReverseProxy, type HttpReverseProxyOptions } from '../src/index.js';
import { CUSTOMERS } from './support/apps.js';

const auth = { authorization: 'Bearer agent-7' };
const resource = { name: 'billing-api', labels: { env: 'prod' } };

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** The real API behind the proxy: express 5, recording what reaches it. */
async function startUpstream() {
  const seen: Seen[] = [];
  const app = express();
  app.use(express.json());
  app.use((req, _res, next) => {
    seen.push({ method: req.method, url: req.originalUrl, headers: req.headers, body: req.body });
    next();
  });
  app.get('/v1/customers', (_req, res) => void res.json(CUSTOMERS));
  app.get('/v1/stream', (_req, res) => {
    res.type('text/plain');
    res.write(`${'line without secrets\n'.repeat(100)}mail to alice.wonder@exa`);
    setTimeout(() => res.end('mple.com and card 4111-1111-1111-1111 done\n'), 20);
  });
  app.get('/v1/hop', (_req, res) => {
    res.setHeader('connection', 'x-private, keep-alive');
    res.setHeader('x-private', 'hop secret');
    res.setHeader('x-public', 'kept');
    res.json({ ok: true });
  });
  app.get('/v1/headers', (_req, res) => {
    for (const [name, value] of PERSONAL_HEADERS) res.setHeader(name, value);
    res.status(204).end();
  });
  app.get('/v1/headers-body', (_req, res) => {
    for (const [name, value] of PERSONAL_HEADERS) res.setHeader(name, value);
    res.status(201).type('text/plain; charset=utf-8').send(PERSONAL_TEXT);
  });
  // express.static honours Range and If-None-Match itself (the `send` module), on a real file.
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-upstream-'));
  writeFileSync(join(dir, 'ranged.txt'), RANGED_TEXT);
  app.use('/v1/static', express.static(dir));
  app.get('/v1/digested', (_req, res) => {
    // RFC 9530's digest of the unmasked text: with it a client could test guesses offline.
    const digest = createHash('sha256').update(RANGED_TEXT).digest('base64');
    res.setHeader('content-digest', `sha-256=:${digest}:`);
    res.type('text/plain').send(RANGED_TEXT);
  });
  app.get('/v1/image', (_req, res) => {
    res.type('image/png').send(Buffer.alloc(4, 7));
  });
  app.get('/v1/utf16', (_req, res) => {
    // UTF-16 with a byte order mark and no charset, as a Windows service may answer.
    res.setHeader('content-type', 'text/plain');
    res.end(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(RANGED_TEXT, 'utf16le')]));
  });
  app.get('/v1/partial', (_req, res) => {
    res.setHeader('content-range', `bytes 0-11/${RANGED_TEXT.length}`);
    res.status(206).type('text/plain').send(RANGED_TEXT.slice(0, 12));
  });
  app.post('/v1/items', (req, res) => void res.status(201).json({ created: req.body }));
  app.delete('/v1/items/:id', (req, res) => void res.json({ deleted: req.params.id }));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

async function startProxy(options: HttpReverseProxyOptions) {
  const proxy = createHttpReverseProxy(options);
  const server = createServer(proxy.handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { proxy, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const subjectOf = (req: { headers: Record<string, string | string[] | undefined> }) => {
  const token = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
  return token === undefined ? undefined : { id: token, kind: 'agent' as const };
};

/** A request through node:http (fetch adds Cache-Control: no-cache to conditional ones). */
function raw(
  url: string,
  method: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { ...auth, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function closeServer(server: Server) {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('createHttpReverseProxy', () => {
  let engine: Engine;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let front: { proxy: HttpReverseProxy; server: Server; url: string };
  let held: { proxy: HttpReverseProxy; server: Server; url: string };
  const store = new InMemoryApprovalStore();
  const holdStore = new InMemoryApprovalStore();
  const records: AuditRecord[] = [];
  const inputs: InputDocument[] = [];
  const audit = { write: async (r: AuditRecord) => void records.push(r), close: async () => {} };

  beforeAll(async () => {
    engine = createEngine({ evaluator: staticEvaluator(testPolicy(inputs)) });
    upstream = await startUpstream();
    front = await startProxy({
      engine,
      resource,
      upstream: { url: upstream.url, headers: { 'X-Api-Token': 'upstream-secret' } },
      authenticate: subjectOf,
      approvals: { store },
      audit,
      maxBodyBytes: 16 * 1024,
    });
    held = await startProxy({
      engine,
      resource,
      upstream: { url: upstream.url },
      authenticate: subjectOf,
      approvals: { store: holdStore },
      onApprove: 'hold',
      holdMs: 10_000,
      audit,
    });
  });
  afterAll(async () => {
    for (const s of [front, held]) {
      await closeServer(s.server);
      await s.proxy.close();
    }
    await closeServer(upstream.server);
    await engine.close();
  });

  it('masks personal data in the answer headers, with a body and without one (HEAD too)', async () => {
    for (const method of ['GET', 'HEAD']) {
      const empty = await fetch(`${front.url}/headers`, { method, headers: auth });
      expect(empty.status).toBe(204);
      expectMaskedHeaders((n) => empty.headers.get(n), empty.headers.getSetCookie());
      const full = await fetch(`${front.url}/headers-body`, { method, headers: auth });
      expect(full.status).toBe(201);
      expectMaskedHeaders((n) => full.headers.get(n), full.headers.getSetCookie());
      expect(await full.text()).toBe(method === 'HEAD' ? '' : MASKED_TEXT);
    }
  });

  it('forwards an allowed GET and masks the JSON answer, Content-Length fixed', async () => {
    const res = await fetch(`${front.url}/customers`, { headers: auth });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toMatch(/ann@example\.com|4111 1111 1111 1111|123-45-6789/);
    expect(JSON.parse(text).customers[0].ssn).toBe('[REDACTED]');
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    const seen = upstream.seen.at(-1)!;
    expect(seen.url).toBe('/v1/customers');
    // The client's credential for the proxy stays here; the operator's header goes upstream.
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers['x-api-token']).toBe('upstream-secret');
    expect(seen.headers['accept-encoding']).toBe('identity');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('masks a streamed text answer as it flows, a secret split across chunks included', async () => {
    const res = await fetch(`${front.url}/stream`, { headers: auth });
    const text = await res.text();
    expect(text).toContain('line without secrets');
    expect(text).not.toMatch(/alice\.wonder@example\.com|4111-1111-1111-1111/);
    expect(text).toMatch(/mail to \[REDACTED\] and card/);
  });

  it('asks the upstream for a masked answer whole: no Range, If-Range or If-None-Match', async () => {
    const direct = await raw(`${upstream.url}/static/ranged.txt`, 'GET', {});
    const etag = String(direct.headers.etag);
    for (const headers of [
      { range: 'bytes=0-11' },
      { range: 'bytes=12-40', 'if-range': etag },
      { 'if-none-match': etag },
    ]) {
      const before = upstream.seen.length;
      const res = await raw(`${front.url}/static/ranged.txt`, 'GET', headers);
      expect(res.status).toBe(200);
      expect(res.body).toBe(RANGED_TEXT_MASKED);
      const seen = upstream.seen.slice(before);
      expect(seen).toHaveLength(1);
      for (const name of ['range', 'if-range', 'if-none-match'])
        expect(seen[0]?.headers[name]).toBeUndefined();
    }
  });

  it('drops the length, ETag and digests of the unmasked body, from HEAD answers too', async () => {
    for (const path of ['/customers', '/static/ranged.txt', '/digested']) {
      const direct = await raw(`${upstream.url}${path}`, 'HEAD', {});
      expect(direct.headers.etag ?? direct.headers['content-digest']).toBeDefined();
      const head = await raw(`${front.url}${path}`, 'HEAD', {});
      expect(head.status).toBe(200);
      for (const name of ['etag', 'content-length', 'content-digest'])
        expect(head.headers[name]).toBeUndefined();
    }
    const get = await raw(`${front.url}/digested`, 'GET', {});
    expect(get.body).toBe(RANGED_TEXT_MASKED);
    expect(get.headers['content-digest']).toBeUndefined();
    expect(get.headers.etag).toBeUndefined();
  });

  it('refuses a binary answer it was told to scan with a 500 problem document, and keeps serving', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await raw(`${front.url}/image`, 'GET', {});
      expect(res.status).toBe(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await fetch(`${front.url}/customers`, { headers: auth })).status).toBe(200);
  });

  it('never passes a UTF-16 answer it cannot read: the card number in it does not go out', async () => {
    // A text answer streams, its head written before the first chunk is read: the refusal of
    // that chunk cuts the connection before any of it is sent.
    await expect(raw(`${front.url}/utf16`, 'GET', {})).rejects.toThrow(/socket hang up/);
    expect((await fetch(`${front.url}/customers`, { headers: auth })).status).toBe(200);
  });

  it('passes an image unmasked when the operator lists its type, and still masks text', async () => {
    const lenient = await startProxy({
      engine,
      resource,
      upstream: { url: upstream.url },
      authenticate: subjectOf,
      unmaskedTypes: ['image/png'],
    });
    try {
      const res = await fetch(`${lenient.url}/image`, { headers: auth });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.alloc(4, 7));
      expect((await raw(`${lenient.url}/digested`, 'GET', {})).body).toBe(RANGED_TEXT_MASKED);
    } finally {
      await closeServer(lenient.server);
      await lenient.proxy.close();
    }
  });

  it('refuses a part of a body (206) it would have to mask, with a 500 problem document', async () => {
    const res = await raw(`${front.url}/partial`, 'GET', {});
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).not.toContain('4111');
  });

  it('drops hop-by-hop headers both ways, those the Connection header names included', async () => {
    const answer = await new Promise<{ headers: Record<string, unknown> }>((resolve, reject) => {
      const req = httpRequest(
        `${front.url}/hop`,
        { headers: { ...auth, connection: 'x-hop-only', 'x-hop-only': 'client secret', te: 'trailers' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ headers: res.headers }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const seen = upstream.seen.at(-1)!;
    expect(seen.headers['x-hop-only']).toBeUndefined();
    expect(seen.headers.te).toBeUndefined();
    expect(answer.headers['x-private']).toBeUndefined();
    expect(answer.headers['x-public']).toBe('kept');
  });

  it('forwards a POST body the policy saw, byte for byte', async () => {
    const res = await fetch(`${front.url}/items`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'A-1', qty: 2 }),
    });
    expect(res.status).toBe(201);
    expect(upstream.seen.at(-1)?.body).toEqual({ sku: 'A-1', qty: 2 });
  });

  it('judges a gzip-encoded body decoded, and forwards the bytes as sent', async () => {
    const doc = { sku: 'B-2', qty: 5, role: 'admin' };
    const res = await fetch(`${front.url}/items`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(doc)),
    });
    expect(inputs.at(-1)?.action.http?.body).toEqual(doc);
    // express.json on the upstream inflates the very bytes the client sent.
    expect(res.status).toBe(201);
    expect(upstream.seen.at(-1)?.headers['content-encoding']).toBe('gzip');
    expect(upstream.seen.at(-1)?.body).toEqual(doc);
  });

  it('answers a deny with a 403 problem document and never reaches the upstream', async () => {
    const before = upstream.seen.length;
    const res = await fetch(`${front.url}/forbidden`, { headers: auth });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({
      type: 'urn:portcullis:problem:denied',
      status: 403,
      reasons: [{ rule: 'http.forbidden' }],
    });
    expect(upstream.seen.length).toBe(before);
  });

  it('answers 401 without identity', async () => {
    const res = await fetch(`${front.url}/customers`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('PC_HTTP_UNAUTHENTICATED');
  });

  it('answers a DELETE with 202 and a Location it serves, and forwards the re-run once approved', async () => {
    const res = await fetch(`${front.url}/items/42`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { approval_id: string };
    const location = res.headers.get('location')!;
    expect(location).toBe(`/portcullis/approvals/${body.approval_id}`);
    expect((await fetch(`${front.url}${location}`)).status).toBe(401);
    const polled = await fetch(`${front.url}${location}`, { headers: auth });
    expect(await polled.json()).toMatchObject({ approval_id: body.approval_id, state: 'pending' });
    expect(upstream.seen.some((s) => s.method === 'DELETE')).toBe(false);

    await store.vote(body.approval_id, { reviewer: 'olga', reviewerGroups: ['ops'], decision: 'approve' });
    const again = await fetch(`${front.url}/items/42`, { method: 'DELETE', headers: auth });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ deleted: '42' });
  });

  it('holds a DELETE on the connection until a reviewer approves it', async () => {
    const pending = fetch(`${held.url}/items/7`, { method: 'DELETE', headers: auth });
    let request: { id: string } | undefined;
    while (request === undefined) {
      request = (await holdStore.list({ state: 'pending' }))[0];
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(upstream.seen.some((s) => s.url === '/v1/items/7')).toBe(false);
    await holdStore.vote(request.id, { reviewer: 'olga', reviewerGroups: ['ops'], decision: 'approve' });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deleted: '7' });
  });

  it('refuses an oversized body with 413 before reaching the upstream', async () => {
    const res = await fetch(`${front.url}/items`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ blob: 'x'.repeat(20_000) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('PC_HTTP_BODY_TOO_LARGE');
  });

  it('answers 502 with a problem document when the upstream is down', async () => {
    const dead = createServer();
    dead.listen(0, '127.0.0.1');
    await once(dead, 'listening');
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const down = await startProxy({
      engine,
      resource,
      upstream: { url: `http://127.0.0.1:${port}` },
      authenticate: subjectOf,
    });
    try {
      const res = await fetch(`${down.url}/customers`, { headers: auth });
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({
        type: 'urn:portcullis:problem:bad-gateway',
        code: 'PC_HTTP_UPSTREAM_FAILED',
      });
    } finally {
      await closeServer(down.server);
      await down.proxy.close();
    }
  });

  it('keeps a credential in the query string out of the audit log', async () => {
    const res = await fetch(`${front.url}/customers?access_token=tok-e2e-5&page=1`, { headers: auth });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(JSON.stringify(records)).not.toContain('tok-e2e-5');
    expect(records.some((r) => r.action.summary === 'GET /customers?access_token=[REDACTED]&page=1')).toBe(
      true,
    );
  });

  it('audits every request and decision', () => {
    expect(new Set(records.map((r) => r.effect))).toEqual(new Set(['allow', 'deny', 'approve']));
    expect(records.every((r) => r.resource.type === 'http' && r.resource.name === 'billing-api')).toBe(true);
    expect(records.some((r) => r.action.summary === 'GET /customers')).toBe(true);
    expect(records.some((r) => r.error?.code === 'PC_HTTP_UNAUTHENTICATED')).toBe(true);
    expect(records.some((r) => r.error?.code === 'PC_HTTP_BODY_TOO_LARGE')).toBe(true);
  });

  it('names the bad option', () => {
    const base = { engine, resource, authenticate: subjectOf };
    expect(() => createHttpReverseProxy({ ...base, upstream: { url: 'ftp://x' } })).toThrow(
      InvalidOptionError,
    );
    expect(() => createHttpReverseProxy({ ...base, upstream: { url: 'http://u:p@x' } })).toThrow(
      /upstream\.url/,
    );
  });
});
