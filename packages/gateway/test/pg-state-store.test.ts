/**
 * The PostgreSQL state store against Debian's PostgreSQL: core's approval semantics (the
 * shared suite), LISTEN/NOTIFY between stores on one database, concurrent votes, a dropped
 * listening connection, credentials and the audit index.
 */
import { ApprovalStateError, type AuditRecord } from '@portcullis/core';
import { ask, describeApprovalStore } from '@portcullis/core/test-support/approval-store-suite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialError } from '../src/errors.js';
import { PgAuditIndex } from '../src/state/audit-index.js';
import { PgApprovalStore, type PgApprovalStoreOptions } from '../src/state/pg-approval-store.js';
import { PgCredentialStore } from '../src/state/pg-credential-store.js';
import { PgStateDatabase } from '../src/state/pg-state-database.js';
import { createDatabase, type PgCluster, startPgCluster } from './support/pg-cluster.js';

let cluster: PgCluster;
const opened: PgStateDatabase[] = [];
let dbCount = 0;

beforeAll(async () => {
  cluster = await startPgCluster();
}, 120_000);
afterAll(async () => {
  for (const db of opened) await db.close();
  await cluster?.stop();
});

async function freshDatabase(): Promise<string> {
  const name = `state_${++dbCount}`;
  await createDatabase(cluster, name);
  return name;
}

async function open(database: string): Promise<PgStateDatabase> {
  const db = await PgStateDatabase.open({
    host: cluster.host,
    port: cluster.port,
    user: cluster.user,
    password: cluster.password,
    database,
    max: 4,
  });
  opened.push(db);
  return db;
}

async function storeOn(database: string, options: Omit<PgApprovalStoreOptions, 'db'> = {}) {
  return new PgApprovalStore({ db: await open(database), ...options });
}

describeApprovalStore('PgApprovalStore', async (options) => storeOn(await freshDatabase(), options), {
  fakeTimers: false,
});

describe('PgApprovalStore shared by several gateways', () => {
  it('releases a waiter on one store at once when another store on the database approves', async () => {
    const name = await freshDatabase();
    // Polling is pushed out of the way: only the notification can wake the waiter in time.
    const a = await storeOn(name, { pollMs: 60_000 });
    const b = await storeOn(name, { pollMs: 60_000 });
    const { id } = await a.request(ask);
    const waiting = a.waitFor(id);
    await new Promise((r) => setTimeout(r, 50));
    const voted = Date.now();
    await b.vote(id, { reviewer: 'carol', decision: 'approve' });
    const released = await waiting;
    const latency = Date.now() - voted;
    expect(released.state).toBe('approved');
    expect(latency).toBeLessThan(1000);
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

  it('lets exactly one of two concurrent deciding votes win', async () => {
    const name = await freshDatabase();
    const a = await storeOn(name);
    const b = await storeOn(name);
    for (let i = 0; i < 5; i++) {
      const { id } = await a.request(ask);
      const results = await Promise.allSettled([
        a.vote(id, { reviewer: 'carol', decision: 'approve' }),
        b.vote(id, { reviewer: 'dave', decision: 'deny' }),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(ApprovalStateError);
      const final = await a.get(id);
      expect(final.votes).toHaveLength(1);
      expect(final.state).toBe((won[0] as PromiseFulfilledResult<{ state: string }>).value.state);
    }
  });

  it('keeps waking waiters after its listening connection is killed', async () => {
    const name = await freshDatabase();
    const a = await storeOn(name, { pollMs: 60_000 });
    const b = await storeOn(name);
    const admin = await open(name);
    const { id } = await a.request(ask);
    const waiting = a.waitFor(id);
    const killed = await admin.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE datname = $1 AND query ILIKE 'LISTEN%'`,
      [name],
    );
    expect(killed.rows[0]?.n).toBeGreaterThanOrEqual(1);
    await b.vote(id, { reviewer: 'carol', decision: 'approve' });
    // Whether the NOTIFY is lost in the gap or not, the reconnect re-reads every waiter.
    expect((await waiting).state).toBe('approved');
    // And the new listening connection carries later notifications.
    const second = await a.request(ask);
    const again = a.waitFor(second.id);
    await new Promise((r) => setTimeout(r, 300));
    const voted = Date.now();
    await b.vote(second.id, { reviewer: 'dave', decision: 'deny' });
    expect((await again).state).toBe('denied');
    expect(Date.now() - voted).toBeLessThan(1000);
  }, 20_000);

  it('creates its schema once when several gateways open an empty database together', async () => {
    const name = await freshDatabase();
    const dbs = await Promise.all([open(name), open(name), open(name)]);
    const { rows } = await dbs[0]!.query<{ version: number }>('SELECT version FROM portcullis_schema');
    // The schema, then the indexes for state retention.
    expect(rows).toEqual([{ version: 2 }]);
  });

  it('names the problem when the database cannot be reached, without the password', async () => {
    const attempt = PgStateDatabase.open({
      host: '127.0.0.1',
      port: cluster.port,
      user: 'postgres',
      password: 'wrong-password-xyz',
      database: 'postgres',
    });
    await expect(attempt).rejects.toMatchObject({ code: 'PC_GATEWAY_STATE' });
    await expect(attempt).rejects.not.toThrow(/wrong-password-xyz/);
  });
});

describe('PgCredentialStore', () => {
  it('issues, verifies, expires and revokes across gateways, storing only hashes', async () => {
    const name = await freshDatabase();
    let now = Date.parse('2026-11-25T21:00:00Z');
    const clock = () => now;
    const dbA = await open(name);
    const a = new PgCredentialStore({ db: dbA, clock });
    const b = new PgCredentialStore({ db: await open(name), clock });
    const short = await a.issue({ subject: 'alice', resource: 'db', ttl: '1m' });
    const long = await a.issue({
      subject: 'alice',
      kind: 'agent',
      groups: ['eng'],
      resource: 'db',
      ttl: '1h',
    });
    expect(long.token).toMatch(/^pcc_[A-Za-z0-9_-]{43}$/);
    expect(long.expires_at).toBe('2026-11-25T22:00:00Z');
    const stored = JSON.stringify((await dbA.query('SELECT * FROM portcullis_credentials')).rows);
    expect(stored).not.toContain(long.token);
    expect(await b.verify(long.token)).toMatchObject({
      id: long.id,
      subject: 'alice',
      kind: 'agent',
      groups: ['eng'],
    });
    expect(await b.verify('pcc_nope')).toBeNull();
    expect(await b.verify('')).toBeNull();
    now += 60_000;
    expect(await b.verify(short.token)).toBeNull();
    expect(await b.isActive(short.id)).toBe(false);
    expect(await b.isActive(long.id)).toBe(true);
    expect(await b.revoke(long.id)).toBe(true);
    expect(await a.isActive(long.id)).toBe(false);
    expect(await a.verify(long.token)).toBeNull();
    expect(await a.revoke('unknown')).toBe(false);
    expect((await a.list({ subject: 'alice' })).map((c) => Boolean(c.revoked_at))).toEqual([false, true]);
    await a.issue({ subject: 'bob', resource: 'db', ttl: '5m' });
    await a.issue({ subject: 'bob', resource: 'db2', ttl: '5m' });
    expect(await b.revokeSubject('bob')).toBe(2);
    expect(await b.list()).toHaveLength(4);
  });

  it('refuses bad ttls and missing fields with CredentialError', async () => {
    const store = new PgCredentialStore({ db: await open(await freshDatabase()) });
    await expect(store.issue({ subject: 'a', resource: 'db', ttl: 'soon' })).rejects.toThrow(CredentialError);
    await expect(store.issue({ subject: 'a', resource: 'db', ttl: '48h' })).rejects.toThrow(/longer than/);
    await expect(store.issue({ subject: '', resource: 'db', ttl: '5m' })).rejects.toThrow(/subject/);
  });
});

describe('PgAuditIndex', () => {
  it('keeps each record once and answers newest first', async () => {
    const index = new PgAuditIndex(await open(await freshDatabase()));
    const record = (id: string, subject: string, time: string) =>
      ({
        id,
        time,
        session_id: 's',
        subject: { id: subject, kind: 'human', groups: [], claims: {} },
        resource: { type: 'postgres', name: 'prod-db', labels: {} },
        action: { type: 'sql', summary: 'SELECT 1' },
        effect: 'allow',
        reasons: [{ rule: 'sql.ok', message: 'fine' }],
      }) as unknown as AuditRecord;
    await index.add(record('r1', 'alice', '2026-11-25T21:00:00Z'));
    await index.add(record('r2', 'alice', '2026-11-25T21:00:01Z'));
    await index.add(record('r2', 'alice', '2026-11-25T21:00:01Z'));
    await index.add(record('r3', 'bob', '2026-11-25T21:00:02Z'));
    const alice = await index.query({ subject: 'alice' });
    expect(alice.map((e) => e.record_id)).toEqual(['r2', 'r1']);
    expect(alice[0]).toMatchObject({
      resource: 'prod-db',
      action: 'sql',
      effect: 'allow',
      rules: ['sql.ok'],
    });
    expect((await index.query({ limit: 1 })).map((e) => e.record_id)).toEqual(['r3']);
  });

  it('adds a batch in multi-row inserts, duplicates kept once, across its 500-row chunks', async () => {
    const index = new PgAuditIndex(await open(await freshDatabase()));
    const records = Array.from(
      { length: 1203 },
      (_, i) =>
        ({
          id: `b${i}`,
          time: new Date(Date.UTC(2026, 10, 25, 21, 0, 0, i)).toISOString(),
          session_id: 's',
          subject: { id: i % 2 ? 'alice' : 'bob', kind: 'agent', groups: [] },
          resource: { type: 'postgres', name: 'prod-db', labels: {} },
          action: { type: 'sql', summary: `SELECT ${i}` },
          effect: 'allow',
          reasons: [],
          ...(i === 7 ? { approval_id: 'ap-7' } : {}),
        }) as unknown as AuditRecord,
    );
    await index.addMany([...records, records[0] as AuditRecord]);
    const all = await index.query({ limit: 5000 });
    expect(all).toHaveLength(1203);
    expect(all[0]?.record_id).toBe('b1202');
    expect(all.find((e) => e.record_id === 'b7')).toMatchObject({ approval_id: 'ap-7', summary: 'SELECT 7' });
    expect(await index.query({ subject: 'alice', limit: 5000 })).toHaveLength(601);
  });

  it('prunes up to the limit, oldest first, of the entries before the time given', async () => {
    const index = new PgAuditIndex(await open(await freshDatabase()));
    const at = (id: string, time: string) =>
      ({
        id,
        time,
        session_id: 's',
        subject: { id: 'agent-7', kind: 'agent', groups: [] },
        resource: { type: 'postgres', name: 'prod-db', labels: {} },
        action: { type: 'sql', summary: id },
        effect: 'allow',
        reasons: [],
      }) as unknown as AuditRecord;
    await index.addMany([
      at('five-hours-ago', '2026-11-27T07:00:00.000Z'),
      at('three-hours-ago', '2026-11-27T09:00:00.000Z'),
      at('two-hours-ago', '2026-11-27T10:00:00Z'),
      at('just-under-an-hour-ago', '2026-11-27T11:00:00.001Z'),
      at('now', '2026-11-27T12:00:00.000Z'),
    ]);
    const before = '2026-11-27T11:00:00.000Z';
    expect(await index.prune(before, 2)).toBe(2);
    expect((await index.query()).map((e) => e.record_id)).toEqual([
      'now',
      'just-under-an-hour-ago',
      'two-hours-ago',
    ]);
    expect(await index.prune(before, 2)).toBe(1);
    expect(await index.prune(before, 2)).toBe(0);
    expect((await index.query()).map((e) => e.record_id)).toEqual(['now', 'just-under-an-hour-ago']);
  });
});
