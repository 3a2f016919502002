import { describe, expect, it } from 'vitest';
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
});
