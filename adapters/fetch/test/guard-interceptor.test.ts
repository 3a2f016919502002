import { request as httpRequest } from 'node:http';
import { createEngine, type Engine, InMemoryApprovalStore, staticEvaluator } from '@portcullis/core';
import { testPolicy } from '@portcullis/core/test-support/http-test-policy';
import {
  expectMaskedHeaders,
  MASKED_STATUS_TEXT,
  MASKED_TEXT,
} from '@portcullis/core/test-support/masked-headers';
import { RANGED_TEXT_MASKED } from '@portcullis/core/test-support/ranged-text';
import {
  Agent,
  getGlobalDispatcher,
  request,
  setGlobalDispatcher,
  fetch as undiciFetch,
  upgrade,
} from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGuardInterceptor,
  FetchApprovalRequiredError,
  FetchBodyTooLargeError,
  FetchDeniedError,
  FetchMaskUnenforceableError,
} from '../src/index.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const subject = { id: 'agent-7', kind: 'agent' as const };
const resource = { name: 'billing-api' };

let upstream: Upstream;
let engine: Engine;
let agent: Agent;
let guarded: ReturnType<Agent['compose']>;

beforeAll(async () => {
  upstream = await startUpstream();
  engine = createEngine({ evaluator: staticEvaluator(testPolicy()) });
  agent = new Agent();
  guarded = agent.compose(createGuardInterceptor(engine, { subject, resource, maxBodyBytes: 4096 }));
});
afterAll(async () => {
  await agent.close();
  await upstream.close();
  await engine.close();
});

function expectMasked(text: string) {
  expect(text).not.toMatch(/ann@example\.com|bob@example\.org|4111 1111 1111 1111|123-45-6789/);
  expect(JSON.parse(text).customers[1].cards[0]).toMatch(/5559$/);
}

describe('createGuardInterceptor', () => {
  it("masks responses for undici's request and fixes Content-Length", async () => {
    const res = await request(`${upstream.url}/customers`, { dispatcher: guarded });
    const text = await res.body.text();
    expectMasked(text);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(text));
  });

  it("masks personal data in response headers for undici's request and fetch", async () => {
    for (const path of ['/headers', '/headers?body']) {
      const res = await request(`${upstream.url}${path}`, { dispatcher: guarded });
      const one = (n: string) => {
        const v = res.headers[n];
        return Array.isArray(v) ? v.join(', ') : (v ?? null);
      };
      const cookies = res.headers['set-cookie'];
      expectMaskedHeaders(one, Array.isArray(cookies) ? cookies : cookies ? [cookies] : []);
      expect(await res.body.text()).toBe(path.endsWith('body') ? MASKED_TEXT : '');
    }
    const res = await undiciFetch(`${upstream.url}/headers?body`, { dispatcher: guarded });
    expect(res.statusText).toBe(MASKED_STATUS_TEXT);
    expectMaskedHeaders((n) => res.headers.get(n), res.headers.getSetCookie());
    expect(await res.text()).toBe(MASKED_TEXT);
  });

  it("masks personal data in trailers for undici's request", async () => {
    const res = await request(`${upstream.url}/trailers`, { dispatcher: guarded });
    expect(await res.body.text()).toBe('report follows\n');
    expect(res.trailers['x-summary']).toBe('sent to [REDACTED]');
  });

  it("asks for a masked response whole, without its unmasked length, ETag or digests, for undici's request", async () => {
    const before = upstream.hits.length;
    const res = await request(`${upstream.url}/ranged`, {
      dispatcher: guarded,
      headers: { range: 'bytes=0-11', 'if-none-match': 'x' },
    });
    expect(res.statusCode).toBe(200);
    const text = await res.body.text();
    expect(text).toBe(RANGED_TEXT_MASKED);
    expect(upstream.hits[before]?.headers.range).toBeUndefined();
    expect(upstream.hits[before]?.headers['if-none-match']).toBeUndefined();
    expect(res.headers.etag).toBeUndefined();
    expect(res.headers['content-digest']).toBeUndefined();
    expect(res.headers['content-length']).toBeUndefined();
    const head = await request(`${upstream.url}/ranged`, { dispatcher: guarded, method: 'HEAD' });
    await head.body.text();
    for (const name of ['etag', 'content-digest', 'content-length'])
      expect(head.headers[name]).toBeUndefined();
    const trailed = await request(`${upstream.url}/ranged?trailer`, { dispatcher: guarded });
    expect(await trailed.body.text()).toBe(RANGED_TEXT_MASKED);
    expect(trailed.trailers['content-digest']).toBeUndefined();
  });

  it("passes an image unmasked when the operator lists its type, for undici's request", async () => {
    const lenient = agent.compose(
      createGuardInterceptor(engine, { subject, resource, unmaskedTypes: ['image/png'] }),
    );
    const res = await request(`${upstream.url}/image`, { dispatcher: lenient });
    expect(Buffer.from(await res.body.arrayBuffer())).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    await expect(
      request(`${upstream.url}/image`, { dispatcher: guarded }).then((r) => r.body.text()),
    ).rejects.toBeInstanceOf(FetchMaskUnenforceableError);
  });

  it("refuses a part of a body (206) it would have to mask, for undici's request", async () => {
    await expect(
      request(`${upstream.url}/partial`, { dispatcher: guarded }).then((r) => r.body.text()),
    ).rejects.toBeInstanceOf(FetchMaskUnenforceableError);
  });

  it("refuses an upgraded connection it would have to mask, before it is made, for undici's upgrade", async () => {
    const before = upstream.hits.length;
    await expect(
      upgrade(`${upstream.url}/feed`, { dispatcher: guarded, protocol: 'x-feed' }),
    ).rejects.toBeInstanceOf(FetchMaskUnenforceableError);
    expect(upstream.hits.slice(before).filter((h) => h.method === 'UPGRADE')).toHaveLength(0);
    // Unguarded, the same upgrade hands over the socket, card number and all.
    const open = await upgrade(`${upstream.url}/feed`, { dispatcher: agent, protocol: 'x-feed' });
    const chunks: Buffer[] = [];
    for await (const chunk of open.socket) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toContain('4111 1111 1111 1111');
  });

  it("refuses a denied request for undici's request", async () => {
    const before = upstream.hits.length;
    await expect(request(`${upstream.url}/forbidden`, { dispatcher: guarded })).rejects.toBeInstanceOf(
      FetchDeniedError,
    );
    expect(upstream.hits.length).toBe(before);
  });

  it('reads a request body once for the decision and sends the same bytes', async () => {
    const body = JSON.stringify({ a: 1, b: 'two' });
    const res = await request(`${upstream.url}/echo`, {
      dispatcher: guarded,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(await res.body.text()).toBe(body);
    expect(upstream.hits.at(-1)?.body.toString()).toBe(body);
    await expect(
      request(`${upstream.url}/echo`, { dispatcher: guarded, method: 'POST', body: 'y'.repeat(5000) }),
    ).rejects.toBeInstanceOf(FetchBodyTooLargeError);
  });

  it("masks a streamed body for undici's fetch given the dispatcher", async () => {
    const res = await undiciFetch(`${upstream.url}/stream`, { dispatcher: guarded });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).not.toContain('alice');
    upstream.releaseStream();
    let text = new TextDecoder().decode(first.value);
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      text += new TextDecoder().decode(next.value);
    }
    expect(text).toContain('mail to [REDACTED] and card');
  });

  it('refuses a compressed response it cannot mask', async () => {
    const res = request(`${upstream.url}/gzip`, { dispatcher: guarded });
    await expect(res).rejects.toBeInstanceOf(FetchMaskUnenforceableError);
  });

  it("throws the approval id for a DELETE through undici's request", async () => {
    const store = new InMemoryApprovalStore();
    const dispatcher = agent.compose(
      createGuardInterceptor(engine, {
        subject,
        resource,
        approvals: { store, waitMs: 1000 },
        onApprove: 'throw',
      }),
    );
    const err = await request(`${upstream.url}/items/9`, { dispatcher, method: 'DELETE' }).catch((e) => e);
    expect(err).toBeInstanceOf(FetchApprovalRequiredError);
    await store.vote((err as FetchApprovalRequiredError).approvalId, {
      reviewer: 'olga',
      reviewerGroups: ['ops'],
      decision: 'approve',
    });
    const res = await request(`${upstream.url}/items/9`, { dispatcher, method: 'DELETE' });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });

  describe('installed with setGlobalDispatcher', () => {
    const previous = getGlobalDispatcher();
    beforeAll(() => setGlobalDispatcher(guarded));
    afterAll(() => setGlobalDispatcher(previous));

    it("covers Node's built-in global fetch", async () => {
      const res = await globalThis.fetch(`${upstream.url}/customers`);
      expectMasked(await res.text());
      const err = await globalThis.fetch(`${upstream.url}/forbidden`).catch((e: unknown) => e);
      expect((err as Error).cause).toBeInstanceOf(FetchDeniedError);
    });

    it('does not cover node:http, which never goes through undici', async () => {
      const text = await new Promise<string>((resolve, reject) => {
        httpRequest(`${upstream.url}/customers`, (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            data += c;
          });
          res.on('end', () => resolve(data));
        })
          .on('error', reject)
          .end();
      });
      expect(text).toContain('ann@example.com');
    });
  });
});
