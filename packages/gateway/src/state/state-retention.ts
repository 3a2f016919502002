import type Database from 'better-sqlite3';
import { type Pruner, type PrunerOptions, startChunkedPruning } from './chunked-pruning.js';
import type { PgStateDatabase } from './pg-state-database.js';

/**
 * Keeps the state database's history to a retention (`state.retention`). Approvals and issued
 * credentials are rows that are only ever added: a gateway that issues a credential at every
 * login and files an approval for every held statement would keep each for as long as its
 * state lives. What goes is what no request can use any more:
 *
 * - an approval whose deadline passed before the cutoff and which is not an approval still
 *   valid after it (an approved grant goes once its validity ended before the cutoff);
 * - a credential that expired before the cutoff (an expired credential never verifies, and a
 *   token with no row does not either, so a revoked one stays refused).
 *
 * The audit log keeps every decision about them.
 */
export interface StateHistory {
  /** Removes at most `limit` settled rows of each table from before `beforeMs`; resolves with how many went. */
  prune(beforeMs: number, limit: number): number | Promise<number>;
}

export function sqliteStateHistory(db: Database.Database): StateHistory {
  const approvals = db.prepare(
    `DELETE FROM approvals WHERE rowid IN (
       SELECT rowid FROM approvals
       WHERE expires_ms < ? AND (state <> 'approved' OR COALESCE(valid_until_ms, 0) < ?)
       LIMIT ?)`,
  );
  const credentials = db.prepare(
    'DELETE FROM credentials WHERE rowid IN (SELECT rowid FROM credentials WHERE expires_ms < ? LIMIT ?)',
  );
  return {
    prune: (beforeMs, limit) =>
      approvals.run(beforeMs, beforeMs, limit).changes + credentials.run(beforeMs, limit).changes,
  };
}

export function pgStateHistory(db: PgStateDatabase): StateHistory {
  return {
    async prune(beforeMs, limit) {
      const approvals = await db.query(
        `DELETE FROM portcullis_approvals WHERE id IN (
           SELECT id FROM portcullis_approvals
           WHERE expires_ms < $1 AND (state <> 'approved' OR COALESCE(valid_until_ms, 0) < $1)
           LIMIT $2)`,
        [beforeMs, limit],
      );
      const credentials = await db.query(
        `DELETE FROM portcullis_credentials WHERE id IN (
           SELECT id FROM portcullis_credentials WHERE expires_ms < $1 LIMIT $2)`,
        [beforeMs, limit],
      );
      return (approvals.rowCount ?? 0) + (credentials.rowCount ?? 0);
    },
  };
}

/** `before` is the cutoff in milliseconds since the epoch, as the tables store times. */
export type StatePrunerOptions = PrunerOptions<number>;

/** Pruned in chunks, at start and every `everyMs` (10 minutes) after (chunked-pruning.ts). */
export function startStatePruner(history: StateHistory, options: StatePrunerOptions): Pruner {
  return startChunkedPruning(
    (beforeMs: number, limit) => history.prune(beforeMs, limit),
    (ms) => ms,
    options,
  );
}
