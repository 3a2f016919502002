import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import {
  type AuditRecord,
  createEngine,
  type Engine,
  InMemoryApprovalStore,
  type InputDocument,
  staticEvaluator,
} from '@portcullis/core';
import {
  EXACT_JSON_MASKED,
  NDJSON_LINES_MASKED,
  REPEATED_NAME_JSON_MASKED,
} from '@portcullis/core/test-support/exact-json';
import { testPolicy } from '@portcullis/core/test-support/http-test-policy';
import { expectEventsMaskedOneByOne } from '@portcullis/core/test-support/masked-events';
import {
  expectMaskedHeaders,
  MASKED_STATUS_TEXT,
  MASKED_TEXT,
} from '@portcullis/core/test-support/masked-headers';
import { RANGED_TEXT_MASKED } from '@portcullis/core/test-support/ranged-text';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type App,
  CUSTOMER_OBJECTS_MASKED,
  CUSTOMERS,
  type Framework,
  PNG,
  startApp,
} from './support/apps.js';

const resource = { name: 'billing-api', labels: { env: 'prod' } };
const auth = { authorization: 'Bearer agent-7' };

/** The members of our JSON answers the assertions read. */
interface Answer {
  approval_id: string;
  state: string;
  type: string;
  code: string;
  reasons: { rule: string }[];
}

async function json(res: Response): Promise<Answer> {
  return (await res.json()) as Answer;
}

/** The ETag express gives a body (weak: its length and SHA-1), as a client can compute it. */
const weakEtag = (body: string) =>
  `W/"${Buffer.byteLength(body).toString(16)}-${createHash('sha1').update(body).digest('base64').slice(0, 27)}"`;

/**
 * A GET through node:http, with conditional or Range headers: fetch marks a request carrying
 * If-None-Match `Cache-Control: no-cache`, which a server rightly never answers with 304.
 */
function conditionalGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { ...auth, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitForPending(store: InMemoryApprovalStore) {
  for (;;) {
    const pending = await store.list({ state: 'pending' });
    if (pending.length > 0) return pending[0]!;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A POST whose body is sent chunked, with no Content-Length, through node:http. */
function postChunked(url: string, size: number): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { ...auth, 'content-type': 'application/json' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
        );
      },
    );
    req.on('error', reject);
    const chunk = 'x'.repeat(1024);
    for (let sent = 0; sent < size; sent += chunk.length) req.write(chunk);
    req.end();
  });
}

describe.each<Framework>(['express', 'fastify'])('%s', (framework) => {
  let engine: Engine;
  let app: App;
  let holdApp: App;
  const store = new InMemoryApprovalStore();
  const holdStore = new InMemoryApprovalStore();
  const seen: InputDocument[] = [];
  const records: AuditRecord[] = [];
  const audit = { write: async (r: AuditRecord) => void records.push(r), close: async () => {} };

  beforeAll(async () => {
    engine = createEngine({ evaluator: staticEvaluator(testPolicy(seen)) });
    app = await startApp(framework, {
      engine,
      resource,
      approvals: { store },
      audit,
      maxBodyBytes: 16 * 1024,
    });
    holdApp = await startApp(framework, {
      engine,
      resource,
      approvals: { store: holdStore },
      onApprove: 'hold',
      holdMs: 10_000,
    });
  });
  afterAll(async () => {
    await app.close();
    await holdApp.close();
    await engine.close();
  });

  function expectMasked(text: string) {
    expect(text).not.toMatch(/ann@example\.com|bob@example\.org|support@example\.net/);
    expect(text).not.toMatch(/4111 1111 1111 1111|5500005555555559|4012888888881881|123-45-6789/);
    const body = JSON.parse(text);
    expect(body.customers[0].ssn).toBe('[REDACTED]');
    expect(body.customers[1].email).toBe('[REDACTED]');
    expect(body.customers[1].cards[1][0]).toMatch(/1881$/);
    expect(body.note).toBe('contact [REDACTED]');
  }

  it('masks e-mails and card numbers in a JSON object reply, nested arrays included', async () => {
    const res = await fetch(`${app.url}/customers`, { headers: auth });
    expect(res.status).toBe(200);
    const text = await res.text();
    expectMasked(text);
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
  });

  it('masks a JSON reply sent as a string, with a correct Content-Length', async () => {
    const res = await fetch(`${app.url}/customers-text`, { headers: auth });
    const text = await res.text();
    expectMasked(text);
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
  });

  it('changes nothing in a JSON reply sent as a string but what it masks (a 64-bit id, escapes)', async () => {
    const res = await fetch(`${app.url}/exact-json`, { headers: auth });
    const text = await res.text();
    expect(text).toBe(EXACT_JSON_MASKED);
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
  });

  it('masks an object reply as the text it is serialised to: class instances and member names', async () => {
    const res = await fetch(`${app.url}/customer-objects`, { headers: auth });
    const text = await res.text();
    expect(text).toBe(CUSTOMER_OBJECTS_MASKED);
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
  });

  it('refuses an image its masks cannot read, unless the operator lets that type through', async () => {
    const refused = await fetch(`${app.url}/logo.png`, { headers: auth });
    expect(refused.status).toBe(500);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    await refused.text();
    const lenient = await startApp(framework, { engine, resource, unmaskedTypes: ['image/*'] });
    try {
      const res = await fetch(`${lenient.url}/logo.png`, { headers: auth });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
      // Text is masked whatever the list says.
      expectMasked(await (await fetch(`${lenient.url}/customers`, { headers: auth })).text());
    } finally {
      await lenient.close();
    }
  });

  it('answers HEAD with masked headers, and neither the length nor the ETag of the unmasked body', async () => {
    const unmaskedEtag = weakEtag(JSON.stringify(CUSTOMERS));
    for (const path of ['/customers', '/customers-text']) {
      const masked = await (await fetch(`${app.url}${path}`, { headers: auth })).text();
      const head = await fetch(`${app.url}${path}`, { method: 'HEAD', headers: auth });
      expect(head.status).toBe(200);
      const length = head.headers.get('content-length');
      if (length !== null) expect(Number(length)).toBe(Buffer.byteLength(masked));
      expect(head.headers.get('etag')).not.toBe(unmaskedEtag);
    }
    const full = await fetch(`${app.url}/headers-body`, { method: 'HEAD', headers: auth });
    expect(full.status).toBe(201);
    expect(full.statusText).not.toContain('ann@');
    expectMaskedHeaders((n) => full.headers.get(n), full.headers.getSetCookie());
  });

  it('answers a masked reply whole, whatever entity tag the request names', async () => {
    for (const path of ['/customers', '/customers-text']) {
      const res = await conditionalGet(`${app.url}${path}`, {
        'if-none-match': weakEtag(JSON.stringify(CUSTOMERS)),
      });
      expect(res.status).toBe(200);
      expectMasked(res.body);
    }
    // res.json's ETag is the masked text's; a request naming it still gets the masked text.
    const first = await fetch(`${app.url}/customers`, { headers: auth });
    const etag = first.headers.get('etag');
    if (framework === 'express') expect(etag).toBe(weakEtag(await first.text()));
    if (etag !== null)
      expect((await conditionalGet(`${app.url}/customers`, { 'if-none-match': etag })).status).toBe(200);
  });

  it('answers a masked reply whole to a Range request, so no part can cut a secret in two', async () => {
    const paths = framework === 'express' ? ['/ranged', '/static/ranged.txt'] : ['/ranged'];
    for (const path of paths) {
      for (const range of ['bytes=0-11', 'bytes=12-40']) {
        const res = await conditionalGet(`${app.url}${path}`, { range, 'if-range': 'W/"x"' });
        expect(res.status).toBe(200);
        expect(res.body).toBe(RANGED_TEXT_MASKED);
      }
    }
  });

  it.runIf(framework === 'express')('masks a JSONP reply by JSONPath as well as by detector', async () => {
    const res = await fetch(`${app.url}/jsonp?callback=show`, { headers: auth });
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    const text = await res.text();
    const payload = /show\((.*)\);$/s.exec(text)?.[1];
    expectMasked(payload ?? '');
  });

  it.runIf(framework === 'fastify')(
    'refuses a relayed binary stream it was told to scan with a 500 problem document, and keeps serving',
    async () => {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${app.url}/relayed-image`, { headers: auth });
        expect(res.status).toBe(500);
        await res.text();
      }
      expect((await fetch(`${app.url}/customers`, { headers: auth })).status).toBe(200);
    },
  );

  it.runIf(framework === 'fastify')('masks a reply serialised by a response schema', async () => {
    const res = await fetch(`${app.url}/scored`, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ssn: '[REDACTED]', email: '[REDACTED]', score: 1.5 });
  });

  it('masks JSON lines by JSONPath as well as by detector, line by line', async () => {
    const res = await fetch(`${app.url}/ndjson`, { headers: auth });
    expect(await res.text()).toBe(NDJSON_LINES_MASKED);
  });

  it('masks personal data in response headers, with a body and without one', async () => {
    const empty = await fetch(`${app.url}/headers`, { headers: auth });
    expect(empty.status).toBe(204);
    expect(empty.statusText).toBe(MASKED_STATUS_TEXT);
    expectMaskedHeaders((n) => empty.headers.get(n), empty.headers.getSetCookie());
    const full = await fetch(`${app.url}/headers-body`, { headers: auth });
    expect(full.status).toBe(201);
    expect(full.statusText).not.toContain('ann@');
    expectMaskedHeaders((n) => full.headers.get(n), full.headers.getSetCookie());
    expect(await full.text()).toBe(MASKED_TEXT);
  });

  it('answers a denied request with a 403 problem document naming the reasons', async () => {
    const before = app.handled.length;
    const res = await fetch(`${app.url}/forbidden`, { headers: auth });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const doc = await json(res);
    expect(doc).toMatchObject({
      type: 'urn:portcullis:problem:denied',
      title: 'Forbidden by policy',
      status: 403,
      detail: 'nobody goes there',
      reasons: [{ rule: 'http.forbidden', message: 'nobody goes there' }],
    });
    expect(app.handled.length).toBe(before);
  });

  it('answers a request without identity with 401', async () => {
    const res = await fetch(`${app.url}/customers`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect((await json(res)).code).toBe('PC_HTTP_UNAUTHENTICATED');
  });

  it('shows the JSON request body to the policy and hands the application the same body', async () => {
    const res = await fetch(`${app.url}/items`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'A-1', qty: 2 }),
    });
    // The policy asks approval for writes by agents only for DELETE; POST is allowed.
    expect(res.status).toBe(201);
    expect(seen.at(-1)?.action.http?.body).toEqual({ sku: 'A-1', qty: 2 });
    expect(app.bodies.at(-1)).toEqual({ sku: 'A-1', qty: 2 });
  });

  it('shows the policy a gzip-encoded JSON body decoded, as the application reads it', async () => {
    const doc = { sku: 'B-2', qty: 5, role: 'admin' };
    const res = await fetch(`${app.url}/items`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(doc)),
    });
    if (framework === 'fastify') {
      // fastify's own JSON parser does not inflate (that takes @fastify/compress): it refuses
      // the body before any route, so nothing reaches the application undecided.
      expect(res.status).toBe(400);
      expect(app.bodies).not.toContainEqual(doc);
      return;
    }
    const input = seen.at(-1)?.action.http;
    expect(input?.headers['content-encoding']).toBe('gzip');
    expect(input?.body).toEqual(doc);
    expect(input?.body_parse_error).toBeUndefined();
    expect(res.status).toBe(201);
    expect(app.bodies.at(-1)).toEqual(doc);
  });

  it('holds a DELETE: 202 with a Location to poll, and the re-run passes once approved', async () => {
    const res = await fetch(`${app.url}/items/42`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(202);
    const body = await json(res);
    const location = res.headers.get('location')!;
    expect(location).toBe(`/portcullis/approvals/${body.approval_id}`);
    expect(app.handled).not.toContain('DELETE /items/42');

    const polled = await fetch(`${app.url}${location}`, { headers: auth });
    expect(await json(polled)).toMatchObject({ approval_id: body.approval_id, state: 'pending' });

    await store.vote(body.approval_id, { reviewer: 'olga', reviewerGroups: ['ops'], decision: 'approve' });
    expect((await json(await fetch(`${app.url}${location}`, { headers: auth }))).state).toBe('approved');
    const again = await fetch(`${app.url}/items/42`, { method: 'DELETE', headers: auth });
    expect(again.status).toBe(200);
    expect(await json(again)).toEqual({ deleted: '42' });
    expect(app.handled.filter((h) => h === 'DELETE /items/42')).toHaveLength(1);
    expect(records.some((r) => r.approval_id === body.approval_id && r.effect === 'approve')).toBe(true);
  });

  it('holds a DELETE on the connection and lets it through when a reviewer approves', async () => {
    const pending = fetch(`${holdApp.url}/items/7`, { method: 'DELETE', headers: auth });
    const request = await waitForPending(holdStore);
    expect(holdApp.handled).not.toContain('DELETE /items/7');
    await holdStore.vote(request.id, { reviewer: 'olga', reviewerGroups: ['ops'], decision: 'approve' });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ deleted: '7' });
  });

  it('holds a DELETE and answers 403 when a reviewer denies it', async () => {
    const pending = fetch(`${holdApp.url}/items/8`, { method: 'DELETE', headers: auth });
    const request = await waitForPending(holdStore);
    await holdStore.vote(request.id, { reviewer: 'olga', reviewerGroups: ['ops'], decision: 'deny' });
    const res = await pending;
    expect(res.status).toBe(403);
    expect((await json(res)).type).toBe('urn:portcullis:problem:approval-denied');
    expect(holdApp.handled).not.toContain('DELETE /items/8');
  });

  it('masks a streamed text reply as it flows, a secret split across chunks included', async () => {
    const res = await fetch(`${app.url}/stream`, { headers: auth });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    let text = decoder.decode(first.value, { stream: true });
    expect(text).toContain('log line without secrets');
    expect(text).not.toContain('alice');
    app.releaseStream();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      text += decoder.decode(next.value, { stream: true });
    }
    expect(text).not.toMatch(/alice\.wonder@example\.com|4111-1111-1111-1111/);
    expect(text).toContain('mail to [REDACTED] and card');
  });

  it('passes each server-sent event on, masked, as soon as it is whole', async () => {
    const res = await fetch(`${app.url}/events`, { headers: auth });
    await expectEventsMaskedOneByOne(res.body!, () => app.releaseStream());
  });

  it('sends JSON that writes a name twice, under JSONPath masks, as the document JavaScript keeps', async () => {
    const res = await fetch(`${app.url}/repeated-name`, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(REPEATED_NAME_JSON_MASKED);
  });

  it('withholds a JSON reply too large for its JSONPath masks with a 500 problem document', async () => {
    const res = await fetch(`${app.url}/big-json`, { headers: auth });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('123-45-6789');
    expect(JSON.parse(text)).toMatchObject({ status: 500, code: 'PC_HTTP_RESPONSE_TOO_LARGE' });
  });

  it('refuses an oversized request body with 413, declared or chunked', async () => {
    const before = app.handled.length;
    const res = await fetch(`${app.url}/items`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ blob: 'x'.repeat(20_000) }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await json(res)).code).toBe('PC_HTTP_BODY_TOO_LARGE');
    const chunked = await postChunked(`${app.url}/items`, 64 * 1024);
    expect(chunked.status).toBe(413);
    expect(chunked.type).toMatch(/^application\/problem\+json/);
    expect(app.handled.length).toBe(before);
  });

  it('fails closed with a 503 problem document when the evaluator throws', async () => {
    const broken = createEngine({
      evaluator: staticEvaluator(() => {
        throw new Error('policy exploded');
      }),
    });
    const failing = await startApp(framework, { engine: broken, resource });
    try {
      const res = await fetch(`${failing.url}/customers`, { headers: auth });
      expect(res.status).toBe(503);
      const doc = await json(res);
      expect(doc).toMatchObject({
        type: 'urn:portcullis:problem:decision-failed',
        status: 503,
        code: 'PC_EVALUATION_FAILED',
      });
      expect(doc.reasons[0]?.rule).toBe('portcullis.evaluation_failed');
      expect(failing.handled).toEqual([]);
    } finally {
      await failing.close();
      await broken.close();
    }
  });

  it('audits every request, refusals before any decision included', () => {
    const effects = new Set(records.map((r) => r.effect));
    expect(effects).toEqual(new Set(['allow', 'deny', 'approve']));
    expect(records.some((r) => r.error?.code === 'PC_HTTP_BODY_TOO_LARGE')).toBe(true);
    expect(records.some((r) => r.error?.code === 'PC_HTTP_UNAUTHENTICATED')).toBe(true);
  });
});
