/**
 * The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses it: no channel
 * binding (gs2 header `n,,`), the user name left empty because the server takes it from the
 * startup packet. The password is SASLprep-normalised first, as libpq does (see
 * scram-password.ts).
 */

import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { scramPassword } from './scram-password.js';
import { UpstreamError } from './upstream-error.js';

const pbkdf2Async = promisify(pbkdf2);

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
/** An iteration count past this is a server trying to make us burn CPU. */
const MAX_ITERATIONS = 1_000_000;
const GS2_HEADER = 'n,,';

export interface ScramClient {
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
}

export function createScramClient(password: string, options: ScramClientOptions = {}): ScramClient {
  const nonce = options.nonce ?? randomBytes(18).toString('base64');
  // RFC 5802 5.1: '=' and ',' in the name are escaped.
  const user = (options.user ?? '').replaceAll('=', '=3D').replaceAll(',', '=2C');
  const clientFirstBare = `n=${user},r=${nonce}`;
  let expectedServerSignature: Buffer | undefined;

  return {
    clientFirst: GS2_HEADER + clientFirstBare,
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
      const saltedPassword = await pbkdf2Async(
        scramPassword(password),
        Buffer.from(salt, 'base64'),
        iterations,
        32,
        'sha256',
      );
      const clientKey = hmac(saltedPassword, 'Client Key');
      const storedKey = createHash('sha256').update(clientKey).digest();
      const clientFinalWithoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${serverNonce}`;
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
