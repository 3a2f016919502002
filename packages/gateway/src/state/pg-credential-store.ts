import { InvalidOptionError } from '@portcullis/core';
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
import type { PgStateDatabase } from './pg-state-database.js';

export interface PgCredentialStoreOptions {
  db: PgStateDatabase;
  clock?: () => number;
  /** Longest ttl a credential may be issued for; default 12h. */
  maxTtl?: string;
}

interface PgRow {
  id: string;
  subject: string;
  kind: 'human' | 'agent';
  groups: string;
  resource: string;
  issued_ms: string;
  expires_ms: string;
  revoked_ms: string | null;
}

// `seq` (insertion order) is selected with `*` but not part of the record.
const fromPg = (row: PgRow): CredentialRow => ({
  id: row.id,
  subject: row.subject,
  kind: row.kind,
  groups: JSON.parse(row.groups) as string[],
  resource: row.resource,
  issued_ms: Number(row.issued_ms),
  expires_ms: Number(row.expires_ms),
  revoked_ms: row.revoked_ms === null ? null : Number(row.revoked_ms),
});

/**
 * Gateway credentials in the shared PostgreSQL state database: a credential issued through
 * one gateway opens sessions on all of them, and a revocation through any of them stops the
 * next statement everywhere (each statement re-reads its credential). Same rules as the
 * SQLite store (credential-rules.ts).
 */
export class PgCredentialStore implements Credentials {
  readonly #db: PgStateDatabase;
  readonly #clock: () => number;
  readonly #maxTtlMs: number;

  constructor(options: PgCredentialStoreOptions) {
    if (typeof options?.db?.query !== 'function')
      throw new InvalidOptionError('db', 'must be a PgStateDatabase from PgStateDatabase.open');
    this.#db = options.db;
    this.#clock = options.clock ?? Date.now;
    this.#maxTtlMs = maxTtlMs(options.maxTtl);
  }

  async issue(input: IssueCredentialInput): Promise<IssuedCredential> {
    const { row, token, tokenHash } = newCredential(input, this.#clock(), this.#maxTtlMs);
    await this.#db.query(
      `INSERT INTO portcullis_credentials (id, token_hash, subject, kind, groups, resource, issued_ms, expires_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        row.id,
        tokenHash,
        row.subject,
        row.kind,
        JSON.stringify(row.groups),
        row.resource,
        row.issued_ms,
        row.expires_ms,
      ],
    );
    return { ...toCredentialRecord(row), token };
  }

  async verify(token: string): Promise<CredentialRecord | null> {
    if (!looksLikeToken(token)) return null;
    const { rows } = await this.#db.query<PgRow>(
      'SELECT * FROM portcullis_credentials WHERE token_hash = $1',
      [hashToken(token)],
    );
    if (!rows[0]) return null;
    const credential = fromPg(rows[0]);
    return isLive(credential, this.#clock()) ? toCredentialRecord(credential) : null;
  }

  async isActive(id: string): Promise<boolean> {
    const { rows } = await this.#db.query<PgRow>('SELECT * FROM portcullis_credentials WHERE id = $1', [id]);
    return rows[0] !== undefined && isLive(fromPg(rows[0]), this.#clock());
  }

  async revoke(id: string): Promise<boolean> {
    // COALESCE keeps the first revocation time when it is revoked twice.
    const { rowCount } = await this.#db.query(
      'UPDATE portcullis_credentials SET revoked_ms = COALESCE(revoked_ms, $1) WHERE id = $2',
      [this.#clock(), id],
    );
    return (rowCount ?? 0) > 0;
  }

  async revokeSubject(subject: string): Promise<number> {
    const { rowCount } = await this.#db.query(
      'UPDATE portcullis_credentials SET revoked_ms = $1 WHERE subject = $2 AND revoked_ms IS NULL',
      [this.#clock(), subject],
    );
    return rowCount ?? 0;
  }

  async list(filter: { subject?: string } = {}): Promise<CredentialRecord[]> {
    const { rows } =
      filter.subject === undefined
        ? await this.#db.query<PgRow>('SELECT * FROM portcullis_credentials ORDER BY issued_ms, seq')
        : await this.#db.query<PgRow>(
            'SELECT * FROM portcullis_credentials WHERE subject = $1 ORDER BY issued_ms, seq',
            [filter.subject],
          );
    return rows.map((r) => toCredentialRecord(fromPg(r)));
  }
}
