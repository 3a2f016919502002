/**
 * Encodings: base64 (standard and URL), hex, JSON, YAML and URL query strings, each with
 * the strictness of the Go decoder OPA uses.
 */
import { parseAllDocuments, stringify as yamlStringify } from 'yaml';
import { BuiltinError, builtinError } from '../builtin-error.js';
import type { JsBuiltin } from '../builtin-types.js';
import { type Json, object, setOwn, str, typeError } from './args.js';
import { compareStrings } from './value.js';

const STD = /^[A-Za-z0-9+/]*$/;
const URL = /^[A-Za-z0-9_-]*$/;

/**
 * Go's base64.Encoding.DecodeString with padding required (StdEncoding / URLEncoding):
 * newlines are skipped, everything else must be exact. Returns the bytes, or the offset of
 * the first bad byte.
 */
function decodeBase64(input: string, alphabet: RegExp): Buffer | number {
  const s = input.replace(/[\r\n]/g, '');
  if (s.length % 4 !== 0) return s.length - (s.length % 4);
  const body = s.replace(/={1,2}$/, '');
  if (!alphabet.test(body)) {
    for (let i = 0; i < body.length; i++) if (!alphabet.test(body[i]!)) return i;
  }
  if (s.length - body.length > 0 && body.length % 4 < 2) return body.length;
  return Buffer.from(body, alphabet === STD ? 'base64' : 'base64url');
}

function bytesToString(b: Buffer): string {
  return b.toString('utf8');
}

function base64Decode(x: unknown): string {
  const s = str('base64.decode', x, 1);
  const r = decodeBase64(s, STD);
  if (typeof r === 'number') throw builtinError('base64.decode', `illegal base64 data at input byte ${r}`);
  return bytesToString(r);
}

/**
 * `base64url.decode`'s bytes, padding optional (RFC 7515 appendix C: encoders may drop it, so
 * it is restored as OPA does). Returns the reason, worded as OPA's, when the text is invalid.
 */
export function base64UrlBytes(input: string): Buffer | { readonly error: string } {
  let s = input;
  if (!s.endsWith('=')) {
    const rem = s.length % 4;
    if (rem === 2) s += '==';
    else if (rem === 3) s += '=';
    else if (rem === 1) return { error: `illegal base64url string: ${s}` };
  }
  const r = decodeBase64(s, URL);
  if (typeof r === 'number') return { error: `illegal base64 data at input byte ${r}` };
  return r;
}

function base64urlDecode(x: unknown): string {
  const r = base64UrlBytes(str('base64url.decode', x, 1));
  if (!Buffer.isBuffer(r)) throw builtinError('base64url.decode', r.error);
  return bytesToString(r);
}

function hexDecode(x: unknown): string {
  const s = str('hex.decode', x, 1);
  for (let i = 0; i < s.length; i++) {
    if (!/[0-9a-fA-F]/.test(s[i]!)) {
      const cp = s.codePointAt(i)!;
      const u = cp.toString(16).toUpperCase().padStart(4, '0');
      throw builtinError('hex.decode', `encoding/hex: invalid byte: U+${u} ${goRuneQuote(cp)}`);
    }
  }
  if (s.length % 2 !== 0) throw builtinError('hex.decode', 'encoding/hex: odd length hex string');
  return bytesToString(Buffer.from(s, 'hex'));
}

function goRuneQuote(cp: number): string {
  const ch = String.fromCodePoint(cp);
  return cp >= 0x20 && cp < 0x7f
    ? `'${ch === "'" ? "\\'" : ch}'`
    : `'\\u${cp.toString(16).padStart(4, '0')}'`;
}

/** Go's json.Marshal: sorted keys, and <, >, &, U+2028, U+2029 escaped. */
export function goJson(v: Json, indent?: { prefix: string; indent: string }): string {
  const quote = (s: string) =>
    JSON.stringify(s).replace(
      /[<>&\u2028\u2029]/g,
      (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
    );
  const walk = (x: Json, depth: number): string => {
    if (x === null) return 'null';
    if (typeof x === 'string') return quote(x);
    if (typeof x === 'bigint') return x.toString();
    if (typeof x === 'number' || typeof x === 'boolean') return JSON.stringify(x);
    const nl = indent === undefined ? '' : '\n' + indent.prefix + indent.indent.repeat(depth + 1);
    const end = indent === undefined ? '' : '\n' + indent.prefix + indent.indent.repeat(depth);
    const colon = indent === undefined ? ':' : ': ';
    if (Array.isArray(x)) {
      if (x.length === 0) return '[]';
      return '[' + x.map((e) => nl + walk(e, depth + 1)).join(',') + end + ']';
    }
    const keys = Object.keys(x).sort(compareStrings);
    if (keys.length === 0) return '{}';
    return '{' + keys.map((k) => nl + quote(k) + colon + walk(x[k]!, depth + 1)).join(',') + end + '}';
  };
  return walk(v, 0);
}

function marshalWithOptions(v: unknown, opts: unknown): string {
  const o = object('json.marshal_with_options', opts, 2);
  let pretty: boolean | undefined;
  let prefix = '';
  let indent = '\t';
  let customized = false;
  for (const [k, val] of Object.entries(o)) {
    if (k === 'pretty') {
      if (typeof val !== 'boolean')
        throw builtinError('json.marshal_with_options', 'pretty must be a boolean');
      pretty = val;
    } else if (k === 'prefix' || k === 'indent') {
      if (typeof val !== 'string') throw builtinError('json.marshal_with_options', `${k} must be a string`);
      if (k === 'prefix') prefix = val;
      else indent = val;
      customized = true;
    } else {
      throw new BuiltinError(
        'json.marshal_with_options',
        'eval_type_error',
        `object contained unknown key ${JSON.stringify(k)}`,
      );
    }
  }
  // OPA: prefix or indent imply pretty unless pretty is explicitly false.
  const usePretty = pretty ?? customized;
  if (!usePretty) return goJson(v as Json);
  return prefix + goJson(v as Json, { prefix, indent });
}

function jsonUnmarshal(x: unknown): Json {
  const s = str('json.unmarshal', x, 1);
  try {
    return JSON.parse(s) as Json;
  } catch (err) {
    throw builtinError('json.unmarshal', (err as Error).message, err);
  }
}

function isValidJson(x: unknown): boolean {
  if (typeof x !== 'string') return false;
  try {
    JSON.parse(x);
    return true;
  } catch {
    return false;
  }
}

/** First YAML document as JSON, YAML 1.1 rules (yes/no booleans) as Go's yaml.v2 reads them. */
function yamlParse(s: string): Json {
  const docs = parseAllDocuments(s, { version: '1.1', uniqueKeys: true });
  if (!Array.isArray(docs)) return null;
  const doc = docs[0];
  if (doc === undefined) return null;
  if (doc.errors.length > 0) throw doc.errors[0];
  return (doc.toJS({ maxAliasCount: 100 }) ?? null) as Json;
}

function yamlUnmarshal(x: unknown): Json {
  const s = str('yaml.unmarshal', x, 1);
  try {
    return normalizeYaml(yamlParse(s));
  } catch (err) {
    if (err instanceof BuiltinError) throw err;
    throw builtinError('yaml.unmarshal', (err as Error).message, err);
  }
}

/** YAML can produce values JSON can't carry (dates, non-string keys); bring them to JSON. */
function normalizeYaml(v: unknown): Json {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(normalizeYaml);
  if (v instanceof Map) {
    const out: Record<string, Json> = {};
    for (const [k, x] of v) setOwn(out, String(k), normalizeYaml(x));
    return out;
  }
  if (v instanceof Set) return [...v].map(normalizeYaml);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(v)) setOwn(out, k, normalizeYaml(x));
    return out;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('non-finite number in YAML');
  return v as Json;
}

function yamlMarshal(v: unknown): string {
  // Go's yaml.v2 style: sorted keys, sequences not indented under their key.
  return yamlStringify(v, { sortMapEntries: true, indentSeq: false, lineWidth: 0 });
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Go's url.QueryUnescape; a bad escape is returned for the caller to word the error. */
export function queryUnescape(s: string): string | { bad: string } {
  const bytes: number[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return { bad: s.slice(i, i + 3) };
      bytes.push(Number.parseInt(h, 16));
      i += 3;
      continue;
    }
    const ch = String.fromCodePoint(s.codePointAt(i)!);
    if (ch === '+') bytes.push(0x20);
    else bytes.push(...Buffer.from(ch, 'utf8'));
    i += ch.length;
  }
  return Buffer.from(bytes).toString('utf8');
}

function urlDecode(x: unknown): string {
  const s = str('urlquery.decode', x, 1);
  const r = queryUnescape(s);
  if (typeof r !== 'string')
    throw builtinError('urlquery.decode', `invalid URL escape ${JSON.stringify(r.bad)}`);
  return r;
}

function encodeObject(x: unknown): string {
  const o = object('urlquery.encode_object', x, 1);
  const parts: string[] = [];
  for (const k of Object.keys(o).sort()) {
    const v = o[k];
    const values = typeof v === 'string' ? [v] : Array.isArray(v) ? v : undefined;
    if (values === undefined || values.some((e) => typeof e !== 'string')) {
      throw typeError(
        'urlquery.encode_object',
        1,
        'object[string: any<string, array[string], set[string]>]',
        v,
      );
    }
    for (const e of values as string[]) parts.push(queryEscape(k) + '=' + queryEscape(e));
  }
  return parts.join('&');
}

/** Go's url.ParseQuery: `&`-separated, `;` rejected, both sides unescaped. */
function decodeObject(x: unknown): Record<string, string[]> {
  const s = str('urlquery.decode_object', x, 1);
  const out = new Map<string, string[]>();
  for (const part of s.split('&')) {
    if (part === '') continue;
    if (part.includes(';'))
      throw builtinError('urlquery.decode_object', 'invalid semicolon separator in query');
    const eq = part.indexOf('=');
    const k = queryUnescape(eq < 0 ? part : part.slice(0, eq));
    const v = queryUnescape(eq < 0 ? '' : part.slice(eq + 1));
    if (typeof k !== 'string')
      throw builtinError('urlquery.decode_object', `invalid URL escape ${JSON.stringify(k.bad)}`);
    if (typeof v !== 'string')
      throw builtinError('urlquery.decode_object', `invalid URL escape ${JSON.stringify(v.bad)}`);
    const list = out.get(k);
    if (list === undefined) out.set(k, [v]);
    else list.push(v);
  }
  return Object.fromEntries(out);
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

export const ENCODING_BUILTINS: ReadonlyMap<string, JsBuiltin> = new Map<string, JsBuiltin>([
  ['base64.encode', (x) => utf8(str('base64.encode', x, 1)).toString('base64')],
  ['base64.decode', base64Decode],
  ['base64.is_valid', (x) => typeof decodeBase64(str('base64.is_valid', x, 1), STD) !== 'number'],
  ['base64url.encode', (x) => toUrlPadded(utf8(str('base64url.encode', x, 1)))],
  ['base64url.encode_no_pad', (x) => utf8(str('base64url.encode_no_pad', x, 1)).toString('base64url')],
  ['base64url.decode', base64urlDecode],
  ['hex.encode', (x) => utf8(str('hex.encode', x, 1)).toString('hex')],
  ['hex.decode', hexDecode],
  ['json.marshal', (x) => goJson(x as Json)],
  ['json.marshal_with_options', marshalWithOptions],
  ['json.unmarshal', jsonUnmarshal],
  ['json.is_valid', isValidJson],
  ['yaml.marshal', yamlMarshal],
  ['yaml.unmarshal', yamlUnmarshal],
  [
    'yaml.is_valid',
    (x) => {
      if (typeof x !== 'string') return false;
      try {
        normalizeYaml(yamlParse(x));
        return true;
      } catch {
        return false;
      }
    },
  ],
  ['urlquery.encode', (x) => queryEscape(str('urlquery.encode', x, 1))],
  ['urlquery.decode', urlDecode],
  ['urlquery.encode_object', encodeObject],
  ['urlquery.decode_object', decodeObject],
]);

function toUrlPadded(b: Buffer): string {
  return b.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
