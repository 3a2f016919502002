import { InvalidOptionError } from '@portcullis/core';
import type Database from 'better-sqlite3';
import {
  type CredentialRecord,
  type CredentialRow,
  type Credentials,
  hashToken,
  type IssueCredentialInput,
  type IssuedCredential,
  isLive,
  looksLikeToken,
  maxTtlMs,
  newCredential,
  toCredentialRecord,
} from './credential-rules.js';
import type { StateDatabase } from './state-database.js';

export type {
  CredentialRecord,
  Credentials,
  IssueCredentialInput,
  IssuedCredential,
} from './credential-rules.js';

export interface CredentialStoreOptions {
  db: StateDatabase;
  clock?: () => number;
  /** Longest ttl a credential may be issued for; default 12h. */
  maxTtl?: string;
}

interface SqliteRow extends Omit<CredentialRow, 'groups'> {
  groups: string;
}

const fromSqlite = (row: SqliteRow): CredentialRow => ({
  ...row,
  groups: JSON.parse(row.groups) as string[],
});

/**
 * Short-lived, revocable gateway credentials in the SQLite state file: one subject, one
 * resource, minutes long. The token is returned once by `issue`; the database keeps only its
 * hash. The rules are credential-rules.ts, shared with the PostgreSQL store.
 */
export class CredentialStore {
  readonly #db: StateDatabase;
  readonly #clock: () => number;
  #byId: Database.Statement | undefined;
  readonly #maxTtlMs: number;

  constructor(options: CredentialStoreOptions) {
    if (typeof options?.db?.prepare !== 'function')
      throw new InvalidOptionError('db', 'must be a state database from openStateDatabase');
    this.#db = options.db;
    this.#clock = options.clock ?? Date.now;
    this.#maxTtlMs = maxTtlMs(options.maxTtl);
  }

  issue(input: IssueCredentialInput): IssuedCredential {
    const { row, token, tokenHash } = newCredential(input, this.#clock(), this.#maxTtlMs);
    this.#db
      .prepare(
        `INSERT INTO credentials (id, token_hash, subject, kind, groups, resource, issued_ms, expires_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        row.id,
        tokenHash,
        row.subject,
        row.kind,
        JSON.stringify(row.groups),
        row.resource,
        row.issued_ms,
        row.expires_ms,
      );
    return { ...toCredentialRecord(row), token };
  }

  verify(token: string): CredentialRecord | null {
    if (!looksLikeToken(token)) return null;
    const row = this.#db.prepare('SELECT * FROM credentials WHERE token_hash = ?').get(hashToken(token)) as
      | SqliteRow
      | undefined;
    if (!row) return null;
    const credential = fromSqlite(row);
    return isLive(credential, this.#clock()) ? toCredentialRecord(credential) : null;
  }

  isActive(id: string): boolean {
    // Prepared once: this runs before every statement of a session that logged in with a
    // credential, and preparing costs more than the lookup.
    this.#byId ??= this.#db.prepare('SELECT * FROM credentials WHERE id = ?');
    const row = this.#byId.get(id) as SqliteRow | undefined;
    return row !== undefined && isLive(fromSqlite(row), this.#clock());
  }

  revoke(id: string): boolean {
    const info = this.#db
      .prepare('UPDATE credentials SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL')
      .run(this.#clock(), id);
    if (info.changes === 0 && !this.#db.prepare('SELECT 1 FROM credentials WHERE id = ?').get(id))
      return false;
    return true;
  }

  revokeSubject(subject: string): number {
    return this.#db
      .prepare('UPDATE credentials SET revoked_ms = ? WHERE subject = ? AND revoked_ms IS NULL')
      .run(this.#clock(), subject).changes;
  }

  list(filter: { subject?: string } = {}): CredentialRecord[] {
    const rows = (
      filter.subject === undefined
        ? this.#db.prepare('SELECT * FROM credentials ORDER BY issued_ms').all()
        : this.#db
            .prepare('SELECT * FROM credentials WHERE subject = ? ORDER BY issued_ms')
            .all(filter.subject)
    ) as SqliteRow[];
    return rows.map((r) => toCredentialRecord(fromSqlite(r)));
  }
}

/** The SQLite store behind the async `Credentials` interface the gateway uses. */
export function asyncCredentials(store: CredentialStore): Credentials {
  return {
    issue: async (input) => store.issue(input),
    verify: async (token) => store.verify(token),
    isActive: async (id) => store.isActive(id),
    isActiveNow: (id) => store.isActive(id),
    revoke: async (id) => store.revoke(id),
    revokeSubject: async (subject) => store.revokeSubject(subject),
    list: async (filter) => store.list(filter),
  };
}
