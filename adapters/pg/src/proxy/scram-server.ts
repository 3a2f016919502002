/**
 * The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it toward
 * clients, checked against a stored secret in PostgreSQL's own format
 * (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, as in `pg_authid.rolpassword`),
 * so the proxy never holds a client's password. Over TLS, SCRAM-SHA-256-PLUS binds the
 * exchange to the proxy's certificate (`tls-server-end-point`), so a client that asks for it
 * knows no one in between relayed its proof.
 * https://www.postgresql.org/docs/current/sasl-authentication.html
 */

import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { CHANNEL_BINDING_TYPE } from '../protocol/channel-binding.js';
import { PgProtocolError } from '../protocol/protocol-error.js';
import { scramPassword } from '../upstream/scram-password.js';

export const SCRAM_MECHANISM = 'SCRAM-SHA-256';
export const SCRAM_PLUS_MECHANISM = 'SCRAM-SHA-256-PLUS';
const DEFAULT_ITERATIONS = 4096;

/** A parsed SCRAM secret. */
export interface ScramSecret {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (key: Uint8Array, data: string | Uint8Array) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

/**
 * A SCRAM-SHA-256 secret for `password` in PostgreSQL's format, to store in place of the
 * password (what `CREATE ROLE … PASSWORD` stores with password_encryption = scram-sha-256).
 */
export function createScramVerifier(
  password: string,
  options: { iterations?: number; salt?: Uint8Array } = {},
): string {
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  const salt = Buffer.from(options.salt ?? randomBytes(16));
  // The client hashes its password after SASLprep (libpq does): so is the secret made.
  const salted = pbkdf2Sync(scramPassword(password), salt, iterations, 32, 'sha256');
  const storedKey = sha256(hmac(salted, 'Client Key'));
  const serverKey = hmac(salted, 'Server Key');
  return `${SCRAM_MECHANISM}$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Parse a secret in PostgreSQL's format; undefined when it is not one. */
export function parseScramVerifier(verifier: string): ScramSecret | undefined {
  const m = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(verifier);
  if (!m) return undefined;
  const iterations = Number(m[1]);
  const storedKey = Buffer.from(m[3] as string, 'base64');
  const serverKey = Buffer.from(m[4] as string, 'base64');
  if (
    !Number.isSafeInteger(iterations) ||
    iterations < 1 ||
    storedKey.length !== 32 ||
    serverKey.length !== 32
  )
    return undefined;
  return { iterations, salt: Buffer.from(m[2] as string, 'base64'), storedKey, serverKey };
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    if (part.length < 2 || part[1] !== '=') continue;
    out.set(part[0] as string, part.slice(2));
  }
  return out;
}

export interface ScramServerExchange {
  /** Given the mechanism the client chose and its client-first-message, the server-first-message. */
  serverFirst(clientFirst: string, mechanism?: string): string;
  /**
   * Given client-final-message: the server-final-message when the proof is right, or
   * undefined when it is not (or the secret was a mock for an unknown user).
   */
  serverFinal(clientFinal: string): string | undefined;
}

/**
 * One exchange. `secret` undefined runs a mock exchange (a salt derived from `mockKey` and the
 * user name, as PostgreSQL does) that always fails at the end, so whether a user exists is
 * not revealed by how the exchange goes. `binding` is the `tls-server-end-point` data of this
 * connection's certificate when SCRAM-SHA-256-PLUS was offered (on TLS), else undefined.
 */
export function createScramServerExchange(
  secret: ScramSecret | undefined,
  mock: { key: Uint8Array; user: string },
  binding?: Buffer,
): ScramServerExchange {
  const real = secret ?? {
    iterations: DEFAULT_ITERATIONS,
    salt: hmac(mock.key, `salt:${mock.user}`).subarray(0, 16),
    storedKey: randomBytes(32),
    serverKey: randomBytes(32),
  };
  /** What the client must send back in `c=`: the gs2 header, then the binding data if it bound. */
  let expectedBinding = '';
  let clientFirstBare = '';
  let serverFirstMessage = '';
  let nonce = '';

  return {
    serverFirst(clientFirst, mechanism = SCRAM_MECHANISM) {
      // gs2-header: 'n' (no channel binding), 'y' (the client could bind but thinks we cannot),
      // or 'p=<type>' (it binds), RFC 5802 §7; then an optional authzid.
      const m = /^(n|y|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(clientFirst);
      if (!m) throw new PgProtocolError('malformed SCRAM client-first-message');
      const flag = m[1] as string;
      const plus = mechanism === SCRAM_PLUS_MECHANISM;
      if (flag.startsWith('p=')) {
        if (binding === undefined)
          throw new PgProtocolError('SCRAM channel binding was not offered by this server');
        if (!plus)
          throw new PgProtocolError(`${SCRAM_MECHANISM} was chosen, but the message carries channel binding`);
        if (flag !== `p=${CHANNEL_BINDING_TYPE}`)
          throw new PgProtocolError(
            `unsupported SCRAM channel-binding type ${JSON.stringify(flag.slice(2))}`,
          );
      } else if (plus) {
        throw new PgProtocolError(
          `${SCRAM_PLUS_MECHANISM} was chosen, but the message carries no channel binding`,
        );
      } else if (flag === 'y' && binding !== undefined) {
        // The client would have bound had it seen PLUS offered: someone in between removed it.
        throw new PgProtocolError(
          'SCRAM channel binding negotiation error: this server offered channel binding',
        );
      }
      const gs2Header = `${flag},${m[2] ?? ''},`;
      expectedBinding = Buffer.concat([
        Buffer.from(gs2Header),
        plus ? (binding as Buffer) : Buffer.alloc(0),
      ]).toString('base64');
      clientFirstBare = m[3] as string;
      const clientNonce = attributes(clientFirstBare).get('r');
      if (!clientNonce || !/^[\x21-\x2b\x2d-\x7e]+$/.test(clientNonce))
        throw new PgProtocolError('malformed SCRAM client nonce');
      nonce = clientNonce + randomBytes(18).toString('base64');
      serverFirstMessage = `r=${nonce},s=${real.salt.toString('base64')},i=${real.iterations}`;
      return serverFirstMessage;
    },
    serverFinal(clientFinal) {
      const proofAt = clientFinal.lastIndexOf(',p=');
      if (proofAt < 0) throw new PgProtocolError('malformed SCRAM client-final-message');
      const withoutProof = clientFinal.slice(0, proofAt);
      const attrs = attributes(withoutProof);
      if (attrs.get('c') !== expectedBinding)
        throw new PgProtocolError('SCRAM channel binding does not match');
      if (attrs.get('r') !== nonce) throw new PgProtocolError('SCRAM nonce does not match');
      const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
      if (proof.length !== 32 || secret === undefined) return undefined;
      const authMessage = `${clientFirstBare},${serverFirstMessage},${withoutProof}`;
      const clientSignature = hmac(real.storedKey, authMessage);
      const clientKey = Buffer.alloc(32);
      for (let i = 0; i < 32; i++) clientKey[i] = (proof[i] as number) ^ (clientSignature[i] as number);
      if (!timingSafeEqual(sha256(clientKey), real.storedKey)) return undefined;
      return `v=${hmac(real.serverKey, authMessage).toString('base64')}`;
    },
  };
}
