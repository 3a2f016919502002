import { describe, expect, it } from 'vitest';
import type { InputDocument } from '../contract.js';
import { buildInputDocument } from '../request/index.js';
import { decisionCacheKey } from './cache-key.js';

const at = (iso: string) => () => Date.parse(iso);

async function httpInput(
  body: string,
  time = '2026-11-25T21:00:00Z',
  approvals: InputDocument['session']['approvals'] = [],
): Promise<InputDocument> {
  return buildInputDocument(
    {
      subject: { id: 'agent-7', kind: 'agent' },
      resource: { type: 'http', name: 'api' },
      session: { id: 's', approvals },
      http: { method: 'POST', url: '/upload', headers: { 'content-type': 'text/plain' }, body },
    },
    { clock: at(time) },
  );
}

describe('decisionCacheKey', () => {
  it('tells apart text bodies of different sizes, which a policy sees only by body_size', async () => {
    const small = await httpInput('x');
    const large = await httpInput('x'.repeat(5000));
    expect(small.action.http?.body).toBeNull();
    expect(decisionCacheKey(small).key).not.toBe(decisionCacheKey(large).key);
  });

  it('does not reuse a decision an approval released once that approval has expired', async () => {
    const grant = {
      id: 'a1',
      scope: 'session' as const,
      approved_by: ['bob'],
      expires_at: '2026-11-25T21:00:30Z',
    };
    const before = await httpInput('x', '2026-11-25T21:00:00Z', [grant]);
    const stillValid = await httpInput('x', '2026-11-25T21:00:29Z', [grant]);
    const after = await httpInput('x', '2026-11-25T21:00:31Z', [grant]);
    expect(decisionCacheKey(stillValid).key).toBe(decisionCacheKey(before).key);
    expect(decisionCacheKey(after).key).not.toBe(decisionCacheKey(before).key);
  });
});
