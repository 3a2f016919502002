/**
 * OPA bundle signatures (`.signatures.json`), verified before a bundle is loaded and written
 * by `portcullis build --signing-key`. The format is OPA's: one JWS whose payload lists every
 * file of the bundle with a hex digest, so a bundle signed by `opa build --signing-key` loads
 * here and one signed here loads in OPA.
 *
 * Structured files (data.json, .manifest) are hashed over a canonical form (keys sorted by
 * bytes, no whitespace, number literals as written) so re-serialising them does not break the
 * signature; everything else is hashed as bytes.
 * https://www.openpolicyagent.org/docs/management-bundles#signing
 */
import { createHash, createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readTar, type TarEntry } from '@portcullis/rego';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { BundleSignatureError } from '../errors.js';

export const SIGNATURES_FILE = '.signatures.json';

/** OPA's names for the digests; the weak ones it also accepts (MD5, SHA-1) are refused here. */
const HASHES: Readonly<Record<string, string>> = {
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA-512-224': 'sha512-224',
  'SHA-512-256': 'sha512-256',
};

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const SYMMETRIC = ['HS256', 'HS384', 'HS512'];
export const SIGNING_ALGORITHMS: readonly string[] = [...ASYMMETRIC, ...SYMMETRIC];

export interface VerificationKey {
  algorithm: string;
  /** A PEM public key or certificate for RS/PS/ES/EdDSA, the shared secret for HS. */
  key: string;
}

export interface BundleVerification {
  keys: Readonly<Record<string, VerificationKey>>;
  /** The key to verify with; otherwise the token's `kid` header, then its `keyid` claim. */
  keyId?: string;
  /** Must equal the token's `scope` claim (both may be absent). */
  scope?: string;
}

interface SignedFile {
  name: string;
  hash: string;
  algorithm: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Bundle-relative name, as both OPA's tar paths (`/data.json`) and its signatures (`data.json`) appear. */
const normalise = (path: string): string => path.replace(/^(?:\.?\/)+/, '');

const isStructured = (name: string): boolean => {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return base === 'data.json' || base === '.manifest' || base === 'data.yaml' || base === 'data.yml';
};

/** Digest of one file as OPA computes it (hex). */
export function fileDigest(name: string, data: Uint8Array, algorithm: string): string {
  const hash = HASHES[algorithm];
  if (hash === undefined)
    throw new BundleSignatureError(`${name}: unsupported digest algorithm ${algorithm}`);
  const h = createHash(hash);
  if (!isStructured(name)) return h.update(data).digest('hex');
  if (!name.endsWith('.json') && !name.endsWith('.manifest'))
    throw new BundleSignatureError(`${name}: YAML data files cannot be verified; ship data.json`);
  let text: string;
  try {
    text = decoder.decode(data);
  } catch {
    throw new BundleSignatureError(`${name}: not UTF-8`);
  }
  return h.update(canonicalJson(text, name)).digest('hex');
}

/**
 * `text` re-written the way OPA hashes a structured file: objects with keys sorted by their
 * UTF-8 bytes, `:` and `,` without spaces, numbers exactly as written, strings escaped as
 * Go's encoding/json does with HTML escaping off.
 */
export function canonicalJson(text: string, name = 'document'): string {
  const value = parseKeepingNumbers(text, name);
  const parts: string[] = [];
  write(value, parts);
  return parts.join('');
}

type Json = null | boolean | string | { number: string } | Json[] | Map<string, Json>;

function parseKeepingNumbers(text: string, name: string): Json {
  let i = 0;
  const fail = (what: string): never => {
    throw new BundleSignatureError(`${name}: not valid JSON (${what} at offset ${i})`);
  };
  const space = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const value = (depth: number): Json => {
    if (depth > 512) fail('nesting too deep');
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      const map = new Map<string, Json>();
      space();
      if (text[i] === '}') {
        i++;
        return map;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail('expected a key');
        const key = string();
        space();
        if (text[i] !== ':') fail('expected :');
        i++;
        // Later duplicates win, as in Go's decoder; the key keeps its sorted place.
        map.set(key, value(depth + 1));
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return map;
        }
        fail('expected , or }');
      }
    }
    if (c === '[') {
      i++;
      const list: Json[] = [];
      space();
      if (text[i] === ']') {
        i++;
        return list;
      }
      for (;;) {
        list.push(value(depth + 1));
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return list;
        }
        fail('expected , or ]');
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = i;
    const num = m.exec(text);
    if (!num) return fail('unexpected character');
    i += num[0].length;
    return { number: num[0] };
  };
  const string = (): string => {
    const start = i;
    const re = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
    re.lastIndex = start;
    const m = re.exec(text);
    if (!m) return fail('bad string');
    i += m[0].length;
    return JSON.parse(m[0]) as string;
  };
  const out = value(0);
  space();
  if (i !== text.length) fail('trailing characters');
  return out;
}

const HEX = '0123456789abcdef';

function goString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c < 0x20) {
      if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else if (ch === '\b') out += '\\b';
      else if (ch === '\f') out += '\\f';
      else out += `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    } else if (c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16)}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\ufffd';
    else out += ch;
  }
  return `${out}"`;
}

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

function write(v: Json, out: string[]): void {
  if (v === null) out.push('null');
  else if (typeof v === 'boolean') out.push(v ? 'true' : 'false');
  else if (typeof v === 'string') out.push(goString(v));
  else if (Array.isArray(v)) {
    out.push('[');
    v.forEach((e, n) => {
      if (n > 0) out.push(',');
      write(e, out);
    });
    out.push(']');
  } else if (v instanceof Map) {
    out.push('{');
    [...v.keys()].sort(byBytes).forEach((k, n) => {
      if (n > 0) out.push(',');
      out.push(goString(k), ':');
      write(v.get(k)!, out);
    });
    out.push('}');
  } else out.push(v.number);
}

function verificationKey(k: VerificationKey): KeyObject | Uint8Array {
  if (SYMMETRIC.includes(k.algorithm)) return createSecretKey(encoder.encode(k.key));
  // A certificate or an SPKI public key; createPublicKey takes either PEM.
  return createPublicKey(k.key);
}

function parseSignatures(entry: TarEntry): string {
  let doc: unknown;
  try {
    doc = JSON.parse(decoder.decode(entry.data));
  } catch {
    throw new BundleSignatureError(`${SIGNATURES_FILE} is not valid JSON`);
  }
  const list = (doc as { signatures?: unknown } | null)?.signatures;
  if (!Array.isArray(list) || list.length !== 1 || typeof list[0] !== 'string')
    throw new BundleSignatureError(`${SIGNATURES_FILE} must hold exactly one signature (a JWS)`);
  return list[0];
}

function signedFiles(payload: Record<string, unknown>): Map<string, SignedFile> {
  const files = payload.files;
  if (!Array.isArray(files)) throw new BundleSignatureError('the signature lists no files');
  const out = new Map<string, SignedFile>();
  for (const f of files) {
    const { name, hash, algorithm } = (f ?? {}) as Partial<SignedFile>;
    if (typeof name !== 'string' || typeof hash !== 'string' || typeof algorithm !== 'string')
      throw new BundleSignatureError('a file in the signature lacks name, hash or algorithm');
    const key = normalise(name);
    if (out.has(key)) throw new BundleSignatureError(`the signature lists ${key} twice`);
    out.set(key, { name: key, hash: hash.toLowerCase(), algorithm });
  }
  return out;
}

/**
 * Throws BundleSignatureError unless the bundle carries a signature made with a configured key
 * over exactly its files: every file listed, every listed file present, every digest equal.
 * A bundle without `.signatures.json` is refused.
 */
export async function verifyBundleSignature(archive: Uint8Array, v: BundleVerification): Promise<void> {
  let entries: TarEntry[];
  try {
    entries = readTar(archive);
  } catch (err) {
    throw new BundleSignatureError(`not a readable bundle archive: ${(err as Error).message}`);
  }
  const files = new Map<string, TarEntry>();
  let signatures: TarEntry | undefined;
  for (const entry of entries) {
    const name = normalise(entry.path);
    if (name === SIGNATURES_FILE) {
      if (signatures) throw new BundleSignatureError(`the bundle holds ${SIGNATURES_FILE} twice`);
      signatures = entry;
    } else if (files.has(name)) throw new BundleSignatureError(`the bundle holds ${name} twice`);
    else files.set(name, entry);
  }
  if (!signatures) throw new BundleSignatureError(`the bundle is not signed (no ${SIGNATURES_FILE})`);
  const token = parseSignatures(signatures);

  let header: ReturnType<typeof decodeProtectedHeader>;
  let claimed: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
    const body = token.split('.')[1] ?? '';
    claimed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new BundleSignatureError('the signature is not a JWS in compact form');
  }
  const keyId =
    v.keyId ?? (typeof header.kid === 'string' ? header.kid : undefined) ?? (claimed.keyid as string);
  if (typeof keyId !== 'string' || keyId === '')
    throw new BundleSignatureError('the signature names no key (kid), and no key id is configured');
  const key = Object.hasOwn(v.keys, keyId) ? v.keys[keyId] : undefined;
  if (!key) throw new BundleSignatureError(`the signature's key ${JSON.stringify(keyId)} is not configured`);

  let payload: Record<string, unknown>;
  try {
    const verified = await compactVerify(token, verificationKey(key), { algorithms: [key.algorithm] });
    payload = JSON.parse(Buffer.from(verified.payload).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new BundleSignatureError(
      `the signature does not verify with key ${JSON.stringify(keyId)} (${key.algorithm}): ${(err as Error).message}`,
    );
  }
  const scope = payload.scope === undefined ? undefined : String(payload.scope);
  if ((v.scope ?? undefined) !== scope)
    throw new BundleSignatureError(
      `scope mismatch: the signature has ${JSON.stringify(scope ?? '')}, ${JSON.stringify(v.scope ?? '')} is configured`,
    );

  const listed = signedFiles(payload);
  for (const [name, entry] of files) {
    const signed = listed.get(name);
    if (!signed) throw new BundleSignatureError(`${name} is in the bundle but not in its signature`);
    if (fileDigest(name, entry.data, signed.algorithm) !== signed.hash)
      throw new BundleSignatureError(`${name}: digest mismatch`);
    listed.delete(name);
  }
  if (listed.size > 0)
    throw new BundleSignatureError(
      `the signature lists files the bundle does not hold: ${[...listed.keys()].join(', ')}`,
    );
}

export interface SigningOptions {
  /** PEM private key (PKCS#8, or PKCS#1 / SEC1) for RS/PS/ES/EdDSA; the shared secret for HS. */
  key: string;
  algorithm: string;
  keyId?: string;
  scope?: string;
  /** Digest for the file list; SHA-256 by default, as OPA's. */
  digest?: string;
}

/** The `.signatures.json` text for these bundle files (names as they are in the tar). */
export async function signBundleFiles(
  files: readonly { name: string; data: Uint8Array }[],
  options: SigningOptions,
): Promise<string> {
  if (!SIGNING_ALGORITHMS.includes(options.algorithm))
    throw new BundleSignatureError(`unsupported signing algorithm ${options.algorithm}`);
  const digest = options.digest ?? 'SHA-256';
  const payload = {
    files: files.map((f) => ({
      name: normalise(f.name),
      hash: fileDigest(normalise(f.name), f.data, digest),
      algorithm: digest,
    })),
    ...(options.keyId !== undefined ? { keyid: options.keyId } : {}),
    ...(options.scope !== undefined ? { scope: options.scope } : {}),
  };
  const key = SYMMETRIC.includes(options.algorithm)
    ? createSecretKey(encoder.encode(options.key))
    : createPrivateKey(options.key);
  const token = await new CompactSign(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader({
      alg: options.algorithm,
      ...(options.keyId !== undefined ? { kid: options.keyId } : {}),
    })
    .sign(key);
  return JSON.stringify({ signatures: [token] });
}
