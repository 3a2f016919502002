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
  FetchApprovalDeniedError,
  FetchApprovalRequiredError,
  FetchBodyTooLargeError,
  FetchDeniedError,
  FetchMaskUnenforceableError,
  FetchResponseTooLargeError,
  guardFetch,
} from '../src/index.js';
import { startUpstream, type Upstream } from './support/upstream.js';

const subject = { id: 'agent-7', kind: 'agent' as const };
const resource = { name: 'billing-api', labels: { env: 'prod' } };

let upstream: Upstream;
let engine: Engine;
const seen: InputDocument[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
  engine = createEngine({ evaluator: staticEvaluator(testPolicy(seen)) });
});
afterAll(async () => {
  await upstream.close();
  await engine.close();
});

function hitsTo(path: string) {
  return upstream.hits.filter((h) => h.url.startsWith(path)).length;
}

describe('guardFetch', () => {
  it('masks e-mails, card numbers and JSONPath nodes in nested JSON, with a correct Content-Length', async () => {
    const fetch = guardFetch(engine, { subject, resource });
    const res = await fetch(`${upstream.url}/customers`);
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${upstream.url}/customers`);
    const text = await res.text();
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    const body = JSON.parse(text);
    expect(text).not.toMatch(/ann@example\.com|bob@example\.org|support@example\.net/);
    expect(text).not.toMatch(/4111 1111 1111 1111|5500005555555559|123-45-6789/);
    expect(body.customers[0].ssn).toBe('[REDACTED]');
    expect(body.customers[0].email).toBe('[REDACTED]');
    expect(body.customers[1].cards[0]).toMatch(/5559$/);
    expect(body.customers[1].cards[1]).toMatch(/1881$/);
    expect(body.note).toBe('contact [REDACTED]');
  });

  it('changes nothing in a JSON body but what it masks: a 64-bit id, spacing, escapes', async () => {
    const fetch = guardFetch(engine, { subject, resource });
    const res = await fetch(`${upstream.url}/exact-json`);
    expect(await res.text()).toBe(EXACT_JSON_MASKED);
  });

  it('masks JSON lines by JSONPath as well as by detector, line by line', async () => {
    const fetch = guardFetch(engine, { subject, resource });
    const res = await fetch(`${upstream.url}/ndjson`);
    expect(await res.text()).toBe(NDJSON_LINES_MASKED);
  });

  it('masks personal data in response headers, with a body and without one', async () => {
    const fetch = guardFetch(engine, { subject, resource });
    const empty = await fetch(`${upstream.url}/headers`);
    expect(empty.status).toBe(204);
    expect(empty.statusText).toBe(MASKED_STATUS_TEXT);
    expect(empty.url).toBe(`${upstream.url}/headers`);
    expectMaskedHeaders((n) => empty.headers.get(n), empty.headers.getSetCookie());
    const full = await fetch(`${upstream.url}/headers?body`);
    expect(full.status).toBe(201);
    expect(full.statusText).toBe(MASKED_STATUS_TEXT);
    expectMaskedHeaders((n) => full.headers.get(n), full.headers.getSetCookie());
    expect(full.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await full.text()).toBe(MASKED_TEXT);
  });

  it('asks for a masked response whole: no Range, If-Range or If-None-Match leaves', async () => {
    const fetch = guardFetch(engine, { subject, resource });
    const etag = (await globalThis.fetch(`${upstream.url}/ranged`)).headers.get('etag') ?? '';
    for (const headers of [
      { range: 'bytes=0-11' },
      { range: 'bytes=12-40', 'if-range': etag },
      { 'if-none-match': etag },
    ]) {
      const before = upstream.hits.length;
      const res = await fetch(`${upstream.url}/ranged`, { headers });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(RANGED_TEXT_MASKED);
      const hit = upstream.hits.slice(before);
      expect(hit).toHaveLength(1);
      for (const name of ['range', 'if-range', 'if-none-match'])
        expect(hit[0]?.headers[name]).toBeUndefined();
    }
  });

  it('drops the length, ETag and digests of the unmasked body, from a HEAD answer too', async () => {
    const fetch = guardFetch(engine, { subject, resource });
    const get = await fetch(`${upstream.url}/ranged`);
    const text = await get.text();
    expect(text).toBe(RANGED_TEXT_MASKED);
    expect(get.headers.get('etag')).toBeNull();
    expect(get.headers.get('content-digest')).toBeNull();
    // A text body streams as it is masked: no length, rather than the unmasked one.
    expect(get.headers.get('content-length')).toBeNull();
    const head = await fetch(`${upstream.url}/ranged`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    for (const name of ['etag', 'content-digest', 'content-length'])
      expect(head.headers.get(name)).toBeNull();
  });

  it('passes an image unmasked when the operator lists its type', async () => {
    const fetch = guardFetch(engine, { subject, resource, unmaskedTypes: ['image/*'] });
    const res = await fetch(`${upstream.url}/image`);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    await expect(fetch(`${upstream.url}/utf16`).then((r) => r.text())).rejects.toBeInstanceOf(
      FetchMaskUnenforceableError,
    );
  });

  it('refuses a UTF-16 body, whose secrets no detector reading UTF-8 would see', async () => {
    const fetch = guardFetch(engine, { subject, resource });
    const res = await fetch(`${upstream.url}/utf16`);
    await expect(res.text()).rejects.toBeInstanceOf(FetchMaskUnenforceableError);
  });

  it('refuses a part of a body (206) it would have to mask', async () => {
    const fetch = guardFetch(engine, { subject, resource });
    await expect(fetch(`${upstream.url}/partial`)).rejects.toBeInstanceOf(FetchMaskUnenforceableError);
  });

  it('refuses a denied request before it leaves, with the decision on the error', async () => {
    const fetch = guardFetch(engine, { subject, resource });
    const before = hitsTo('/forbidden');
    const err = await fetch(`${upstream.url}/forbidden`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchDeniedError);
    expect((err as FetchDeniedError).code).toBe('PC_FETCH_DENIED');
    expect((err as FetchDeniedError).decision.reasons[0]?.rule).toBe('http.forbidden');
    expect(hitsTo('/forbidden')).toBe(before);
  });

  it('decides every redirect hop: a redirect to a denied URL is refused', async () => {
    const fetch = guardFetch(engine, { subject, resource });
    await expect(fetch(`${upstream.url}/redirect`)).rejects.toBeInstanceOf(FetchDeniedError);
    expect(hitsTo('/forbidden')).toBe(0);
  });

  it('shows the JSON body to the policy and sends the same bytes', async () => {
    const fetch = guardFetch(engine, { subject, resource });
    const payload = '{"name":"Zoë","amount":12.5}';
    const res = await fetch(`${upstream.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: payload,
    });
    await res.text();
    expect(seen.at(-1)?.action.http?.body).toEqual({ name: 'Zoë', amount: 12.5 });
    expect(upstream.hits.at(-1)?.body.toString('utf8')).toBe(payload);
  });

  it('refuses a request body over maxBodyBytes without sending it', async () => {
    const fetch = guardFetch(engine, { subject, resource, maxBodyBytes: 100 });
    const before = upstream.hits.length;
    const err = await fetch(`${upstream.url}/echo`, { method: 'POST', body: 'x'.repeat(1000) }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(FetchBodyTooLargeError);
    expect(upstream.hits.length).toBe(before);
  });

  it('holds a DELETE: throws with the approval id, and the re-run passes once approved', async () => {
    const store = new InMemoryApprovalStore();
    const fetch = guardFetch(engine, {
      subject,
      resource,
      approvals: { store, waitMs: 5000 },
      onApprove: 'throw',
    });
    const err = await fetch(`${upstream.url}/items/1`, { method: 'DELETE' }).catch((e) => e);
    expect(err).toBeInstanceOf(FetchApprovalRequiredError);
    const id = (err as FetchApprovalRequiredError).approvalId;
    expect(hitsTo('/items/1')).toBe(0);
    await store.vote(id, { reviewer: 'olga', reviewerGroups: ['ops'], decision: 'approve' });
    const res = await fetch(`${upstream.url}/items/1`, { method: 'DELETE' });
    expect(await res.json()).toMatchObject({ ok: true, method: 'DELETE' });
    expect(hitsTo('/items/1')).toBe(1);
    // The grant covers this request only: another DELETE needs its own approval.
    await expect(fetch(`${upstream.url}/items/2`, { method: 'DELETE' })).rejects.toBeInstanceOf(
      FetchApprovalRequiredError,
    );
  });

  it('holds a DELETE and sends it when a reviewer approves while it waits', async () => {
    const store = new InMemoryApprovalStore();
    const fetch = guardFetch(engine, { subject, resource, approvals: { store, waitMs: 10_000 } });
    const pending = fetch(`${upstream.url}/items/3`, { method: 'DELETE' });
    let requests = await store.list({ state: 'pending' });
    while (requests.length === 0) {
      await new Promise((r) => setTimeout(r, 5));
      requests = await store.list({ state: 'pending' });
    }
    expect(hitsTo('/items/3')).toBe(0);
    await store.vote(requests[0]!.id, { reviewer: 'olga', reviewerGroups: ['ops'], decision: 'approve' });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(hitsTo('/items/3')).toBe(1);
  });

  it('throws when a reviewer denies the held request', async () => {
    const store = new InMemoryApprovalStore();
    const fetch = guardFetch(engine, { subject, resource, approvals: { store, waitMs: 10_000 } });
    const pending = fetch(`${upstream.url}/items/4`, { method: 'DELETE' }).catch((e) => e);
    let requests = await store.list({ state: 'pending' });
    while (requests.length === 0) {
      await new Promise((r) => setTimeout(r, 5));
      requests = await store.list({ state: 'pending' });
    }
    await store.vote(requests[0]!.id, { reviewer: 'olga', reviewerGroups: ['ops'], decision: 'deny' });
    const err = await pending;
    expect(err).toBeInstanceOf(FetchApprovalDeniedError);
    expect(hitsTo('/items/4')).toBe(0);
  });

  it('masks a streamed text response as it flows, a secret split across chunks included', async () => {
    const fetch = guardFetch(engine, { subject, resource });
    const res = await fetch(`${upstream.url}/stream`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    // The first part arrives while the server still holds the rest: nothing waits for the end.
    const first = await reader.read();
    let text = decoder.decode(first.value, { stream: true });
    expect(text).toContain('log line without secrets');
    expect(text).not.toContain('alice');
    upstream.releaseStream();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      text += decoder.decode(next.value, { stream: true });
    }
    expect(text).not.toMatch(/alice\.wonder@example\.com|4111-1111-1111-1111/);
    expect(text).toContain('mail to [REDACTED] and card');
    expect(text).toMatch(/1111 done\n$/);
    expect(res.headers.get('content-length')).toBeNull();
  });

  it('passes each server-sent event on, masked, as soon as it is whole', async () => {
    const fetch = guardFetch(engine, { subject, resource });
    const res = await fetch(`${upstream.url}/events`);
    await expectEventsMaskedOneByOne(res.body!, () => upstream.releaseStream());
  });

  it('withholds a JSON response too large for its JSONPath masks', async () => {
    const fetch = guardFetch(engine, { subject, resource, maxBodyBytes: 1024 });
    await expect(fetch(`${upstream.url}/big`)).rejects.toBeInstanceOf(FetchResponseTooLargeError);
  });

  it('sends JSON that writes a name twice, under JSONPath masks, as the document JavaScript keeps', async () => {
    // The SSN under the first `a` is not in that document for `$..ssn` to pick.
    const fetch = guardFetch(engine, { subject, resource });
    expect(await (await fetch(`${upstream.url}/repeated-name`)).text()).toBe(REPEATED_NAME_JSON_MASKED);
  });

  it('refuses to pass a binary response it was told to scan', async () => {
    const fetch = guardFetch(engine, { subject, resource });
    await expect(fetch(`${upstream.url}/image`)).rejects.toBeInstanceOf(FetchMaskUnenforceableError);
  });

  it('fails closed when the evaluator throws', async () => {
    const broken = createEngine({
      evaluator: staticEvaluator(() => {
        throw new Error('policy exploded');
      }),
    });
    const fetch = guardFetch(broken, { subject, resource });
    const before = upstream.hits.length;
    const err = (await fetch(`${upstream.url}/customers`).catch((e) => e)) as FetchDeniedError;
    expect(err).toBeInstanceOf(FetchDeniedError);
    expect(err.result.evaluation.error?.code).toBe('PC_EVALUATION_FAILED');
    expect(upstream.hits.length).toBe(before);
  });

  it('audits every decision, and refuses a request it cannot audit', async () => {
    const records: AuditRecord[] = [];
    const audit = { write: async (r: AuditRecord) => void records.push(r), close: async () => {} };
    const fetch = guardFetch(engine, { subject, resource, audit });
    await (await fetch(`${upstream.url}/customers`)).text();
    await fetch(`${upstream.url}/forbidden`).catch(() => undefined);
    expect(records.map((r) => [r.effect, r.action.summary])).toEqual([
      ['allow', `GET ${upstream.url}/customers`],
      ['deny', `GET ${upstream.url}/forbidden`],
    ]);
    const failing = { write: async () => Promise.reject(new Error('disk full')), close: async () => {} };
    const refusing = guardFetch(engine, { subject, resource, audit: failing });
    const err = (await refusing(`${upstream.url}/customers`).catch((e) => e)) as FetchDeniedError;
    expect(err.decision.reasons[0]?.rule).toBe('portcullis.audit_failed');
  });
});
