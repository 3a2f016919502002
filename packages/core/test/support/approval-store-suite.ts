/**
 * core's ApprovalStore semantics as one suite, run against every store: core's in-memory one
 * here, the gateway's SQLite and PostgreSQL stores there (through the package's
 * `portcullis-source`-only `test-support` export). A store passes only if it behaves exactly as InMemoryApprovalStore.
 */

import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ApprovalNotFoundError,
  type ApprovalRequestInput,
  ApprovalStateError,
  type ApprovalStore,
  InvalidOptionError,
  InvalidRequestError,
  toGrantedApproval,
} from '../../src/index.js';

export interface StoreFactoryOptions {
  clock: () => number;
  generateId?: () => string;
  defaultWait?: string;
}

/** Makes a fresh, empty store; rejects (or throws) on invalid options. */
export type ApprovalStoreFactory = (options: StoreFactoryOptions) => Promise<ApprovalStore>;

const T0 = Date.parse('2026-11-25T21:00:00Z');
const MIN = 60_000;

export const ask: ApprovalRequestInput = {
  requester: 'alice',
  subject: 'agent-7',
  resource: 'prod-db',
  fingerprint: 'fp-1',
  sessionId: 's-1',
  reviewers: ['group:dba', 'user:carol', 'dave'],
  quorum: 1,
  scope: 'statement',
  ttl: '15m',
  summary: 'DELETE FROM orders WHERE id = 7',
  reasons: [{ rule: 'sql.delete_needs_review', message: 'deletes need a DBA' }],
  wait: '10m',
};

/**
 * Registers the suite. `fakeTimers`: the store does no I/O that vitest's fake timers would
 * stall (true for in-memory and SQLite; PostgreSQL runs the real-time variants only).
 */
export function describeApprovalStore(
  name: string,
  factory: ApprovalStoreFactory,
  { fakeTimers }: { fakeTimers: boolean },
): void {
  async function setup(options: { defaultWait?: string } = {}) {
    let now = T0;
    let n = 0;
    const store = await factory({ clock: () => now, generateId: () => `ap-${++n}`, ...options });
    return { store, advance: (ms: number) => (now += ms) };
  }

  describe(`${name}: core scenarios`, () => {
    it('creates a pending request with its wait deadline', async () => {
      const { store } = await setup();
      const req = await store.request(ask);
      expect(req).toMatchObject({
        id: 'ap-1',
        state: 'pending',
        requester: 'alice',
        subject: 'agent-7',
        resource: 'prod-db',
        fingerprint: 'fp-1',
        session_id: 's-1',
        created_at: '2026-11-25T21:00:00Z',
        expires_at: '2026-11-25T21:10:00Z',
        votes: [],
      });
      expect(await store.get('ap-1')).toEqual(req);
    });

    it('keeps no password the statement sets in the summary reviewers see', async () => {
      const { store } = await setup();
      const req = await store.request({ ...ask, summary: "ALTER ROLE app PASSWORD 'new-pw-5'" });
      expect(req.summary).toBe("ALTER ROLE app PASSWORD '[REDACTED]'");
      expect((await store.get(req.id))?.summary).toBe(req.summary);
    });

    it('keeps no credential a reason quotes', async () => {
      const { store } = await setup();
      const req = await store.request({
        ...ask,
        reasons: [
          {
            rule: 'shell.run_as',
            message:
              'sudo runs as another user: sudo -u app curl -H "Authorization: Bearer 0123456789abcdefXYZ" https://ops:url-pw@api.internal/x',
          },
        ],
      });
      const message =
        'sudo runs as another user: sudo -u app curl -H "Authorization: Bearer [REDACTED]" https://ops:[REDACTED]@api.internal/x';
      expect(req.reasons).toEqual([{ rule: 'shell.run_as', message }]);
      expect((await store.get(req.id))?.reasons).toEqual(req.reasons);
    });

    it('uses the default wait when the request gives none', async () => {
      const { store } = await setup({ defaultWait: '1h' });
      const { wait: _, ...noWait } = ask;
      expect((await store.request(noWait)).expires_at).toBe('2026-11-25T22:00:00Z');
    });

    it('rejects a malformed request, naming the field', async () => {
      const { store } = await setup();
      await expect(store.request({ ...ask, ttl: 'forever' })).rejects.toThrow(/approval ttl/);
      await expect(store.request({ ...ask, wait: '-1m' })).rejects.toThrow(/approval wait/);
      await expect(store.request({ ...ask, reviewers: [] })).rejects.toThrow(/approval reviewers/);
      await expect(store.request({ ...ask, quorum: 0 })).rejects.toThrow(/approval quorum/);
      const { fingerprint: _, ...noFingerprint } = ask;
      await expect(store.request(noFingerprint)).rejects.toBeInstanceOf(InvalidRequestError);
      await expect(store.request({ ...noFingerprint, scope: 'session' })).resolves.toMatchObject({
        state: 'pending',
      });
    });

    it('rejects a bad default wait at construction', async () => {
      await expect(factory({ clock: Date.now, defaultWait: 'soon' })).rejects.toThrow(InvalidOptionError);
    });

    it('reports unknown ids', async () => {
      const { store } = await setup();
      await expect(store.get('nope')).rejects.toBeInstanceOf(ApprovalNotFoundError);
      await expect(store.vote('nope', { reviewer: 'carol', decision: 'approve' })).rejects.toBeInstanceOf(
        ApprovalNotFoundError,
      );
      await expect(store.waitFor('nope')).rejects.toBeInstanceOf(ApprovalNotFoundError);
    });

    it('approves at quorum, and the grant lasts ttl from approval', async () => {
      const { store, advance } = await setup();
      const { id } = await store.request({ ...ask, quorum: 2 });
      advance(2 * MIN);
      const one = await store.vote(id, {
        reviewer: 'bob',
        reviewerGroups: ['dba'],
        decision: 'approve',
        comment: 'ok',
      });
      expect(one.state).toBe('pending');
      advance(MIN);
      const two = await store.vote(id, { reviewer: 'carol', decision: 'approve' });
      expect(two).toMatchObject({
        state: 'approved',
        decided_at: '2026-11-25T21:03:00Z',
        valid_until: '2026-11-25T21:18:00Z',
        votes: [
          { reviewer: 'bob', decision: 'approve', comment: 'ok', at: '2026-11-25T21:02:00Z' },
          { reviewer: 'carol', decision: 'approve', at: '2026-11-25T21:03:00Z' },
        ],
      });
    });

    it('denies on any deny', async () => {
      const { store } = await setup();
      const { id } = await store.request({ ...ask, quorum: 2 });
      await store.vote(id, { reviewer: 'carol', decision: 'approve' });
      expect((await store.vote(id, { reviewer: 'dave', decision: 'deny' })).state).toBe('denied');
    });

    it.each([
      ['a reviewer outside the list', { reviewer: 'mallory', reviewerGroups: ['dev'] }, /not a reviewer/],
      [
        'a group the reviewer is not in',
        { reviewer: 'erin', reviewerGroups: ['dbadmins'] },
        /not a reviewer/,
      ],
      ['the requester', { reviewer: 'alice', reviewerGroups: ['dba'] }, /own request/],
      ['the subject', { reviewer: 'agent-7', reviewerGroups: ['dba'] }, /own request/],
      ['a user: entry matched as a group', { reviewer: 'x', reviewerGroups: ['carol'] }, /not a reviewer/],
    ])('refuses a vote from %s', async (_name, who, message) => {
      const { store } = await setup();
      const { id } = await store.request(ask);
      const attempt = store.vote(id, { ...who, decision: 'approve' });
      await expect(attempt).rejects.toBeInstanceOf(ApprovalStateError);
      await expect(attempt).rejects.toThrow(message);
    });

    it('refuses a double vote and votes on a decided request', async () => {
      const { store } = await setup();
      const { id } = await store.request({ ...ask, quorum: 2 });
      await store.vote(id, { reviewer: 'carol', decision: 'approve' });
      await expect(store.vote(id, { reviewer: 'carol', decision: 'approve' })).rejects.toThrow(
        /already voted/,
      );
      await store.vote(id, { reviewer: 'dave', decision: 'approve' });
      await expect(
        store.vote(id, { reviewer: 'bob', reviewerGroups: ['dba'], decision: 'deny' }),
      ).rejects.toThrow(/approved/);
    });

    it('expires a pending request at its wait deadline, lazily', async () => {
      const { store, advance } = await setup();
      const { id } = await store.request(ask);
      advance(10 * MIN - 1);
      expect((await store.get(id)).state).toBe('pending');
      advance(1);
      expect(await store.get(id)).toMatchObject({ state: 'expired', decided_at: '2026-11-25T21:10:00Z' });
      await expect(store.vote(id, { reviewer: 'carol', decision: 'approve' })).rejects.toThrow(/expired/);
    });

    it('finds a statement grant by fingerprint, in any session, until it lapses', async () => {
      const { store, advance } = await setup();
      const { id } = await store.request(ask);
      const query = { subjectId: 'agent-7', resourceName: 'prod-db', fingerprint: 'fp-1', sessionId: 's-2' };
      expect(await store.findGranted(query)).toBeUndefined();
      await store.vote(id, { reviewer: 'carol', decision: 'approve' });
      expect((await store.findGranted(query))?.id).toBe(id);
      expect(await store.findGranted({ ...query, fingerprint: 'fp-2' })).toBeUndefined();
      expect(await store.findGranted({ ...query, subjectId: 'alice' })).toBeUndefined();
      expect(await store.findGranted({ ...query, resourceName: 'staging-db' })).toBeUndefined();
      const { fingerprint: _, ...noFingerprint } = query;
      expect(await store.findGranted(noFingerprint)).toBeUndefined();
      advance(15 * MIN - 1);
      expect(await store.findGranted(query)).toBeDefined();
      advance(1);
      expect(await store.findGranted(query)).toBeUndefined();
    });

    it('finds a session grant for any statement in the same session only', async () => {
      const { store } = await setup();
      const { id } = await store.request({ ...ask, scope: 'session' });
      await store.vote(id, { reviewer: 'dave', decision: 'approve' });
      const query = { subjectId: 'agent-7', resourceName: 'prod-db', fingerprint: 'other', sessionId: 's-1' };
      expect((await store.findGranted(query))?.id).toBe(id);
      expect(await store.findGranted({ ...query, sessionId: 's-2' })).toBeUndefined();
    });

    it('never finds denied, expired or pending requests', async () => {
      const { store, advance } = await setup();
      const denied = await store.request(ask);
      await store.vote(denied.id, { reviewer: 'carol', decision: 'deny' });
      await store.request(ask);
      advance(11 * MIN);
      await store.request(ask);
      expect(
        await store.findGranted({
          subjectId: 'agent-7',
          resourceName: 'prod-db',
          fingerprint: 'fp-1',
          sessionId: 's-1',
        }),
      ).toBeUndefined();
    });

    it('lists requests, by state', async () => {
      const { store, advance } = await setup();
      const a = await store.request(ask);
      advance(1000);
      const b = await store.request(ask);
      await store.vote(b.id, { reviewer: 'carol', decision: 'approve' });
      expect((await store.list()).map((r) => r.id)).toEqual([a.id, b.id]);
      expect((await store.list({ state: 'approved' })).map((r) => r.id)).toEqual([b.id]);
      advance(20 * MIN);
      expect((await store.list({ state: 'expired' })).map((r) => r.id)).toEqual([a.id]);
    });

    it('returns copies', async () => {
      const { store } = await setup();
      const req = await store.request(ask);
      req.state = 'approved';
      req.reviewers.push('mallory');
      expect(await store.get(req.id)).toMatchObject({ state: 'pending', reviewers: ask.reviewers });
    });

    it('turns an approved request into a session.approvals entry', async () => {
      const { store } = await setup();
      const { id } = await store.request(ask);
      const approved = await store.vote(id, { reviewer: 'carol', decision: 'approve' });
      expect(toGrantedApproval(approved)).toEqual({
        id,
        scope: 'statement',
        fingerprint: 'fp-1',
        approved_by: ['carol'],
        expires_at: '2026-11-25T21:15:00Z',
      });
      expect(() => toGrantedApproval({ ...approved, state: 'denied' })).toThrow(ApprovalStateError);
    });
  });

  describe(`${name}: waitFor`, () => {
    afterEach(() => vi.useRealTimers());

    it('resolves when the request is decided', async () => {
      const { store } = await setup();
      const { id } = await store.request(ask);
      const waiting = store.waitFor(id);
      await store.vote(id, { reviewer: 'carol', decision: 'approve' });
      expect((await waiting).state).toBe('approved');
    });

    it('resolves at once for a decided request', async () => {
      const { store } = await setup();
      const { id } = await store.request(ask);
      await store.vote(id, { reviewer: 'carol', decision: 'deny' });
      expect((await store.waitFor(id)).state).toBe('denied');
    });

    it.skipIf(!fakeTimers)('resolves as expired at the wait deadline (fake timers)', async () => {
      vi.useFakeTimers({ now: T0 });
      const store = await factory({ clock: () => Date.now() });
      const { id } = await store.request(ask);
      const waiting = store.waitFor(id);
      await vi.advanceTimersByTimeAsync(10 * MIN);
      expect((await waiting).state).toBe('expired');
    });

    it.skipIf(!fakeTimers)(
      'gives back the pending request when timeoutMs passes first (fake timers)',
      async () => {
        vi.useFakeTimers({ now: T0 });
        const store = await factory({ clock: () => Date.now() });
        const { id } = await store.request(ask);
        const waiting = store.waitFor(id, { timeoutMs: 5000 });
        await vi.advanceTimersByTimeAsync(5000);
        expect((await waiting).state).toBe('pending');
        expect(vi.getTimerCount()).toBe(0);
      },
    );

    it('resolves as expired at the wait deadline (real time)', async () => {
      const store = await factory({ clock: Date.now });
      const { id } = await store.request({ ...ask, wait: '300ms' });
      const started = Date.now();
      const waiting = await store.waitFor(id);
      expect(waiting.state).toBe('expired');
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    });

    it('gives back the pending request when timeoutMs passes first (real time)', async () => {
      const store = await factory({ clock: Date.now });
      const { id } = await store.request(ask);
      expect((await store.waitFor(id, { timeoutMs: 200 })).state).toBe('pending');
    });

    it('wakes every waiter on one request, and only those', async () => {
      const store = await factory({ clock: Date.now });
      const a = await store.request(ask);
      const b = await store.request(ask);
      const waiters = [store.waitFor(a.id), store.waitFor(a.id)];
      const other = store.waitFor(b.id, { timeoutMs: 300 });
      await store.vote(a.id, { reviewer: 'carol', decision: 'approve' });
      expect((await Promise.all(waiters)).map((r) => r.state)).toEqual(['approved', 'approved']);
      expect((await other).state).toBe('pending');
    });

    it('rejects with the abort reason', async () => {
      const { store } = await setup();
      const { id } = await store.request(ask);
      const controller = new AbortController();
      const waiting = store.waitFor(id, { signal: controller.signal });
      controller.abort(new Error('client went away'));
      await expect(waiting).rejects.toThrow('client went away');
      await expect(store.waitFor(id, { signal: AbortSignal.abort(new Error('already')) })).rejects.toThrow(
        'already',
      );
    });
  });
}
