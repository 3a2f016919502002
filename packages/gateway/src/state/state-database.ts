import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StateStoreError } from '../errors.js';

export type StateDatabase = Database.Database;

// Each entry runs once, in order; `user_version` records how many have run.
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE approvals (
     id TEXT PRIMARY KEY,
     state TEXT NOT NULL,
     subject TEXT NOT NULL,
     resource TEXT NOT NULL,
     fingerprint TEXT,
     session_id TEXT NOT NULL,
     scope TEXT NOT NULL,
     created_ms INTEGER NOT NULL,
     expires_ms INTEGER NOT NULL,
     valid_until_ms INTEGER,
     ttl_ms INTEGER NOT NULL,
     doc TEXT NOT NULL
   );
   CREATE INDEX approvals_state ON approvals (state, created_ms);
   CREATE INDEX approvals_grant ON approvals (subject, resource, state);
   CREATE TABLE credentials (
     id TEXT PRIMARY KEY,
     token_hash TEXT NOT NULL UNIQUE,
     subject TEXT NOT NULL,
     kind TEXT NOT NULL,
     groups TEXT NOT NULL,
     resource TEXT NOT NULL,
     issued_ms INTEGER NOT NULL,
     expires_ms INTEGER NOT NULL,
     revoked_ms INTEGER
   );
   CREATE INDEX credentials_subject ON credentials (subject);
   CREATE TABLE audit_index (
     record_id TEXT PRIMARY KEY,
     time TEXT NOT NULL,
     session_id TEXT NOT NULL,
     subject TEXT NOT NULL,
     resource TEXT NOT NULL,
     action TEXT NOT NULL,
     effect TEXT NOT NULL,
     rules TEXT NOT NULL,
     approval_id TEXT,
     summary TEXT NOT NULL
   );
   CREATE INDEX audit_index_subject ON audit_index (subject, time);
   CREATE INDEX audit_index_time ON audit_index (time);`,
  // For state retention (state-retention.ts): settled approvals and expired credentials go.
  `CREATE INDEX approvals_expires ON approvals (expires_ms);
   CREATE INDEX credentials_expires ON credentials (expires_ms);`,
];

/**
 * Opens (creating if needed) the gateway's SQLite state file and brings its schema up to date.
 * WAL mode lets the CLI read and write while a gateway holds the file open.
 */
export function openStateDatabase(path: string): StateDatabase {
  let db: Database.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    // Every commit on the disk before it returns: in WAL mode this SQLite build otherwise runs
    // `synchronous = NORMAL` once the WAL is open, under which a power cut can take the last
    // commits, and a revocation taken that way lets a revoked credential in again. The writes
    // here are few (credentials, revocations, approval votes); the audit index, which is
    // many, commits its batches without waiting (AuditIndex.addMany).
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    throw new StateStoreError(`cannot open state database ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length)
      throw new Error(
        `its schema version ${version} is newer than this gateway knows (${MIGRATIONS.length})`,
      );
    db.transaction(() => {
      for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${MIGRATIONS.length}`);
    })();
  } catch (err) {
    db.close();
    throw new StateStoreError(`cannot migrate state database ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return db;
}
