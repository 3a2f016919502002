import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../audit/canonical-json.js';
import type { HttpFacts } from '../contract.js';
import { actionFingerprint } from './action-fingerprint.js';
import { buildInputDocument } from './build-input-document.js';
import type { PolicyRequest } from './policy-request.js';

const base = { subject: { id: 'a' }, resource: { type: 'postgres' as const, name: 'db' } };

async function fingerprint(request: Partial<PolicyRequest>): Promise<string | undefined> {
  const doc = await buildInputDocument({ ...base, ...request } as PolicyRequest);
  return doc.action.fingerprint;
}

describe('action fingerprint', () => {
  it('keys SQL by its statements, constants removed', async () => {
    const a = await fingerprint({ sql: 'DELETE FROM orders WHERE id = 1' });
    expect(a).toBe(await fingerprint({ sql: 'delete from orders where id = 42' }));
    expect(a).not.toBe(await fingerprint({ sql: 'DELETE FROM users WHERE id = 1' }));
    expect(await fingerprint({ sql: 'SELECT 1; DROP TABLE t' })).toMatch(/^[0-9a-f]+\+[0-9a-f]+$/);
  });

  it('keys unparsed SQL by its exact text', async () => {
    const a = await fingerprint({ sql: 'SELEC oops' });
    expect(a).toMatch(/^raw:/);
    expect(a).not.toBe(await fingerprint({ sql: 'SELEC oops2' }));
  });

  it('keys shell lines and HTTP requests by what was sent', async () => {
    const ssh = { resource: { type: 'ssh' as const, name: 'h' } };
    const l1 = await fingerprint({ ...ssh, command: 'rm -rf /tmp/x' });
    expect(l1).toMatch(/^sh:/);
    expect(l1).not.toBe(await fingerprint({ ...ssh, command: 'rm -rf /tmp/y' }));
    const http = { resource: { type: 'http' as const, name: 'api' } };
    const h1 = await fingerprint({ ...http, http: { method: 'DELETE', url: 'https://x/a' } });
    expect(h1).toMatch(/^http:/);
    expect(h1).not.toBe(await fingerprint({ ...http, http: { method: 'DELETE', url: 'https://x/b' } }));
  });

  it('is absent for connect', async () => {
    expect(await fingerprint({ action: 'connect' })).toBeUndefined();
  });

  // The HTTP body is written by a direct writer for parsed JSON; it must give the general
  // canonical form's bytes exactly, for any value, or grants filed earlier would not match.
  it('keys an HTTP body by its canonical JSON, whatever the value', () => {
    const reference = (body: unknown) =>
      `http:${createHash('sha256')
        .update(`POST /x\n${canonicalJson(body ?? null)}`)
        .digest('hex')
        .slice(0, 32)}`;
    const facts = (body: unknown) => ({
      http: { method: 'POST', url: '/x', body } as unknown as HttpFacts,
      type: 'http' as const,
    });
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(actionFingerprint(facts(value))).toBe(reference(value));
        const parsed: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
        expect(actionFingerprint(facts(parsed))).toBe(reference(parsed));
      }),
      { numRuns: 300 },
    );
    class Money {
      toJSON() {
        return '5 EUR';
      }
    }
    const odd: unknown[] = [
      { a: undefined, b: 1 },
      [1, undefined, () => 1],
      { m: new Money() },
      { date: new Date(0) },
      { n: Number.NaN, i: -0, big: 1e21 },
      JSON.parse('{"__proto__":{"x":1},"é":"\u2028","a":[{"z":1,"a":2}]}'),
      Object.assign(Object.create(null), { k: 'v' }),
      JSON.parse(`${'['.repeat(70)}1${']'.repeat(70)}`),
    ];
    for (const body of odd) expect(actionFingerprint(facts(body))).toBe(reference(body));
  });
});
