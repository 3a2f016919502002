import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { formatTime, InvalidOptionError, tryParseDuration } from '@portcullis/core';
import { CredentialError } from '../errors.js';
import type { StateDatabase } from './state-database.js';

export interface IssueCredentialInput {
  subject: string;
  kind?: 'human' | 'agent';
  groups?: string[];
  resource: string;
  /** Go-style duration, at most `maxTtl`. */
  ttl: string;
}

/** What the holder of a valid credential is. */
export interface CredentialRecord {
  id: string;
  subject: string;
  kind: 'human' | 'agent';
  groups: string[];
  resource: string;
  issued_at: string;
  expires_at: string;
  revoked_at?: string;
}

export interface IssuedCredential extends CredentialRecord {
  /** The secret itself; shown once and stored only as its hash. */
  token: string;
}

export interface CredentialStoreOptions {
  db: StateDatabase;
  clock?: () => number;
  /** Longest ttl a credential may be issued for; default 12h. */
  maxTtl?: string;
}

interface Row {
  id: string;
  subject: string;
  kind: 'human' | 'agent';
  groups: string;
  resource: string;
  issued_ms: number;
  expires_ms: number;
  revoked_ms: number | null;
}

const PREFIX = 'pcc_';

// The token carries 256 random bits, so an unsalted SHA-256 is enough to make the stored
// hash useless to whoever reads the database, and lets verify() look it up by index.
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

function toRecord(row: Row): CredentialRecord {
  const record: CredentialRecord = {
    id: row.id,
    subject: row.subject,
    kind: row.kind,
    groups: JSON.parse(row.groups) as string[],
    resource: row.resource,
    issued_at: formatTime(new Date(row.issued_ms)),
    expires_at: formatTime(new Date(row.expires_ms)),
  };
  if (row.revoked_ms !== null) record.revoked_at = formatTime(new Date(row.revoked_ms));
  return record;
}

/**
 * Short-lived, revocable gateway credentials: one subject, one resource, minutes long. The
 * token is returned once by `issue`; the database keeps only its hash.
 */
export class CredentialStore {
  readonly #db: StateDatabase;
  readonly #clock: () => number;
  readonly #maxTtlMs: number;

  constructor(options: CredentialStoreOptions) {
    if (typeof options?.db?.prepare !== 'function')
      throw new InvalidOptionError('db', 'must be a state database from openStateDatabase');
    this.#db = options.db;
    this.#clock = options.clock ?? Date.now;
    const max = tryParseDuration(options.maxTtl ?? '12h');
    if (max === undefined || max <= 0)
      throw new InvalidOptionError('maxTtl', 'must be a positive duration such as 12h');
    this.#maxTtlMs = max;
  }

  issue(input: IssueCredentialInput): IssuedCredential {
    if (typeof input.subject !== 'string' || input.subject === '')
      throw new CredentialError('a credential needs a subject');
    if (typeof input.resource !== 'string' || input.resource === '')
      throw new CredentialError('a credential needs a resource');
    const ttlMs = tryParseDuration(input.ttl);
    if (ttlMs === undefined || ttlMs <= 0)
      throw new CredentialError(`ttl ${JSON.stringify(input.ttl)} is not a positive duration such as 15m`);
    if (ttlMs > this.#maxTtlMs)
      throw new CredentialError(`ttl ${input.ttl} is longer than the longest allowed; issue a shorter one`);
    const now = this.#clock();
    const id = randomUUID();
    const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
    const kind = input.kind ?? 'human';
    const groups = input.groups ?? [];
    this.#db
      .prepare(
        `INSERT INTO credentials (id, token_hash, subject, kind, groups, resource, issued_ms, expires_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        hashToken(token),
        input.subject,
        kind,
        JSON.stringify(groups),
        input.resource,
        now,
        now + ttlMs,
      );
    return {
      id,
      token,
      subject: input.subject,
      kind,
      groups: [...groups],
      resource: input.resource,
      issued_at: formatTime(new Date(now)),
      expires_at: formatTime(new Date(now + ttlMs)),
    };
  }

  /** The credential a token is, if it is unexpired and unrevoked; null otherwise. */
  verify(token: string): CredentialRecord | null {
    if (typeof token !== 'string' || !token.startsWith(PREFIX)) return null;
    const row = this.#db.prepare('SELECT * FROM credentials WHERE token_hash = ?').get(hashToken(token)) as
      | Row
      | undefined;
    return row && this.#live(row) ? toRecord(row) : null;
  }

  /** Whether the credential with this id is still usable: checked at every statement of a session. */
  isActive(id: string): boolean {
    const row = this.#db.prepare('SELECT * FROM credentials WHERE id = ?').get(id) as Row | undefined;
    return row !== undefined && this.#live(row);
  }

  /** Revokes one credential by id; false when there is no such credential. */
  revoke(id: string): boolean {
    const info = this.#db
      .prepare('UPDATE credentials SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL')
      .run(this.#clock(), id);
    if (info.changes === 0 && !this.#db.prepare('SELECT 1 FROM credentials WHERE id = ?').get(id))
      return false;
    return true;
  }

  /** Revokes every credential of a subject; returns how many were live. */
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
    ) as Row[];
    return rows.map(toRecord);
  }

  #live(row: Row): boolean {
    return row.revoked_ms === null && row.expires_ms > this.#clock();
  }
}
