/**
 * JSON Web Tokens (`io.jwt.*`), on node:crypto only, following OPA's topdown/tokens.go:
 *
 * - `decode` splits and decodes a JWS compact token (nested `cty: JWT` tokens are unwrapped),
 *   returning `[header, payload, signature as hex]`; it verifies nothing.
 * - `verify_<alg>(token, key)` checks the signature only. HS* take the secret; the others a PEM
 *   certificate, a PEM public key, or a JWK / JWKS JSON string (a key's `kid` is preferred
 *   when the header names one; a key with an `alg` is only tried for that algorithm).
 * - `decode_verify(token, constraints)` checks the signature with the `cert` or `secret`
 *   constraint and the header's algorithm (so `alg: none`, or an algorithm that does not
 *   fit the key, never verifies), then `alg`, `iss`, `aud`, `exp` and `nbf` against the
 *   constraints and the `time` constraint (nanoseconds; now by default). Any failed check gives
 *   `[false, {}, {}]`; malformed tokens and constraints are errors.
 * - `encode_sign(headers, payload, jwk)` / `encode_sign_raw(text, text, text)` sign with the
 *   first key of a JWK or JWKS (HS*, RS*, PS*, ES*, EdDSA).
 */
import {
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
  timingSafeEqual,
  X509Certificate,
} from 'node:crypto';
import { BuiltinError, builtinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { type Json, type JsonObject, str, typeError } from './args.js';
import { base64UrlBytes, goJson } from './encoding.js';

const ALGORITHMS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'HS256',
  'HS384',
  'HS512',
  'EdDSA',
]);

interface Token {
  readonly header: string;
  readonly payload: string;
  readonly signature: string;
}

/** A failure inside a builtin: the builtin's name is added when it is raised. */
class JwtError extends Error {}

function splitToken(jwt: string): Token {
  if (!jwt.includes('.')) throw new JwtError('encoded JWT had no period separators');
  const parts = jwt.split('.');
  if (parts.length !== 3) throw new JwtError(`encoded JWT must have 3 sections, found ${parts.length}`);
  return { header: parts[0] ?? '', payload: parts[1] ?? '', signature: parts[2] ?? '' };
}

function b64(part: string, what?: string): Buffer {
  const r = base64UrlBytes(part);
  if (Buffer.isBuffer(r)) return r;
  throw new JwtError(what === undefined ? r.error : `JWT ${what} had invalid encoding: ${r.error}`);
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's json.Unmarshal of a JWT part into an object (the last duplicate key wins, as in Go). */
function jsonObject(text: string): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new JwtError(`invalid JSON: ${goJsonError(text, err)}`);
  }
  if (!isObject(v)) throw new JwtError('decoded JSON type was not an Object');
  return v;
}

/** Go's wording of a JSON syntax error, near enough for the messages OPA users match on. */
function goJsonError(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  if (text.trim() === '' || /end of JSON/i.test(message)) return 'unexpected end of JSON input';
  const at = /position (\d+)/.exec(message)?.[1];
  const ch = at === undefined ? /Unexpected token '?(.)/.exec(message)?.[1] : text[Number(at)];
  return ch === undefined ? 'unexpected end of JSON input' : `invalid character '${ch}' in JSON input`;
}

function decodeHeader(token: Token): JsonObject {
  const text = b64(token.header, 'header').toString('utf8');
  let header: JsonObject;
  try {
    header = jsonObject(text);
  } catch (err) {
    throw new JwtError(`bad JWT header: ${(err as Error).message}`);
  }
  if (Object.hasOwn(header, 'enc')) throw new JwtError('JWT is a JWE object, which is not supported');
  return header;
}

function decode(jwt: string): [JsonObject, JsonObject, string] {
  const token = splitToken(jwt);
  const header = decodeHeader(token);
  let payload = b64(token.payload, 'payload').toString('utf8');
  if (header.cty === 'JWT') {
    // A nested token is carried as a JSON string (jwt.io quotes it): strip the quotes.
    payload = payload.replace(/^["']+|["']+$/g, '');
    return decode(payload);
  }
  const claims = jsonObject(payload);
  const signature = b64(token.signature, 'signature').toString('hex');
  return [header, claims, signature];
}

// Keys.

interface VerificationKey {
  readonly key: KeyObject;
  readonly alg: string;
  readonly kid: string;
}

function jwkKey(jwk: JsonObject, priv: boolean): KeyObject {
  if (jwk.kty === 'oct') {
    if (typeof jwk.k !== 'string') throw new JwtError('failed to parse a JWK key: oct key has no "k"');
    const k = base64UrlBytes(jwk.k);
    if (!Buffer.isBuffer(k)) throw new JwtError(`failed to parse a JWK key: ${k.error}`);
    return createSecretKey(k);
  }
  const input = { key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' as const };
  return priv ? createPrivateKey(input) : createPublicKey(input);
}

/** The JWKs of a JWK or JWKS text. */
function jwkList(text: string): JsonObject[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new JwtError(`failed to parse a JWK key (set): ${goJsonError(text, err)}`);
  }
  if (!isObject(parsed)) throw new JwtError('failed to parse a JWK key (set): not a JSON object');
  if (Array.isArray(parsed.keys)) return parsed.keys.filter(isObject);
  return [parsed];
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?\r?\n?-----END \1-----/;

/** The public key(s) in a PEM certificate, a PEM public key, or a JWK / JWKS. */
function verificationKeys(text: string): VerificationKey[] {
  const pem = PEM_BLOCK.exec(text);
  if (pem !== null) {
    if (text.slice(pem.index + pem[0].length).trim() !== '') {
      throw new JwtError('extra data after a PEM certificate block');
    }
    if (pem[1] === 'CERTIFICATE') {
      try {
        return [{ key: new X509Certificate(pem[0]).publicKey, alg: '', kid: '' }];
      } catch (err) {
        throw new JwtError(`failed to parse a PEM certificate: ${(err as Error).message}`);
      }
    }
    if (pem[1] === 'PUBLIC KEY') {
      try {
        return [{ key: createPublicKey(pem[0]), alg: '', kid: '' }];
      } catch (err) {
        throw new JwtError(`failed to parse a PEM public key: ${(err as Error).message}`);
      }
    }
    throw new JwtError('failed to extract a Key from the PEM certificate');
  }
  if (text.includes('-----BEGIN')) throw new JwtError('failed to parse a PEM certificate');
  const keys: VerificationKey[] = [];
  for (const jwk of jwkList(text)) {
    const alg = typeof jwk.alg === 'string' ? jwk.alg : '';
    if (alg !== '' && !ALGORITHMS.has(alg)) continue;
    let key: KeyObject;
    try {
      key = jwkKey(jwk, false);
    } catch (err) {
      if (err instanceof JwtError) throw err;
      throw new JwtError(`failed to parse a JWK key (set): ${(err as Error).message}`);
    }
    keys.push({ key, alg, kid: typeof jwk.kid === 'string' ? jwk.kid : '' });
  }
  return keys;
}

// Signatures.

function hashOf(alg: string): string {
  return `sha${alg.slice(2)}`;
}

function keyIs(key: KeyObject, ...types: string[]): boolean {
  return types.includes(key.type === 'secret' ? 'secret' : (key.asymmetricKeyType ?? ''));
}

/** Whether `signature` signs `input` under `alg` with `key`; false for any mismatch. */
function verifySignature(alg: string, key: KeyObject, input: Buffer, signature: Buffer): boolean {
  try {
    const family = alg.slice(0, 2);
    if (family === 'HS' && ALGORITHMS.has(alg)) {
      if (key.type !== 'secret') return false;
      const mac = createHmac(hashOf(alg), key).update(input).digest();
      return mac.length === signature.length && timingSafeEqual(mac, signature);
    }
    if (key.type === 'secret') return false;
    switch (alg) {
      case 'RS256':
      case 'RS384':
      case 'RS512':
        return (
          keyIs(key, 'rsa') &&
          cryptoVerify(hashOf(alg), input, { key, padding: constants.RSA_PKCS1_PADDING }, signature)
        );
      case 'PS256':
      case 'PS384':
      case 'PS512':
        return (
          keyIs(key, 'rsa', 'rsa-pss') &&
          cryptoVerify(
            hashOf(alg),
            input,
            { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
            signature,
          )
        );
      case 'ES256':
      case 'ES384':
      case 'ES512':
        return (
          keyIs(key, 'ec') && cryptoVerify(hashOf(alg), input, { key, dsaEncoding: 'ieee-p1363' }, signature)
        );
      case 'EdDSA':
        return keyIs(key, 'ed25519', 'ed448') && cryptoVerify(null, input, key, signature);
      default:
        // Unknown algorithms, and `none`, never verify.
        return false;
    }
  } catch {
    return false;
  }
}

function signWith(alg: string, key: KeyObject, input: Buffer): Buffer {
  const family = alg.slice(0, 2);
  if (family === 'HS') {
    if (key.type !== 'secret')
      throw new JwtError(`invalid key type for ${alg}: a symmetric (oct) key is required`);
    return createHmac(hashOf(alg), key).update(input).digest();
  }
  if (key.type !== 'private') throw new JwtError(`invalid key type for ${alg}: a private key is required`);
  if (family === 'RS' && keyIs(key, 'rsa')) {
    return cryptoSign(hashOf(alg), input, { key, padding: constants.RSA_PKCS1_PADDING });
  }
  if (family === 'PS' && keyIs(key, 'rsa', 'rsa-pss')) {
    return cryptoSign(hashOf(alg), input, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  }
  if (family === 'ES' && keyIs(key, 'ec'))
    return cryptoSign(hashOf(alg), input, { key, dsaEncoding: 'ieee-p1363' });
  if (alg === 'EdDSA' && keyIs(key, 'ed25519', 'ed448')) return cryptoSign(null, input, key);
  throw new JwtError(`invalid key type for ${alg}`);
}

function signingInput(token: Token): Buffer {
  return Buffer.from(`${token.header}.${token.payload}`, 'utf8');
}

/** The `kid`-matching key when the header names one, else every key the algorithm allows. */
function verifyWithKeys(
  keys: readonly VerificationKey[],
  alg: string,
  kid: string,
  token: Token,
  sig: Buffer,
) {
  const input = signingInput(token);
  if (kid !== '') {
    const match = keys.find((k) => k.kid === kid);
    if (match !== undefined) return verifySignature(alg, match.key, input, sig);
  }
  return keys.some((k) => (k.alg === '' || k.alg === alg) && verifySignature(alg, k.key, input, sig));
}

function headerString(header: JsonObject, name: string): string {
  const v = header[name];
  if (v === undefined) return '';
  if (typeof v !== 'string') throw new JwtError(`${name}: must be a string`);
  return v;
}

/** RFC 7515: `alg` must be present, and no unknown header may be critical. */
function headerValid(header: JsonObject): boolean {
  if (headerString(header, 'alg') === '') return false;
  const crit = header.crit;
  if (crit === undefined) return true;
  if (!Array.isArray(crit)) throw new JwtError('crit: must be a list');
  if (crit.length === 0) throw new JwtError('crit: must be a nonempty list');
  const known = new Set(['alg', 'kid', 'typ', 'cty', 'crit']);
  return !Object.keys(header).some((k) => !known.has(k) && crit.includes(k));
}

/** `verify_<alg>` with a certificate, public key or JWKS. */
function verifyAsymmetric(name: string, alg: string): JsBuiltin {
  return (jwt, keyText) =>
    raise(name, () => {
      const token = splitToken(str(name, jwt, 1));
      const keys = verificationKeys(str(name, keyText, 2));
      const signature = b64(token.signature);
      const header = decodeHeader(token);
      return verifyWithKeys(keys, alg, headerString(header, 'kid'), token, signature);
    });
}

function verifyHmac(name: string, alg: string): JsBuiltin {
  return (jwt, secret) =>
    raise(name, () => {
      const token = splitToken(str(name, jwt, 1));
      const key = createSecretKey(Buffer.from(str(name, secret, 2), 'utf8'));
      return verifySignature(alg, key, signingInput(token), b64(token.signature));
    });
}

// decode_verify.

interface Constraints {
  keys?: VerificationKey[];
  secret: string;
  alg: string;
  iss: string;
  aud: string;
  time: number;
}

function constraintString(name: string, v: unknown): string {
  if (typeof v !== 'string') throw new JwtError(`${name} constraint: must be a string`);
  return v;
}

function constraintTime(v: unknown): number {
  if (typeof v !== 'number' && typeof v !== 'bigint')
    throw new JwtError('token time constraint: must be a number');
  const t = Number(v);
  if (t < 0) throw new JwtError('token time constraint: must not be negative');
  return t;
}

function parseConstraints(o: JsonObject): Constraints {
  const c: Constraints = { secret: '', alg: '', iss: '', aud: '', time: -1 };
  for (const name of Object.keys(o).sort()) {
    const v = o[name];
    switch (name) {
      case 'cert':
        c.keys = verificationKeys(constraintString('cert', v));
        break;
      case 'secret':
        c.secret = constraintString('secret', v);
        break;
      case 'alg':
      case 'iss':
      case 'aud':
        c[name] = constraintString(name, v);
        break;
      case 'time':
        c.time = constraintTime(v);
        break;
      default:
        throw new JwtError(`unknown token validation constraint: ${name}`);
    }
  }
  if (c.time === -1) c.time = Date.now() * 1e6;
  const keys = (c.keys === undefined ? 0 : 1) + (c.secret === '' ? 0 : 1);
  if (keys > 1) throw new JwtError('duplicate key constraints');
  if (keys < 1) throw new JwtError('no key constraint');
  return c;
}

function validAudience(c: Constraints, aud: Json): boolean {
  if (typeof aud === 'string') return aud === c.aud;
  return Array.isArray(aud) && aud.some((a) => typeof a === 'string' && a === c.aud);
}

const UNVERIFIED: Json = [false, {}, {}];

function decodeVerify(jwt: unknown, constraintsArg: unknown): Json {
  const name = 'io.jwt.decode_verify';
  return raise(name, () => {
    const text = str(name, jwt, 1);
    if (!isObject(constraintsArg)) throw typeError(name, 2, 'object', constraintsArg);
    const c = parseConstraints(constraintsArg);
    let current = text;
    let header: JsonObject;
    let payloadText: string;
    for (;;) {
      const token = splitToken(current);
      header = decodeHeader(token);
      if (!headerValid(header)) return UNVERIFIED;
      const alg = headerString(header, 'alg');
      const kid = headerString(header, 'kid');
      const cty = headerString(header, 'cty');
      if (c.alg !== '' && c.alg !== alg) return UNVERIFIED;
      const signature = b64(token.signature);
      const verified =
        c.keys !== undefined
          ? verifyWithKeys(c.keys, alg, kid, token, signature)
          : verifySignature(
              alg,
              createSecretKey(Buffer.from(c.secret, 'utf8')),
              signingInput(token),
              signature,
            );
      if (!verified) return UNVERIFIED;
      payloadText = b64(token.payload, 'payload').toString('utf8');
      if (cty.toLowerCase() !== 'jwt') break;
      current = payloadText;
    }
    const payload = jsonObject(payloadText);
    if (c.iss !== '' && payload.iss !== c.iss) return UNVERIFIED;
    if (payload.aud !== undefined) {
      if (!validAudience(c, payload.aud)) return UNVERIFIED;
    } else if (c.aud !== '') {
      return UNVERIFIED;
    }
    const now = c.time / 1e9;
    if (payload.exp !== undefined) {
      if (typeof payload.exp !== 'number') throw new JwtError('exp value must be a number');
      if (now >= payload.exp) return UNVERIFIED;
    }
    if (payload.nbf !== undefined) {
      if (typeof payload.nbf !== 'number') throw new JwtError('nbf value must be a number');
      if (now < payload.nbf) return UNVERIFIED;
    }
    return [true, header, payload];
  });
}

// encode_sign.

function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function encodeSign(headerText: string, payloadText: string, jwkText: string): string {
  const jwks = jwkList(jwkText);
  const first = jwks[0];
  if (first === undefined) throw new JwtError('no keys found in JWK set');
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (err) {
    throw new JwtError(goJsonError(headerText, err));
  }
  if (!isObject(header)) throw new JwtError('JWT header is not a JSON object');
  const alg = header.alg;
  if (alg === undefined || alg === '') throw new JwtError('unsupported signature algorithm ""');
  if (typeof alg !== 'string' || !ALGORITHMS.has(alg)) {
    throw new JwtError(`unknown signature algorithm ${JSON.stringify(alg)}`);
  }
  const typ = header.typ;
  if ((typ === undefined || typ === 'JWT') && !isValidJson(payloadText)) {
    throw new JwtError('type is JWT but payload is not JSON');
  }
  let key: KeyObject;
  try {
    key = jwkKey(first, true);
  } catch (err) {
    if (err instanceof JwtError) throw err;
    throw new JwtError(`failed to parse the JWK: ${(err as Error).message}`);
  }
  const input = `${Buffer.from(headerText, 'utf8').toString('base64url')}.${Buffer.from(payloadText, 'utf8').toString('base64url')}`;
  return `${input}.${signWith(alg, key, Buffer.from(input, 'utf8')).toString('base64url')}`;
}

function jsonText(name: string, v: unknown, pos: number): string {
  if (typeof v === 'string') return v;
  if (!isObject(v)) throw typeError(name, pos, 'one of {object, string}', v);
  return goJson(v);
}

/** Runs a builtin body, turning its failures into OPA's `eval_builtin_error`. */
function raise<T>(name: string, body: () => T): T {
  try {
    return body();
  } catch (err) {
    if (err instanceof BuiltinError) throw err;
    if (err instanceof JwtError) throw builtinError(name, err.message);
    throw builtinError(name, err instanceof Error ? err.message : String(err), err);
  }
}

const verifiers: [string, JsBuiltin][] = [];
for (const bits of ['256', '384', '512']) {
  for (const family of ['rs', 'ps', 'es']) {
    const name = `io.jwt.verify_${family}${bits}`;
    verifiers.push([name, verifyAsymmetric(name, `${family.toUpperCase()}${bits}`)]);
  }
  const name = `io.jwt.verify_hs${bits}`;
  verifiers.push([name, verifyHmac(name, `HS${bits}`)]);
}

export const JWT_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['io.jwt.decode', (jwt) => raise('io.jwt.decode', () => decode(str('io.jwt.decode', jwt, 1)))],
  ['io.jwt.decode_verify', decodeVerify],
  [
    'io.jwt.encode_sign',
    (headers, payload, key) => {
      const name = 'io.jwt.encode_sign';
      const h = jsonText(name, headers, 1);
      const p = jsonText(name, payload, 2);
      const k = jsonText(name, key, 3);
      return raise(name, () => encodeSign(h, p, k));
    },
  ],
  [
    'io.jwt.encode_sign_raw',
    (headers, payload, key) => {
      const name = 'io.jwt.encode_sign_raw';
      const k = str(name, key, 3);
      const h = str(name, headers, 1);
      const p = str(name, payload, 2);
      return raise(name, () => encodeSign(h, p, k));
    },
  ],
  ...verifiers,
]);
