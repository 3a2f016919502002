/**
 * The client side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677) as
 * PostgreSQL uses them: the user name left empty because the server takes it from the
 * startup packet. The password is SASLprep-normalised first, as libpq does (see
 * scram-password.ts).
 *
 * Channel binding (RFC 5802 §6, type `tls-server-end-point`, RFC 5929): with PLUS the proof
 * covers a hash of the certificate the server presented on this TLS connection, so a proof
 * relayed by a man in the middle holding another certificate is refused by the server. The
 * gs2 header says which case holds: `p=tls-server-end-point` (bound), `y` (the client could
 * bind but the server did not offer PLUS; a server that did offer it refuses this, which
 * catches a mechanism list stripped in transit), `n` (no TLS, nothing to bind to).
 * https://www.postgresql.org/docs/current/sasl-authentication.html
 */

import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { CHANNEL_BINDING_TYPE } from '../protocol/channel-binding.js';
import type { SaltedPasswords } from './salted-passwords.js';
import { scramPassword } from './scram-password.js';
import { UpstreamError } from './upstream-error.js';

const pbkdf2Async = promisify(pbkdf2);

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const SCRAM_SHA_256_PLUS = 'SCRAM-SHA-256-PLUS';
/** An iteration count past this is a server trying to make us burn CPU. */
const MAX_ITERATIONS = 1_000_000;
export interface ScramClient {
  /** The mechanism to name in SASLInitialResponse. */
  readonly mechanism: typeof SCRAM_SHA_256 | typeof SCRAM_SHA_256_PLUS;
  /** client-first-message, for SASLInitialResponse. */
  readonly clientFirst: string;
  /** Given server-first-message, the client-final-message for SASLResponse. */
  respond(serverFirst: string): Promise<string>;
  /** Check server-final-message; throws UpstreamError when the server's signature is wrong. */
  verify(serverFinal: string): void;
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) continue;
    out.set(part.slice(0, 1), part.slice(2));
  }
  return out;
}

const hmac = (key: Uint8Array, data: string | Uint8Array) => createHmac('sha256', key).update(data).digest();

export interface ScramClientOptions {
  /** Client nonce; random unless a test pins it. */
  nonce?: string;
  /** User name in the SCRAM messages; PostgreSQL ignores it, so it defaults to empty. */
  user?: string;
  /**
   * The `tls-server-end-point` data of the connection's server certificate, to authenticate
   * with SCRAM-SHA-256-PLUS; or `'unoffered'` on a TLS connection whose server did not offer
   * PLUS (gs2 header `y`). Absent: no binding (`n`).
   */
  binding?: Buffer | 'unoffered';
  /** Where SaltedPassword is kept between logins; derived afresh each time without it. */
  saltedPasswords?: SaltedPasswords;
}

export function createScramClient(password: string, options: ScramClientOptions = {}): ScramClient {
  const nonce = options.nonce ?? randomBytes(18).toString('base64');
  // RFC 5802 5.1: '=' and ',' in the name are escaped.
  const user = (options.user ?? '').replaceAll('=', '=3D').replaceAll(',', '=2C');
  const clientFirstBare = `n=${user},r=${nonce}`;
  const { binding } = options;
  const bound = binding instanceof Buffer;
  const gs2Header = bound ? `p=${CHANNEL_BINDING_TYPE},,` : binding === 'unoffered' ? 'y,,' : 'n,,';
  // The c attribute: the gs2 header, then (bound) the binding data, base64.
  const channelBinding = (
    bound ? Buffer.concat([Buffer.from(gs2Header), binding]) : Buffer.from(gs2Header)
  ).toString('base64');
  let expectedServerSignature: Buffer | undefined;

  return {
    mechanism: bound ? SCRAM_SHA_256_PLUS : SCRAM_SHA_256,
    clientFirst: gs2Header + clientFirstBare,
    async respond(serverFirst) {
      const attrs = attributes(serverFirst);
      const serverNonce = attrs.get('r');
      const salt = attrs.get('s');
      const iterations = Number(attrs.get('i'));
      if (serverNonce === undefined || salt === undefined || !Number.isInteger(iterations)) {
        throw new UpstreamError('SCRAM: malformed server-first-message');
      }
      // 5.1: the server's nonce must extend ours, or this is a replay.
      if (!serverNonce.startsWith(nonce) || serverNonce.length === nonce.length) {
        throw new UpstreamError('SCRAM: server nonce does not extend the client nonce');
      }
      if (iterations < 1 || iterations > MAX_ITERATIONS) {
        throw new UpstreamError(`SCRAM: iteration count ${iterations} out of range`);
      }
      const prepared = scramPassword(password);
      const saltBytes = Buffer.from(salt, 'base64');
      const saltedPassword = options.saltedPasswords
        ? await options.saltedPasswords.derive(prepared, saltBytes, iterations)
        : await pbkdf2Async(prepared, saltBytes, iterations, 32, 'sha256');
      const clientKey = hmac(saltedPassword, 'Client Key');
      const storedKey = createHash('sha256').update(clientKey).digest();
      const clientFinalWithoutProof = `c=${channelBinding},r=${serverNonce}`;
      const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
      const clientSignature = hmac(storedKey, authMessage);
      const proof = Buffer.alloc(clientKey.length);
      for (let i = 0; i < proof.length; i++)
        proof[i] = (clientKey[i] as number) ^ (clientSignature[i] as number);
      expectedServerSignature = hmac(hmac(saltedPassword, 'Server Key'), authMessage);
      return `${clientFinalWithoutProof},p=${proof.toString('base64')}`;
    },
    verify(serverFinal) {
      const attrs = attributes(serverFinal);
      const error = attrs.get('e');
      if (error !== undefined) throw new UpstreamError(`SCRAM: server reported ${error}`);
      const v = attrs.get('v');
      const got = v === undefined ? undefined : Buffer.from(v, 'base64');
      if (
        expectedServerSignature === undefined ||
        got === undefined ||
        got.length !== expectedServerSignature.length ||
        !timingSafeEqual(got, expectedServerSignature)
      ) {
        throw new UpstreamError('SCRAM: the server signature does not match; not the server we know');
      }
    },
  };
}
