import { describe, expect, it } from 'vitest';
import { CredentialError } from '../src/errors.js';
import { CredentialStore } from '../src/state/credential-store.js';
import { openStateDatabase } from '../src/state/state-database.js';

function setup() {
  let now = Date.parse('2026-11-25T21:00:00Z');
  const db = openStateDatabase(':memory:');
  return { db, store: new CredentialStore({ db, clock: () => now }), advance: (ms: number) => (now += ms) };
}

describe('CredentialStore', () => {
  it('issues a token shown once, stored only as a hash', () => {
    const { db, store } = setup();
    const c = store.issue({ subject: 'agent-7', kind: 'agent', resource: 'prod-db', ttl: '15m' });
    expect(c.token).toMatch(/^pcc_[A-Za-z0-9_-]{43}$/);
    expect(c.expires_at).toBe('2026-11-25T21:15:00Z');
    const stored = JSON.stringify(db.prepare('SELECT * FROM credentials').all());
    expect(stored).not.toContain(c.token);
    expect(store.verify(c.token)).toMatchObject({
      id: c.id,
      subject: 'agent-7',
      kind: 'agent',
      resource: 'prod-db',
    });
  });

  it('refuses unknown, expired and revoked tokens', () => {
    const { store, advance } = setup();
    const a = store.issue({ subject: 'alice', resource: 'db', ttl: '1m' });
    const b = store.issue({ subject: 'alice', resource: 'db', ttl: '1h' });
    expect(store.verify('pcc_nope')).toBeNull();
    expect(store.verify('')).toBeNull();
    advance(60_000);
    expect(store.verify(a.token)).toBeNull();
    expect(store.isActive(a.id)).toBe(false);
    expect(store.isActive(b.id)).toBe(true);
    expect(store.revoke(b.id)).toBe(true);
    expect(store.verify(b.token)).toBeNull();
    expect(store.isActive(b.id)).toBe(false);
    expect(store.revoke('unknown')).toBe(false);
    expect(store.list({ subject: 'alice' }).map((c) => Boolean(c.revoked_at))).toEqual([false, true]);
  });

  it('revokes every credential of a subject', () => {
    const { store } = setup();
    store.issue({ subject: 'bob', resource: 'db', ttl: '5m' });
    store.issue({ subject: 'bob', resource: 'db2', ttl: '5m' });
    const other = store.issue({ subject: 'carol', resource: 'db', ttl: '5m' });
    expect(store.revokeSubject('bob')).toBe(2);
    expect(store.verify(other.token)).not.toBeNull();
  });

  it('refuses bad ttls and missing fields with CredentialError', () => {
    const { store } = setup();
    expect(() => store.issue({ subject: 'a', resource: 'db', ttl: 'soon' })).toThrow(CredentialError);
    expect(() => store.issue({ subject: 'a', resource: 'db', ttl: '48h' })).toThrow(/longer than/);
    expect(() => store.issue({ subject: '', resource: 'db', ttl: '5m' })).toThrow(/subject/);
  });
});
