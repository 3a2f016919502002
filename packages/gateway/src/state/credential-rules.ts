import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { formatTime, InvalidOptionError, tryParseDuration } from '@portcullis/core';
import { CredentialError } from '../errors.js';

/**
 * What a gateway credential is, independent of where it is stored: the shape of the record,
 * how a token is made and hashed, which inputs are refused, when a credential is live. The
 * SQLite and PostgreSQL credential stores both build on this, so they agree on every rule.
 */

export interface IssueCredentialInput {
  subject: string;
  kind?: 'human' | 'agent';
  groups?: string[];
  resource: string;
  /** Go-style duration, at most the store's `maxTtl`. */
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

/**
 * A credential store as the gateway uses it, whichever database is behind it: async, since
 * the shared PostgreSQL store is. (The SQLite `CredentialStore` also answers synchronously,
 * for the CLI; `asyncCredentials` adapts it.)
 */
export interface Credentials {
  issue(input: IssueCredentialInput): Promise<IssuedCredential>;
  /** The credential a token is, if it is unexpired and unrevoked; null otherwise. */
  verify(token: string): Promise<CredentialRecord | null>;
  /** Whether the credential with this id is still usable: checked at every statement of a session. */
  isActive(id: string): Promise<boolean>;
  /**
   * `isActive` answered synchronously, where the store can read its state on this thread
   * (SQLite): it lets a session reuse its earlier decisions without a turn of the event loop.
   */
  isActiveNow?(id: string): boolean;
  /** Revokes one credential by id; false when there is no such credential. */
  revoke(id: string): Promise<boolean>;
  /** Revokes every credential of a subject; returns how many were live. */
  revokeSubject(subject: string): Promise<number>;
  list(filter?: { subject?: string }): Promise<CredentialRecord[]>;
}

/** A stored credential, as both stores keep it (times in ms since the epoch). */
export interface CredentialRow {
  id: string;
  subject: string;
  kind: 'human' | 'agent';
  groups: string[];
  resource: string;
  issued_ms: number;
  expires_ms: number;
  revoked_ms: number | null;
}

export const TOKEN_PREFIX = 'pcc_';

// The token carries 256 random bits, so an unsalted SHA-256 is enough to make the stored
// hash useless to whoever reads the database, and lets verify() look it up by index.
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Whether a string could be a credential token at all (cheap, before any lookup). */
export const looksLikeToken = (token: unknown): token is string =>
  typeof token === 'string' && token.startsWith(TOKEN_PREFIX);

/** The longest ttl option, validated. */
export function maxTtlMs(text: string | undefined): number {
  const max = tryParseDuration(text ?? '12h');
  if (max === undefined || max <= 0)
    throw new InvalidOptionError('maxTtl', 'must be a positive duration such as 12h');
  return max;
}

/** Checks an issue request and makes the new credential: its row (to store) and its token (to show once). */
export function newCredential(
  input: IssueCredentialInput,
  nowMs: number,
  maxMs: number,
): { row: CredentialRow; token: string; tokenHash: string } {
  if (typeof input?.subject !== 'string' || input.subject === '')
    throw new CredentialError('a credential needs a subject');
  if (typeof input.resource !== 'string' || input.resource === '')
    throw new CredentialError('a credential needs a resource');
  const ttlMs = typeof input.ttl === 'string' ? tryParseDuration(input.ttl) : undefined;
  if (ttlMs === undefined || ttlMs <= 0)
    throw new CredentialError(`ttl ${JSON.stringify(input.ttl)} is not a positive duration such as 15m`);
  if (ttlMs > maxMs)
    throw new CredentialError(`ttl ${input.ttl} is longer than the longest allowed; issue a shorter one`);
  const kind = input.kind ?? 'human';
  if (kind !== 'human' && kind !== 'agent')
    throw new CredentialError(`kind ${JSON.stringify(kind)} is not human or agent`);
  const groups = input.groups ?? [];
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string'))
    throw new CredentialError('groups must be a list of strings');
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return {
    token,
    tokenHash: hashToken(token),
    row: {
      id: randomUUID(),
      subject: input.subject,
      kind,
      groups: [...groups],
      resource: input.resource,
      issued_ms: nowMs,
      expires_ms: nowMs + ttlMs,
      revoked_ms: null,
    },
  };
}

export function isLive(row: CredentialRow, nowMs: number): boolean {
  return row.revoked_ms === null && row.expires_ms > nowMs;
}

export function toCredentialRecord(row: CredentialRow): CredentialRecord {
  const record: CredentialRecord = {
    id: row.id,
    subject: row.subject,
    kind: row.kind,
    groups: [...row.groups],
    resource: row.resource,
    issued_at: formatTime(new Date(row.issued_ms)),
    expires_at: formatTime(new Date(row.expires_ms)),
  };
  if (row.revoked_ms !== null) record.revoked_at = formatTime(new Date(row.revoked_ms));
  return record;
}
