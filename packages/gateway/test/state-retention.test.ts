/**
 * `state.retention`: settled approvals and expired credentials leave the state database, on
 * SQLite and on Debian's PostgreSQL, and nothing a request could still use goes with them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApprovalStore } from '@portcullis/core';
import { ask } from '@portcullis/core/test-support/approval-store-suite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/validate-config.js';
import { ConfigError } from '../src/errors.js';
import type { Credentials } from '../src/state/credential-rules.js';
import { asyncCredentials, CredentialStore } from '../src/state/credential-store.js';
import { PgApprovalStore } from '../src/state/pg-approval-store.js';
import { PgCredentialStore } from '../src/state/pg-credential-store.js';
import { PgStateDatabase } from '../src/state/pg-state-database.js';
import { SqliteApprovalStore } from '../src/state/sqlite-approval-store.js';
import { openStateDatabase } from '../src/state/state-database.js';
import {
  pgStateHistory,
  type StateHistory,
  sqliteStateHistory,
  startStatePruner,
} from '../src/state/state-retention.js';
import { startHttpGateway } from './support/http-gateway.js';
import { createDatabase, type PgCluster, startPgCluster } from './support/pg-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'pc-state-retention-'));
let cluster: PgCluster;
const opened: PgStateDatabase[] = [];
let databases = 0;

beforeAll(async () => {
  cluster = await startPgCluster();
}, 120_000);
afterAll(async () => {
  for (const db of opened) await db.close();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.parse('2026-11-01T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Stores {
  approvals: ApprovalStore;
  credentials: Credentials;
  history: StateHistory;
}

type Open = (clock: () => number) => Promise<Stores>;

const backends: [string, Open][] = [
  [
    'SQLite',
    async (clock) => {
      const db = openStateDatabase(':memory:');
      return {
        approvals: new SqliteApprovalStore({ db, clock }),
        credentials: asyncCredentials(new CredentialStore({ db, clock })),
        history: sqliteStateHistory(db),
      };
    },
  ],
  [
    'PostgreSQL',
    async (clock) => {
      const database = `retention_${++databases}`;
      await createDatabase(cluster, database);
      const db = await PgStateDatabase.open({
        host: cluster.host,
        port: cluster.port,
        user: cluster.user,
        password: cluster.password,
        database,
        max: 2,
      });
      opened.push(db);
      return {
        approvals: new PgApprovalStore({ db, clock, pollMs: 60_000 }),
        credentials: new PgCredentialStore({ db, clock }),
        history: pgStateHistory(db),
      };
    },
  ],
];

describe.each(backends)('state history on %s', (_name, open) => {
  it('removes what settled before the cutoff, in chunks, and keeps what a request could still use', async () => {
    let now = T0;
    const { approvals, credentials, history } = await open(() => now);
    // At T0: one denied, one approved for 15 minutes, one never decided (its wait is 10 min),
    // one approved for 12 hours; a credential for 15 minutes and one for 12 hours.
    const denied = (await approvals.request(ask)).id;
    await approvals.vote(denied, { reviewer: 'carol', decision: 'deny' });
    const shortGrant = (await approvals.request({ ...ask, fingerprint: 'fp-2' })).id;
    await approvals.vote(shortGrant, { reviewer: 'carol', decision: 'approve' });
    const undecided = (await approvals.request({ ...ask, fingerprint: 'fp-3' })).id;
    const longGrant = (await approvals.request({ ...ask, fingerprint: 'fp-4', ttl: '12h' })).id;
    await approvals.vote(longGrant, { reviewer: 'carol', decision: 'approve' });
    const expired = await credentials.issue({ subject: 'agent-7', resource: 'prod-db', ttl: '15m' });
    const valid = await credentials.issue({ subject: 'agent-7', resource: 'prod-db', ttl: '12h' });
    // Two hours on, a new request waits.
    now = T0 + 2 * HOUR;
    const pending = (await approvals.request({ ...ask, fingerprint: 'fp-5' })).id;

    // Everything settled before T0 + 1 h goes: three approvals and one credential.
    const cutoff = T0 + HOUR;
    expect(await history.prune(cutoff, 2)).toBe(3);
    expect(await history.prune(cutoff, 2)).toBe(1);
    expect(await history.prune(cutoff, 2)).toBe(0);

    const ids = (await approvals.list()).map((r) => r.id).sort();
    expect(ids).toEqual([longGrant, pending].sort());
    for (const id of [denied, shortGrant, undecided]) await expect(approvals.get(id)).rejects.toThrow();
    // The grant still valid is still found for a re-run; the expired credential verifies as
    // any unknown token does (it did not before either), the valid one as before.
    expect(
      (
        await approvals.findGranted({
          subjectId: 'agent-7',
          resourceName: 'prod-db',
          fingerprint: 'fp-4',
          sessionId: 'x',
        })
      )?.id,
    ).toBe(longGrant);
    expect(await credentials.verify(expired.token)).toBeNull();
    expect((await credentials.verify(valid.token))?.id).toBe(valid.id);
  });

  it('is pruned at start, then on its period, by the pruner, from the retention before now', async () => {
    let now = T0;
    const { credentials, history } = await open(() => now);
    await credentials.issue({ subject: 'bob', resource: 'prod-db', ttl: '15m' });
    await credentials.issue({ subject: 'bob', resource: 'prod-db', ttl: '15m' });
    now = T0 + 30 * 24 * HOUR;
    const pruned: number[] = [];
    const errors: unknown[] = [];
    const pruner = startStatePruner(history, {
      retentionMs: 7 * 24 * HOUR,
      clock: () => now,
      chunk: 1,
      onPruned: (count) => pruned.push(count),
      onError: (err) => errors.push(err),
    });
    try {
      // Joins the run the pruner started with; a second run finds nothing left.
      expect(await pruner.prune()).toBe(2);
      expect(await pruner.prune()).toBe(0);
      expect(pruned).toEqual([2]);
      expect(errors).toEqual([]);
    } finally {
      await pruner.stop();
    }
  });
});

describe('state.retention in the config', () => {
  it('defaults to 90 days, takes 0 to keep everything, and names a bad value', () => {
    const resources = [
      { type: 'http', name: 'api', listen: { port: 0 }, upstream: { url: 'http://127.0.0.1:9' } },
    ];
    const config = (state?: Record<string, unknown>) =>
      validateConfig({ resources, ...(state ? { state } : {}) }, dir);
    expect(config().state.retentionMs).toBe(2160 * HOUR);
    expect(config({ retention: '720h' }).state.retentionMs).toBe(720 * HOUR);
    expect(config({ retention: '0' }).state.retentionMs).toBe(0);
    expect(() => config({ retention: 'a month' })).toThrow(ConfigError);
    expect(() => config({ retention: 'a month' })).toThrow(/state\.retention/);
  });

  it('makes a starting gateway remove the expired credentials its state file holds', async () => {
    const home = mkdtempSync(join(dir, 'gw-'));
    const statePath = join(home, 'state.db');
    const db = openStateDatabase(statePath);
    const old = new CredentialStore({ db, clock: () => Date.now() - 200 * 24 * HOUR });
    old.issue({ subject: 'agent-7', resource: 'api', ttl: '15m' });
    const current = new CredentialStore({ db }).issue({ subject: 'agent-7', resource: 'api', ttl: '15m' });
    db.close();
    const gw = await startHttpGateway({ home, audit: { path: join(home, 'audit.jsonl') }, statePath });
    try {
      for (
        let i = 0;
        i < 200 && !gw.lines.some((l) => l.count !== undefined && /credentials/.test(String(l.msg)));
        i++
      )
        await new Promise((r) => setTimeout(r, 10));
      const line = gw.lines.find((l) => /expired credentials past retention removed/.test(String(l.msg)));
      expect(line?.count).toBe(1);
      expect((await gw.gateway.credentials.verify(current.token))?.id).toBe(current.id);
    } finally {
      await gw.close();
    }
  });
});
