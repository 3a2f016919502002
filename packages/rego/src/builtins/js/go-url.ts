/**
 * Go's net/url Parse and URL.String, for the URIs of certificate SANs: crypto/x509 keeps
 * them as *url.URL, which Go's JSON writes field by field, and OPA adds their String() as
 * `URIStrings`.
 */
import type { JsonObject } from './args.js';

type Mode = 'path' | 'host' | 'user' | 'fragment';

const isAlnum = (c: number) =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);

/** url.shouldEscape for the modes URIs in certificates go through. */
function shouldEscape(c: number, mode: Mode): boolean {
  if (isAlnum(c)) return false;
  const ch = String.fromCharCode(c);
  if (mode === 'host' && `!$&'()*+,;=:[]<>"`.includes(ch)) return false;
  if ('-_.~'.includes(ch)) return false;
  if ('$&+,/:;=?@'.includes(ch)) {
    if (mode === 'path') return ch === '?';
    if (mode === 'user') return ch === '@' || ch === '/' || ch === '?' || ch === ':';
    if (mode === 'fragment') return false;
  }
  if (mode === 'fragment' && '!()*'.includes(ch)) return false;
  return true;
}

const isHex = (c: number | undefined) =>
  c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46));

class UrlError extends Error {}

/** url.unescape; Go strings are bytes, so the result is bytes too. */
function urlUnescape(s: string, mode: Mode): Buffer {
  const b = Buffer.from(s, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x25) {
      if (i + 2 >= b.length || !isHex(b[i + 1]) || !isHex(b[i + 2])) {
        throw new UrlError(`invalid URL escape ${JSON.stringify(b.subarray(i, i + 3).toString())}`);
      }
      const v = Number.parseInt(b.subarray(i + 1, i + 3).toString(), 16);
      // RFC 3986 allows %-escapes in a host only for non-ASCII bytes (and %25, RFC 6874).
      if (mode === 'host' && v < 0x80 && b.subarray(i, i + 3).toString() !== '%25') {
        throw new UrlError(`invalid URL escape ${JSON.stringify(b.subarray(i, i + 3).toString())}`);
      }
      out.push(v);
      i += 2;
      continue;
    }
    if (mode === 'host' && c < 0x80 && shouldEscape(c, mode)) {
      throw new UrlError(`invalid character ${JSON.stringify(String.fromCharCode(c))} in host name`);
    }
    out.push(c);
  }
  return Buffer.from(out);
}

function urlEscape(b: Buffer, mode: Mode): string {
  let out = '';
  for (const c of b) {
    if (shouldEscape(c, mode)) out += `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += String.fromCharCode(c);
  }
  return out;
}

/** url.validEncoded: may `s` stand as the escaped form of what it decodes to? */
function validEncoded(s: string, mode: Mode): boolean {
  for (const c of Buffer.from(s, 'utf8')) {
    if (`!$&'()*+,;=:@[]%`.includes(String.fromCharCode(c))) continue;
    if (shouldEscape(c, mode)) return false;
  }
  return true;
}

export interface GoUrl {
  readonly scheme: string;
  readonly opaque: string;
  readonly user: { readonly name: Buffer; readonly password: Buffer | undefined } | undefined;
  readonly host: string;
  readonly path: Buffer;
  readonly rawPath: string;
  readonly omitHost: boolean;
  readonly forceQuery: boolean;
  readonly rawQuery: string;
  readonly fragment: Buffer;
  readonly rawFragment: string;
}

function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) continue;
    if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) {
      if (i === 0) return ['', raw];
      continue;
    }
    if (c === 0x3a) {
      if (i === 0) throw new UrlError('missing protocol scheme');
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

const validOptionalPort = (p: string) => p === '' || /^:\d*$/.test(p);

function parseHost(host: string): string {
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0) throw new UrlError("missing ']' in host");
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort))
      throw new UrlError(`invalid port ${JSON.stringify(colonPort)} after host`);
  } else {
    const i = host.lastIndexOf(':');
    if (i >= 0) {
      const colonPort = host.slice(i);
      if (!validOptionalPort(colonPort))
        throw new UrlError(`invalid port ${JSON.stringify(colonPort)} after host`);
    }
  }
  return urlUnescape(host, 'host').toString();
}

/** url.Parse; throws with the text Go's *url.Error gives. */
export function parseGoUrl(raw: string): GoUrl {
  const hash = raw.indexOf('#');
  const u = hash < 0 ? raw : raw.slice(0, hash);
  const frag = hash < 0 ? '' : raw.slice(hash + 1);
  let parsed: Omit<GoUrl, 'fragment' | 'rawFragment'>;
  try {
    parsed = parse(u);
  } catch (err) {
    if (err instanceof UrlError) throw new UrlError(`parse ${JSON.stringify(u)}: ${err.message}`);
    throw err;
  }
  if (frag === '') return { ...parsed, fragment: Buffer.alloc(0), rawFragment: '' };
  let fragment: Buffer;
  try {
    fragment = urlUnescape(frag, 'fragment');
  } catch (err) {
    if (err instanceof UrlError) throw new UrlError(`parse ${JSON.stringify(raw)}: ${err.message}`);
    throw err;
  }
  return { ...parsed, fragment, rawFragment: urlEscape(fragment, 'fragment') === frag ? '' : frag };
}

function parse(raw: string): Omit<GoUrl, 'fragment' | 'rawFragment'> {
  // Go refuses ASCII control bytes anywhere in a URL.
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new UrlError('net/url: invalid control character in URL');
  const base = {
    scheme: '',
    opaque: '',
    user: undefined,
    host: '',
    rawPath: '',
    omitHost: false,
    forceQuery: false,
    rawQuery: '',
  };
  if (raw === '*') return { ...base, path: Buffer.from('*') };
  const [schemeRaw, afterScheme] = getScheme(raw);
  const scheme = schemeRaw.toLowerCase();
  let rest = afterScheme;
  let forceQuery = false;
  let rawQuery = '';
  if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) {
    forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { ...base, scheme, opaque: rest, forceQuery, rawQuery, path: Buffer.alloc(0) };
    const slash = rest.indexOf('/');
    if ((slash < 0 ? rest : rest.slice(0, slash)).includes(':')) {
      throw new UrlError('first path segment in URL cannot contain colon');
    }
  }
  let user: GoUrl['user'];
  let host = '';
  let omitHost = false;
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    const at = authority.lastIndexOf('@');
    host = parseHost(at < 0 ? authority : authority.slice(at + 1));
    if (at >= 0) {
      const info = authority.slice(0, at);
      if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(info)) throw new UrlError('net/url: invalid userinfo');
      const colon = info.indexOf(':');
      user =
        colon < 0
          ? { name: urlUnescape(info, 'user'), password: undefined }
          : {
              name: urlUnescape(info.slice(0, colon), 'user'),
              password: urlUnescape(info.slice(colon + 1), 'user'),
            };
    }
  } else if (scheme !== '' && rest.startsWith('/')) {
    omitHost = true;
  }
  const path = urlUnescape(rest, 'path');
  const rawPath = urlEscape(path, 'path') === rest ? '' : rest;
  return { ...base, scheme, user, host, path, rawPath, omitHost, forceQuery, rawQuery };
}

function escapedPath(u: GoUrl): string {
  if (u.rawPath !== '' && validEncoded(u.rawPath, 'path')) {
    try {
      if (urlUnescape(u.rawPath, 'path').equals(u.path)) return u.rawPath;
    } catch {
      // fall through to escaping the decoded path
    }
  }
  if (u.path.toString() === '*') return '*';
  return urlEscape(u.path, 'path');
}

function escapedFragment(u: GoUrl): string {
  if (u.rawFragment !== '' && validEncoded(u.rawFragment, 'fragment')) {
    try {
      if (urlUnescape(u.rawFragment, 'fragment').equals(u.fragment)) return u.rawFragment;
    } catch {
      // fall through to escaping the decoded fragment
    }
  }
  return urlEscape(u.fragment, 'fragment');
}

/** URL.String. */
export function goUrlString(u: GoUrl): string {
  let out = '';
  if (u.scheme !== '') out += `${u.scheme}:`;
  if (u.opaque !== '') out += u.opaque;
  else {
    if (u.scheme !== '' || u.host !== '' || u.user !== undefined) {
      if (!(u.omitHost && u.host === '' && u.user === undefined)) {
        if (u.host !== '' || u.path.length > 0 || u.user !== undefined) out += '//';
        if (u.user !== undefined) {
          out += urlEscape(u.user.name, 'user');
          if (u.user.password !== undefined) out += `:${urlEscape(u.user.password, 'user')}`;
          out += '@';
        }
        if (u.host !== '') out += urlEscape(Buffer.from(u.host, 'utf8'), 'host');
      }
    }
    const path = escapedPath(u);
    if (path !== '' && path[0] !== '/' && u.host !== '') out += '/';
    if (out === '') {
      const slash = path.indexOf('/');
      if ((slash < 0 ? path : path.slice(0, slash)).includes(':')) out += './';
    }
    out += path;
  }
  if (u.forceQuery || u.rawQuery !== '') out += `?${u.rawQuery}`;
  if (u.fragment.length > 0) out += `#${escapedFragment(u)}`;
  return out;
}

/** Go's JSON of a url.URL (Userinfo has only unexported fields, so it is `{}` when set). */
export function goUrlJson(u: GoUrl): JsonObject {
  return {
    Scheme: u.scheme,
    Opaque: u.opaque,
    User: u.user === undefined ? null : {},
    Host: u.host,
    Path: u.path.toString(),
    RawPath: u.rawPath,
    OmitHost: u.omitHost,
    ForceQuery: u.forceQuery,
    RawQuery: u.rawQuery,
    Fragment: u.fragment.toString(),
    RawFragment: u.rawFragment,
  };
}

export { UrlError };
