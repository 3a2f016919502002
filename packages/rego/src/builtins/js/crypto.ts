/** Digests and HMACs (hex output over the UTF-8 bytes, as OPA computes them). */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { JsBuiltin } from '../builtin-types.js';
import { str } from './args.js';

const digest =
  (name: string, alg: string): JsBuiltin =>
  (x) =>
    createHash(alg)
      .update(str(name, x, 1), 'utf8')
      .digest('hex');

const hmac =
  (name: string, alg: string): JsBuiltin =>
  (x, key) =>
    createHmac(alg, Buffer.from(str(name, key, 2), 'utf8'))
      .update(str(name, x, 1), 'utf8')
      .digest('hex');

/** Constant time for equal lengths, as Go's hmac.Equal. */
function hmacEqual(a: unknown, b: unknown): boolean {
  const x = Buffer.from(str('crypto.hmac.equal', a, 1), 'utf8');
  const y = Buffer.from(str('crypto.hmac.equal', b, 2), 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export const CRYPTO_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['crypto.md5', digest('crypto.md5', 'md5')],
  ['crypto.sha1', digest('crypto.sha1', 'sha1')],
  ['crypto.sha256', digest('crypto.sha256', 'sha256')],
  ['crypto.hmac.md5', hmac('crypto.hmac.md5', 'md5')],
  ['crypto.hmac.sha1', hmac('crypto.hmac.sha1', 'sha1')],
  ['crypto.hmac.sha256', hmac('crypto.hmac.sha256', 'sha256')],
  ['crypto.hmac.sha512', hmac('crypto.hmac.sha512', 'sha512')],
  ['crypto.hmac.equal', hmacEqual],
]);
