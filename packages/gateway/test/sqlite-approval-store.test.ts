import { ask, describeApprovalStore } from '@portcullis/core/test-support/approval-store-suite';
import { describe, expect, it } from 'vitest';
import { SqliteApprovalStore } from '../src/state/sqlite-approval-store.js';
import { openStateDatabase } from '../src/state/state-database.js';

const T0 = Date.parse('2026-11-25T21:00:00Z');

// The same suite runs against core's in-memory store and the PostgreSQL store (pg-state-store.test.ts).
describeApprovalStore(
  'SqliteApprovalStore',
  async (options) => new SqliteApprovalStore({ db: openStateDatabase(':memory:'), ...options }),
  { fakeTimers: true },
);

describe('SqliteApprovalStore, beyond the in-memory semantics', () => {
  it('keeps requests across reopening the file, and sees votes written by another connection', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const path = join(mkdtempSync(join(tmpdir(), 'pc-state-')), 'state.db');
    const a = new SqliteApprovalStore({ db: openStateDatabase(path), pollMs: 20 });
    const b = new SqliteApprovalStore({ db: openStateDatabase(path) });
    const { id } = await a.request(ask);
    const waiting = a.waitFor(id);
    await b.vote(id, { reviewer: 'carol', decision: 'approve' });
    expect((await waiting).state).toBe('approved');
    expect(
      (
        await a.findGranted({
          subjectId: 'agent-7',
          resourceName: 'prod-db',
          fingerprint: 'fp-1',
          sessionId: 'x',
        })
      )?.id,
    ).toBe(id);
  });

  it('cuts a grant to maxTtl', async () => {
    const now = T0;
    const store = new SqliteApprovalStore({
      db: openStateDatabase(':memory:'),
      clock: () => now,
      maxTtl: '5m',
    });
    const { id } = await store.request({ ...ask, ttl: '1h' });
    expect((await store.vote(id, { reviewer: 'carol', decision: 'approve' })).valid_until).toBe(
      '2026-11-25T21:05:00Z',
    );
  });

  it('validates its options, naming them', () => {
    expect(() => new SqliteApprovalStore({ db: undefined as never })).toThrow(/db/);
    expect(() => new SqliteApprovalStore({ db: openStateDatabase(':memory:'), pollMs: 0 })).toThrow(/pollMs/);
  });
});
